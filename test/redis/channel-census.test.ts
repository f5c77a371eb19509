/**
 * The channel census against a real redis-server: each relay process tells Redis its channels
 * with subscribers, so any node can list the cluster's (the watch page's /api/channels). A
 * process sees the others' channels summed, never its own twice; one that closes drops out at
 * once, one that dies after its census's time to live; an unchanged census is renewed rather
 * than rewritten; what Redis holds is checked and bounded; and a Redis that is away makes the
 * listing say it is incomplete rather than fail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test, type TestContext } from 'node:test';
import { channelLister } from '../../src/relay/channel-listing';
import { EngineUnavailableError } from '../../src/relay/channel-engine';
import type { Subscriber } from '../../src/relay/local-fan-out';
import { MAX_PROCESSES } from '../../src/relay/redis/channel-census';
import { RedisChannelStore } from '../../src/relay/redis/channel-store';
import { KeyNames } from '../../src/relay/redis/keys';
import { RedisChannelEngine } from '../../src/relay/redis/redis-engine';
import { rawClient, startRedisServer, type RawRedisClient, type RedisServer } from '../support/redis-server';
import { failOnUnhandledRejections } from '../support/unhandled';
import { delay } from '../support/wait';

failOnUnhandledRejections();

const INTERVAL_MS = 100;
const keys = new KeyNames();
let server: RedisServer;
let raw: RawRedisClient;
const closers: Array<() => Promise<void>> = [];

before(async () => {
  server = await startRedisServer();
  raw = await rawClient(server);
});

after(async () => {
  await Promise.allSettled(closers.map((close) => close()));
  raw?.destroy();
  await server?.stop();
});

/** An engine closed at the end of the test `t` (its census would otherwise come back into the next test's Redis). */
async function openEngine(t: TestContext): Promise<RedisChannelEngine> {
  const engine = new RedisChannelEngine({ url: server.url, censusIntervalMs: INTERVAL_MS, commandTimeoutMs: 1000 });
  closers.push(() => engine.close());
  t.after(() => engine.close());
  const health = await engine.ready(5000);
  assert.ok(health.ok, JSON.stringify(health));
  return engine;
}

/** Polls the asynchronous `check` every 20 ms until it holds; bounded by `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string | (() => string)): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${typeof what === 'string' ? what : what()}`);
    await delay(20);
  }
}

const subscriber = (): Subscriber => ({ deliver: () => undefined });

/** Subscribes `count` new subscribers of `channel` on `engine`. */
function watch(engine: RedisChannelEngine, channel: string, count: number): Subscriber[] {
  const added = Array.from({ length: count }, subscriber);
  for (const one of added) engine.subscribe(channel, one);
  return added;
}

const byName = (channels: Array<{ name: string; subscribers: number }>) => Object.fromEntries(channels.map(({ name, subscribers }) => [name, subscribers]));

async function elsewhereBecomes(engine: RedisChannelEngine, expected: Record<string, number>, what: string): Promise<void> {
  let last: Record<string, number> = {};
  await eventually(
    async () => {
      last = byName(await engine.elsewhereChannels(new Set()));
      return JSON.stringify(Object.entries(last).sort()) === JSON.stringify(Object.entries(expected).sort());
    },
    5000,
    () => `${what}: still ${JSON.stringify(last)}`,
  );
}

describe('the channel census on one Redis', () => {
  test("each process lists the others' channels, summed by name, and not its own", async (t) => {
    await raw.flushAll();
    const [a, b, c] = await Promise.all([openEngine(t), openEngine(t), openEngine(t)]);
    watch(a, 'weather-update', 3);
    watch(b, 'weather-update', 2);
    watch(b, 'team.ops', 1);
    await elsewhereBecomes(c, { 'weather-update': 5, 'team.ops': 1 }, 'c sees a and b');
    await elsewhereBecomes(a, { 'weather-update': 2, 'team.ops': 1 }, 'a sees b only');

    // The listing a node gives: its own exact channels plus the others', once each.
    const list = channelLister(async () => [{ processId: a.processId, channels: a.localChannels(() => true, 100) }], a);
    assert.deepEqual(await list(() => true, 10), { channels: [{ name: 'team.ops', subscribers: 1 }, { name: 'weather-update', subscribers: 5 }] });
    assert.deepEqual(await list((name) => name !== 'team.ops', 10), { channels: [{ name: 'weather-update', subscribers: 5 }] }, 'only what the token may watch');
    assert.deepEqual(await list(() => true, 1), { channels: [{ name: 'team.ops', subscribers: 1 }] }, 'at most the limit, by name');
    // Processes answered for live (a node's other workers) are not counted again from the census.
    assert.deepEqual(byName(await c.elsewhereChannels(new Set([b.processId]))), { 'weather-update': 3 });

    // A subscriber leaves: the others hear within an interval or two.
    const [leaving] = watch(a, 'briefly', 1);
    await elsewhereBecomes(c, { 'weather-update': 5, 'team.ops': 1, briefly: 1 }, 'a channel added');
    a.unsubscribe('briefly', leaving);
    await elsewhereBecomes(c, { 'weather-update': 5, 'team.ops': 1 }, 'a channel emptied');

    // A process that closes takes its census with it at once.
    await b.close();
    assert.deepEqual(byName(await c.elsewhereChannels(new Set())), { 'weather-update': 3 });
    t.diagnostic(`census set after b closed: ${(await raw.sMembers(keys.census)).length} members`);
    assert.ok(!(await raw.sMembers(keys.census)).includes(b.processId));
  });

  test('a process that dies without closing drops out after its time to live, and leaves the set', async (t) => {
    await raw.flushAll();
    const reader = await openEngine(t);
    const store = new RedisChannelStore({ url: server.url });
    closers.push(() => store.close());
    await store.ready(5000);
    await store.reportChannels('00000000000000aa', [['weather-update', 4]], 300);
    assert.deepEqual(byName(await reader.elsewhereChannels(new Set())), { 'weather-update': 4 });
    await delay(450);
    assert.deepEqual(byName(await reader.elsewhereChannels(new Set())), {}, 'expired');
    assert.deepEqual(await raw.sMembers(keys.census), [], 'and forgotten by the reader');
  });

  test('an unchanged census is renewed, not rewritten; one Redis lost is written again', async (t) => {
    await raw.flushAll();
    const engine = await openEngine(t);
    watch(engine, 'steady', 2);
    const hash = keys.censusOf(engine.processId);
    await eventually(async () => (await raw.hGetAll(hash)).steady === '2', 2000, 'the first census');
    // Marked by hand: a rewrite would drop the mark (the script deletes the hash first), a renewal keeps it.
    await raw.hSet(hash, 'mark', '1');
    const ttlBefore = await raw.pTTL(hash);
    await delay(INTERVAL_MS * 4);
    assert.equal((await raw.hGetAll(hash)).mark, '1', 'not rewritten');
    assert.ok((await raw.pTTL(hash)) > ttlBefore - INTERVAL_MS * 2, 'renewed');
    await raw.flushAll();
    await eventually(async () => (await raw.hGetAll(hash)).steady === '2', 2000, 'written again after Redis lost it');
    assert.ok((await raw.sMembers(keys.census)).includes(engine.processId));
  });

  test('what Redis holds is checked: bad names and counts are skipped, and at most MAX_PROCESSES processes are read', async (t) => {
    await raw.flushAll();
    const reader = await openEngine(t);
    const other = keys.censusOf('00000000000000bb');
    await raw.hSet(other, { good: '2', 'bad name': '3', negative: '-1', fraction: '1.5', huge: '999999999999', zero: '0', words: 'many', [`long${'x'.repeat(200)}`]: '1' });
    await raw.sAdd(keys.census, '00000000000000bb');
    assert.deepEqual(byName(await reader.elsewhereChannels(new Set())), { good: 2 });

    await raw.flushAll();
    for (let i = 0; i < MAX_PROCESSES + 36; i++) {
      const id = `p${String(i).padStart(15, '0')}`;
      await raw.hSet(keys.censusOf(id), `only-${i}`, '1');
      await raw.sAdd(keys.census, id);
    }
    const listed = await reader.elsewhereChannels(new Set());
    assert.equal(listed.length, MAX_PROCESSES, `${MAX_PROCESSES} processes read of ${MAX_PROCESSES + 36}`);
  });

  test('Redis away: the census cannot be read, and the listing says it is incomplete with what the node has', async (t) => {
    await raw.flushAll();
    const engine = await openEngine(t);
    watch(engine, 'here', 1);
    await server.kill();
    try {
      await assert.rejects(engine.elsewhereChannels(new Set()), (error: Error) => error instanceof EngineUnavailableError && !error.message.includes('\n'));
      const list = channelLister(async () => [{ processId: engine.processId, channels: engine.localChannels(() => true, 100) }], engine);
      const listing = await list(() => true, 10);
      assert.deepEqual(listing.channels, [{ name: 'here', subscribers: 1 }]);
      assert.equal(listing.incomplete, "Only this node's channels are listed: the other nodes' could not be read from Redis just now.", 'no Redis address for a visitor');
    } finally {
      await server.start();
    }
    await raw.ping().catch(() => undefined);
  });
});
