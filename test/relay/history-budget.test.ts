// The history's byte budget (--history-bytes), through relay processes: the oldest messages
// go first whatever their channel, a resume says exactly what was lost, and what the relay
// holds (its gauge and its resident memory) stays within the budget however much passes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { channelMessage, responseDeltaPayload } from '../../src/protocol';
import { inMemoryOnly } from '../support/relay-mode';
import { readMetric, spawnRelay } from '../support/relay-process';
import { WsPeer } from '../support/ws-peer';

/** A channel message of exactly `bytes` bytes of JSON. */
function messageOf(channel: string, label: string, bytes: number): string {
  const empty = JSON.stringify(channelMessage(channel, responseDeltaPayload('t', label)));
  const frame = JSON.stringify(channelMessage(channel, responseDeltaPayload('t', label + '.'.repeat(bytes - empty.length))));
  assert.equal(Buffer.byteLength(frame), bytes);
  return frame;
}

/** Publishes every frame, waiting for the relay's receipts (one publisher: each channel's offsets count up from 1). */
async function publishAll(publisher: WsPeer, frames: string[], batch = 16): Promise<void> {
  for (let i = 0; i < frames.length; i += batch) {
    for (const frame of frames.slice(i, i + batch)) publisher.send(frame);
    await publisher.waitForFrames(Math.min(i + batch, frames.length), 30_000);
  }
  const published = new Map<string, number>();
  const expected = frames.map((frame) => {
    const { type } = JSON.parse(frame) as { type: string };
    published.set(type, (published.get(type) ?? 0) + 1);
    return published.get(type);
  });
  assert.deepEqual(publisher.messages.map((ack) => ack.payload.offset), expected);
}

async function resume(url: string, channel: string, since: number, expected: number): Promise<{ reply: any; replayed: any[] }> {
  const peer = await WsPeer.open(url);
  peer.send({ type: 'subscribe', payload: { channel, since } });
  await peer.waitForFrames(1 + expected);
  await peer.settle(100);
  const [reply, ...replayed] = peer.messages;
  await peer.close();
  return { reply, replayed };
}

/** On Redis the history is Redis's, bounded by --history per channel; the byte budget is this process's own. */
const BUDGET_IS_IN_PROCESS = { skip: inMemoryOnly('--history-bytes bounds the history a relay process holds; with --redis, Redis holds it') };

test('past --history-bytes the oldest messages go first, across channels; a resume says what was lost', BUDGET_IS_IN_PROCESS, async () => {
  const budget = 64 * 1024;
  const relay = await spawnRelay(['--quiet', '--history-bytes', String(budget), '--rate', '100000', '--burst', '100000']);
  try {
    const publisher = await WsPeer.open(relay.url, { headers: { 'x-weather-relay-features': 'ack' } });
    // 1,000 bytes of JSON make a 1,004-byte frame: 65 fit in the budget.
    const frames = Array.from({ length: 200 }, (_, i) => messageOf(i % 2 === 0 ? 'a' : 'b', `m${i}`, 1000));
    await publishAll(publisher, frames);
    const held = Math.floor(budget / 1004);
    assert.equal(held, 65);
    assert.equal(await readMetric(relay.port, 'weather_relay_history_bytes'), held * 1004);

    // Kept: the last 65 published (i = 135…199), of both channels. Message i (even) is a's offset i / 2 + 1.
    const keptOnA = Array.from({ length: 200 }, (_, i) => i).filter((i) => i % 2 === 0 && i >= 200 - held);
    const fromStart = await resume(relay.url, 'a', 0, keptOnA.length);
    assert.equal(fromStart.reply.payload.recovered, false, 'a resume from the start lost the oldest');
    assert.equal(fromStart.reply.payload.offset, 100);
    assert.deepEqual(fromStart.replayed.map((message) => message.payload.offset), keptOnA.map((i) => i / 2 + 1));
    assert.deepEqual(fromStart.replayed.map((message) => message.payload.message.split('.')[0]), keptOnA.map((i) => `m${i}`));

    // The newest message of `a` that went is i = 134 (offset 68): from there, nothing is lost.
    assert.equal((await resume(relay.url, 'a', 68, keptOnA.length)).reply.payload.recovered, true);
    assert.equal((await resume(relay.url, 'a', 67, keptOnA.length)).reply.payload.recovered, false);

    // A message larger than the whole budget is delivered live and never kept; the others stay.
    const live = await WsPeer.open(relay.url);
    await live.subscribe('c');
    const huge = messageOf('c', 'huge', budget + 1);
    publisher.send(huge);
    await live.waitForFrames(2);
    assert.equal(live.texts[1], huge);
    await publisher.waitForFrames(201);
    assert.equal(await readMetric(relay.port, 'weather_relay_history_bytes'), held * 1004);
    const lost = await resume(relay.url, 'c', 0, 0);
    assert.deepEqual([lost.reply.payload.recovered, lost.replayed], [false, []]);
    assert.equal((await resume(relay.url, 'c', 1, 0)).reply.payload.recovered, true, 'it was c’s offset 1');
    await Promise.all([publisher.close(), live.close()]);
  } finally {
    await relay.stop('SIGKILL');
  }
});

test('180 MB through a relay with a 4 MiB history: its memory stays flat', { ...BUDGET_IS_IN_PROCESS, timeout: 120_000 }, async () => {
  const budget = 4 * 1024 * 1024;
  const relay = await spawnRelay(['--quiet', '--history-bytes', String(budget), '--rate', '100000', '--burst', '100000']);
  try {
    const publisher = await WsPeer.open(relay.url, { headers: { 'x-weather-relay-features': 'ack' } });
    await publishAll(publisher, [messageOf('w0', 'warm-up', 1000)]);
    const before = await readMetric(relay.port, 'weather_relay_resident_memory_bytes');
    const size = 960 * 1024;
    // Fewer than --history (1,000) per channel: only the byte budget can bound what is kept.
    const frames = Array.from({ length: 192 }, (_, i) => messageOf(`w${i % 4}`, `m${i}`, size));
    for (let i = 0; i < frames.length; i += 8) {
      for (const frame of frames.slice(i, i + 8)) publisher.send(frame);
      await publisher.waitForFrames(1 + Math.min(i + 8, frames.length), 30_000);
    }
    const heldBytes = await readMetric(relay.port, 'weather_relay_history_bytes');
    assert.ok(heldBytes <= budget && heldBytes > budget - (size + 10), `history holds ${heldBytes} bytes, within ${budget}`);
    const grown = (await readMetric(relay.port, 'weather_relay_resident_memory_bytes')) - before;
    // 180 MB passed through; without the budget all of it is held (the relay grew by ~375 MiB
    // before the budget existed). With it, what remains is garbage not yet collected.
    assert.ok(grown < 128 * 1024 * 1024, `resident memory grew by ${Math.round(grown / 2 ** 20)} MiB`);
    await publisher.close();
  } finally {
    await relay.stop('SIGKILL');
  }
});
