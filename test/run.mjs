// Runs every compiled test file under out/test with node's test runner: the spec
// reporter for people, and the closing line "N passed, N failed" for CI.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function findTests(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (path === join('out', 'test', 'vscode', 'suite')) continue; // runs inside VS Code via test/vscode/extension-host.test.ts
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.js')) found.push(path);
  }
  return found;
}

const only = process.argv.slice(2);
const files = findTests('out/test').filter((file) => only.length === 0 || only.some((part) => file.includes(part)));
if (files.length === 0) {
  console.error('no test files found under out/test (run `npm run compile` first)');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  [
    '--enable-source-maps',
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=./test/support/closing-line-reporter.mjs',
    '--test-reporter-destination=stdout',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
