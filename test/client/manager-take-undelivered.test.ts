/**
 * takeUndelivered(): when the extension replaces a manager (settings change), everything
 * the old relay never confirmed moves to the new manager: payloads sent but never
 * acknowledged, then the offline queue, in publish order, once each. The old manager is
 * left with nothing to resend.
 */
import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { WebSocketManager } from '../../src/client';
import { EPOCH_HEADER, type ChannelPayload } from '../../src/protocol';
import { startRelay } from '../../src/relay';
import { failOnUnhandledRejections } from '../support/unhandled';
import { waitUntil } from '../support/wait';
import { WsPeer } from '../support/ws-peer';
import {
  CHANNEL,
  disconnectAfter,
  disconnectAllManagers,
  fastOptions,
  nextEvent,
  rawServer,
  type RawWsServer,
  samplePayload,
  within,
  type RawServerOptions,
} from './helpers';

failOnUnhandledRejections();
after(disconnectAllManagers);

const withId = (i: number): ChannelPayload => ({ ...samplePayload(i), id: `event-${i}` });

/** Speaks like our relay (announces an epoch, confirms subscribes) but never sends a receipt. */
async function neverAcks(t: TestContext, extra: RawServerOptions = {}): Promise<RawWsServer> {
  return rawServer(t, { upgradeHeaders: { [EPOCH_HEADER]: 'epoch-without-receipts' }, ...extra });
}

const channelFrames = (server: RawWsServer, index: number): string[] =>
  server.connections[index].frames.filter((frame) => JSON.parse(frame).type === CHANNEL);

test('unacknowledged and queued payloads move to a new manager on a real relay: each arrives once, in order', { timeout: 15_000 }, async (t) => {
  const first = await neverAcks(t);
  const old = new WebSocketManager(first.url, CHANNEL, fastOptions());
  disconnectAfter(t, old);
  await old.connect();
  await old.subscribe();
  for (let i = 1; i <= 5; i++) assert.equal(old.send(withId(i)), 'sent');
  await waitUntil(() => channelFrames(first, 0).length === 5, 3000, 'five publishes at the raw relay');

  // The relay goes away: what follows is queued offline.
  const reconnecting = nextEvent(old, 'state', 3000, (state) => state === 'reconnecting');
  await first.close();
  await reconnecting;
  for (let i = 6; i <= 8; i++) assert.equal(old.send(withId(i)), 'queued');

  const undelivered = old.takeUndelivered();
  assert.deepEqual(
    undelivered.map((payload) => payload.id),
    [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `event-${i}`),
  );
  assert.deepEqual(undelivered, [1, 2, 3, 4, 5, 6, 7, 8].map(withId));
  assert.equal(old.queuedCount, 0);
  assert.deepEqual(old.takeUndelivered(), [], 'taken once');

  // The new manager, on a real relay, delivers them to a subscriber exactly once, in order.
  const relay = await startRelay({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 0 });
  t.after(() => relay.close());
  const peer = await WsPeer.open(relay.url);
  t.after(() => peer.close());
  await peer.subscribe(CHANNEL);
  const replacement = new WebSocketManager(relay.url, CHANNEL, fastOptions());
  disconnectAfter(t, replacement);
  await replacement.connect();
  for (const payload of undelivered) replacement.send(payload);
  const frames = await peer.waitForFrames(1 + 8);
  await peer.settle(200);
  assert.equal(peer.frames.length, 1 + 8, 'each exactly once');
  assert.deepEqual(
    frames.slice(1).map((frame) => JSON.parse(frame).payload.id),
    [1, 2, 3, 4, 5, 6, 7, 8].map((i) => `event-${i}`),
  );
});

test('after takeUndelivered() the old manager resends nothing when its relay comes back', { timeout: 15_000 }, async (t) => {
  const first = await neverAcks(t);
  const port = first.port;
  const old = new WebSocketManager(first.url, CHANNEL, fastOptions());
  disconnectAfter(t, old);
  await old.connect();
  await old.subscribe();
  for (let i = 1; i <= 3; i++) old.send(withId(i));
  await waitUntil(() => channelFrames(first, 0).length === 3, 3000, 'three publishes');
  const reconnecting = nextEvent(old, 'state', 3000, (state) => state === 'reconnecting');
  await first.close();
  await reconnecting;
  assert.equal(old.takeUndelivered().length, 3);

  // The same relay address comes back: the old manager resubscribes and has nothing else to send.
  const resubscribed = nextEvent(old, 'state', 5000, (state) => state === 'subscribed');
  const again = await neverAcks(t, { port });
  await within(resubscribed, 6000, 'resubscribed');
  old.send(withId(4));
  await waitUntil(() => channelFrames(again, 0).length >= 1, 3000, 'the new publish');
  assert.deepEqual(
    channelFrames(again, 0).map((frame) => JSON.parse(frame).payload.id),
    ['event-4'],
    'no resend of what was handed over',
  );
});
