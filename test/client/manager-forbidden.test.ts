/**
 * A WebSocketManager holding a subscribe-only token (a dashboard) on a relay that checks
 * signed tokens: it subscribes and watches; its publishes are refused `forbidden`, reported,
 * and never resent, not on this connection and not after a reconnect.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { WebSocketManager } from '../../src/client';
import type { ErrorMessage } from '../../src/protocol';
import { mintToken } from '../../src/relay/auth/mint-token';
import { startTestRelay } from '../support/relay-mode';
import { failOnUnhandledRejections } from '../support/unhandled';
import { waitUntil } from '../support/wait';
import { WsPeer } from '../support/ws-peer';
import { CHANNEL, disconnectAfter, disconnectAllManagers, fastOptions, samplePayload, within } from './helpers';

failOnUnhandledRejections();
after(disconnectAllManagers);

const SECRET = 'the-relay-secret-of-at-least-32-bytes!';

test('a subscribe-only token watches, and its refused publishes are reported and never resent', async (t) => {
  const relay = await startTestRelay({ host: '127.0.0.1', port: 0, jwt: { secret: SECRET } });
  t.after(() => relay.close());
  const watchOnly = await mintToken({ secret: SECRET, sub: 'dashboard', subscribe: [CHANNEL], publish: [], ttlSeconds: 600 });
  const writer = await mintToken({ secret: SECRET, sub: 'assistant', subscribe: [], publish: [CHANNEL], ttlSeconds: 600 });

  const manager = new WebSocketManager(relay.url, CHANNEL, fastOptions({ headers: { authorization: `Bearer ${watchOnly}` } }));
  disconnectAfter(t, manager);
  const errors: ErrorMessage['payload'][] = [];
  manager.on('serverError', (error) => errors.push(error));
  const received: string[] = [];
  manager.on('message', (message) => received.push(message.payload.message));
  await within(manager.connect(), 5000, 'connect()');
  // Published just before the subscribe: its refusal must not be taken for the subscription's.
  manager.send({ ...samplePayload(1), id: 'mine-1' });
  await within(manager.subscribe(), 5000, 'subscribe()');
  await waitUntil(() => errors.length === 1, 5000, 'the refusal');
  assert.deepEqual([errors[0].code, errors[0].action, errors[0].id], ['forbidden', 'publish', 'mine-1']);

  const publisher = await WsPeer.open(relay.url, { headers: { authorization: `Bearer ${writer}` } });
  publisher.send({ type: CHANNEL, payload: samplePayload(2) });
  await publisher.settle(300);
  await waitUntil(() => received.length === 1, 5000, `a teammate's message (publisher got ${publisher.texts.join(' ')})`);
  assert.deepEqual(received, ['step 2']);

  // Nothing is left to resend, on a reconnect or to a new manager.
  assert.deepEqual(manager.takeUndelivered(), []);
  await publisher.close();
});
