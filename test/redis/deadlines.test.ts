// CommandDeadlines on its own: one timer for every command in flight, each rejected with
// node-redis's TimeoutError once it has waited its time, answers passed through untouched.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TimeoutError } from '@redis/client';
import { CommandDeadlines } from '../../src/relay/redis/deadlines';
import { failureReason } from '../../src/relay/redis/errors';

const later = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

test('answers in time pass through; a command past its deadline is rejected, and its late answer dropped', async () => {
  const deadlines = new CommandDeadlines(100);
  const quick = deadlines.track(later(10, 'quick'));
  const failing = assert.rejects(deadlines.track(Promise.reject(new Error('refused'))), { message: 'refused' });
  let answered = false;
  const hung = deadlines.track(later(400, 'too late').then((value) => ((answered = true), value)));
  assert.equal(await quick, 'quick');
  await failing;
  await assert.rejects(hung, TimeoutError);
  // Timers fire in the order they fall due: the 100 ms deadline always before the 400 ms answer.
  assert.equal(answered, false, 'rejected at its deadline, not when the answer came');
});

test('each command gets its own full time, however many came before it', async () => {
  const deadlines = new CommandDeadlines(150);
  const first = assert.rejects(deadlines.track(new Promise<never>(() => undefined)), TimeoutError);
  await later(100, undefined);
  const second = deadlines.track(later(100, 'second'));
  await first;
  assert.equal(await second, 'second', 'sent 100 ms after the first, it still has its 150 ms');
});

test('20,000 commands answered at once all settle, and none is rejected', async () => {
  const deadlines = new CommandDeadlines(1000);
  const results = await Promise.all(Array.from({ length: 20_000 }, (_, i) => deadlines.track(Promise.resolve(i))));
  assert.equal(results.length, 20_000);
  assert.equal(results[19_999], 19_999);
});

test('a full node-redis queue is named in words', () => {
  assert.equal(failureReason(new Error('The queue is full')), 'too many commands are already waiting for it');
});
