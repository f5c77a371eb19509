/**
 * WebSocketManager against a scripted raw `ws` server: what the client puts on the
 * wire (exact bytes, order, close codes) and how it reacts to every relay behaviour,
 * good or bad.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { RelayConnectionError, WebSocketManager } from '../../src/client';
import type { ChannelMessage } from '../../src/protocol';
import { delay, waitUntil } from '../support/wait';
import {
  CHANNEL,
  disconnectAfter,
  disconnectAllManagers,
  fastOptions,
  nextEvent,
  rawServer,
  recordStates,
  relayLike,
  sampleBytes,
  samplePayload,
  silent,
  subscribeBytes,
  subscribedBytes,
  unsubscribeBytes,
  unsubscribedBytes,
  within,
} from './helpers';
import { failOnUnhandledRejections } from '../support/unhandled';

failOnUnhandledRejections();
after(disconnectAllManagers);

test('disconnect(): unsubscribe, then close 1000, in that order on the wire', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t);
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await manager.connect();
  await manager.subscribe();
  manager.send(samplePayload(1));
  manager.send(samplePayload(2));
  const result = await within(manager.disconnect(), 3000, 'disconnect()');

  assert.deepEqual(result, { unsent: 0 });
  assert.equal(server.connections.length, 1);
  const [connection] = server.connections;
  assert.equal(await within(connection.closed, 3000, 'server-side close'), 1000);
  assert.deepEqual(connection.frames, [subscribeBytes(), sampleBytes(1), sampleBytes(2), unsubscribeBytes()]);
  assert.equal(connection.binaryFrames, 0);
  assert.equal(manager.state, 'closed');
  await delay(150);
  assert.equal(server.connections.length, 1, 'no reconnect after disconnect()');
});

test('disconnect() without a subscription: no unsubscribe, just close 1000', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t);
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await manager.connect();
  assert.equal(manager.send(samplePayload(1)), 'sent');
  await within(manager.disconnect(), 3000, 'disconnect()');
  const [connection] = server.connections;
  assert.equal(await within(connection.closed, 3000, 'server-side close'), 1000);
  assert.deepEqual(connection.frames, [sampleBytes(1)]);
});

test('disconnect() twice at once: both resolve, one unsubscribe, one close 1000', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t);
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await manager.connect();
  await manager.subscribe();
  const results = await within(Promise.all([manager.disconnect(), manager.disconnect()]), 3000, 'two disconnect() calls');
  assert.deepEqual(results, [{ unsent: 0 }, { unsent: 0 }]);
  const [connection] = server.connections;
  assert.equal(await within(connection.closed, 3000, 'server-side close'), 1000);
  assert.deepEqual(connection.frames, [subscribeBytes(), unsubscribeBytes()], 'one unsubscribe, not two');
  assert.equal(manager.state, 'closed');
  await delay(100);
  assert.equal(server.connections.length, 1);
});

test('disconnect() when the relay never confirms the unsubscribe still closes with 1000 (after the timeout)', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t, {
    respond: (connection, text) => {
      if (text === subscribeBytes()) connection.send(subscribedBytes());
    },
  });
  const warnings: string[] = [];
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions({ subscribeTimeoutMs: 200, log: (_level, line) => warnings.push(line) }));
  disconnectAfter(t, manager);
  await manager.connect();
  await manager.subscribe();
  const started = Date.now();
  await within(manager.disconnect(), 3000, 'disconnect()');
  const elapsed = Date.now() - started;
  const [connection] = server.connections;
  assert.equal(await within(connection.closed, 3000, 'server-side close'), 1000);
  assert.deepEqual(connection.frames, [subscribeBytes(), unsubscribeBytes()]);
  assert.ok(elapsed >= 150 && elapsed < 2000, `waited ${elapsed} ms for the unsubscribe reply`);
  assert.ok(warnings.some((line) => /did not confirm leaving "weather-update" in time/.test(line)), warnings.join('\n'));
});

test('after a dropped connection: reconnects, re-subscribes, and only then flushes the queue in order, once', { timeout: 10_000 }, async (t) => {
  // First connection: a normal relay. Second connection: hold the `subscribed` reply until the test releases it.
  const server = await rawServer(t, {
    respond: (connection, text) => {
      if (connection.index === 0) relayLike(connection, text);
    },
  });
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  const states = recordStates(manager);
  await manager.connect();
  await manager.subscribe();
  manager.send(samplePayload(0));
  await waitUntil(() => server.connections[0].frames.length === 2, 3000, 'first publish');

  // Network drop: the server cuts the TCP connection without a close frame.
  const reconnecting = nextEvent(manager, 'state', 3000, (state) => state === 'reconnecting');
  server.connections[0].ws.terminate();
  const [, error] = await reconnecting;
  assert.ok(error instanceof RelayConnectionError);
  assert.match(error.message, /closed \(code 1006\)/);
  assert.equal(manager.isSubscribed, false);

  for (let i = 1; i <= 3; i++) assert.equal(manager.send(samplePayload(i)), 'queued');
  await waitUntil(() => server.connections.length === 2 && server.connections[1].frames.length === 1, 3000, 're-subscribe');
  const second = server.connections[1];
  assert.equal(second.frames[0], subscribeBytes(), 'the first frame after reconnecting is the subscribe');
  assert.equal(manager.state, 'connected');
  // Connected but not yet confirmed: still queued, nothing leaks out before the subscription.
  assert.equal(manager.send(samplePayload(4)), 'queued');
  assert.equal(manager.queuedCount, 4);
  await delay(100);
  assert.deepEqual(second.frames, [subscribeBytes()]);

  second.send(subscribedBytes());
  await waitUntil(() => second.frames.length === 5, 3000, 'flushed queue');
  await delay(100);
  assert.deepEqual(second.frames, [subscribeBytes(), sampleBytes(1), sampleBytes(2), sampleBytes(3), sampleBytes(4)]);
  assert.deepEqual(server.connections[0].frames, [subscribeBytes(), sampleBytes(0)], 'nothing was sent twice');
  assert.equal(manager.queuedCount, 0);
  assert.equal(manager.isSubscribed, true);
  assert.deepEqual(
    states.map((entry) => entry.state),
    ['connecting', 'connected', 'subscribed', 'reconnecting', 'connected', 'subscribed'],
  );
  assert.equal(manager.send(samplePayload(5)), 'sent');
});

test('while a subscribe awaits its reply, sends are held back and go out right after the confirmation', { timeout: 10_000 }, async (t) => {
  let release: (() => void) | undefined;
  const server = await rawServer(t, {
    respond: (connection, text) => {
      if (text === subscribeBytes()) release = () => connection.send(subscribedBytes());
    },
  });
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await manager.connect();
  const subscribed = manager.subscribe();
  await waitUntil(() => release !== undefined, 3000, 'subscribe frame');
  assert.equal(manager.send(samplePayload(1)), 'queued');
  assert.equal(manager.send(samplePayload(2)), 'queued');
  await delay(100);
  assert.deepEqual(server.connections[0].frames, [subscribeBytes()]);
  release!();
  await subscribed;
  await waitUntil(() => server.connections[0].frames.length === 3, 3000, 'held messages');
  assert.deepEqual(server.connections[0].frames, [subscribeBytes(), sampleBytes(1), sampleBytes(2)]);
});

test('subscribe(): an `error` reply rejects with a clear error; no retry, the connection stays up', { timeout: 10_000 }, async (t) => {
  const refusal = { message: 'channel "weather-update" is closed to you', code: 'invalid_channel', channel: CHANNEL };
  const server = await rawServer(t, {
    respond: (connection, text) => {
      if (text === subscribeBytes()) connection.send(JSON.stringify({ type: 'error', payload: refusal }));
    },
  });
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  const serverErrors: unknown[] = [];
  manager.on('serverError', (error) => serverErrors.push(error));
  await manager.connect();

  await assert.rejects(manager.subscribe(), (error: Error) => {
    assert.ok(error instanceof RelayConnectionError);
    assert.equal(error.message, 'the relay refused the subscription to "weather-update": channel "weather-update" is closed to you');
    assert.equal(error.retryable, false);
    return true;
  });
  assert.deepEqual(serverErrors, [refusal]);
  assert.equal(manager.isSubscribed, false);
  assert.equal(manager.state, 'connected');
  assert.equal(manager.lastError?.message, 'the relay refused the subscription to "weather-update": channel "weather-update" is closed to you');
  // The manager does not keep hammering a relay that said no.
  await delay(200);
  assert.equal(server.connections.length, 1);
  assert.deepEqual(server.connections[0].frames, [subscribeBytes()]);
  // Publishing still works on the open connection.
  assert.equal(manager.send(samplePayload(1)), 'sent');
  await waitUntil(() => server.connections[0].frames.length === 2, 3000, 'publish');
  assert.equal(server.connections[0].frames[1], sampleBytes(1));
});

test('subscribe(): a relay that never answers → rejects after the timeout, then the manager drops it and retries', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t, { respond: silent });
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions({ subscribeTimeoutMs: 300 }));
  disconnectAfter(t, manager);
  const retries: Array<[number, number, Error]> = [];
  manager.on('retry', (attempt, delayMs, error) => retries.push([attempt, delayMs, error]));
  await manager.connect();

  const started = Date.now();
  await assert.rejects(manager.subscribe(), {
    name: 'RelayConnectionError',
    message: 'the relay did not confirm the subscription to "weather-update" within 300 ms',
  });
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 280 && elapsed < 2000, `rejected after ${elapsed} ms`);

  await waitUntil(() => server.connections.length >= 2 && server.connections[1].frames.length >= 1, 3000, 'a second connection');
  assert.equal(server.connections[1].frames[0], subscribeBytes(), 'the retry subscribes again');
  await within(server.connections[0].closed, 3000, 'first connection dropped');
  assert.ok(retries.length >= 1);
  assert.equal(retries[0][0], 1);
  assert.ok(retries[0][1] >= 50 && retries[0][1] < 200, `first retry delay ${retries[0][1]}`);
});

test('heartbeat: a relay that stops answering pings is detected and the manager reconnects', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t, { autoPong: false });
  const warnings: string[] = [];
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions({ heartbeatIntervalMs: 100, log: (_l, line) => warnings.push(line) }));
  disconnectAfter(t, manager);
  const started = Date.now();
  await manager.connect();
  await manager.subscribe();
  const reconnecting = nextEvent(manager, 'state', 3000, (state) => state === 'reconnecting');
  const resubscribed = nextEvent(manager, 'state', 5000, (state) => state === 'subscribed');
  await reconnecting;
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 180 && elapsed < 1500, `silent relay detected after ${elapsed} ms (ping at 100, give up at 200)`);
  assert.ok(server.connections[0].pings >= 1, 'the manager pinged');
  assert.ok(warnings.some((line) => /no heartbeat from .* for 100 ms; reconnecting/.test(line)), warnings.join('\n'));

  await resubscribed;
  assert.ok(server.connections.length >= 2, 'a second connection');
  assert.deepEqual(server.connections[1].frames, [subscribeBytes()]);
});

test('heartbeat: a relay that answers pings is kept (no false alarms)', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t, { autoPong: true });
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions({ heartbeatIntervalMs: 50 }));
  disconnectAfter(t, manager);
  await manager.connect();
  await manager.subscribe();
  await delay(500);
  assert.ok(server.connections[0].pings >= 5, `only ${server.connections[0].pings} pings in 500 ms`);
  assert.equal(server.connections.length, 1);
  assert.equal(manager.state, 'subscribed');
});

test('serverError: an `error` reply to a published message is reported; the subscription is untouched', { timeout: 10_000 }, async (t) => {
  const rejection = { message: 'payload.message is longer than this relay accepts', code: 'message_too_large', channel: CHANNEL };
  const server = await rawServer(t, {
    respond: (connection, text) => {
      if (JSON.parse(text).type === CHANNEL) connection.send(JSON.stringify({ type: 'error', payload: rejection }));
      else relayLike(connection, text);
    },
  });
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await manager.connect();
  await manager.subscribe();
  const serverError = nextEvent(manager, 'serverError', 3000);
  manager.send(samplePayload(1));
  const [payload] = await serverError;
  assert.deepEqual(payload, rejection);
  assert.equal(manager.state, 'subscribed');
  assert.equal(manager.isSubscribed, true);
  await delay(100);
  assert.equal(server.connections.length, 1, 'an error reply is not a reason to reconnect');
});

test('incoming frames: only valid messages for our channel become message events', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t);
  const logs: string[] = [];
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions({ log: (level, line) => logs.push(`${level}: ${line}`) }));
  disconnectAfter(t, manager);
  const received: ChannelMessage[] = [];
  manager.on('message', (message) => received.push(message));
  await manager.connect();
  await manager.subscribe();
  const connection = server.connections[0];

  connection.send(sampleBytes(1, 'other-channel'));
  connection.send('{not json');
  connection.ws.send(Buffer.from(sampleBytes(2)), { binary: true });
  connection.send('{"type":"weather-update","payload":{"message":"no thread","timestamp":1,"type":"tool"}}');
  connection.send(subscribedBytes('other-channel'));
  connection.send(unsubscribedBytes('other-channel'));
  connection.send('{"type":"subscribe","payload":{"channel":"weather-update"}}');
  connection.send(sampleBytes(3));
  connection.send('{"type":"weather-update","payload":{"message":"x","timestamp":1,"thread_id":"t","type":"response","id":"e-1","seq":0,"offset":7,"vendor":{"k":true}}}');

  await waitUntil(() => received.length >= 2, 3000, 'two valid messages');
  await delay(100);
  assert.deepEqual(received, [
    { type: CHANNEL, payload: samplePayload(3) },
    { type: CHANNEL, payload: { message: 'x', timestamp: 1, thread_id: 't', type: 'response', id: 'e-1', seq: 0, offset: 7, vendor: { k: true } } },
  ]);
  assert.equal(manager.state, 'subscribed', 'replies for other channels do not change our state');
  assert.ok(logs.some((line) => /binary frame/.test(line)));
  assert.ok(logs.some((line) => /malformed message.*not valid JSON/.test(line)));
  assert.ok(logs.some((line) => /malformed message.*payload\.thread_id must be a string/.test(line)));
  assert.equal(server.connections.length, 1);
});

for (const code of [4500, 4501, 4999]) {
  test(`close code ${code} from the relay: final, no retry, state closed with the reason`, { timeout: 10_000 }, async (t) => {
    const server = await rawServer(t, {
      respond: (connection, text) => {
        if (text === subscribeBytes()) connection.ws.close(code, 'token revoked');
      },
    });
    const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
    disconnectAfter(t, manager);
    const states = recordStates(manager);
    let retries = 0;
    manager.on('retry', () => retries++);
    await manager.connect();
    await assert.rejects(manager.subscribe(), {
      name: 'RelayConnectionError',
      // 4501 is ours for a token the relay no longer accepts: the sentence says what to do.
      message: `connection to ${server.url} closed (code ${code}: token revoked)${code === 4501 ? '; set a new relay token to reconnect' : ''}`,
    });
    assert.equal(manager.state, 'closed');
    const last = states.at(-1)!;
    assert.equal(last.state, 'closed');
    assert.match(last.error?.message ?? '', new RegExp(`code ${code}: token revoked`));
    assert.equal((manager.lastError as RelayConnectionError).retryable, false);
    await delay(400);
    assert.equal(server.connections.length, 1, 'no further attempts');
    assert.equal(retries, 0);
  });
}

for (const code of [1001, 1011, 4000, 4499]) {
  test(`close code ${code} from the relay: retried`, { timeout: 10_000 }, async (t) => {
    const server = await rawServer(t, {
      respond: (connection, text) => {
        if (connection.index === 0) connection.ws.close(code);
        else relayLike(connection, text);
      },
    });
    const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
    disconnectAfter(t, manager);
    const retry = nextEvent<[number, number, Error]>(manager, 'retry', 3000);
    await manager.connect();
    const subscribed = manager.subscribe();
    const [attempt, , error] = await retry;
    assert.equal(attempt, 1);
    assert.equal(error.message, `connection to ${server.url} closed (code ${code})`);
    await subscribed;
    assert.equal(server.connections.length, 2);
    assert.equal(manager.isSubscribed, true);
  });
}

test('reconnect: false — a dropped connection ends in state closed, with the error', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t);
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions({ reconnect: false }));
  disconnectAfter(t, manager);
  await manager.connect();
  await manager.subscribe();
  const closed = nextEvent<[string, Error]>(manager, 'state', 3000, (state) => state === 'closed');
  server.connections[0].ws.terminate();
  const [, error] = await closed;
  assert.match(error.message, /closed \(code 1006\)/);
  await delay(200);
  assert.equal(server.connections.length, 1);
  assert.equal(manager.send(samplePayload(1)), 'queued');
});

test('unsubscribe() while the subscribe is still in flight leaves the manager unsubscribed', { timeout: 10_000 }, async (t) => {
  // The relay answers in order: `subscribed`, then `unsubscribed`. The manager must end up unsubscribed.
  const server = await rawServer(t);
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await manager.connect();
  const subscribing = manager.subscribe().then(
    () => 'resolved',
    (error: Error) => error.message,
  );
  await manager.unsubscribe();
  assert.match(await subscribing, /unsubscribed from "weather-update" before the relay confirmed/);
  assert.deepEqual(server.connections[0].frames, [subscribeBytes(), unsubscribeBytes()]);
  await delay(50);
  assert.equal(manager.isSubscribed, false, `state is ${manager.state}`);
  assert.equal(manager.state, 'connected');
});

test('reconnect() drops the connection and connects again', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t);
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await manager.connect();
  await manager.subscribe();
  const resubscribed = nextEvent(manager, 'state', 3000, (state) => state === 'subscribed');
  manager.reconnect();
  await resubscribed;
  assert.equal(server.connections.length, 2);
  assert.deepEqual(server.connections[1].frames, [subscribeBytes()]);
  await within(server.connections[0].closed, 3000, 'first connection closed');
});
