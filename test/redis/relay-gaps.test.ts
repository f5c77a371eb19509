// Pub/sub is fire-and-forget: when a node's pub/sub connection to Redis is cut (CLIENT KILL,
// as a network blip or a Redis proxy would) while another node keeps publishing, the
// messages it missed are read from the channel's stream. Its subscribers, seed and resuming,
// still get every message once, in order. Also: a relay started while Redis is down
// listens anyway, answers `unavailable`, and says so.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { channelMessage, responseDeltaPayload } from '../../src/protocol';
import { parseRelayArgs } from '../../src/relay/cli';
import { unusedPort } from '../support/ports';
import { rawClient, startRedisServer, type RawRedisClient, type RedisServer } from '../support/redis-server';
import { spawnRelay, type RelayProcess } from '../support/relay-process';
import { delay } from '../support/wait';
import { WsPeer } from '../support/ws-peer';
import { KeyNames } from '../../src/relay/redis/keys';

const ACKS = { headers: { 'x-weather-relay-features': 'ack' } };
const publish = (channel: string, text: string, id: string) => JSON.stringify(channelMessage(channel, responseDeltaPayload('t', text, { id })));

describe('a node whose pub/sub connection is cut while another publishes', () => {
  let redis: RedisServer;
  let nodes: RelayProcess[] = [];
  let admin: RawRedisClient;
  before(async () => {
    redis = await startRedisServer();
    nodes = await Promise.all([spawnRelay(['--redis', redis.url]), spawnRelay(['--redis', redis.url])]);
    admin = await rawClient(redis);
  });
  after(async () => {
    admin?.destroy();
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await redis.stop();
  });

  test('every message reaches its subscribers once, in order: the gaps are read from the stream', async () => {
    const [a, b] = nodes;
    const seed = await WsPeer.open(a.url);
    await seed.subscribe('gaps');
    const resuming = await WsPeer.open(a.url);
    resuming.send({ type: 'subscribe', payload: { channel: 'gaps', since: 0 } });
    assert.equal((await resuming.next()).type, 'subscribed');
    const publisher = await WsPeer.open(b.url, ACKS);
    // The seed subscription is live once Redis confirmed it: a first message reaches it.
    publisher.send(publish('gaps', 'first', 'g-0'));
    await seed.waitForFrames(2);
    let sent = 1;
    let kills = 0;
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 25; i++) publisher.send(publish('gaps', `m${sent}`, `g-${sent++}`));
      // Cuts every pub/sub connection (node B's too) while B's publishes are still arriving.
      kills += Number(await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']));
      await delay(20);
    }
    // Both nodes' connections were cut, more than once; later rounds may find one still
    // reconnecting (its backoff grows with each cut), so not every round cuts both.
    assert.ok(kills >= 3, `${kills} pub/sub connections cut`);
    await publisher.waitForFrames(sent, 15_000);
    assert.ok(publisher.messages.every((ack) => ack.type === '@ack'), JSON.stringify(publisher.messages.find((m) => m.type !== '@ack')));
    const ids = Array.from({ length: sent }, (_, i) => `g-${i}`);
    await seed.waitForFrames(1 + sent, 15_000);
    await resuming.waitForFrames(1 + sent, 15_000);
    await Promise.all([seed.settle(300), resuming.settle(100)]);
    assert.deepEqual(seed.messages.slice(1).map((m) => m.payload.id), ids);
    assert.deepEqual(resuming.messages.slice(1).map((m) => [m.payload.offset, m.payload.id]), ids.map((id, i) => [i + 1, id]));
    await Promise.all([seed, resuming, publisher].map((peer) => peer.close()));
    // The last local subscriber gone, the node leaves the channel's topic in Redis.
    const topic = new KeyNames().channel('gaps').topic;
    assert.equal(topic, 'weather-relay:{gaps}:live:0');
    const subscribers = async () => ((await admin.sendCommand(['PUBSUB', 'NUMSUB', topic])) as [string, number])[1];
    for (let i = 0; i < 100 && (await subscribers()) > 0; i++) await delay(50);
    assert.equal(await subscribers(), 0);
    // The topic was the node's while it had subscribers: the check above looks at the right name.
    const again = await WsPeer.open(a.url);
    await again.subscribe('gaps');
    assert.equal(await subscribers(), 1);
    await again.close();
    // /metrics shows the reconnects, and the Redis round trip of the node's health checks.
    const metrics = await (await fetch(`http://127.0.0.1:${a.port}/metrics`)).text();
    const sample = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
    assert.ok(sample('weather_relay_redis_pubsub_reconnects_total') >= 1, metrics);
    assert.equal(sample('weather_relay_redis_pubsub_connected'), 1);
    assert.ok(sample('weather_relay_redis_round_trip_seconds') > 0, metrics);
    assert.ok(sample('weather_relay_redis_errors_total') >= 0);
  });
});

test('a relay started while Redis is down listens anyway: unavailable, /healthz 503, and a warning', async () => {
  const url = `redis://127.0.0.1:${await unusedPort()}`;
  const relay = await spawnRelay(['--redis', url], 15_000);
  try {
    const lines = relay.stderr().split('\n');
    assert.match(lines[0], /info open: anyone who can reach this relay/);
    assert.match(lines[1], /info engine: Redis at redis:\/\/127\.0\.0\.1:\d+/);
    assert.match(lines[2], /warn Redis is not reachable yet \(.+\); relaying anyway/);
    const response = await fetch(`http://127.0.0.1:${relay.port}/healthz`);
    const body = await response.json();
    assert.deepEqual([response.status, body.status], [503, 'unavailable']);
    assert.match(body.reason, /Redis/);
    const publisher = await WsPeer.open(relay.url, ACKS);
    publisher.send(publish('nowhere', 'kept', 'k-1'));
    const refused = await publisher.next();
    assert.deepEqual([refused.type, refused.payload.code, refused.payload.id], ['error', 'unavailable', 'k-1']);
    await publisher.close();
    const metrics = await (await fetch(`http://127.0.0.1:${relay.port}/metrics`)).text();
    assert.match(metrics, /^weather_relay_redis_errors_total [1-9]\d*$/m);
    assert.match(metrics, /^weather_relay_redis_pubsub_connected 0$/m);
  } finally {
    await relay.stop('SIGKILL');
  }
});

test('--redis and WEATHER_RELAY_REDIS_URL take a redis:// or rediss:// URL, anything else is one clear sentence', () => {
  assert.equal(parseRelayArgs(['--redis', 'redis://127.0.0.1:6379']).redisUrl, 'redis://127.0.0.1:6379');
  assert.equal(parseRelayArgs([], { WEATHER_RELAY_REDIS_URL: 'rediss://cache:6380/2' }).redisUrl, 'rediss://cache:6380/2');
  assert.equal(parseRelayArgs(['--redis', 'redis://flag:1'], { WEATHER_RELAY_REDIS_URL: 'redis://env:1' }).redisUrl, 'redis://flag:1');
  assert.equal(parseRelayArgs([], {}).redisUrl, undefined);
  for (const bad of ['http://127.0.0.1:6379', '127.0.0.1:6379', 'redis://', '']) {
    assert.throws(() => parseRelayArgs(['--redis', bad]), /^Error: --redis must be a URL starting with redis:\/\/ or rediss:\/\/, got ".*"$/, bad);
  }
  assert.throws(() => parseRelayArgs(['--redis', 'redis://127.0.0.1:6379/cache']), {
    message: '--redis: The path of a Redis URL may only be a database number, such as /1.',
  });
});
