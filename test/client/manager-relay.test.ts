/**
 * WebSocketManager against the real relay (in-process, loopback), observed by raw
 * `ws` peers that see the exact bytes on the wire.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocketManager } from '../../src/client';
import type { ChannelMessage } from '../../src/protocol';
import { startRelay, type RunningRelay } from '../../src/relay';
import { delay, waitUntil } from '../support/wait';
import { WsPeer } from '../support/ws-peer';
import {
  CHANNEL,
  disconnectAfter,
  disconnectAllManagers,
  fastOptions,
  recordStates,
  sampleBytes,
  samplePayload,
  subscribedBytes,
  unusedPort,
  within,
  asPublished,
} from './helpers';
import { failOnUnhandledRejections } from '../support/unhandled';

failOnUnhandledRejections();
let relay: RunningRelay;
const peers: WsPeer[] = [];

async function subscribedPeer(channel = CHANNEL): Promise<WsPeer> {
  const peer = await WsPeer.open(relay.url);
  peers.push(peer);
  const reply = await peer.subscribe(channel);
  assert.deepEqual(reply, { type: 'subscribed', payload: { channel, message: 'subscribed' } });
  return peer;
}

before(async () => {
  relay = await startRelay({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 0 });
});

after(async () => {
  await disconnectAllManagers();
  await Promise.all(peers.map((peer) => peer.close()));
  await relay.close();
});

test('connect → subscribe → send: a raw subscriber receives exactly {type: channel, payload}', { timeout: 10_000 }, async (t) => {
  const peer = await subscribedPeer();
  const manager = new WebSocketManager(relay.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  const states = recordStates(manager);
  assert.equal(manager.state, 'idle');

  await manager.connect();
  assert.equal(manager.state, 'connected');
  assert.equal(manager.isConnected, true);
  assert.equal(manager.isSubscribed, false);

  await manager.subscribe();
  assert.equal(manager.isSubscribed, true);
  assert.equal(manager.state, 'subscribed');
  assert.deepEqual(states, [{ state: 'connecting' }, { state: 'connected' }, { state: 'subscribed' }]);
  assert.deepEqual(relay.gauges(), { connections: 2, channels: 1, subscriptions: 2 });

  const echoes: ChannelMessage[] = [];
  manager.on('message', (message) => echoes.push(asPublished(message)));
  assert.equal(manager.send(samplePayload(1)), 'sent');
  const frames = await peer.waitForFrames(2);
  assert.equal(frames[1], sampleBytes(1));

  // Seed-style payload with unicode and a JSON document in `message`: bytes survive exactly.
  const toolResult = { message: '{"temperature": 30.14, "city": "Makati – Metro Manila"}', timestamp: 1234567890, thread_id: 'thread_xyz', status: 'tool_executed' as const, type: 'tool' as const };
  manager.send(toolResult);
  const more = await peer.waitForFrames(3);
  assert.equal(
    more[2],
    '{"type":"weather-update","payload":{"message":"{\\"temperature\\": 30.14, \\"city\\": \\"Makati – Metro Manila\\"}","timestamp":1234567890,"thread_id":"thread_xyz","status":"tool_executed","type":"tool"}}',
  );

  // The relay echoes our own messages to us, since we are subscribed.
  await waitUntil(() => echoes.length === 2, 3000, 'own echoes');
  assert.deepEqual(echoes, [
    { type: CHANNEL, payload: samplePayload(1) },
    { type: CHANNEL, payload: toolResult },
  ]);
  await peer.settle(100);
  assert.equal(peer.frames.length, 3, 'nothing else reached the subscriber');
});

test('message events: messages from other publishers arrive; other channels do not', { timeout: 10_000 }, async (t) => {
  const manager = new WebSocketManager(relay.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await manager.connect();
  await manager.subscribe();
  const received: ChannelMessage[] = [];
  manager.on('message', (message) => received.push(asPublished(message)));

  const publisher = await WsPeer.open(relay.url);
  peers.push(publisher);
  const other = { message: 'from another publisher', timestamp: 1700000000, thread_id: 'thread_other', type: 'response', extra: { nested: [1, 2] } };
  publisher.send({ type: 'other-channel', payload: { ...other, message: 'wrong channel' } });
  publisher.send({ type: CHANNEL, payload: other });
  publisher.send({ type: CHANNEL, payload: { ...other, status: 'completed', message: 'done' } });

  await waitUntil(() => received.length >= 2, 3000, 'two messages');
  await delay(100);
  assert.deepEqual(received, [
    { type: CHANNEL, payload: other },
    { type: CHANNEL, payload: { ...other, status: 'completed', message: 'done' } },
  ]);
});

test('unsubscribe(): relay confirms, no more deliveries, sends still go out', { timeout: 10_000 }, async (t) => {
  const peer = await subscribedPeer();
  const manager = new WebSocketManager(relay.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await manager.connect();
  await manager.subscribe();
  const before = relay.gauges().subscriptions;
  const received: ChannelMessage[] = [];
  manager.on('message', (message) => received.push(asPublished(message)));

  await manager.unsubscribe();
  assert.equal(manager.isSubscribed, false);
  assert.equal(manager.state, 'connected');
  assert.equal(relay.gauges().subscriptions, before - 1);

  peer.send({ type: CHANNEL, payload: samplePayload(9) });
  await delay(150);
  assert.deepEqual(received, [], 'no deliveries after unsubscribe');

  // Publishing does not need a subscription.
  assert.equal(manager.send(samplePayload(2)), 'sent');
  const frames = await peer.waitForFrames(3); // subscribed reply, own publish (9), ours (2)
  assert.equal(frames[2], sampleBytes(2));

  // And subscribing again works on the same connection.
  await manager.subscribe();
  assert.equal(manager.isSubscribed, true);
  assert.equal(relay.gauges().subscriptions, before);
});

test('subscribe() twice concurrently sends one subscribe and resolves both', { timeout: 10_000 }, async (t) => {
  const manager = new WebSocketManager(relay.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await manager.connect();
  const received = relay.metrics.messagesReceived;
  await Promise.all([manager.subscribe(), manager.subscribe()]);
  await manager.subscribe(); // already subscribed: resolves at once
  assert.equal(relay.metrics.messagesReceived - received, 1, 'exactly one subscribe frame');
  assert.equal(manager.isSubscribed, true);
});

test('subscribe() before connect(): subscribes as soon as the connection opens', { timeout: 10_000 }, async (t) => {
  const manager = new WebSocketManager(relay.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  const subscribed = manager.subscribe();
  await manager.connect();
  await subscribed;
  assert.equal(manager.isSubscribed, true);
});

test('offline queue: sends before the connection are delivered after the subscription, in order', { timeout: 10_000 }, async (t) => {
  const peer = await subscribedPeer();
  const manager = new WebSocketManager(relay.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  for (let i = 1; i <= 5; i++) assert.equal(manager.send(samplePayload(i)), 'queued');
  assert.equal(manager.queuedCount, 5);

  const subscribed = manager.subscribe();
  await manager.connect();
  await subscribed;
  const frames = await peer.waitForFrames(6);
  assert.deepEqual(frames, [subscribedBytes(), ...[1, 2, 3, 4, 5].map((i) => sampleBytes(i))]);
  assert.equal(manager.queuedCount, 0);
  await peer.settle(100);
  assert.equal(peer.frames.length, 6, 'each exactly once');
  // Once the queue is empty, sends go straight out again.
  assert.equal(manager.send(samplePayload(6)), 'sent');
  assert.equal((await peer.waitForFrames(7))[6], sampleBytes(6));
});

test('maxQueue: when full the oldest are dropped and reported; the rest arrive in order', { timeout: 10_000 }, async (t) => {
  const peer = await subscribedPeer();
  const logs: string[] = [];
  const manager = new WebSocketManager(relay.url, CHANNEL, fastOptions({ maxQueue: 3, log: (level, line) => logs.push(`${level}: ${line}`) }));
  disconnectAfter(t, manager);
  const dropped: Array<[number, number]> = [];
  manager.on('dropped', (count, total) => dropped.push([count, total]));

  for (let i = 1; i <= 7; i++) manager.send(samplePayload(i));
  assert.deepEqual(dropped, [[1, 1], [1, 2], [1, 3], [1, 4]]);
  assert.equal(manager.queuedCount, 3);
  assert.ok(logs.some((line) => /^warn: offline queue full \(3\)/.test(line)), logs.join('\n'));

  // Without a subscription the queue is flushed as soon as the connection opens.
  await manager.connect();
  const frames = await peer.waitForFrames(4);
  assert.deepEqual(frames.slice(1), [sampleBytes(5), sampleBytes(6), sampleBytes(7)]);
  await peer.settle(100);
  assert.equal(peer.frames.length, 4);
  assert.equal(dropped.length, 4, 'no drops once connected');
});

test('disconnect(): unsubscribes, closes, reports unsent = 0, frees the relay', { timeout: 10_000 }, async (t) => {
  const manager = new WebSocketManager(relay.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  const states = recordStates(manager);
  await manager.connect();
  await manager.subscribe();
  const baseline = relay.gauges();
  const result = await within(manager.disconnect(), 3000, 'disconnect()');
  assert.deepEqual(result, { unsent: 0 });
  assert.equal(manager.state, 'closed');
  assert.equal(manager.isSubscribed, false);
  assert.equal(manager.isConnected, false);
  assert.equal(states.at(-1)?.state, 'closed');
  assert.equal(states.at(-1)?.error, undefined, 'a requested close carries no error');
  await waitUntil(() => relay.gauges().connections === baseline.connections - 1, 3000, 'relay to see the close');
  assert.equal(relay.gauges().subscriptions, baseline.subscriptions - 1);
  // Nothing reconnects afterwards.
  await delay(150);
  assert.equal(manager.state, 'closed');
  assert.equal(relay.gauges().connections, baseline.connections - 1);
});

test('disconnect() while offline reports the unsent messages and stops retrying', { timeout: 10_000 }, async (t) => {
  const manager = new WebSocketManager(`ws://127.0.0.1:${await unusedPort()}`, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  let retries = 0;
  manager.on('retry', () => retries++);
  const connected = manager.connect().then(
    () => 'resolved',
    (error: Error) => error.message,
  );
  manager.send(samplePayload(1));
  manager.send(samplePayload(2));
  assert.match(await connected, /connection refused/);
  const result = await within(manager.disconnect(), 3000, 'disconnect()');
  assert.deepEqual(result, { unsent: 2 });
  const retriesAtDisconnect = retries;
  await delay(300);
  assert.equal(retries, retriesAtDisconnect, 'no retry after disconnect()');
  assert.equal(manager.state, 'closed');
});

test('subscribe() immediately followed by unsubscribe(): ends unsubscribed, like the relay, and can subscribe again', { timeout: 10_000 }, async (t) => {
  const peer = await subscribedPeer();
  const manager = new WebSocketManager(relay.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await manager.connect();
  const baseline = relay.gauges().subscriptions;
  const subscribing = manager.subscribe().then(
    () => 'resolved',
    (error: Error) => error.message,
  );
  await manager.unsubscribe();
  assert.equal(await subscribing, 'unsubscribed from "weather-update" before the relay confirmed');
  await delay(50);
  assert.equal(relay.gauges().subscriptions, baseline, 'the relay processed subscribe then unsubscribe');
  assert.equal(manager.isSubscribed, false, `manager thinks it is ${manager.state}`);

  // Subscribing again must really subscribe (not resolve from a stale state).
  const received: ChannelMessage[] = [];
  manager.on('message', (message) => received.push(asPublished(message)));
  await manager.subscribe();
  assert.equal(relay.gauges().subscriptions, baseline + 1);
  peer.send({ type: CHANNEL, payload: samplePayload(1) });
  await waitUntil(() => received.length === 1, 3000, 'delivery after re-subscribing');
  assert.deepEqual(received, [{ type: CHANNEL, payload: samplePayload(1) }]);
});
