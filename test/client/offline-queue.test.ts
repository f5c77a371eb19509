import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OfflineQueue } from '../../src/client/offline-queue';

test('first in, first out', () => {
  const queue = new OfflineQueue<string>(10);
  assert.equal(queue.length, 0);
  assert.equal(queue.push('a'), 0);
  assert.equal(queue.push('b'), 0);
  assert.equal(queue.push('c'), 0);
  assert.equal(queue.length, 3);
  assert.equal(queue.shift(), 'a');
  assert.equal(queue.shift(), 'b');
  assert.equal(queue.length, 1);
  assert.equal(queue.push('d'), 0);
  assert.deepEqual(queue.drain(), ['c', 'd']);
  assert.equal(queue.length, 0);
});

test('when full, each push drops exactly the oldest item and says so', () => {
  const queue = new OfflineQueue<number>(3);
  const dropped = [1, 2, 3, 4, 5, 6].map((n) => queue.push(n));
  assert.deepEqual(dropped, [0, 0, 0, 1, 1, 1]);
  assert.equal(queue.length, 3);
  assert.equal(queue.capacity, 3);
  assert.deepEqual(queue.drain(), [4, 5, 6]);
});

test('capacity 1 keeps only the newest', () => {
  const queue = new OfflineQueue<string>(1);
  assert.equal(queue.push('x'), 0);
  assert.equal(queue.push('y'), 1);
  assert.equal(queue.push('z'), 1);
  assert.equal(queue.length, 1);
  assert.equal(queue.shift(), 'z');
  assert.equal(queue.shift(), undefined);
});

test('shift and drain on an empty queue', () => {
  const queue = new OfflineQueue<number>(2);
  assert.equal(queue.shift(), undefined);
  assert.deepEqual(queue.drain(), []);
  assert.equal(queue.length, 0);
  queue.push(1);
  queue.shift();
  assert.equal(queue.shift(), undefined);
  assert.equal(queue.length, 0);
  assert.equal(queue.push(2), 0, 'a drained queue has room again');
});

test('stays correct across internal compaction (thousands of pushes and shifts, against a model)', () => {
  const capacity = 1500;
  const queue = new OfflineQueue<number>(capacity);
  const model: number[] = [];
  let droppedTotal = 0;
  for (let n = 0; n < 20_000; n++) {
    const dropped = queue.push(n);
    model.push(n);
    if (model.length > capacity) {
      model.shift();
      assert.equal(dropped, 1, `push ${n} should drop one`);
    } else {
      assert.equal(dropped, 0, `push ${n} should not drop`);
    }
    droppedTotal += dropped;
    // Shift in bursts so that head runs far ahead of the start of the backing array.
    if (n % 7 === 0) {
      for (let k = 0; k < 3 && model.length > 0; k++) assert.equal(queue.shift(), model.shift());
    }
    assert.equal(queue.length, model.length);
  }
  assert.ok(droppedTotal > 0);
  assert.deepEqual(queue.drain(), model);
});

test('a long run at capacity keeps exactly the newest `capacity` items, in order', () => {
  const queue = new OfflineQueue<number>(5);
  let dropped = 0;
  for (let n = 0; n < 5000; n++) dropped += queue.push(n);
  assert.equal(dropped, 4995);
  assert.deepEqual(queue.drain(), [4995, 4996, 4997, 4998, 4999]);
});

test('rejects capacities that are not whole numbers ≥ 1', () => {
  for (const capacity of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
    assert.throws(() => new OfflineQueue(capacity), {
      name: 'RangeError',
      message: `queue capacity must be a whole number of at least 1, got ${capacity}`,
    });
  }
});
