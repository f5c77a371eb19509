/**
 * Nothing from the relay or from the caller's own code can break the manager: a listener
 * or log sink that throws, oversized or flooding frames, receipts from another epoch,
 * relay text of any length. Everything here goes through a real socket to a scripted raw
 * `ws` server on loopback.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { WebSocketManager } from '../../src/client';
import { EPOCH_HEADER, type ChannelMessage, type ChannelPayload } from '../../src/protocol';
import { failOnUnhandledRejections } from '../support/unhandled';
import { delay, waitUntil } from '../support/wait';
import {
  CHANNEL,
  disconnectAfter,
  disconnectAllManagers,
  fastOptions,
  nextEvent,
  rawServer,
  relayLike,
  sampleBytes,
  samplePayload,
  subscribeBytes,
  unusedPort,
  type RawServerOptions,
} from './helpers';

failOnUnhandledRejections();
after(disconnectAllManagers);

function logged(): { lines: string[]; log: (level: string, line: string) => void } {
  const lines: string[] = [];
  return { lines, log: (level, line) => lines.push(`${level}: ${line}`) };
}

test('a "message" listener that throws: logged, the other listeners still get every message, the manager carries on', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t);
  const { lines, log } = logged();
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions({ log }));
  disconnectAfter(t, manager);
  let thrown = 0;
  manager.on('message', () => {
    thrown++;
    throw new Error('listener bug');
  });
  const received: ChannelMessage[] = [];
  manager.on('message', (message) => received.push(message));
  await manager.connect();
  await manager.subscribe();

  for (let i = 1; i <= 3; i++) server.connections[0].send(sampleBytes(i));
  await waitUntil(() => received.length === 3, 3000, 'three messages');
  assert.equal(thrown, 3);
  assert.deepEqual(received.map((message) => message.payload.message), ['step 1', 'step 2', 'step 3']);
  assert.equal(lines.filter((line) => line === 'error: a "message" listener threw: listener bug').length, 3, lines.join('\n'));
  assert.equal(manager.state, 'subscribed');
  assert.equal(server.connections.length, 1, 'no reconnect');
  assert.equal(manager.send(samplePayload(4)), 'sent');
  await waitUntil(() => server.connections[0].frames.at(-1) === sampleBytes(4), 3000, 'publish after the throws');
});

test('a "state" listener and a log sink that throw cannot stop the subscription or the flush', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t);
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions({ log: () => { throw new Error('log sink bug'); } }));
  disconnectAfter(t, manager);
  manager.on('state', () => {
    throw new Error('state listener bug');
  });
  manager.send(samplePayload(1));
  const subscribed = manager.subscribe();
  await manager.connect();
  await subscribed;
  assert.equal(manager.state, 'subscribed');
  await waitUntil(() => server.connections[0].frames.length === 2, 3000, 'the queued publish');
  assert.deepEqual(server.connections[0].frames, [subscribeBytes(), sampleBytes(1)]);
});

test('a frame larger than maxPayloadBytes: one clear sentence, and the manager reconnects', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t, {
    respond: (connection, text) => {
      relayLike(connection, text);
      if (connection.index === 0) connection.send(`{"type":"${CHANNEL}","payload":{"message":"${'x'.repeat(4096)}"}}`);
    },
  });
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions({ maxPayloadBytes: 1024 }));
  disconnectAfter(t, manager);
  const reconnecting = nextEvent<[string, Error]>(manager, 'state', 3000, (state) => state === 'reconnecting');
  await manager.connect();
  await manager.subscribe();
  const [, error] = await reconnecting;
  assert.equal(error.message, `${server.url} sent a message larger than this client accepts (raise maxPayloadBytes if it is legitimate)`);
  await nextEvent(manager, 'state', 3000, (state) => state === 'subscribed');
  assert.equal(server.connections.length, 2);
});

test('ignored frames are logged up to a budget per connection, so a relay cannot flood the log', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t);
  const { lines, log } = logged();
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions({ log }));
  disconnectAfter(t, manager);
  const received: ChannelMessage[] = [];
  manager.on('message', (message) => received.push(message));
  await manager.connect();
  await manager.subscribe();
  const connection = server.connections[0];
  for (let i = 0; i < 100; i++) connection.ws.send(Buffer.from('junk'), { binary: true });
  for (let i = 0; i < 100; i++) connection.send('{not json');
  connection.send(sampleBytes(1));
  await waitUntil(() => received.length === 1, 3000, 'the valid message after the junk');
  const ignored = lines.filter((line) => /ignored .* from the relay/.test(line));
  assert.equal(ignored.length, 20, lines.join('\n'));
  assert.ok(lines.includes('warn: further ignored frames on this connection are not logged'));
  assert.equal(manager.state, 'subscribed');
});

test('a receipt naming another epoch than the connection announced does not count as delivery', { timeout: 10_000 }, async (t) => {
  // Acks every publish, but with an epoch this connection never announced (a forged or stale receipt).
  const ackWith = (epoch: string): RawServerOptions => ({
    upgradeHeaders: { [EPOCH_HEADER]: 'epoch-a' },
    respond: (connection, text) => {
      relayLike(connection, text);
      const message = JSON.parse(text);
      if (message.type === CHANNEL) {
        connection.send(JSON.stringify({ type: '@ack', payload: { id: message.payload.id, channel: CHANNEL, offset: 1, epoch } }));
      }
    },
  });
  const withId = (i: number): ChannelPayload => ({ ...samplePayload(i), id: `event-${i}` });
  for (const [epoch, undelivered] of [['epoch-a', []], ['epoch-b'.repeat(1000), ['event-1', 'event-2']]] as const) {
    const server = await rawServer(t, ackWith(epoch));
    const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
    disconnectAfter(t, manager);
    await manager.connect();
    manager.send(withId(1));
    manager.send(withId(2));
    await waitUntil(() => server.connections[0].frames.length === 2, 3000, 'two publishes');
    await delay(100); // the receipts
    assert.deepEqual(manager.takeUndelivered().map((payload) => payload.id), undelivered, `receipts in ${epoch.slice(0, 7)}`);
  }
});

test('a refusal carrying a huge relay message is still one short sentence', { timeout: 10_000 }, async (t) => {
  const text = `no\n${'x'.repeat(100_000)}`;
  const server = await rawServer(t, {
    respond: (connection, frame) => {
      if (frame === subscribeBytes()) connection.send(JSON.stringify({ type: 'error', payload: { code: 'invalid_channel', message: text } }));
    },
  });
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await manager.connect();
  const error = await manager.subscribe().then(
    () => assert.fail('the relay refused'),
    (refused: Error) => refused,
  );
  assert.equal(error.message, `the relay refused the subscription to "${CHANNEL}": no ${'x'.repeat(197)}…`);
});

test('concurrent calls share one promise: waiting costs nothing per call while the relay is away', { timeout: 10_000 }, async (t) => {
  const manager = new WebSocketManager(`ws://127.0.0.1:${await unusedPort()}`, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  const subscribed = manager.subscribe();
  for (let i = 0; i < 1000; i++) assert.equal(manager.subscribe(), subscribed);
  const connected = manager.connect();
  assert.equal(manager.connect(), connected);
  await connected.catch(() => {});
  const disconnected = manager.disconnect();
  await assert.rejects(subscribed, { message: 'disconnected' });
  await disconnected;
});

test('a relay flooding `unavailable` refusals, some naming no message of ours: one resend timer, one sentence', { timeout: 10_000 }, async (t) => {
  const refusal = (id: unknown) => JSON.stringify({ type: 'error', payload: { code: 'unavailable', message: 'store away', channel: CHANNEL, id } });
  const server = await rawServer(t, {
    upgradeHeaders: { [EPOCH_HEADER]: 'epoch-a' },
    respond: (connection, text) => {
      if (JSON.parse(text).type !== CHANNEL) return;
      connection.send(refusal(5));
      connection.send(refusal('never-sent'));
      for (let i = 0; i < 200; i++) connection.send(refusal('event-1'));
    },
  });
  const { lines, log } = logged();
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions({ log }));
  disconnectAfter(t, manager);
  await manager.connect();
  manager.send({ ...samplePayload(1), id: 'event-1' });
  const windowMs = 1500;
  await delay(windowMs);
  const publishes = server.connections[0].frames.length;
  // The first pause is at least 125 ms and each doubles: at most log2(1500 / 250) + 2 resends fit.
  assert.ok(publishes >= 2 && publishes <= 1 + Math.ceil(Math.log2(windowMs / 250)) + 2, `${publishes} publishes in ${windowMs} ms`);
  assert.equal(lines.filter((line) => line.includes('cannot store messages')).length, 1, lines.join('\n'));
  assert.deepEqual([manager.state, server.connections.length], ['connected', 1]);
  assert.deepEqual(manager.takeUndelivered().map((payload) => payload.id), ['event-1']);
});
