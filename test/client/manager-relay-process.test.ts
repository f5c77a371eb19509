/**
 * The real thing: the built relay (dist/relay.js) as a child process is stopped
 * (SIGTERM, then SIGKILL) while the manager keeps sending; a new relay comes back on
 * the same port; a raw subscriber must then get exactly the messages sent during the
 * outage, in order, once each.
 */
import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { WebSocketManager } from '../../src/client';
import type { ChannelMessage } from '../../src/protocol';
import { spawnRelay, type RelayProcess } from '../support/relay-process';
import { delay, waitUntil } from '../support/wait';
import { WsPeer } from '../support/ws-peer';
import {
  CHANNEL,
  disconnectAfter,
  disconnectAllManagers,
  nextEvent,
  sampleBytes,
  samplePayload,
  subscribedBytes,
  within,
  asPublished,
} from './helpers';
import { failOnUnhandledRejections } from '../support/unhandled';

failOnUnhandledRejections();
after(disconnectAllManagers);
const N = 25;

/**
 * The backoff floor is what makes the test deterministic: after a refused attempt
 * the manager waits at least MIN_DELAY_MS, and the new relay plus the raw
 * subscriber are ready well within that, so the subscriber is always on the
 * channel before the manager comes back and flushes.
 */
const MIN_DELAY_MS = 800;

function stopAfter(t: TestContext, relay: RelayProcess): void {
  t.after(async () => {
    await within(relay.stop('SIGKILL'), 5000, 'relay exit').catch(() => {});
  });
}

async function openPeer(t: TestContext, url: string): Promise<WsPeer> {
  const peer = await WsPeer.open(url);
  t.after(() => peer.close());
  const reply = await peer.subscribe(CHANNEL);
  assert.deepEqual(reply, { type: 'subscribed', payload: { channel: CHANNEL, message: 'subscribed' } });
  return peer;
}

async function outage(t: TestContext, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  const relay1 = await spawnRelay(['--quiet']);
  stopAfter(t, relay1);
  const port = relay1.port;
  const peer1 = await openPeer(t, relay1.url);

  const manager = new WebSocketManager(relay1.url, CHANNEL, {
    reconnect: { minDelayMs: MIN_DELAY_MS, initialDelayMs: 1000, maxDelayMs: 1000 },
    subscribeTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    heartbeatIntervalMs: 0,
  });
  disconnectAfter(t, manager);
  const echoes: ChannelMessage[] = [];
  manager.on('message', (message) => echoes.push(asPublished(message)));
  await manager.connect();
  await manager.subscribe();

  assert.equal(manager.send(samplePayload(0)), 'sent');
  assert.deepEqual(await peer1.waitForFrames(2), [subscribedBytes(), sampleBytes(0)]);
  await waitUntil(() => echoes.length === 1, 3000, 'own echo of message 0');

  // Stop the relay under the manager's feet.
  const reconnecting = nextEvent<[string, Error]>(manager, 'state', 5000, (state) => state === 'reconnecting');
  const exit = await within(relay1.stop(signal), 5000, `relay exit on ${signal}`);
  assert.equal(exit, signal === 'SIGTERM' ? 0 : 'SIGKILL');
  const [, lost] = await reconnecting;
  if (signal === 'SIGTERM') {
    assert.equal(lost.message, `connection to ${relay1.url} closed (code 1001: relay shutting down)`);
    assert.equal(await peer1.closed, 1001);
  } else {
    assert.match(lost.message, /closed \(code 1006\)|reset by the peer/);
    assert.equal(await peer1.closed, 1006);
  }

  // Offline: everything is queued.
  for (let i = 1; i <= N; i++) assert.equal(manager.send(samplePayload(i)), 'queued', `message ${i}`);
  assert.equal(manager.queuedCount, N);
  assert.equal(manager.isSubscribed, false);

  // Wait for a refused attempt: the next one is at least MIN_DELAY_MS away.
  const [, , refused] = await nextEvent<[number, number, Error]>(manager, 'retry', 5000, (_a, _d, error: Error) =>
    /connection refused/.test(error.message),
  );
  assert.match(refused.message, new RegExp(`cannot connect to ws://127\\.0\\.0\\.1:${port}: connection refused`));
  const refusedAt = Date.now();

  // A new relay on the same port (spawnRelay passes --port 0 first; the later flag wins).
  const relay2 = await spawnRelay(['--quiet', '--port', String(port)]);
  stopAfter(t, relay2);
  assert.equal(relay2.port, port);
  assert.equal(relay2.url, relay1.url);
  const peer2 = await openPeer(t, relay2.url);
  const readyAfter = Date.now() - refusedAt;
  assert.equal(
    manager.state,
    'reconnecting',
    `precondition: the relay restart took ${readyAfter} ms, longer than the ${MIN_DELAY_MS} ms backoff floor`,
  );

  // The manager comes back by itself, re-subscribes, then flushes.
  const frames = await peer2.waitForFrames(1 + N, 5000);
  assert.deepEqual(frames, [subscribedBytes(), ...Array.from({ length: N }, (_, k) => sampleBytes(k + 1))]);
  await peer2.settle(200);
  assert.equal(peer2.frames.length, 1 + N, 'each message exactly once');
  assert.equal(manager.isSubscribed, true);
  assert.equal(manager.queuedCount, 0);

  // The manager saw the same stream (its own messages, echoed by both relays).
  assert.deepEqual(
    echoes.map((message) => message.payload.message),
    Array.from({ length: N + 1 }, (_, k) => `step ${k}`),
  );

  // And the connection is fully usable afterwards.
  assert.equal(manager.send(samplePayload(N + 1)), 'sent');
  assert.equal((await peer2.waitForFrames(2 + N))[1 + N], sampleBytes(N + 1));
  await within(manager.disconnect(), 5000, 'disconnect()');
  await delay(50);
}

test('relay stopped with SIGTERM and restarted on the same port: queued messages arrive once, in order', { timeout: 20_000 }, async (t) => {
  await outage(t, 'SIGTERM');
});

test('relay killed with SIGKILL and restarted on the same port: queued messages arrive once, in order', { timeout: 20_000 }, async (t) => {
  await outage(t, 'SIGKILL');
});
