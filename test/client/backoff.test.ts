import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BACKOFF_DEFAULTS, backoffDelay } from '../../src/client/backoff';
import { seededRandom } from '../support/random';

test('defaults are 500 ms initial, 30 s cap, factor 2, 50 ms floor', () => {
  assert.deepEqual(BACKOFF_DEFAULTS, { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, minDelayMs: 50 });
});

test('with random = 0.5 the delay is half of the exponential ceiling, capped at maxDelayMs', () => {
  const half = () => 0.5;
  const delays = Array.from({ length: 10 }, (_, attempt) => backoffDelay(attempt, {}, half));
  // ceilings 500, 1000, 2000, 4000, 8000, 16000, 32000→30000, ...
  assert.deepEqual(delays, [250, 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000, 15000]);
});

test('the ceiling grows by `factor` and stops at maxDelayMs', () => {
  const almostOne = () => 0.999999;
  const options = { initialDelayMs: 20, maxDelayMs: 200, factor: 3, minDelayMs: 0 };
  const delays = Array.from({ length: 6 }, (_, attempt) => backoffDelay(attempt, options, almostOne));
  // floor(0.999999 × ceiling): ceilings 20, 60, 180, 200 (capped), 200, 200
  assert.deepEqual(delays, [19, 59, 179, 199, 199, 199]);
});

test('random = 0 gives the floor (minDelayMs), never 0 by default: no busy loop', () => {
  const zero = () => 0;
  for (let attempt = 0; attempt < 20; attempt++) assert.equal(backoffDelay(attempt, {}, zero), 50);
  assert.equal(backoffDelay(3, { minDelayMs: 7 }, zero), 7);
  assert.equal(backoffDelay(3, { minDelayMs: 0 }, zero), 0);
});

test('full jitter: every delay is an integer in [minDelayMs, min(maxDelayMs, initial × factor^attempt))', () => {
  const random = seededRandom(42);
  const options = { initialDelayMs: 20, maxDelayMs: 200, minDelayMs: 5 };
  for (let attempt = 0; attempt <= 100; attempt++) {
    const ceiling = Math.min(200, 20 * 2 ** attempt);
    for (let i = 0; i < 50; i++) {
      const delay = backoffDelay(attempt, options, random);
      assert.ok(Number.isInteger(delay), `attempt ${attempt}: ${delay} is not an integer`);
      assert.ok(delay >= 5, `attempt ${attempt}: ${delay} < minDelayMs`);
      assert.ok(delay <= Math.max(5, ceiling - 1), `attempt ${attempt}: ${delay} ≥ ceiling ${ceiling}`);
      assert.ok(delay <= 200, `attempt ${attempt}: ${delay} above the cap`);
    }
  }
});

test('full jitter spreads delays over the whole range (not just around the ceiling)', () => {
  const random = seededRandom(7);
  const samples = Array.from({ length: 2000 }, () => backoffDelay(10, { initialDelayMs: 100, maxDelayMs: 10_000, minDelayMs: 0 }, random));
  const min = Math.min(...samples);
  const max = Math.max(...samples);
  const mean = samples.reduce((sum, value) => sum + value, 0) / samples.length;
  assert.ok(min < 500, `smallest delay ${min} should be near 0`);
  assert.ok(max > 9500 && max < 10_000, `largest delay ${max} should be near the 10 s cap`);
  assert.ok(Math.abs(mean - 5000) < 400, `mean ${mean} should be about half the cap`);
});

test('huge attempt numbers stay capped and finite', () => {
  for (const attempt of [64, 65, 1000, 1e9, Number.MAX_SAFE_INTEGER]) {
    const delay = backoffDelay(attempt, { maxDelayMs: 1234 }, () => 0.999999);
    assert.equal(delay, 1233, `attempt ${attempt}`);
  }
  assert.equal(backoffDelay(70, { factor: 1e6, maxDelayMs: 999 }, () => 0.5), 499);
});

test('partial options keep the other defaults', () => {
  assert.equal(backoffDelay(0, { maxDelayMs: 100 }, () => 0.5), 50); // ceiling min(100, 500)
  assert.equal(backoffDelay(1, { initialDelayMs: 10 }, () => 0.5), 50); // ceiling 20 → 10, raised to the 50 ms floor
  assert.equal(backoffDelay(2, { factor: 10 }, () => 0.5), 15000); // ceiling 500 × 100 = 50000 → 30000 cap
});
