/**
 * Regression tests for client issues found while writing this suite: an option `ws`
 * refuses outright (src/client/session.ts), and an error reply to a publish arriving
 * while a subscribe is in flight (src/client/websocket-manager.ts).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocketManager } from '../../src/client';
import { delay, waitUntil } from '../support/wait';
import { CHANNEL, disconnectAfter, fastOptions, rawServer, relayLike, sampleBytes, samplePayload, subscribeBytes, subscribedBytes, within } from './helpers';

test(
  'an invalid header value makes connect() reject (not throw) and leaves no unhandled rejection',
  { timeout: 10_000 },
  async (t) => {
    const seen: unknown[] = [];
    const onUnhandled = (reason: unknown) => seen.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const manager = new WebSocketManager('ws://127.0.0.1:9', CHANNEL, fastOptions({ headers: { 'x-token': 'a\nb' } }));
      disconnectAfter(t, manager);
      let retries = 0;
      manager.on('retry', () => retries++);
      let outcome: string;
      try {
        outcome = await manager.connect().then(
          () => 'resolved',
          (error: Error) => `rejected: ${error.message}`,
        );
      } catch (error) {
        outcome = `threw: ${(error as Error).message}`;
      }
      await within(manager.disconnect(), 3000, 'disconnect()');
      await delay(50);
      assert.match(outcome, /^rejected: cannot connect to ws:\/\/127\.0\.0\.1:9: .*header/i);
      assert.equal(manager.state, 'closed');
      assert.equal(retries, 0, 'options the socket refuses cannot succeed on retry');
      assert.deepEqual(seen, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  },
);

test(
  'an error reply to an earlier publish is not mistaken for a refused subscription',
  { timeout: 10_000 },
  async (t) => {
    // The relay answers a publish with an error, but only after the client's subscribe has gone out.
    const rejection = { message: 'payload too large for this relay', code: 'message_too_large', channel: CHANNEL };
    const server = await rawServer(t, {
      respond: (connection, text) => {
        if (text === subscribeBytes()) {
          connection.send(JSON.stringify({ type: 'error', payload: rejection }));
          connection.send(subscribedBytes());
        } else relayLike(connection, text);
      },
    });
    const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
    disconnectAfter(t, manager);
    const serverErrors: unknown[] = [];
    manager.on('serverError', (error) => serverErrors.push(error));
    await manager.connect();
    assert.equal(manager.send(samplePayload(1)), 'sent');
    const outcome = await manager.subscribe().then(
      () => 'resolved',
      (error: Error) => `rejected: ${error.message}`,
    );
    await waitUntil(() => server.connections[0].frames.length === 2, 3000, 'frames');
    assert.deepEqual(server.connections[0].frames, [sampleBytes(1), subscribeBytes()]);
    assert.equal(outcome, 'resolved', 'the relay did subscribe us');
    assert.equal(manager.isSubscribed, true);
    assert.deepEqual(serverErrors, [rejection], 'the publish error is still reported');
  },
);
