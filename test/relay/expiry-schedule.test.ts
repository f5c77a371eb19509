// One timer for every token's expiry: each item expires once, in time order, not before its
// time; a cancelled one never, and nothing is kept for it (a token may be valid for weeks).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ExpirySchedule } from '../../src/relay/expiry-schedule';
import { seededRandom } from '../support/random';

test('1,000 expiries within 300 ms, a third cancelled: the rest fire once each, in order, on time', async () => {
  const random = seededRandom(3);
  const fired: Array<{ item: number; late: number }> = [];
  const start = Date.now();
  const due = new Map<number, number>();
  const schedule = new ExpirySchedule<number>((item) => fired.push({ item, late: Date.now() - due.get(item)! }));
  const handles = Array.from({ length: 1000 }, (_, item) => {
    const at = start + 20 + Math.floor(random() * 280);
    due.set(item, at);
    return schedule.add(item, at);
  });
  const cancelled = new Set<number>();
  for (let item = 0; item < 1000; item += 3) {
    handles[item].cancel();
    handles[item].cancel(); // twice is harmless
    cancelled.add(item);
  }
  assert.equal(schedule.size, 1000 - cancelled.size, 'a cancelled entry is gone at once');
  const deadline = Date.now() + 3000;
  while (fired.length < 1000 - cancelled.size && Date.now() < deadline) await sleep(20);
  assert.equal(fired.length, 1000 - cancelled.size);
  assert.deepEqual(fired.filter(({ item }) => cancelled.has(item)), [], 'none cancelled fired');
  assert.equal(new Set(fired.map(({ item }) => item)).size, fired.length, 'each once');
  const times = fired.map(({ item }) => due.get(item)!);
  assert.deepEqual(times, [...times].sort((a, b) => a - b), 'in time order');
  assert.ok(fired.every(({ late }) => late >= 0), 'never early');
  assert.equal(schedule.size, 0);
});

test('an expiry far in the future keeps nothing running; stop() empties the schedule', () => {
  const schedule = new ExpirySchedule<string>(() => assert.fail('nothing is due'));
  const month = schedule.add('a', Date.now() + 30 * 86_400_000); // past setTimeout's 24.8-day limit
  schedule.add('b', Date.now() + 3_600_000);
  month.cancel();
  assert.equal(schedule.size, 1);
  schedule.stop();
  assert.equal(schedule.size, 0);
});
