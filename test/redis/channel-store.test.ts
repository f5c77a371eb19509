/**
 * The Redis channel store against a real redis-server: offsets, the stream and its bounds,
 * idempotent publishing, history reads and live fan-out between two nodes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RedisChannelStore } from '../../src/relay/redis/channel-store';
import { KeyNames } from '../../src/relay/redis/keys';
import type { RedisStoreOptions } from '../../src/relay/redis/options';
import { rawClient, startRedisServer, type RawRedisClient, type RedisServer } from '../support/redis-server';
import { failOnUnhandledRejections } from '../support/unhandled';
import { waitUntil } from '../support/wait';

failOnUnhandledRejections();

let server: RedisServer;
let raw: RawRedisClient;
const stores: RedisChannelStore[] = [];
const keys = new KeyNames();

before(async () => {
  server = await startRedisServer();
  raw = await rawClient(server);
});

after(async () => {
  await Promise.allSettled(stores.map((store) => store.close()));
  raw?.destroy();
  await server?.stop();
});

async function openStore(options: Partial<RedisStoreOptions> = {}): Promise<RedisChannelStore> {
  const store = new RedisChannelStore({ url: server.url, ...options });
  stores.push(store);
  await store.ready(5000);
  return store;
}

const frame = (text: string) => Buffer.from(text);

/** [id, frame] of every entry of a channel's stream, read without the store. */
async function streamEntries(channel: string): Promise<[string, string][]> {
  const entries = await raw.sendCommand<[string, [string, string]][]>(['XRANGE', keys.channel(channel).stream, '-', '+']);
  return entries.map(([id, [, value]]) => [id, value]);
}

describe('publishing', () => {
  it('counts offsets per channel from 1, independently across channels, and uses them as stream ids', async () => {
    const store = await openStore();
    const a1 = await store.publish('offsets.a', frame('a1'));
    const b1 = await store.publish('offsets.b', frame('b1'));
    const a2 = await store.publish('offsets.a', frame('a2'));
    assert.deepEqual([a1.offset, b1.offset, a2.offset], [1, 1, 2]);
    assert.equal(a1.epoch, a2.epoch);
    assert.match(a1.epoch, /^[0-9a-f]{16}$/);
    // Every channel takes the epoch of the data set, the one relays announce in their upgrade.
    assert.equal(b1.epoch, a1.epoch);
    assert.equal(await store.dataSetEpoch('0000000000000000'), a1.epoch);
    assert.equal(a1.duplicate, false);
    assert.deepEqual(await streamEntries('offsets.a'), [['1-0', 'a1'], ['2-0', 'a2']]);
    assert.deepEqual(await raw.hGetAll(keys.channel('offsets.a').meta), { e: a1.epoch, o: '2' });
  });

  it('keeps exactly historySize entries and expires the stream, the meta hash and the idempotency key', async () => {
    const store = await openStore({ historySize: 5, historyTtlSeconds: 100, metaTtlSeconds: 1000, idempotencyTtlSeconds: 50 });
    for (let i = 1; i <= 8; i++) await store.publish('bounded', frame(`m${i}`), `id-${i}`);
    const names = keys.channel('bounded');
    assert.equal(await raw.xLen(names.stream), 5);
    assert.deepEqual(
      (await streamEntries('bounded')).map(([id]) => id),
      ['4-0', '5-0', '6-0', '7-0', '8-0'],
    );
    const streamTtl = await raw.ttl(names.stream);
    const metaTtl = await raw.ttl(names.meta);
    const idTtl = await raw.ttl(keys.idempotency('bounded', 'id-8'));
    assert.ok(streamTtl > 90 && streamTtl <= 100, `stream TTL ${streamTtl}`);
    assert.ok(metaTtl > 990 && metaTtl <= 1000, `meta TTL ${metaTtl}`);
    assert.ok(idTtl > 40 && idTtl <= 50, `idempotency TTL ${idTtl}`);
  });

  it('keeps no entries with historySize 0, yet still counts offsets', async () => {
    const store = await openStore({ historySize: 0 });
    const offsets = [];
    for (let i = 0; i < 3; i++) offsets.push((await store.publish('unkept', frame(`u${i}`))).offset);
    assert.deepEqual(offsets, [1, 2, 3]);
    const read = await store.history('unkept', 0, 10);
    assert.deepEqual([read.top, read.entries], [3, []]);
  });

  it('acknowledges a resent id with its original offset and stores and publishes nothing the second time', async () => {
    const store = await openStore();
    const topic = keys.channel('idempotent').topic;
    const heard: string[] = [];
    const listener = raw.duplicate();
    listener.on('error', () => undefined);
    await listener.connect();
    try {
      await listener.subscribe(topic, (message) => heard.push(message));
      const first = await store.publish('idempotent', frame('hello'), 'msg-1');
      const again = await store.publish('idempotent', frame('hello, resent'), 'msg-1');
      assert.deepEqual(again, { offset: first.offset, epoch: first.epoch, duplicate: true });
      const marker = await store.publish('idempotent', frame('marker'));
      assert.equal(marker.offset, first.offset + 1, 'the resend did not take an offset');
      await waitUntil(() => heard.length >= 2, 5000, 'the marker on the raw subscriber');
      assert.deepEqual(heard, [`1:${first.epoch}:hello`, `2:${first.epoch}:marker`]);
      assert.equal(await raw.xLen(keys.channel('idempotent').stream), 2);
      // The same id on another channel is another message.
      assert.equal((await store.publish('idempotent.other', frame('x'), 'msg-1')).duplicate, false);
    } finally {
      listener.destroy();
    }
  });

  it('starts a new epoch from offset 1 when the stream is ahead of the meta hash (Redis lost part of its data)', async () => {
    const store = await openStore();
    let last = await store.publish('partial', frame('1'));
    for (let i = 2; i <= 5; i++) last = await store.publish('partial', frame(String(i)));
    await raw.hSet(keys.channel('partial').meta, 'o', '2');
    const next = await store.publish('partial', frame('after the loss'));
    assert.equal(next.offset, 1);
    assert.notEqual(next.epoch, last.epoch);
    const read = await store.history('partial', 0, 10);
    assert.deepEqual(read.entries.map((entry) => entry.frame.toString()), ['after the loss']);
    assert.equal(read.epoch, next.epoch);
  });

  it('refuses a channel name the protocol refuses, in one sentence', async () => {
    const store = await openStore();
    await assert.rejects(store.publish('bad channel', frame('x')), {
      name: 'RangeError',
      message: 'channel "bad channel" may only contain letters, digits and . _ : -.',
    });
    await assert.rejects(store.history('{tag}', 0, 1), RangeError);
  });
});

describe('history', () => {
  it('returns exactly the entries after since, bounded by the limit and maxHistoryRead, with the epoch and top offset', async () => {
    const store = await openStore({ maxHistoryRead: 3 });
    const published = [];
    for (let i = 1; i <= 10; i++) published.push(await store.publish('history', frame(`h${i}`)));
    const epoch = published[0].epoch;
    const offsets = (read: { entries: { offset: number }[] }) => read.entries.map((entry) => entry.offset);
    const read = await store.history('history', 6, 100);
    assert.equal(read.epoch, epoch);
    assert.equal(read.top, 10);
    assert.deepEqual(offsets(read), [7, 8, 9]);
    assert.deepEqual(read.entries.map((entry) => entry.frame.toString()), ['h7', 'h8', 'h9']);
    assert.deepEqual(offsets(await store.history('history', 8, 100)), [9, 10]);
    assert.deepEqual(offsets(await store.history('history', 6, 2)), [7, 8]);
    assert.deepEqual(await store.history('history', 10, 100), { epoch, top: 10, entries: [] });
    assert.deepEqual(offsets(await store.history('history', 20, 100)), []);
    assert.deepEqual(offsets(await store.history('history', 0, 0)), []);
  });

  it('gives a channel never published on an epoch at offset 0, and its first publish keeps that epoch', async () => {
    const store = await openStore();
    const read = await store.history('fresh', 0, 10);
    assert.equal(read.top, 0);
    assert.deepEqual(read.entries, []);
    assert.equal((await store.history('fresh', 0, 10)).epoch, read.epoch);
    const published = await store.publish('fresh', frame('first'));
    assert.deepEqual([published.offset, published.epoch], [1, read.epoch]);
  });

  it('returns frames byte for byte, colons, NULs and line breaks included', async () => {
    const store = await openStore();
    const bytes = Buffer.from([0x3a, 0x00, 0x0d, 0x0a, 0xff, 0x31, 0x3a, 0x3a]);
    await store.publish('binary', bytes);
    const [entry] = (await store.history('binary', 0, 1)).entries;
    assert.deepEqual(entry.frame, bytes);
  });
});

describe('live fan-out', () => {
  it('delivers every message published through either of two nodes to both, in offset order, byte for byte', async () => {
    const [one, two] = [await openStore(), await openStore()];
    const seen = new Map<string, { offset: number; epoch: string; frame: string }[]>([['one', []], ['two', []]]);
    const listen = (name: string) => (offset: number, epoch: string, frame: Buffer) =>
      seen.get(name)!.push({ offset, epoch, frame: frame.toString('latin1') });
    await one.subscribe('fanout', listen('one'));
    await two.subscribe('fanout', listen('two'));
    const total = 100;
    const results = await Promise.all(
      Array.from({ length: total }, (_, i) => (i % 2 === 0 ? one : two).publish('fanout', Buffer.from(`m${i}:\r\n\x00`, 'latin1'))),
    );
    await waitUntil(() => seen.get('one')!.length >= total && seen.get('two')!.length >= total, 10_000, 'both nodes to hear every message');
    const expected = results
      .map((result, i) => ({ offset: result.offset, epoch: result.epoch, frame: `m${i}:\r\n\x00` }))
      .sort((a, b) => a.offset - b.offset);
    assert.deepEqual(expected.map((message) => message.offset), Array.from({ length: total }, (_, i) => i + 1));
    assert.deepEqual(seen.get('one'), expected);
    assert.deepEqual(seen.get('two'), expected);
  });

  it('keeps deployments on different database numbers apart: pub/sub ignores SELECT, so topics name their database', async () => {
    const [one, two] = [await openStore({ url: `${server.url}/1` }), await openStore({ url: `${server.url}/2` })];
    const heard: string[] = [];
    await one.subscribe('by-database', (_offset, _epoch, frame) => heard.push(`one:${frame.toString()}`));
    await two.subscribe('by-database', (_offset, _epoch, frame) => heard.push(`two:${frame.toString()}`));
    await two.publish('by-database', frame('for two'));
    await one.publish('by-database', frame('for one'));
    await waitUntil(() => heard.length >= 2, 5000, 'both messages');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(heard.sort(), ['one:for one', 'two:for two']);
    // Offsets count per database too: each deployment's first message is at offset 1.
    assert.deepEqual([(await one.history('by-database', 0, 10)).top, (await two.history('by-database', 0, 10)).top], [1, 1]);
  });

  it('stays subscribed when a channel is left and wanted again before Redis answered the UNSUBSCRIBE', async () => {
    const store = await openStore();
    const topic = keys.channel('rejoined').topic;
    const heard: number[] = [];
    const first = () => undefined;
    await store.subscribe('rejoined', first);
    const leaving = store.unsubscribe('rejoined', first); // not awaited: the next subscribe overtakes its answer
    await store.subscribe('rejoined', (offset) => heard.push(offset));
    await leaving;
    assert.equal(((await raw.pubSubNumSub(topic)) as Record<string, number>)[topic], 1, 'Redis still has the subscription');
    await store.publish('rejoined', frame('after rejoining'));
    await waitUntil(() => heard.length === 1, 5000, 'the message published after rejoining');
  });

  it('subscribes on Redis for the first local listener and unsubscribes after the last', async () => {
    const store = await openStore();
    const topic = keys.channel('refcount').topic;
    const subscribers = async () => ((await raw.pubSubNumSub(topic)) as Record<string, number>)[topic];
    const heardA: number[] = [];
    const heardB: number[] = [];
    const a = (offset: number) => heardA.push(offset);
    const b = (offset: number) => heardB.push(offset);
    await store.subscribe('refcount', a);
    await store.subscribe('refcount', b);
    assert.equal(await subscribers(), 1, 'one Redis subscription for two local listeners');
    await store.publish('refcount', frame('one'));
    await waitUntil(() => heardA.length === 1 && heardB.length === 1, 5000, 'both listeners');
    await store.unsubscribe('refcount', a);
    assert.equal(await subscribers(), 1);
    await store.publish('refcount', frame('two'));
    await waitUntil(() => heardB.length === 2, 5000, 'the remaining listener');
    await store.unsubscribe('refcount', b);
    assert.equal(await subscribers(), 0);
    assert.deepEqual(heardA, [1]);
  });

  it('drops what is not in the publish script\'s format and isolates a throwing listener', async () => {
    const store = await openStore();
    const heard: string[] = [];
    await store.subscribe('hostile', () => {
      throw new Error('a broken listener');
    });
    await store.subscribe('hostile', (offset, epoch, frame) => heard.push(`${offset} ${frame.toString()}`));
    const topic = keys.channel('hostile').topic;
    for (const junk of ['', 'no colons', '0:e:zero offset', '12:', 'x1:e:f', '99999999999999999:e:too long', `1:${'e'.repeat(80)}:long epoch`]) {
      await raw.publish(topic, junk);
    }
    // Redis delivers a topic's messages in order: once the real one is heard, the junk has been seen.
    await store.publish('hostile', frame('real'));
    await waitUntil(() => heard.length === 1, 5000, 'the real message');
    assert.deepEqual(heard, ['1 real']);
    assert.equal(store.metrics().backplaneErrors, 7, 'each malformed message counted');
    assert.equal(store.metrics().listenerErrors, 1);
  });
});
