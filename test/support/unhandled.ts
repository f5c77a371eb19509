/**
 * Fails the file if any promise rejection goes unhandled while any of its tests run, or
 * shortly after the last: registered once at the top of a file, checked in an `after`
 * hook over the whole file (not a last test that watches a moment).
 */
import assert from 'node:assert/strict';
import { after } from 'node:test';
import { delay } from './wait';

export function failOnUnhandledRejections(): void {
  const seen: unknown[] = [];
  const record = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', record);
  after(async () => {
    // Rejections surface a tick after the promise settles: give the last test's a moment.
    await delay(100);
    process.off('unhandledRejection', record);
    assert.deepEqual(
      seen.map((reason) => (reason instanceof Error ? reason.message : String(reason))),
      [],
      'no promise rejection may go unhandled in this file',
    );
  });
}
