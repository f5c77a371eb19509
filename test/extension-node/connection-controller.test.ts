// The extension's connection logic in Node: live settings changes, and the relay
// started inside the extension host when nothing answers on a loopback URI.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { responseDeltaPayload } from '../../src/protocol';
import { startRelay } from '../../src/relay';
import { stubUnknownHosts } from '../support/unknown-host';
import { WsPeer } from '../support/ws-peer';
import { waitUntil } from '../support/wait';
import { controller, freePort } from './controller-harness';

test('autoStart: nothing on the loopback port → the relay runs embedded, and others can use it', async () => {
  const port = await freePort();
  const { connection, lines } = controller();
  try {
    await connection.apply({ uri: `ws://localhost:${port}`, channel: 'weather-update', autoStart: true });
    await waitUntil(() => connection.status.view === 'embedded', 5000, 'embedded relay');
    assert.equal(connection.embeddedRelayUrl, `ws://127.0.0.1:${port}`);
    assert.ok(lines.some((line) => line.includes(`started the embedded relay on ws://127.0.0.1:${port}`)), lines.join('\n'));
    // A teammate's subscriber on the same relay sees what this window publishes.
    const peer = await WsPeer.open(`ws://127.0.0.1:${port}`);
    await peer.subscribe('weather-update');
    connection.send(responseDeltaPayload('thread_1', 'hello'));
    const message = await peer.next();
    assert.equal(message.payload.message, 'hello');
    await peer.close();
  } finally {
    await connection.dispose();
  }
  assert.equal(connection.embeddedRelayUrl, undefined, 'dispose stops the embedded relay');
});

test('autoStart off: stays reconnecting with a clear problem, starts nothing', async () => {
  const port = await freePort();
  const { connection } = controller();
  try {
    await connection.apply({ uri: `ws://127.0.0.1:${port}`, channel: 'c', autoStart: false });
    await waitUntil(() => connection.status.view === 'reconnecting', 5000, 'reconnecting');
    assert.match(connection.status.problem!, /connection refused \(is the relay running\?\)/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(connection.embeddedRelayUrl, undefined);
  } finally {
    await connection.dispose();
  }
});

test('a settings change moves the connection to another relay and channel, live', async () => {
  const first = await startRelay({ host: '127.0.0.1', port: 0 });
  const second = await startRelay({ host: '127.0.0.1', port: 0 });
  const { connection } = controller();
  const received: string[] = [];
  connection.on('message', (message) => received.push(`${message.type}:${message.payload.message}`));
  try {
    await connection.apply({ uri: first.url, channel: 'one', autoStart: false });
    await waitUntil(() => first.gauges().subscriptions === 1, 5000, 'subscribed to the first relay');
    assert.equal(connection.status.view, 'connected');
    await connection.apply({ uri: second.url, channel: 'two', autoStart: false });
    await waitUntil(() => second.gauges().subscriptions === 1 && first.gauges().connections === 0, 5000, 'moved to the second relay');
    const publisher = await WsPeer.open(second.url);
    publisher.send({ type: 'two', payload: responseDeltaPayload('t', 'on two') });
    await waitUntil(() => received.length === 1, 5000, 'the message on the new channel');
    assert.deepEqual(received, ['two:on two']);
    assert.deepEqual({ uri: connection.status.uri, channel: connection.status.channel }, { uri: second.url, channel: 'two' });
    await publisher.close();
  } finally {
    await connection.dispose();
    await Promise.all([first.close(), second.close()]);
  }
});

test('a non-loopback URI is never embedded', async () => {
  const { connection } = controller();
  const dns = stubUnknownHosts();
  try {
    await connection.apply({ uri: 'ws://relay.invalid:4000', channel: 'c', autoStart: true });
    await waitUntil(() => connection.status.view === 'reconnecting', 5000, 'reconnecting');
    assert.match(connection.status.problem!, /not found/);
    assert.equal(connection.embeddedRelayUrl, undefined);
    assert.ok(dns.asked.includes('relay.invalid'));
  } finally {
    await connection.dispose();
    dns.restore();
  }
});

test('events queued for an unreachable relay move to the new one when the settings change', async () => {
  const port = await freePort();
  const live = await startRelay({ host: '127.0.0.1', port: 0 });
  const { connection, lines } = controller();
  try {
    await connection.apply({ uri: `ws://127.0.0.1:${port}`, channel: 'weather-update', autoStart: false });
    await waitUntil(() => connection.status.view === 'reconnecting', 5000, 'reconnecting');
    for (const text of ['one', 'two', 'three']) connection.send(responseDeltaPayload('thread_q', text));
    const peer = await WsPeer.open(live.url);
    await peer.subscribe('weather-update');
    await connection.apply({ uri: live.url, channel: 'weather-update', autoStart: false });
    await peer.waitForFrames(4);
    assert.deepEqual(peer.messages.slice(1).map((message) => message.payload.message), ['one', 'two', 'three']);
    assert.ok(lines.some((line) => line.includes(`moving 3 unsent event(s) to ${live.url}`)), lines.join('\n'));
    assert.ok(lines.some((line) => /connection refused/.test(line)), 'the failure was logged');
    await peer.close();
  } finally {
    await connection.dispose();
    await live.close();
  }
});
