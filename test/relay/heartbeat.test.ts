// Dead peers are found by ping/pong and cut off, and their subscriptions go with them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestRelay } from '../support/relay-mode';
import { WsPeer } from '../support/ws-peer';
import { waitUntil } from '../support/wait';

test('a peer that stops answering pings is terminated; a live one is kept', async () => {
  const relay = await startTestRelay({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 100 });
  try {
    const silent = await WsPeer.open(relay.url, { autoPong: false });
    await silent.subscribe('c');
    const live = await WsPeer.open(relay.url);
    await live.subscribe('c');
    const started = Date.now();
    const code = await silent.closed;
    assert.equal(code, 1006, 'terminated without a close handshake');
    assert.ok(Date.now() - started < 2000);
    await waitUntil(() => relay.gauges().subscriptions === 1, 2000, 'the dead peer’s subscription to go');
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(live.closeCode, undefined, 'the live peer is still connected after several heartbeats');
    await live.close();
  } finally {
    await relay.close();
  }
});

test('heartbeat 0 disables pings', async () => {
  const relay = await startTestRelay({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 0 });
  const silent = await WsPeer.open(relay.url, { autoPong: false });
  let pinged = false;
  silent.socket.on('ping', () => (pinged = true));
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(pinged, false);
  assert.equal(silent.closeCode, undefined);
  await silent.close();
  await relay.close();
});
