// Nothing lost across relay crashes: a publisher streams 2,000 messages while the relay
// is killed with SIGKILL and restarted twice; a recovering subscriber ends with all
// 2,000, in order, none twice. The relay forgets everything when killed, so this holds
// end to end: receipts, resends of what a new epoch cannot vouch for, dedupe by id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocketManager } from '../../src/client';
import { responseDeltaPayload } from '../../src/protocol';
import { spawnRelay, type RelayProcess } from '../support/relay-process';
import { delay, waitUntil } from '../support/wait';

test('2,000 messages across two SIGKILL restarts: all delivered, in order, once', { timeout: 90_000 }, async () => {
  const relayFlags = ['--quiet', '--rate', '100000', '--burst', '100000'];
  let relay: RelayProcess = await spawnRelay(relayFlags);
  const port = relay.port;
  const url = relay.url;
  const options = { reconnect: { initialDelayMs: 50, maxDelayMs: 200, minDelayMs: 20 }, subscribeTimeoutMs: 2000 } as const;
  const subscriber = new WebSocketManager(url, 'fault', options);
  const publisher = new WebSocketManager(url, 'fault', { ...options, maxQueue: 5000 });
  const received: string[] = [];
  const gaps: string[] = [];
  subscriber.on('message', (message) => received.push(message.payload.message));
  subscriber.on('gap', (why) => gaps.push(why));
  try {
    await subscriber.connect();
    await subscriber.subscribe();
    await publisher.connect();

    const total = 2_000;
    const killAt = new Set([600, 1_300]);
    for (let i = 0; i < total; i++) {
      if (killAt.has(i)) {
        assert.equal(await relay.stop('SIGKILL'), 'SIGKILL');
        await delay(150); // messages sent meanwhile wait in the publisher's queue
        relay = await spawnRelay([...relayFlags, '--port', String(port)]);
      }
      publisher.send(responseDeltaPayload('thread_fault', `m${i}`, { seq: i }));
      // About 500 a second: faster than any model streams, slow enough that the subscriber keeps up.
      if (i % 5 === 4) await delay(10);
    }
    await waitUntil(() => received.length >= total, 30_000, 'all messages').catch((error: Error) => {
      const missing = Array.from({ length: total }, (_, i) => `m${i}`).filter((message) => !received.includes(message));
      throw new Error(`${error.message}: have ${received.length}, missing ${missing.length} (${missing.slice(0, 3)}…${missing.slice(-3)}); subscriber ${subscriber.state}, publisher ${publisher.state} with ${publisher.queuedCount} queued`);
    });
    await delay(300); // anything extra (a duplicate) would arrive now
    const expected = Array.from({ length: total }, (_, i) => `m${i}`);
    const firstWrong = received.findIndex((message, index) => message !== expected[index]);
    assert.equal(firstWrong, -1, `first difference at ${firstWrong}: got ${received.slice(firstWrong, firstWrong + 5)}`);
    assert.equal(received.length, total, 'none twice');
    assert.ok(gaps.length >= 1, 'the subscriber was told that the relay restarted under it');
  } finally {
    await Promise.allSettled([subscriber.disconnect(), publisher.disconnect()]);
    await relay.stop('SIGKILL');
  }
});
