/**
 * The dedupe window is fed by the relay, so it is bounded in bytes as well as in count:
 * ids of any length still deduplicate, but long ones are remembered by a fixed-size digest.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { SubscriptionCursor } from '../../src/client/subscription-cursor';
import { samplePayload } from './helpers';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

function heapAfterGc(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed;
}

test('long ids still deduplicate, short and long alike', () => {
  const cursor = new SubscriptionCursor(100);
  for (const id of ['e-1', 'x'.repeat(65), `${'y'.repeat(100_000)}1`]) {
    assert.equal(cursor.accept({ ...samplePayload(1), id }), true, `first ${id.length}`);
    assert.equal(cursor.accept({ ...samplePayload(1), id }), false, `repeat ${id.length}`);
  }
  assert.equal(cursor.accept({ ...samplePayload(1), id: `${'y'.repeat(100_000)}2` }), true, 'a different long id is new');
});

test('a window full of 1 MB ids holds a few kilobytes, not the ids', () => {
  const cursor = new SubscriptionCursor(200);
  const before = heapAfterGc();
  for (let i = 0; i < 200; i++) {
    // Built fresh each time (flat, not a rope over a shared prefix), as a parsed frame would be.
    cursor.accept({ ...samplePayload(i), id: JSON.parse(`"${String(i).padStart(1_000_000, 'z')}"`) as string });
  }
  const grown = heapAfterGc() - before;
  assert.ok(grown < 20 * 1024 * 1024, `the window grew the heap by ${Math.round(grown / 1024 / 1024)} MB for 200 ids of 1 MB`);
});
