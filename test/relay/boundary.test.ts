// The wall around network-facing handlers: a throw stops there, is counted and logged,
// and the handler's clean-up runs; a clean-up that throws is stopped too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createBoundary } from '../../src/relay/boundary';
import type { RelayLogger } from '../../src/relay/log';
import { RelayMetrics } from '../../src/relay/metrics';

function recorder(): RelayLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (line) => lines.push(`info ${line}`), warn: (line) => lines.push(`warn ${line}`), error: (line) => lines.push(`error ${line}`) };
}

test('a throwing handler is stopped, counted, logged, and cleaned up after', () => {
  const metrics = new RelayMetrics();
  const log = recorder();
  const recovered: string[] = [];
  const handler = createBoundary(metrics, log).guard(
    'a test handler',
    (name: string) => {
      throw new Error(`boom for ${name}`);
    },
    (name) => recovered.push(name),
  );
  assert.doesNotThrow(() => handler('peer-1'));
  assert.deepEqual(recovered, ['peer-1']);
  assert.equal(metrics.errors.get('internal_error'), 1);
  assert.equal(log.lines.length, 1);
  assert.match(log.lines[0], /^error internal error in a test handler: Error: boom for peer-1\n {4}at /);
});

test('a throwing clean-up, or a thrown non-Error, cannot escape either', () => {
  const metrics = new RelayMetrics();
  const log = recorder();
  const boundary = createBoundary(metrics, log);
  const handler = boundary.guard(
    'another',
    () => {
      throw 'a string';
    },
    () => {
      throw new Error('clean-up failed');
    },
  );
  assert.doesNotThrow(() => handler());
  assert.deepEqual(log.lines, ['error internal error in another: a string']);
  let ran = 0;
  boundary.guard('a good one', () => ran++)();
  assert.equal(ran, 1);
  assert.equal(metrics.errors.get('internal_error'), 1);
});
