// Two relay processes on one real redis-server (`--redis`): what is published on one node
// reaches subscribers on the other exactly once and in order, offsets per channel are shared,
// a subscriber resumes on the other node, and a resend to the other node is acknowledged
// with its original offset and delivered to nobody again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { channelMessage, EPOCH_HEADER, responseDeltaPayload } from '../../src/protocol';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { spawnRelay, type RelayProcess } from '../support/relay-process';
import WebSocket from 'ws';
import { delay } from '../support/wait';
import { WsPeer } from '../support/ws-peer';
import { mintToken } from '../../src/relay/auth/mint-token';

const ACKS = { headers: { 'x-weather-relay-features': 'ack' } };
const publish = (channel: string, text: string, id?: string) =>
  JSON.stringify(channelMessage(channel, responseDeltaPayload('t', text, id ? { id } : {})));

/** A subscriber resuming after `since` (0: from the first message); resolves with it and the `subscribed` reply. */
async function resumer(url: string, channel: string, since: number, epoch?: string): Promise<{ peer: WsPeer; reply: any }> {
  const peer = await WsPeer.open(url);
  peer.send({ type: 'subscribe', payload: { channel, since, ...(epoch ? { epoch } : {}) } });
  const reply = await peer.next();
  assert.equal(reply.type, 'subscribed', JSON.stringify(reply));
  return { peer, reply };
}

/** The channel messages a peer received after its first `skip` frames, as [offset, text]. */
const received = (peer: WsPeer, skip = 1) => peer.messages.slice(skip).map((m) => [m.payload.offset, m.payload.message]);

describe('two relay nodes on one Redis', () => {
  let redis: RedisServer;
  let nodes: RelayProcess[] = [];
  before(async () => {
    redis = await startRedisServer();
    // Room in the stream for every message of these tests: trimming is paged-replay.test.ts's subject, not theirs.
    const args = ['--redis', redis.url, '--history', '5000'];
    nodes = await Promise.all([spawnRelay(args), spawnRelay(args)]);
  });
  after(async () => {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    await redis.stop();
  });

  test('each node says it runs on Redis, and both announce the same storage epoch', async () => {
    // The first log lines say how connections are checked, then name the engine.
    for (const node of nodes) {
      const [access, engine] = node.stderr().split('\n');
      assert.match(access, / info open: anyone who can reach this relay may subscribe and publish$/);
      assert.match(engine, / info engine: Redis at redis:\/\/127\.0\.0\.1:\d+, shared/);
    }
    const upgradeEpochs = await Promise.all(nodes.map((node) => fetchUpgradeEpoch(node.port)));
    assert.equal(upgradeEpochs[0], upgradeEpochs[1]);
    assert.match(upgradeEpochs[0], /^[0-9a-f]{16}$/);
    // Receipts count in it: our client accepts only receipts in its connection's epoch.
    const publisher = await WsPeer.open(nodes[1].url, ACKS);
    publisher.send(publish('epochs', 'e', 'e-1'));
    assert.equal((await publisher.next()).payload.epoch, upgradeEpochs[0]);
    await publisher.close();
  });

  test('200 messages published on one node reach a subscriber on the other once each, in order; offsets are shared', async () => {
    const [a, b] = nodes;
    const onA = await resumer(a.url, 'across', 0);
    const onB = await resumer(b.url, 'across', 0);
    const publisherA = await WsPeer.open(a.url, ACKS);
    const publisherB = await WsPeer.open(b.url, ACKS);
    const expectedTexts: string[] = [];
    for (let i = 0; i < 100; i++) {
      // Both nodes publish, interleaved: every receipt takes the next offset of the one channel.
      publisherA.send(publish('across', `a${i}`, `a${i}`));
      publisherB.send(publish('across', `b${i}`, `b${i}`));
    }
    await publisherA.waitForFrames(100, 15_000);
    await publisherB.waitForFrames(100, 15_000);
    const offsets = [...publisherA.messages, ...publisherB.messages].map((ack) => {
      assert.equal(ack.type, '@ack', JSON.stringify(ack));
      return ack.payload.offset as number;
    });
    assert.deepEqual([...offsets].sort((x, y) => x - y), Array.from({ length: 200 }, (_, i) => i + 1));
    const textAt = new Map<number, string>();
    for (const ack of [...publisherA.messages, ...publisherB.messages]) textAt.set(ack.payload.offset, ack.payload.id);
    for (let offset = 1; offset <= 200; offset++) expectedTexts.push(textAt.get(offset)!);
    // Each publisher's own messages keep their order, in receipts and in offsets.
    for (const [publisher, prefix] of [[publisherA, 'a'], [publisherB, 'b']] as const) {
      assert.deepEqual(publisher.messages.map((ack) => ack.payload.id), Array.from({ length: 100 }, (_, i) => `${prefix}${i}`));
      const own = publisher.messages.map((ack) => ack.payload.offset as number);
      assert.ok(own.every((offset, i) => i === 0 || offset > own[i - 1]), `offsets of ${prefix} out of order: ${own}`);
    }
    for (const { peer } of [onA, onB]) {
      await peer.waitForFrames(201, 15_000);
      await peer.settle(200);
      assert.deepEqual(received(peer), expectedTexts.map((text, i) => [i + 1, text]));
    }
    await Promise.all([onA.peer, onB.peer, publisherA, publisherB].map((peer) => peer.close()));
  });

  test('a subscriber that saw up to offset k on one node resumes on the other with exactly k+1..N', async () => {
    const [a, b] = nodes;
    const first = await resumer(a.url, 'moving', 0);
    const publisher = await WsPeer.open(a.url, ACKS);
    for (let i = 1; i <= 30; i++) publisher.send(publish('moving', `m${i}`, `m${i}`));
    await first.peer.waitForFrames(1 + 12);
    await first.peer.close();
    const seen = received(first.peer);
    const k = seen[seen.length - 1][0] as number;
    assert.deepEqual(seen, Array.from({ length: k }, (_, i) => [i + 1, `m${i + 1}`]));
    await publisher.waitForFrames(30);
    for (let i = 31; i <= 40; i++) publisher.send(publish('moving', `m${i}`, `m${i}`));
    const moved = await resumer(b.url, 'moving', k, first.reply.payload.epoch);
    assert.equal(moved.reply.payload.recovered, true);
    assert.equal(moved.reply.payload.epoch, first.reply.payload.epoch);
    await publisher.waitForFrames(40);
    for (let i = 41; i <= 50; i++) publisher.send(publish('moving', `m${i}`, `m${i}`));
    await moved.peer.waitForFrames(1 + 50 - k, 10_000);
    await moved.peer.settle(200);
    assert.deepEqual(received(moved.peer), Array.from({ length: 50 - k }, (_, i) => [k + i + 1, `m${k + i + 1}`]));
    await Promise.all([moved.peer.close(), publisher.close()]);
  });

  test('a resume whose replay is still being read when more is published runs on into it: once each, in order', async () => {
    const [a, b] = nodes;
    const publisher = await WsPeer.open(b.url, ACKS);
    const filler = 'x'.repeat(20_000); // 20 MB of history: more than the sockets hold, so the replay waits for its reader
    for (let i = 1; i <= 1000; i++) publisher.send(publish('busy', `${i} ${filler}`, `busy-${i}`));
    await publisher.waitForFrames(1000, 15_000);
    const watcher = await resumer(a.url, 'busy', 0);
    assert.equal(watcher.reply.payload.recovered, true);
    watcher.peer.socket.pause();
    // Published on the other node while the replay of the first 1000 waits to be read.
    for (let i = 1001; i <= 1200; i++) publisher.send(publish('busy', `${i} ${filler}`, `busy-${i}`));
    await publisher.waitForFrames(1200, 15_000);
    await delay(100);
    watcher.peer.socket.resume();
    await watcher.peer.waitForFrames(1 + 1200, 20_000);
    await watcher.peer.settle(200);
    assert.deepEqual(
      watcher.peer.messages.slice(1).map((m) => [m.payload.offset, m.payload.id]),
      Array.from({ length: 1200 }, (_, i) => [i + 1, `busy-${i + 1}`]),
    );
    await Promise.all([watcher.peer.close(), publisher.close()]);
  });

  test('a publish acknowledged by one node and resent to the other keeps its offset and is delivered to nobody again', async () => {
    const [a, b] = nodes;
    // Seed subscribers (no offsets, no de-duplication): a repeat would show.
    const seeds = await Promise.all(nodes.map(async (node) => {
      const peer = await WsPeer.open(node.url);
      await peer.subscribe('resent');
      return peer;
    }));
    const warmer = await WsPeer.open(a.url, ACKS);
    // A seed subscription is live once Redis confirmed it: wait until a first message reaches both.
    for (let i = 0; i < 50 && !seeds.every((seed) => seed.frames.length > 1); i++) {
      warmer.send(publish('resent', 'warm-up'));
      await Promise.all(seeds.map((seed) => seed.settle(50)));
    }
    await Promise.all(seeds.map((seed) => seed.settle(100)));
    const before = seeds.map((seed) => seed.frames.length);
    const toA = await WsPeer.open(a.url, ACKS);
    toA.send(publish('resent', 'only once', 'X-1'));
    const first = await toA.next();
    await toA.close();
    const toB = await WsPeer.open(b.url, ACKS);
    toB.send(publish('resent', 'only once', 'X-1'));
    const second = await toB.next();
    assert.equal(first.type, '@ack');
    assert.deepEqual([second.type, second.payload.offset, second.payload.epoch], ['@ack', first.payload.offset, first.payload.epoch]);
    toB.send(publish('resent', 'after', 'X-2'));
    assert.equal((await toB.next()).payload.offset, first.payload.offset + 1);
    for (const [index, seed] of seeds.entries()) {
      await seed.waitForFrames(before[index] + 2);
      await seed.settle(200);
      assert.deepEqual(seed.messages.slice(before[index]).map((m) => m.payload.message), ['only once', 'after']);
    }
    await Promise.all([...seeds, toB, warmer].map((peer) => peer.close()));
  });

  test("the watch page's channel list is the cluster's on either node: subscribers on both, summed, within a few seconds", async () => {
    const [a, b] = nodes;
    const peers = [await WsPeer.open(a.url), await WsPeer.open(a.url), await WsPeer.open(b.url), await WsPeer.open(b.url)];
    await peers[0].subscribe('listed.both');
    await peers[1].subscribe('listed.a');
    await peers[2].subscribe('listed.both');
    await peers[3].subscribe('listed.b');
    const listed = async (port: number) => {
      const answer = await fetch(`http://127.0.0.1:${port}/api/channels`, { headers: { connection: 'close' } });
      const body = (await answer.json()) as { channels: Array<{ name: string; subscribers: number }> };
      return body.channels.filter(({ name }) => name.startsWith('listed.'));
    };
    const expected = [
      { name: 'listed.a', subscribers: 1 },
      { name: 'listed.b', subscribers: 1 },
      { name: 'listed.both', subscribers: 2 },
    ];
    // The census is written every 2 s: bounded polling, 10 s at most.
    for (const node of [a, b]) {
      let last: unknown;
      for (let attempt = 0; attempt < 100; attempt++) {
        last = await listed(node.port);
        if (JSON.stringify(last) === JSON.stringify(expected)) break;
        await delay(100);
      }
      assert.deepEqual(last, expected, `listed by the node on port ${node.port}`);
    }
    await Promise.all(peers.map((peer) => peer.close()));
  });
});

test('two deployments on one Redis through database numbers never hear each other (pub/sub ignores SELECT)', async () => {
  const redis = await startRedisServer();
  const [one, two] = await Promise.all([spawnRelay(['--redis', `${redis.url}/1`]), spawnRelay(['--redis', `${redis.url}/2`])]);
  try {
    const onOne = await resumer(one.url, 'shared-name', 0);
    const onTwo = await resumer(two.url, 'shared-name', 0);
    const publisherOne = await WsPeer.open(one.url, ACKS);
    const publisherTwo = await WsPeer.open(two.url, ACKS);
    for (let i = 1; i <= 20; i++) {
      publisherOne.send(publish('shared-name', `one-${i}`, `one-${i}`));
      publisherTwo.send(publish('shared-name', `two-${i}`, `two-${i}`));
    }
    await Promise.all([publisherOne.waitForFrames(20), publisherTwo.waitForFrames(20), onOne.peer.waitForFrames(21), onTwo.peer.waitForFrames(21)]);
    await Promise.all([onOne.peer.settle(200), onTwo.peer.settle(200)]);
    // Each deployment counts its own offsets from 1 and delivers only its own messages.
    for (const [peer, name] of [[onOne.peer, 'one'], [onTwo.peer, 'two']] as const) {
      assert.deepEqual(received(peer), Array.from({ length: 20 }, (_, i) => [i + 1, `${name}-${i + 1}`]));
    }
    await Promise.all([onOne.peer, onTwo.peer, publisherOne, publisherTwo].map((peer) => peer.close()));
  } finally {
    await Promise.all([one.stop('SIGKILL'), two.stop('SIGKILL')]);
    await redis.stop();
  }
});

test('a plain (seed) subscribe is answered only once Redis confirmed it, so nothing published after the reply can miss it', async () => {
  const redis = await startRedisServer();
  const [a, b] = await Promise.all([spawnRelay(['--redis', redis.url, '--heartbeat-ms', '0']), spawnRelay(['--redis', redis.url, '--heartbeat-ms', '0'])]);
  try {
    const publisher = await WsPeer.open(b.url);
    const seed = await WsPeer.open(a.url);
    redis.pause(); // Redis cannot confirm the node's subscription for now
    seed.send({ type: 'subscribe', payload: { channel: 'fresh' } });
    await seed.settle(300);
    assert.deepEqual(seed.texts, [], 'no reply while the subscription is not live');
    redis.resume();
    await seed.waitForFrames(1, 10_000);
    assert.equal(seed.texts[0], '{"type":"subscribed","payload":{"channel":"fresh","message":"subscribed"}}');
    publisher.send(publish('fresh', 'right after the reply'));
    await seed.waitForFrames(2, 5_000);
    assert.equal(seed.messages[1].payload.message, 'right after the reply');
    await Promise.all([seed.close(), publisher.close()]);
  } finally {
    redis.resume();
    await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
    await redis.stop();
  }
});

test('signed tokens hold on every node: each node checks them, and what one allows reaches subscribers on the other', async () => {
  const secret = 'a-cluster-wide-secret-of-32-bytes-at-least';
  const redis = await startRedisServer();
  const args = ['--redis', redis.url, '--jwt-secret', secret, '--heartbeat-ms', '0'];
  const [a, b] = await Promise.all([spawnRelay(args), spawnRelay(args)]);
  try {
    const token = (subscribe: string[], publish: string[]) => mintToken({ secret, sub: 'member', subscribe, publish, ttlSeconds: 600 });
    const auth = async (subscribe: string[], publish: string[]) => ({ headers: { authorization: `Bearer ${await token(subscribe, publish)}` } });
    const watcher = await WsPeer.open(b.url, await auth(['weather-*'], []));
    assert.equal((await watcher.subscribe('weather-team')).type, 'subscribed');
    assert.equal((await watcher.subscribe('ops')).payload.code, 'forbidden');
    const writer = await WsPeer.open(a.url, { headers: { ...(await auth([], ['weather-team'])).headers, ...ACKS.headers } });
    writer.send(publish('weather-team', 'allowed', 'w-1'));
    writer.send(publish('ops', 'not allowed', 'w-2'));
    // The refusal is answered at once, the receipt once Redis has stored the message: in either order.
    await writer.waitForFrames(2);
    const replies = writer.messages.sort((x, y) => String(x.payload.id).localeCompare(String(y.payload.id)));
    assert.deepEqual(replies.map((reply) => [reply.type, reply.payload.code ?? null, reply.payload.id]), [['@ack', null, 'w-1'], ['error', 'forbidden', 'w-2']]);
    await watcher.waitForFrames(3);
    assert.equal(watcher.messages[2].payload.message, 'allowed');
    await assert.rejects(WsPeer.open(a.url, { headers: { authorization: 'Bearer forged' } }), /401/);
    await assert.rejects(WsPeer.open(b.url), /401/);
    await Promise.all([watcher.close(), writer.close()]);
  } finally {
    await Promise.all([a.stop('SIGKILL'), b.stop('SIGKILL')]);
    await redis.stop();
  }
});

/** The storage epoch a node announces in its upgrade response. */
function fetchUpgradeEpoch(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}`);
    socket.once('upgrade', (response) => {
      resolve(String(response.headers[EPOCH_HEADER]));
      socket.terminate();
    });
    socket.once('error', reject);
  });
}
