import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRateLimitedLogger } from '../../src/relay';

test('the log keeps quiet at high rates and says how much it skipped', () => {
  let now = 0;
  const lines: string[] = [];
  const log = createRateLimitedLogger({ sink: (level, line) => lines.push(`${level} ${line}`), maxLinesPerSecond: 3, now: () => now });
  for (let i = 0; i < 10; i++) log.info(`connect ${i}`);
  assert.deepEqual(lines, ['info connect 0', 'info connect 1', 'info connect 2']);
  now = 1000;
  log.warn('later');
  assert.deepEqual(lines.slice(3), ['warn (7 log lines suppressed at high rate)', 'warn later']);
});
