// The whole relay suite again, with every relay it starts on Redis: each test file of
// test/relay and test/reliability that starts a relay runs in a child test process
// against a redis-server of its own (each relay on its own database), and must pass as it
// does in memory: same behaviour, limits and error replies. Tests of what only the
// in-memory engine has (its byte budget) say so and are skipped there.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { startRedisServer } from '../support/redis-server';

const COMPILED_TESTS = resolve(__dirname, '..');
const FILE_TIMEOUT_MS = 6 * 60_000;

/** Compiled test files that start a relay (in process or as a child), found by what they call. */
function relaySuiteFiles(): string[] {
  const files: string[] = [];
  for (const folder of ['relay', 'reliability']) {
    for (const name of readdirSync(join(COMPILED_TESTS, folder)).sort()) {
      if (!name.endsWith('.test.js')) continue;
      const path = join(COMPILED_TESTS, folder, name);
      if (/\b(startTestRelay|spawnRelay)\b/.test(readFileSync(path, 'utf8'))) files.push(path);
    }
  }
  return files;
}

interface ChildRun {
  code: number | string;
  output: string;
}

/** Runs one test file with node's test runner (TAP out), bounded in time. */
async function runTestFile(file: string, redisUrl: string): Promise<ChildRun> {
  // A child that inherited NODE_TEST_CONTEXT would report to this runner instead of printing.
  const { NODE_TEST_CONTEXT: _inherited, ...env } = process.env;
  const child = spawn(process.execPath, ['--enable-source-maps', '--test', '--test-reporter=tap', file], {
    env: { ...env, WEATHER_TEST_RELAY_REDIS_URL: redisUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-200_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const timer = setTimeout(() => child.kill('SIGKILL'), FILE_TIMEOUT_MS);
  try {
    const [code, signal] = await once(child, 'exit');
    return { code: (code ?? signal) as number | string, output };
  } finally {
    clearTimeout(timer);
  }
}

const files = relaySuiteFiles();

test('the relay suite has files that start relays to run in Redis mode', () => {
  assert.ok(files.length >= 15, `only ${files.length} relay test files found under ${COMPILED_TESTS}`);
});

for (const file of files) {
  const name = relative(COMPILED_TESTS, file).replace(/\.js$/, '.ts');
  test(`${name} passes with every relay on Redis`, async (t) => {
    const redis = await startRedisServer({ databases: 1000 });
    try {
      const run = await runTestFile(file, redis.url);
      const count = (what: string) => Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(run.output)?.[1] ?? NaN);
      const failures = run.output.split('\n').filter((line) => /^\s*not ok \d+ - /.test(line));
      assert.equal(run.code, 0, `exit ${run.code}; failing: ${failures.join(' | ') || 'none reported'}\n${run.output.slice(-6_000)}`);
      assert.equal(count('fail'), 0);
      if (count('pass') === 0 && count('skipped') > 0) {
        t.skip(`its ${count('skipped')} tests are of the in-memory engine only`);
        return;
      }
      assert.ok(count('pass') > 0, `no test passed:\n${run.output.slice(-2_000)}`);
    } finally {
      await redis.stop();
    }
  });
}
