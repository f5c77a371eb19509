/**
 * A quiet channel that is still watched keeps its offsets: its meta hash would otherwise expire
 * metaTtlSeconds after the last publish, the next publish would count from 1 again in the same
 * epoch, and a subscriber resuming with `since` would skip the new messages up to its old
 * offset. Against a real redis-server, with a 2-second meta TTL. A channel nobody watches still
 * expires, as before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { responseDeltaPayload } from '../../src/protocol';
import { ChannelKeepalive, keepaliveIntervalMs } from '../../src/relay/redis/channel-keepalive';
import { KeyNames } from '../../src/relay/redis/keys';
import { RedisChannelEngine } from '../../src/relay/redis/redis-engine';
import { rawClient, startRedisServer, type RawRedisClient, type RedisServer } from '../support/redis-server';
import { failOnUnhandledRejections } from '../support/unhandled';
import { delay } from '../support/wait';

failOnUnhandledRejections();

const META_TTL_S = 2;
const keys = new KeyNames();
let server: RedisServer;
let raw: RawRedisClient;
let engine: RedisChannelEngine;

before(async () => {
  server = await startRedisServer();
  raw = await rawClient(server);
  engine = new RedisChannelEngine({ url: server.url, metaTtlSeconds: META_TTL_S, historyTtlSeconds: 1 });
  assert.ok((await engine.ready(5000)).ok);
});

after(async () => {
  await engine?.close();
  raw?.destroy();
  await server?.stop();
});

const publish = (channel: string, text: string) => {
  const payload = responseDeltaPayload('thread_quiet', text);
  return engine.publish(channel, Buffer.from(JSON.stringify({ type: channel, payload })), payload);
};

describe('watched channels keep their offsets', () => {
  test('quiet for longer than the meta TTL: a watched channel counts on; an unwatched one starts again from 1', async () => {
    engine.subscribe('watched', { deliver: () => undefined });
    assert.equal((await publish('watched', 'first')).offset, 1);
    assert.equal((await publish('unwatched', 'first')).offset, 1);
    assert.equal((await publish('unwatched', 'second')).offset, 2);
    await delay(META_TTL_S * 1000 + 1500);
    assert.ok((await raw.pTTL(keys.channel('watched').meta)) > 0, 'the watched channel still has its offsets');
    assert.equal(await raw.exists(keys.channel('unwatched').meta), 0, 'the unwatched one was let go');
    assert.equal((await publish('watched', 'after the quiet')).offset, 2, 'counts on: a subscriber holding offset 1 misses nothing');
    assert.equal((await publish('unwatched', 'after the quiet')).offset, 1, 'what the renewal prevents');
  });

  test('renewals: a quarter of the TTL, at most hourly, at least 250 ms; thousands of channels go in batches of 500', async () => {
    assert.equal(keepaliveIntervalMs(30 * 24 * 3600), 3_600_000);
    assert.equal(keepaliveIntervalMs(60), 15_000);
    assert.equal(keepaliveIntervalMs(0.5), 250);
    const batches: number[] = [];
    const names = Array.from({ length: 1_200 }, (_, i) => `c${i}`);
    const keepalive = new ChannelKeepalive({ store: { keepChannels: async (channels) => void batches.push(channels.length) }, channels: () => names, metaTtlSeconds: 3600 });
    try {
      await keepalive.renew();
      assert.deepEqual(batches, [500, 500, 200]);
    } finally {
      await keepalive.stop();
    }
    // A failing store costs a round, not the process.
    const failing = new ChannelKeepalive({ store: { keepChannels: () => Promise.reject(new Error('Redis away')) }, channels: () => ['x'], metaTtlSeconds: 3600 });
    await failing.renew();
    await failing.stop();
  });
});
