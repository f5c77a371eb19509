// Replies count against the outbound limit too: a publisher that asks for receipts and
// never reads them (each echoes its `id`, as long as the publisher likes) is cut off as a
// slow consumer, instead of growing the relay's memory without bound.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOSE_CODES, channelMessage, responseDeltaPayload } from '../../src/protocol';
import { spawnRelay } from '../support/relay-process';
import { WsPeer } from '../support/ws-peer';

test('receipts nobody reads pass the high-water mark: the publisher is closed with 4001, others go on', { timeout: 60_000 }, async () => {
  const relay = await spawnRelay(['--quiet', '--high-water', String(1024 * 1024), '--rate', '100000', '--burst', '100000']);
  const metrics = async () => (await fetch(`http://127.0.0.1:${relay.port}/metrics`)).text();
  try {
    const subscriber = await WsPeer.open(relay.url);
    await subscriber.subscribe('r');
    const publisher = await WsPeer.open(relay.url, { headers: { 'x-weather-relay-features': 'ack' } });
    publisher.socket.pause(); // never reads its receipts
    const id = 'i'.repeat(256 * 1024);
    const cutOff = async () => (await metrics()).split('\n').includes('weather_relay_errors_total{code="slow_consumer"} 1');
    // Up to 48 MB of receipts: far past what the kernel buffers and the 1 MiB mark can hold.
    const sent: string[] = [];
    for (let batch = 0; batch < 12 && !(await cutOff()); batch++) {
      for (let i = 0; i < 16; i++) {
        const frame = JSON.stringify(channelMessage('r', responseDeltaPayload('t', `m${sent.length}`, { id: `${sent.length}-${id}` })));
        sent.push(frame);
        publisher.send(frame);
      }
      await subscriber.settle(100); // the relay has handled the batch
    }
    assert.equal(await cutOff(), true, 'the publisher was cut off');
    // Sent after the cut-off (the socket has not seen its close yet): none of these may be published.
    const late = Array.from({ length: 4 }, (_, i) => JSON.stringify(channelMessage('r', responseDeltaPayload('t', `late${i}`))));
    for (const frame of late) publisher.send(frame);
    publisher.socket.resume();
    const code = await publisher.closed;
    assert.ok(code === CLOSE_CODES.slowConsumer || code === 1006, `closed with ${code}`);
    await subscriber.settle(200);
    const received = subscriber.texts.slice(1);
    // Through a backplane every publish made before the cut-off may still be delivered; never one after it.
    assert.ok(received.length >= 4 && received.length <= sent.length, `published until cut off: ${received.length} of ${sent.length}`);
    assert.ok(!received.some((text) => late.includes(text)), 'nothing sent after the cut-off was published');
    assert.deepEqual(received, sent.slice(0, received.length), 'in order, none lost before the cut-off');

    const other = await WsPeer.open(relay.url);
    const last = JSON.stringify(channelMessage('r', responseDeltaPayload('t', 'after')));
    other.send(last);
    await subscriber.waitForFrames(2 + received.length);
    assert.equal(subscriber.texts.at(-1), last);
    await other.close();
    await subscriber.close();
  } finally {
    await relay.stop('SIGKILL');
  }
});
