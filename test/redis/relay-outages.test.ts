// A relay process on a real redis-server that goes away: publishes are refused with
// `unavailable` (the id echoed, no receipt), /healthz answers 503 with the reason and
// WebSocket clients stay connected; when Redis is back with its data, a WebSocketManager's
// held publishes arrive once each and in order. A Redis back empty starts a new epoch:
// resuming subscribers get recovered:false, never offsets reused.
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, test, type TestContext } from 'node:test';
import WebSocket from 'ws';
import { WebSocketManager } from '../../src/client';
import { channelMessage, EPOCH_HEADER, responseDeltaPayload, type ChannelPayload } from '../../src/protocol';
import { disconnectAfter, fastOptions } from '../client/helpers';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { spawnRelay, type RelayProcess } from '../support/relay-process';
import { failOnUnhandledRejections } from '../support/unhandled';
import { within } from '../support/wait';
import { WsPeer } from '../support/ws-peer';

failOnUnhandledRejections();

const ACKS = { headers: { 'x-weather-relay-features': 'ack' } };
const publish = (channel: string, text: string, id: string) => JSON.stringify(channelMessage(channel, responseDeltaPayload('t', text, { id })));
const part = (i: number): ChannelPayload => responseDeltaPayload('t', `part ${i} `, { id: `p-${i}` });

let redis: RedisServer | undefined;
let node: RelayProcess | undefined;

beforeEach(async () => {
  redis = await startRedisServer();
  node = await spawnRelay(['--redis', redis.url, '--heartbeat-ms', '0']);
});
afterEach(async () => {
  await node?.stop('SIGKILL');
  await redis?.stop();
});
after(async () => {
  await redis?.stop();
});

async function health(relay: RelayProcess): Promise<{ status: number; body: any }> {
  const response = await fetch(`http://127.0.0.1:${relay.port}/healthz`);
  return { status: response.status, body: await response.json() };
}

async function healthBecomes(relay: RelayProcess, status: number): Promise<any> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await health(relay);
    if (answer.status === status) return answer.body;
    if (Date.now() > deadline) throw new Error(`/healthz stayed ${answer.status}: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The storage epoch a relay announces in its upgrade response. */
function upgradeEpoch(relay: RelayProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(relay.url);
    socket.once('upgrade', (response) => {
      resolve(String(response.headers[EPOCH_HEADER]));
      socket.terminate();
    });
    socket.once('error', reject);
  });
}

async function resumer(t: TestContext, channel: string, since: number, epoch?: string): Promise<{ peer: WsPeer; reply: any }> {
  const peer = await WsPeer.open(node!.url);
  t.after(() => peer.close());
  peer.send({ type: 'subscribe', payload: { channel, since, ...(epoch ? { epoch } : {}) } });
  return { peer, reply: await peer.next() };
}

test('Redis killed: unavailable with the id and no receipt, /healthz 503, clients stay; back with its data: held publishes once each, in order', async (t) => {
  const relay = node!;
  assert.equal((await healthBecomes(relay, 200)).status, 'ok');
  const seed = await WsPeer.open(relay.url);
  t.after(() => seed.close());
  await seed.subscribe('weather');
  const watcher = await resumer(t, 'weather', 0);
  assert.equal(watcher.reply.type, 'subscribed');
  const manager = new WebSocketManager(relay.url, 'weather', fastOptions());
  disconnectAfter(t, manager);
  await within(manager.connect(), 5000, 'connect()');
  // Live through Redis on this node before the outage: the first message reaches both subscribers.
  manager.send(part(0));
  await seed.waitForFrames(2, 5000);
  await watcher.peer.waitForFrames(2, 5000);

  await redis!.kill();
  const down = await healthBecomes(relay, 503);
  assert.equal(down.status, 'unavailable');
  assert.match(down.reason, /\S/);
  const publisher = await WsPeer.open(relay.url, ACKS);
  t.after(() => publisher.close());
  publisher.send(publish('weather', 'refused', 'r-1'));
  const refused = await publisher.next();
  assert.deepEqual([refused.type, refused.payload.code, refused.payload.id, refused.payload.channel], ['error', 'unavailable', 'r-1', 'weather']);
  assert.match(refused.payload.message, /not published; send it again later/);
  const lateResume = await WsPeer.open(relay.url);
  t.after(() => lateResume.close());
  lateResume.send({ type: 'subscribe', payload: { channel: 'weather', since: 0 } });
  const notResumed = await lateResume.next();
  assert.deepEqual([notResumed.type, notResumed.payload.code, notResumed.payload.channel], ['error', 'unavailable', 'weather']);
  for (let i = 1; i <= 5; i++) manager.send(part(i));
  await publisher.settle(300);
  assert.equal(publisher.frames.length, 1, 'no receipt');
  assert.equal(seed.frames.length, 2, 'nothing delivered while Redis is away');
  for (const peer of [seed, watcher.peer, publisher]) assert.equal(peer.socket.readyState, WebSocket.OPEN);
  assert.equal(manager.state, 'connected');

  await redis!.start();
  await healthBecomes(relay, 200);
  await seed.waitForFrames(2 + 5, 15_000);
  await watcher.peer.waitForFrames(2 + 5, 15_000);
  await Promise.all([seed.settle(400), watcher.peer.settle(100)]);
  const ids = ['p-0', 'p-1', 'p-2', 'p-3', 'p-4', 'p-5'];
  assert.deepEqual(seed.messages.slice(1).map((m) => m.payload.id), ids, 'every message once, in publish order');
  assert.deepEqual(watcher.peer.messages.slice(1).map((m) => [m.payload.offset, m.payload.id]), ids.map((id, i) => [i + 1, id]));
  assert.deepEqual(manager.takeUndelivered(), [], 'every message acknowledged');
  assert.equal(manager.state, 'connected');
});

test('Redis back empty: a new storage epoch, and a resume gets recovered:false and offsets counted afresh in a new channel epoch', async (t) => {
  const relay = node!;
  await healthBecomes(relay, 200);
  const before = await upgradeEpoch(relay);
  const publisher = await WsPeer.open(relay.url, ACKS);
  t.after(() => publisher.close());
  for (let i = 1; i <= 3; i++) publisher.send(publish('lost', `l${i}`, `l-${i}`));
  await publisher.waitForFrames(3);
  const old = publisher.messages.map((ack) => [ack.payload.offset, ack.payload.epoch]);
  const oldEpoch = old[0][1] as string;
  assert.deepEqual(old, [[1, oldEpoch], [2, oldEpoch], [3, oldEpoch]]);

  await redis!.restart({ keepData: false });
  await healthBecomes(relay, 200);
  // The node re-reads the data set's epoch with every health check (each second).
  let after = before;
  for (let i = 0; i < 50 && after === before; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    after = await upgradeEpoch(relay);
  }
  assert.notEqual(after, before, 'the storage epoch changes with the data: clients resend what it confirmed');

  const resumed = await resumer(t, 'lost', 3, oldEpoch);
  assert.equal(resumed.reply.type, 'subscribed', JSON.stringify(resumed.reply));
  assert.equal(resumed.reply.payload.recovered, false);
  assert.notEqual(resumed.reply.payload.epoch, oldEpoch);
  assert.equal(resumed.reply.payload.epoch, after, 'channels count in the data set epoch');
  assert.equal(resumed.reply.payload.offset, 0);
  publisher.send(publish('lost', 'new', 'n-1'));
  await publisher.waitForFrames(4, 10_000);
  const ack = publisher.messages[3];
  assert.deepEqual([ack.type, ack.payload.offset, ack.payload.epoch], ['@ack', 1, resumed.reply.payload.epoch]);
  await resumed.peer.waitForFrames(2);
  assert.deepEqual([resumed.peer.messages[1].payload.offset, resumed.peer.messages[1].payload.message], [1, 'new']);
});
