// RecentPublishes on its own: the ids behind idempotent publishes stay bounded in count,
// per channel and in all, and in age; long ids are kept by hash.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idKey, RecentPublishes } from '../../src/relay/recent-publishes';

test('an id is found on its channel only, with its offset', () => {
  const recent = new RecentPublishes();
  recent.remember('a', 'evt-1', 7);
  assert.deepEqual([recent.offsetOf('a', 'evt-1'), recent.offsetOf('b', 'evt-1'), recent.offsetOf('a', 'evt-2')], [7, undefined, undefined]);
});

test('past its count per channel a channel forgets its oldest ids, and only its own', () => {
  const recent = new RecentPublishes({ perChannel: 3, total: 100, ttlMs: 60_000 });
  recent.remember('quiet', 'q', 1);
  for (let i = 1; i <= 5; i++) recent.remember('busy', `b${i}`, i);
  assert.deepEqual(['b1', 'b2', 'b3', 'b4', 'b5'].map((id) => recent.offsetOf('busy', id)), [undefined, undefined, 3, 4, 5]);
  assert.equal(recent.offsetOf('quiet', 'q'), 1);
  assert.equal(recent.size, 4);
});

test('past the total the least recently published channel gives up its oldest first', () => {
  const recent = new RecentPublishes({ perChannel: 10, total: 4, ttlMs: 60_000 });
  recent.remember('old', 'o1', 1);
  recent.remember('old', 'o2', 2);
  recent.remember('new', 'n1', 1);
  recent.remember('new', 'n2', 2);
  recent.remember('new', 'n3', 3);
  assert.deepEqual([recent.offsetOf('old', 'o1'), recent.offsetOf('old', 'o2'), recent.offsetOf('new', 'n1')], [undefined, 2, 1]);
  recent.remember('new', 'n4', 4);
  assert.equal(recent.offsetOf('old', 'o2'), undefined, 'the channel went with its last id');
  assert.equal(recent.size, 4);
});

test('an id older than the time to live is not found, and a publish after it remembers the new offset', () => {
  let now = 0;
  const recent = new RecentPublishes({ perChannel: 10, total: 100, ttlMs: 1000 }, () => now);
  recent.remember('a', 'evt', 1);
  recent.remember('a', 'other', 2);
  now = 1000;
  assert.equal(recent.offsetOf('a', 'evt'), 1);
  now = 1001;
  assert.equal(recent.offsetOf('a', 'evt'), undefined);
  recent.remember('a', 'evt', 3);
  assert.equal(recent.offsetOf('a', 'evt'), 3);
  assert.equal(recent.size, 1, 'the expired one was dropped on the way');
});

test('long ids are kept by their hash, short ones as they are', () => {
  const long = 'x'.repeat(100_000);
  assert.match(idKey(long), /^sha256:[A-Za-z0-9+/]{43}=$/);
  assert.notEqual(idKey(long), idKey(`${long}y`));
  assert.equal(idKey('evt-1'), 'evt-1');
});
