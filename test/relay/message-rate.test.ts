// MessageRate keeps one number per connection (GCRA) in place of a token bucket object. It must
// admit exactly what the token bucket it replaces admitted: the same bursts, the same steady rate.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageRate } from '../../src/relay/rate-limiter';
import { seededRandom } from '../support/random';

/**
 * The textbook token bucket, full at the start: what the relay's limit means. Counted in
 * thousandths of a token, so that with whole-millisecond arrivals it is exact, not rounded.
 */
function referenceBucket(ratePerSecond: number, burst: number) {
  let milliTokens = burst * 1000;
  let updatedAt = 0;
  return (time: number): boolean => {
    milliTokens = Math.min(burst * 1000, milliTokens + (time - updatedAt) * ratePerSecond);
    updatedAt = time;
    if (milliTokens < 1000) return false;
    milliTokens -= 1000;
    return true;
  };
}

test('admits exactly what a token bucket admits, over 20,000 random arrivals', () => {
  const random = seededRandom(14);
  for (const [rate, burst] of [[20, 40], [100, 1], [1, 5], [250, 20]] as const) {
    let now = 0;
    const limit = new MessageRate(rate, burst, () => now);
    const reference = referenceBucket(rate, burst);
    let due = 0;
    let admitted = 0;
    for (let i = 0; i < 5000; i++) {
      // Bursts (many at one instant), steady trickles and long pauses, in whole milliseconds.
      const pick = random();
      now += pick < 0.5 ? 0 : pick < 0.9 ? Math.floor(random() * (2000 / rate)) : Math.floor(random() * 5000);
      const next = limit.take(due);
      const ours = !Number.isNaN(next);
      if (ours) due = next;
      assert.equal(ours, reference(now), `rate ${rate}, burst ${burst}: arrival ${i} at ${now} ms`);
      if (ours) admitted++;
    }
    assert.ok(admitted > 100 && admitted < 5000, `some admitted, some refused (${admitted})`);
  }
});

test('a full burst passes at once even when the interval is not a whole number of milliseconds', () => {
  for (const [rate, burst] of [[3, 40], [7, 13], [30, 100]] as const) {
    const now = 1234.5;
    const limit = new MessageRate(rate, burst, () => now);
    let due = 0;
    for (let i = 0; i < burst; i++) {
      const next = limit.take(due);
      assert.ok(!Number.isNaN(next), `message ${i + 1} of a burst of ${burst} at ${rate}/s`);
      due = next;
    }
    assert.ok(Number.isNaN(limit.take(due)), `message ${burst + 1} is over the burst at ${rate}/s`);
  }
});

test('after a refusal the connection is due where it was: one interval later, one more message passes', () => {
  let now = 0;
  const limit = new MessageRate(10, 2, () => now);
  let due = limit.take(0);
  due = limit.take(due);
  assert.ok(Number.isNaN(limit.take(due)), 'the third at once is refused');
  now = 99;
  assert.ok(Number.isNaN(limit.take(due)), 'still refused just before an interval has passed');
  now = 100;
  assert.ok(!Number.isNaN(limit.take(due)), 'one interval (100 ms at 10/s) later, one passes');
});
