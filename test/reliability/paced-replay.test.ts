// A resume whose replay is far larger than --high-water, through relay processes: the
// replay is paced by the subscriber's reading, so an honest client that was offline a
// while gets everything it missed, in order, once, then what was published meanwhile,
// and is never closed as a slow consumer. A peer that resumes and never reads is still
// cut off (4001), and holds no more of the relay's memory than any peer's socket buffer.
// Unsubscribing, subscribing again or leaving mid-replay leaves nothing behind.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOSE_CODES, channelMessage, responseDeltaPayload } from '../../src/protocol';
import { deliveredSettles, readMetric, spawnRelay } from '../support/relay-process';
import { delay } from '../support/wait';
import { WsPeer } from '../support/ws-peer';

const HIGH_WATER = 256 * 1024;
const SIZE = 4000;
/** 3,000 messages of 4,000 bytes: 12 MB, 46 times the high-water mark, and more than loopback buffers hold for a peer that reads nothing. */
const HISTORY = 3000;

function frameOf(label: string): string {
  const empty = JSON.stringify(channelMessage('backlog', responseDeltaPayload('t', label)));
  return JSON.stringify(channelMessage('backlog', responseDeltaPayload('t', label + '.'.repeat(SIZE - empty.length))));
}

/** Polls `name` until it shows `value` (bounded: 20 s); returns the last value seen. */
async function metricReaches(port: number, name: string, value: number): Promise<number> {
  let seen = await readMetric(port, name, 0);
  for (let i = 0; i < 100 && seen !== value; i++) {
    await delay(200);
    seen = await readMetric(port, name, 0);
  }
  return seen;
}

/** Publishes every frame in batches, waiting for the relay's receipts; returns their offsets. */
async function publishAll(publisher: WsPeer, frames: string[]): Promise<number[]> {
  const start = publisher.frames.length;
  for (let i = 0; i < frames.length; i += 100) {
    for (const frame of frames.slice(i, i + 100)) publisher.send(frame);
    await publisher.waitForFrames(start + Math.min(i + 100, frames.length), 30_000);
  }
  return publisher.messages.slice(start).map((ack) => ack.payload.offset);
}

test('a resume of 46 high-water marks arrives whole, in order, once, with what was published during it', { timeout: 120_000 }, async () => {
  const relay = await spawnRelay(['--quiet', '--high-water', String(HIGH_WATER), '--history-bytes', String(16 * 1024 * 1024), '--history', '10000', '--rate', '1000000', '--burst', '1000000']);
  try {
    const publisher = await WsPeer.open(relay.url, { headers: { 'x-weather-relay-features': 'ack' } });
    const backlog = Array.from({ length: HISTORY }, (_, i) => frameOf(`m${i}`));
    assert.deepEqual(await publishAll(publisher, backlog), backlog.map((_, i) => i + 1));

    const resumer = await WsPeer.open(relay.url);
    resumer.socket.pause(); // offline a while longer: reads nothing until the live messages are out
    resumer.send({ type: 'subscribe', payload: { channel: 'backlog', since: 0 } });
    const replayedBeforeLive = await deliveredSettles(relay.port);
    assert.ok(replayedBeforeLive < HISTORY, `the replay was still under way (${replayedBeforeLive} of ${HISTORY} written)`);
    const live = Array.from({ length: 200 }, (_, i) => frameOf(`live${i}`));
    assert.deepEqual(await publishAll(publisher, live), live.map((_, i) => HISTORY + i + 1));
    resumer.socket.resume();

    await resumer.waitForFrames(1 + HISTORY + live.length, 60_000);
    await resumer.settle(300);
    const [reply, ...received] = resumer.messages;
    assert.deepEqual(reply.payload, { channel: 'backlog', message: 'subscribed', epoch: reply.payload.epoch, offset: HISTORY, recovered: true });
    assert.equal(received.length, HISTORY + live.length, 'nothing twice');
    assert.deepEqual(received.map((message) => message.payload.offset), [...backlog, ...live].map((_, i) => i + 1), 'every offset, in order');
    assert.deepEqual(
      received.map((message) => message.payload.message.split('.')[0]),
      [...backlog.map((_, i) => `m${i}`), ...live.map((_, i) => `live${i}`)],
    );
    assert.equal(resumer.closeCode, undefined, 'still open');
    assert.equal(await readMetric(relay.port, 'weather_relay_errors_total{code="slow_consumer"}', 0), 0);

    // Once caught up it is an ordinary live subscriber.
    const after = frameOf('after');
    await publishAll(publisher, [after]);
    await resumer.waitForFrames(2 + HISTORY + live.length);
    assert.equal(resumer.messages.at(-1).payload.offset, HISTORY + live.length + 1);
    await Promise.all([publisher.close(), resumer.close()]);
  } finally {
    await relay.stop('SIGKILL');
  }
});

test('peers that resume and never read are cut off with 4001 and hold the relay to their socket buffers', { timeout: 120_000 }, async () => {
  const relay = await spawnRelay(['--quiet', '--high-water', String(HIGH_WATER), '--history-bytes', String(16 * 1024 * 1024), '--history', '10000', '--rate', '1000000', '--burst', '1000000', '--replay-stall-ms', '3000']);
  const peers: WsPeer[] = [];
  try {
    const publisher = await WsPeer.open(relay.url, { headers: { 'x-weather-relay-features': 'ack' } });
    await publishAll(publisher, Array.from({ length: HISTORY }, (_, i) => frameOf(`m${i}`)));
    const before = await readMetric(relay.port, 'weather_relay_resident_memory_bytes');

    for (let i = 0; i < 8; i++) {
      const peer = await WsPeer.open(relay.url);
      peer.socket.pause(); // never reads
      peer.send({ type: 'subscribe', payload: { channel: 'backlog', since: 0 } });
      peers.push(peer);
    }
    await deliveredSettles(relay.port);
    // Were each of the 8 sent all of its 12 MB replay at once, the relay would hold ~96 MB more.
    const grown = (await readMetric(relay.port, 'weather_relay_resident_memory_bytes')) - before;
    assert.ok(grown < 48 * 1024 * 1024, `resident memory grew by ${Math.round(grown / 2 ** 20)} MiB`);

    assert.equal(await metricReaches(relay.port, 'weather_relay_errors_total{code="slow_consumer"}', peers.length), peers.length, 'every non-reader was cut off');
    for (const peer of peers) peer.socket.resume();
    const codes = await Promise.all(peers.map((peer) => peer.closed));
    assert.ok(codes.every((code) => code === CLOSE_CODES.slowConsumer || code === 1006), `closed with ${codes}`);
    assert.equal(await metricReaches(relay.port, 'weather_relay_connections', 1), 1, 'only the publisher is left');
    await publisher.close();
  } finally {
    for (const peer of peers) peer.socket.terminate();
    await relay.stop('SIGKILL');
  }
});

test('a subscription changed mid-replay: unsubscribe ends the replay, a plain subscribe is live, and nothing is left behind', { timeout: 120_000 }, async () => {
  const relay = await spawnRelay(['--quiet', '--high-water', String(HIGH_WATER), '--history-bytes', String(16 * 1024 * 1024), '--history', '10000', '--rate', '1000000', '--burst', '1000000']);
  const health = async () => (await fetch(`http://127.0.0.1:${relay.port}/healthz`)).json();
  try {
    const publisher = await WsPeer.open(relay.url, { headers: { 'x-weather-relay-features': 'ack' } });
    await publishAll(publisher, Array.from({ length: HISTORY }, (_, i) => frameOf(`m${i}`)));

    const peer = await WsPeer.open(relay.url);
    peer.socket.pause();
    peer.send({ type: 'subscribe', payload: { channel: 'backlog', since: 0 } });
    await deliveredSettles(relay.port);
    peer.send({ type: 'unsubscribe', payload: { channel: 'backlog' } });
    peer.send({ type: 'subscribe', payload: { channel: 'backlog' } });
    // A second one resumes too, and goes away mid-replay.
    const leaver = await WsPeer.open(relay.url);
    leaver.socket.pause();
    leaver.send({ type: 'subscribe', payload: { channel: 'backlog', since: 0 } });
    await deliveredSettles(relay.port);
    leaver.socket.terminate();
    await metricReaches(relay.port, 'weather_relay_connections', 2);
    assert.deepEqual(await health(), { status: 'ok', connections: 2, channels: 1, subscriptions: 1 });

    const live = frameOf('live');
    await publishAll(publisher, [live]);
    peer.socket.resume();
    await peer.until(() => peer.texts.at(-1) === live, 30_000, 'the live message');
    const messages = peer.messages;
    const unsubscribedAt = messages.findIndex((message) => message.type === 'unsubscribed');
    const replayed = messages.slice(1, unsubscribedAt);
    assert.ok(replayed.length > 0 && replayed.length < HISTORY, `part of the replay came first: ${replayed.length}`);
    assert.deepEqual(replayed.map((message) => message.payload.offset), replayed.map((_, i) => i + 1));
    assert.deepEqual(messages.slice(unsubscribedAt).map((message) => message.type), ['unsubscribed', 'subscribed', 'backlog']);
    assert.deepEqual(messages.at(-2).payload, { channel: 'backlog', message: 'subscribed' });
    assert.equal(await readMetric(relay.port, 'weather_relay_errors_total{code="slow_consumer"}', 0), 0);
    await Promise.all([publisher.close(), peer.close()]);
  } finally {
    await relay.stop('SIGKILL');
  }
});
