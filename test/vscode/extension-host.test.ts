// Runs the mocha suites in test/vscode/suite/ inside a real VS Code (1.139.1, the VS Code server
// from the npm package code-server, driven by headless Chromium; see test/vscode/README.md) and
// reports every mocha test as a node:test subtest, so the closing "N passed, N failed" counts
// them one by one. Builds nothing: `npm test` has already bundled dist/ and compiled out/.
//
// Environment:
//   WEATHER_VSCODE_DEV_PATH    extension to test (default: this repository)
//   WEATHER_VSCODE_DESKTOP=1   let @vscode/test-electron download desktop VS Code instead
//   WEATHER_VSCODE_VERBOSE=1   stream VS Code's whole output while it runs
//   plus the launcher's WEATHER_VSCODE_TIMEOUT_MS and the runner's WEATHER_VSCODE_GREP.
// Optional hook: if test/vscode/setup.ts exists it must export
//   setup(): Promise<{ env?: Record<string, string>; teardown?: () => Promise<void> | void }>
// called before VS Code starts (start fake servers there); `env` reaches the extension host.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import { runTests } from '@vscode/test-electron';

const repo = path.resolve(__dirname, '..', '..', '..');
const devPath = path.resolve(process.env.WEATHER_VSCODE_DEV_PATH ?? repo);
const launcher = path.join(repo, 'test', 'vscode', 'launcher.mjs');
const suiteIndex = path.join(__dirname, 'suite', 'index');
const outputDir = path.join(repo, 'test-output');
const resultsFile = path.join(outputDir, 'vscode-results.jsonl');
const logFile = path.join(outputDir, 'vscode-extension-host.log');
const verbose = process.env.WEATHER_VSCODE_VERBOSE === '1';
const desktop = process.env.WEATHER_VSCODE_DESKTOP === '1';

type Result =
  | {
      type: 'test';
      title: string;
      state: 'passed' | 'failed' | 'skipped';
      durationMs?: number;
      reason?: string;
      error?: { message: string; stack?: string; expected?: string; actual?: string };
    }
  | { type: 'end'; passes: number; failures: number; pending: number };

// dynamic import() of the plain-JS helper (a computed specifier keeps tsc out of it)
const importScript = (file: string): Promise<any> => import(pathToFileURL(path.join(repo, file)).href);

/**
 * The launcher's output. Its stdout is VS Code's log minus known noise (the launcher writes the
 * complete log to logFile itself); its stderr (the launcher's own messages, crashes) goes to
 * logFile too. The last readable lines are kept for failure messages.
 */
const recent: string[] = [];
function sink(kind: 'stdout' | 'stderr'): Writable {
  return new Writable({
    write(chunk, _encoding, callback) {
      const text = String(chunk);
      if (kind === 'stderr') fs.appendFileSync(logFile, text);
      if (verbose) process.stderr.write(text);
      for (const line of text.split('\n')) if (line.trim() && !line.startsWith('WAL-TEST ')) recent.push(line);
      recent.splice(0, Math.max(0, recent.length - 60));
      callback();
    },
  });
}

function readResults(): Result[] {
  if (!fs.existsSync(resultsFile)) return [];
  return fs
    .readFileSync(resultsFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line) as Result);
}

/** The readable end of the output: what a person needs when the run itself failed. */
function logTail(): string {
  return `${recent.join('\n')}\n(full log: ${path.relative(repo, logFile)})`;
}

/** The extension host's error, as a local one: its own stack (which starts with its message). */
function toError(error: NonNullable<Extract<Result, { type: 'test' }>['error']>): Error {
  const hasDiff = /actual/i.test(error.message);
  const diff = error.expected !== undefined && !hasDiff ? `\nexpected: ${error.expected}\nactual:   ${error.actual}` : '';
  const failure = new Error(error.message + diff);
  const stack = error.stack?.includes(error.message) ? error.stack : `Error: ${error.message}\n${error.stack ?? ''}`;
  failure.stack = `${stack.trimEnd()}${diff}\n    (in the VS Code extension host)`;
  return failure;
}

const installedAlready = fs.existsSync(path.join(process.env.WEATHER_VSCODE_CACHE ?? path.join(repo, '.cache', 'vscode-server'), 'installed.json'));

test(
  'extension tests in a real VS Code',
  { timeout: (installedAlready || desktop ? 6 : 40) * 60_000 },
  async (t) => {
    fs.mkdirSync(outputDir, { recursive: true });
    for (const file of [resultsFile, logFile, path.join(outputDir, 'vscode-workbench.png'), path.join(outputDir, 'vscode-timeout.png')]) fs.rmSync(file, { force: true });
    fs.rmSync(path.join(outputDir, 'vscode-logs'), { recursive: true, force: true });

    if (!desktop) {
      if (process.platform !== 'linux') {
        t.skip('the offline VS Code harness is Linux-only; set WEATHER_VSCODE_DESKTOP=1 to use desktop VS Code');
        return;
      }
      assert.ok(fs.existsSync('/usr/bin/chromium') || process.env.WEATHER_CHROMIUM, 'no /usr/bin/chromium: run `node scripts/ensure-system.mjs` as root');
      const { ensureServer } = await importScript('scripts/vscode-server.mjs');
      await ensureServer({ log: (line: string) => console.error(line) }); // normally done already by `node scripts/vscode-server.mjs install`
      fs.chmodSync(launcher, 0o755); // in case a checkout lost the executable bit
    }

    const setupFile = path.join(__dirname, 'setup.js');
    const fixture: { env?: Record<string, string>; teardown?: () => Promise<void> | void } = fs.existsSync(setupFile)
      ? await (await import(pathToFileURL(setupFile).href)).setup()
      : {};

    const started = Date.now();
    let exitError: unknown;
    try {
      await runTests({
        ...(desktop ? {} : { vscodeExecutablePath: launcher }),
        extensionDevelopmentPath: devPath,
        extensionTestsPath: suiteIndex,
        extensionTestsEnv: {
          ...fixture.env,
          WEATHER_VSCODE_HARNESS: '1',
          WEATHER_VSCODE_DEV_PATH: devPath,
          WEATHER_VSCODE_RESULTS_FILE: resultsFile,
          WEATHER_VSCODE_SCREENSHOT_DIR: outputDir,
          WEATHER_VSCODE_LOG_FILE: logFile,
        },
        stdout: sink('stdout'),
        stderr: sink('stderr'),
      });
    } catch (error) {
      exitError = error; // TestRunFailedError: non-zero exit code or signal
    } finally {
      await fixture.teardown?.();
    }
    t.diagnostic(`VS Code run took ${((Date.now() - started) / 1000).toFixed(1)} s; log: ${path.relative(repo, logFile)}`);
    if (fs.existsSync(path.join(outputDir, 'vscode-workbench.png'))) t.diagnostic('screenshot: test-output/vscode-workbench.png');

    const results = readResults();
    const tests = results.filter((r): r is Extract<Result, { type: 'test' }> => r.type === 'test');
    for (const result of tests) {
      const options = result.state === 'skipped' ? { skip: result.reason ?? true } : {};
      await t.test(result.title, options, () => {
        if (result.state === 'failed') throw toError(result.error ?? { message: 'failed (no error recorded)' });
      });
    }

    const failed = tests.filter((r) => r.state === 'failed').length;
    const ended = results.some((r) => r.type === 'end');
    if (exitError && failed === 0) {
      throw new Error(`VS Code exited abnormally (${(exitError as Error).message})${ended ? '' : ' before the suite finished'}:\n${logTail()}`);
    }
    if (tests.length === 0) throw new Error(`no extension tests ran:\n${logTail()}`);
    if (!ended && failed === 0) throw new Error(`the suite did not finish:\n${logTail()}`);
  },
);
