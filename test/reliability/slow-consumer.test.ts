// One subscriber that never reads while 50 others receive 20,000 messages: the 50 get
// everything in order, the slow one is closed with the retryable 4001, and the relay's
// memory stays bounded (it never queues more than the high-water mark for anyone).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import WebSocket from 'ws';
import { CLOSE_CODES } from '../../src/protocol';
import { readMetric, spawnRelay } from '../support/relay-process';
import { delay, waitUntil } from '../support/wait';

interface Counter {
  socket: WebSocket;
  count: number;
  outOfOrder: number;
}

/** A light subscriber: counts messages and checks their sequence, keeps nothing. */
async function counter(url: string): Promise<Counter> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  const state: Counter = { socket, count: 0, outOfOrder: 0 };
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('open', () => {
      socket.send('{"type":"subscribe","payload":{"channel":"busy"}}');
      socket.once('message', () => resolve()); // the subscribed reply
    });
  });
  socket.on('message', (data: Buffer) => {
    // The sequence number sits at a fixed place: no JSON parse per message needed.
    const seq = Number(/"seq":(\d+)/.exec(data.toString('latin1'))?.[1]);
    if (seq !== state.count) state.outOfOrder++;
    state.count++;
  });
  return state;
}

test('a subscriber that never reads cannot slow 50 others or grow the relay', { timeout: 120_000 }, async () => {
  const highWater = 1024 * 1024;
  const relay = await spawnRelay(['--quiet', '--rate', '1000000', '--burst', '1000000', '--high-water', String(highWater), '--history', '0']);
  const sockets: WebSocket[] = [];
  try {
    const counters = await Promise.all(Array.from({ length: 50 }, () => counter(relay.url)));
    sockets.push(...counters.map((c) => c.socket));
    const slow = await counter(relay.url);
    sockets.push(slow.socket);
    const slowClosed = new Promise<number>((resolve) => slow.socket.on('close', (code) => resolve(code)));
    slow.socket.pause(); // never reads again: the kernel buffers fill, then the relay's queue
    const baselineRss = await readMetric(relay.port, 'weather_relay_resident_memory_bytes');

    const publisher = new WebSocket(relay.url, { perMessageDeflate: false });
    sockets.push(publisher);
    await new Promise((resolve) => publisher.once('open', resolve));
    const total = 20_000;
    const padding = 'x'.repeat(600); // ~700-byte messages: 14 MB in all, far past any socket buffer
    let peakRss = baselineRss;
    for (let seq = 0; seq < total; seq++) {
      publisher.send(`{"type":"busy","payload":{"message":"${padding}","timestamp":1,"thread_id":"t","type":"response","seq":${seq}}}`);
      // Flow control: stay at most 500 messages ahead of the slowest reader of the 50.
      if (seq % 500 === 499) {
        await waitUntil(() => counters.every((c) => c.count >= seq - 500), 20_000, `the 50 to keep up at ${seq}`);
        if (seq % 5000 === 4999) peakRss = Math.max(peakRss, await readMetric(relay.port, 'weather_relay_resident_memory_bytes'));
      }
    }
    await waitUntil(() => counters.every((c) => c.count === total), 30_000, 'all 50 to receive everything');
    assert.deepEqual(counters.map((c) => c.outOfOrder).filter((n) => n > 0), [], 'in order');
    assert.equal(await readMetric(relay.port, 'weather_relay_errors_total{code="slow_consumer"}'), 1);
    slow.socket.resume();
    const code = await Promise.race([slowClosed, delay(5000).then(() => -1)]);
    assert.ok(code === CLOSE_CODES.slowConsumer || code === 1006, `the slow subscriber was closed (code ${code})`);
    assert.ok(slow.count < total, 'and it did not get everything');
    // Without the high-water mark the relay would hold ~14 MB for the slow one (and grow
    // with every message); with it, memory stays near where it started.
    assert.ok(peakRss - baselineRss < 96 * 1024 * 1024, `relay memory grew by ${((peakRss - baselineRss) / 1048576).toFixed(1)} MB`);
  } finally {
    for (const socket of sockets) socket.terminate();
    await relay.stop('SIGKILL');
  }
});
