/**
 * subscribe()'s timeout runs from when the subscribe frame is actually sent, never from
 * the call: a subscribe() made while the relay is away waits for the next connection.
 * Against a raw `ws` server that comes up on a port the manager is already retrying.
 */
import assert from 'node:assert/strict';
import { after, test, type TestContext } from 'node:test';
import { WebSocketManager } from '../../src/client';
import { delay } from '../support/wait';
import { failOnUnhandledRejections } from '../support/unhandled';
import {
  CHANNEL,
  disconnectAfter,
  disconnectAllManagers,
  fastOptions,
  rawServer,
  subscribeBytes,
  subscribedBytes,
  unusedPort,
  within,
} from './helpers';

failOnUnhandledRejections();
after(disconnectAllManagers);

/** A manager for a port nobody listens on yet, with subscribe() already called. */
async function subscribingWhileAway(t: TestContext, subscribeTimeoutMs: number) {
  const port = await unusedPort();
  const manager = new WebSocketManager(`ws://127.0.0.1:${port}`, CHANNEL, fastOptions({ subscribeTimeoutMs }));
  disconnectAfter(t, manager);
  const outcome = { text: 'pending', at: 0 };
  const subscribed = manager.subscribe().then(
    () => Object.assign(outcome, { text: 'resolved', at: Date.now() }),
    (error: Error) => Object.assign(outcome, { text: `rejected: ${error.message}`, at: Date.now() }),
  );
  await manager.connect().catch(() => {});
  return { port, manager, outcome, subscribed };
}

test('a relay that comes up after the timeout and confirms within it: subscribe() resolves', { timeout: 10_000 }, async (t) => {
  const { port, manager, outcome, subscribed } = await subscribingWhileAway(t, 400);
  await delay(700);
  assert.equal(outcome.text, 'pending', 'nothing was sent, so nothing timed out');
  // Confirms 200 ms after the subscribe arrives: late for a clock started at the call, in time for one started at the send.
  const server = await rawServer(t, {
    port,
    respond: (connection, text) => {
      if (text === subscribeBytes()) setTimeout(() => connection.send(subscribedBytes()), 200);
    },
  });
  await within(subscribed, 5000, 'subscribe()');
  assert.equal(outcome.text, 'resolved');
  assert.equal(manager.isSubscribed, true);
  assert.equal(server.connections.length, 1);
  assert.deepEqual(server.connections[0].frames, [subscribeBytes()]);
});

test('a relay that comes up and never confirms: subscribe() rejects one timeout after the frame was sent', { timeout: 10_000 }, async (t) => {
  const { port, outcome, subscribed } = await subscribingWhileAway(t, 400);
  await delay(700);
  assert.equal(outcome.text, 'pending');
  let sentAt = 0;
  await rawServer(t, {
    port,
    respond: (_connection, text) => {
      if (text === subscribeBytes() && sentAt === 0) sentAt = Date.now();
    },
  });
  await within(subscribed, 5000, 'subscribe()');
  assert.equal(outcome.text, 'rejected: the relay did not confirm the subscription to "weather-update" within 400 ms');
  assert.ok(sentAt > 0, 'the subscribe was sent');
  const waited = outcome.at - sentAt;
  assert.ok(waited >= 380, `rejected ${waited} ms after the subscribe reached the relay`);
});
