// A resume on a Redis node reads the channel's stream a page at a time, as the subscriber
// takes it: a replay far longer than one read arrives whole and recovered; a reader slower
// than the stream's trimming is cut off (4001) rather than sent a gap; and a Redis that stops
// answering mid-replay closes the subscriber with 1013, from which it resumes losing nothing.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, test } from 'node:test';
import { CLOSE_CODES, channelMessage, responseDeltaPayload } from '../../src/protocol';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { deliveredSettles, readMetric, spawnRelay, type RelayProcess } from '../support/relay-process';
import { failOnUnhandledRejections } from '../support/unhandled';
import { WsPeer } from '../support/ws-peer';

failOnUnhandledRejections();

const ACKS = { headers: { 'x-weather-relay-features': 'ack' } };
const RELAY_FLAGS = ['--quiet', '--heartbeat-ms', '0', '--rate', '1000000', '--burst', '1000000', '--high-water', String(256 * 1024)];

/** A channel message of about `size` bytes labelled `label`. */
function frameOf(label: string, size: number): string {
  return JSON.stringify(channelMessage('pages', responseDeltaPayload('t', label + '.'.repeat(size))));
}

async function publishAll(publisher: WsPeer, frames: string[]): Promise<void> {
  const start = publisher.frames.length;
  for (let i = 0; i < frames.length; i += 100) {
    for (const frame of frames.slice(i, i + 100)) publisher.send(frame);
    await publisher.waitForFrames(start + Math.min(i + 100, frames.length), 30_000);
  }
  assert.ok(publisher.messages.slice(start).every((ack) => ack.type === '@ack'), 'every publish acknowledged');
}

let redis: RedisServer;
let relay: RelayProcess;
const peers: WsPeer[] = [];

beforeEach(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  for (const peer of peers.splice(0)) peer.socket.terminate();
  await relay?.stop('SIGKILL');
  redis.resume();
  await redis.stop();
});

test('a resume of 5,000 small messages, 5 times what one read returns, arrives whole, in order and recovered', async () => {
  relay = await spawnRelay(['--redis', redis.url, '--history', '10000', ...RELAY_FLAGS]);
  const publisher = await WsPeer.open(relay.url, ACKS);
  peers.push(publisher);
  await publishAll(publisher, Array.from({ length: 5000 }, (_, i) => frameOf(`m${i + 1}`, 20)));
  const resumer = await WsPeer.open(relay.url);
  peers.push(resumer);
  resumer.send({ type: 'subscribe', payload: { channel: 'pages', since: 1234 } });
  await resumer.waitForFrames(1 + 5000 - 1234, 30_000);
  await resumer.settle(200);
  const [reply, ...replayed] = resumer.messages;
  assert.deepEqual([reply.payload.offset, reply.payload.recovered], [5000, true]);
  assert.deepEqual(replayed.map((m) => m.payload.offset), Array.from({ length: 5000 - 1234 }, (_, i) => 1235 + i));
  assert.ok(replayed.every((m) => m.payload.message.startsWith(`m${m.payload.offset}.`)));
});

test('a reader slower than the stream is trimmed is cut off with 4001, never sent a gap', async () => {
  relay = await spawnRelay(['--redis', redis.url, '--history', '200', ...RELAY_FLAGS]);
  const publisher = await WsPeer.open(relay.url, ACKS);
  peers.push(publisher);
  // 200 × 60 KB: 12 MB, more than loopback buffers take from a reader that reads nothing.
  await publishAll(publisher, Array.from({ length: 200 }, (_, i) => frameOf(`old${i + 1}`, 60_000)));
  const reader = await WsPeer.open(relay.url);
  peers.push(reader);
  reader.socket.pause();
  reader.send({ type: 'subscribe', payload: { channel: 'pages', since: 0 } });
  await deliveredSettles(relay.port);
  // Meanwhile the stream moves on by more than it keeps: what the reader has yet to read is trimmed.
  await publishAll(publisher, Array.from({ length: 300 }, (_, i) => frameOf(`new${i + 1}`, 100)));
  reader.socket.resume();
  assert.equal(await reader.closed, CLOSE_CODES.slowConsumer);
  assert.match(reader.closeReason, /fell behind the history/);
  const offsets = reader.messages.slice(1).map((m) => m.payload.offset);
  assert.ok(offsets.length > 0 && offsets.length < 200, `part of the replay came first: ${offsets.length}`);
  assert.deepEqual(offsets, offsets.map((_, i) => i + 1), 'no gap before the cut');
});

test('Redis stops answering mid-replay: the subscriber is closed with 1013, and resumes from its last offset once Redis is back', async () => {
  relay = await spawnRelay(['--redis', redis.url, '--history', '1000', ...RELAY_FLAGS]);
  const publisher = await WsPeer.open(relay.url, ACKS);
  peers.push(publisher);
  await publishAll(publisher, Array.from({ length: 300 }, (_, i) => frameOf(`m${i + 1}`, 60_000)));
  const reader = await WsPeer.open(relay.url);
  peers.push(reader);
  reader.socket.pause();
  reader.send({ type: 'subscribe', payload: { channel: 'pages', since: 0 } });
  await deliveredSettles(relay.port);
  redis.pause();
  reader.socket.resume();
  assert.equal(await reader.closed, CLOSE_CODES.tryAgainLater);
  assert.match(reader.closeReason, /history unavailable/);
  assert.equal(await readMetric(relay.port, 'weather_relay_errors_total{code="unavailable"}', 0), 1);
  const seen = reader.messages.slice(1).map((m) => m.payload.offset as number);
  assert.deepEqual(seen, seen.map((_, i) => i + 1), 'in order up to the cut');
  assert.ok(seen.length < 300, `the replay was cut short (${seen.length})`);

  redis.resume();
  const again = await WsPeer.open(relay.url);
  peers.push(again);
  again.send({ type: 'subscribe', payload: { channel: 'pages', since: seen.length } });
  await again.waitForFrames(1 + 300 - seen.length, 30_000);
  const [reply, ...rest] = again.messages;
  assert.equal(reply.payload.recovered, true);
  assert.deepEqual(rest.map((m) => m.payload.offset), Array.from({ length: 300 - seen.length }, (_, i) => seen.length + i + 1));
});
