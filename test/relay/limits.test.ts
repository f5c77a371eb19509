// Per-connection limits: each one answers clearly, and only the offender is affected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOSE_CODES, channelMessage, responseDeltaPayload } from '../../src/protocol';
import { startTestRelay } from '../support/relay-mode';
import { WsPeer } from '../support/ws-peer';
import { waitUntil } from '../support/wait';

const publish = (channel: string, text: string) => JSON.stringify(channelMessage(channel, responseDeltaPayload('t', text)));

test('subscriptions past the limit get too_many_subscriptions; the connection stays usable', async () => {
  const relay = await startTestRelay({ host: '127.0.0.1', port: 0, maxSubscriptionsPerConnection: 2 });
  try {
    const peer = await WsPeer.open(relay.url);
    assert.equal((await peer.subscribe('a')).type, 'subscribed');
    assert.equal((await peer.subscribe('b')).type, 'subscribed');
    assert.equal((await peer.subscribe('a')).type, 'subscribed', 'renewing one it holds is fine');
    const refused = await peer.subscribe('c');
    assert.deepEqual(refused, {
      type: 'error',
      payload: { message: 'a connection may hold at most 2 subscriptions', code: 'too_many_subscriptions', channel: 'c' },
    });
    peer.send(publish('b', 'still works'));
    assert.equal((await peer.next()).payload.message, 'still works');
    await peer.close();
  } finally {
    await relay.close();
  }
});

test('a flooding publisher is warned once, then closed with 4029; a bystander is untouched', async () => {
  const relay = await startTestRelay({ host: '127.0.0.1', port: 0, messagesPerSecond: 50, messageBurst: 20 });
  try {
    const bystander = await WsPeer.open(relay.url);
    await bystander.subscribe('c');
    const flooder = await WsPeer.open(relay.url);
    for (let i = 0; i < 200 && flooder.closeCode === undefined; i++) flooder.send(publish('c', `flood ${i}`));
    assert.equal(await flooder.closed, CLOSE_CODES.rateLimited);
    const errors = flooder.messages.filter((message) => message.type === 'error');
    assert.equal(errors.length, 1, 'one warning, not one per dropped message');
    assert.equal(errors[0].payload.code, 'rate_limited');
    assert.match(errors[0].payload.message, /at most 50 per second \(bursts of 20\)/);
    // Through a backplane the burst may still be on its way when the flooder is closed.
    await bystander.until(() => bystander.frames.length - 1 >= 20, 5000, 'the burst of 20');
    await bystander.settle(200);
    const delivered = bystander.frames.length - 1;
    assert.ok(delivered >= 20 && delivered <= 25, `the burst got through, the rest did not (${delivered})`);
    const publisher = await WsPeer.open(relay.url);
    publisher.send(publish('c', 'polite'));
    await bystander.until(() => bystander.texts.at(-1)!.includes('polite'), 3000, 'the polite message');
    await Promise.all([bystander.close(), publisher.close()]);
  } finally {
    await relay.close();
  }
});

test('a subscriber that never reads is closed with 4001 once past the high-water mark', async () => {
  const relay = await startTestRelay({ host: '127.0.0.1', port: 0, outboundHighWaterBytes: 1024 * 1024, messagesPerSecond: 1e6, messageBurst: 1e6 });
  try {
    const slow = await WsPeer.open(relay.url);
    await slow.subscribe('c');
    slow.socket.pause(); // stops reading: the kernel buffers fill, then the relay's queue grows
    const fast = await WsPeer.open(relay.url);
    await fast.subscribe('c');
    const publisher = await WsPeer.open(relay.url);
    const big = 'x'.repeat(16 * 1024);
    const total = 1500;
    // In batches the reading subscriber keeps up with: only the one that stopped reading
    // may pass the high-water mark, however busy this process is.
    for (let i = 0; i < total; i++) {
      publisher.send(publish('c', `${i} ${big}`));
      if (i % 25 === 24) await fast.waitForFrames(2 + i, 20_000);
    }
    await fast.waitForFrames(1 + total, 20_000);
    await waitUntil(() => relay.gauges().subscriptions === 1, 5000, 'the slow subscriber to be dropped');
    slow.socket.resume();
    const code = await slow.closed;
    assert.ok(code === CLOSE_CODES.slowConsumer || code === 1006, `closed with ${code}`);
    const metrics = await (await fetch(`${relay.url.replace('ws:', 'http:')}/metrics`)).text();
    assert.match(metrics, /weather_relay_errors_total\{code="slow_consumer"\} 1/);
    await Promise.all([fast.close(), publisher.close()]);
  } finally {
    await relay.close();
  }
});

test('a socket limit with no room above the connection limit is refused at start', async () => {
  await assert.rejects(
    startTestRelay({ host: '127.0.0.1', port: 0, maxConnections: 5, maxSockets: 5 }),
    { name: 'RangeError', message: 'the socket limit (5) must be above the connection limit (5), so that health checks get through while WebSockets are at their limit' },
  );
});
