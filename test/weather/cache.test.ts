import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TtlCache } from '../../src/weather';

const opts = { timeout: 2_000 };

test('returns a value until its time is up', opts, () => {
  let now = 1_000;
  const cache = new TtlCache<string>({ ttlMs: 100, maxEntries: 10, now: () => now });
  cache.set('a', 'A');
  now += 99;
  assert.equal(cache.get('a'), 'A');
  now += 1;
  assert.equal(cache.get('a'), undefined);
  assert.equal(cache.size, 0, 'an expired entry is dropped when found');
});

test('evicts the least recently used entry beyond its bound', opts, () => {
  const cache = new TtlCache<number>({ ttlMs: 1_000, maxEntries: 2, now: () => 0 });
  cache.set('a', 1);
  cache.set('b', 2);
  assert.equal(cache.get('a'), 1); // a is now the most recent
  cache.set('c', 3);
  assert.equal(cache.size, 2);
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.get('a'), 1);
  assert.equal(cache.get('c'), 3);
});

test('a TTL of 0 stores nothing; clear() empties it', opts, () => {
  const off = new TtlCache<number>({ ttlMs: 0, maxEntries: 10 });
  off.set('a', 1);
  assert.equal(off.get('a'), undefined);
  const on = new TtlCache<number>({ ttlMs: 1_000, maxEntries: 10 });
  on.set('a', 1);
  on.clear();
  assert.equal(on.get('a'), undefined);
});
