// The node:test side of a run in the real VS Code (1.139.1, the VS Code server from the npm
// package code-server, driven by headless Chromium; see test/vscode/README.md): starts the fakes
// (test/vscode/setup.ts), runs @vscode/test-electron with test/vscode/launcher.mjs as the `code`
// executable, and reports every mocha test of the run as a node:test subtest, so the closing
// "N passed, N failed" counts them one by one. Builds nothing: `npm test` has already bundled
// dist/ and compiled out/. Used by both runs of extension-host.test.ts (the development folder
// with every suite; the .vsix installed, with the end-to-end suite).
//
// Environment: WEATHER_VSCODE_DESKTOP=1 lets @vscode/test-electron download desktop VS Code
// instead; WEATHER_VSCODE_VERBOSE=1 streams VS Code's whole output while it runs; plus the
// launcher's WEATHER_VSCODE_TIMEOUT_MS and the runner's WEATHER_VSCODE_GREP.
// Optional hook: if test/vscode/setup.ts exists it must export
//   setup(): Promise<{ env?: Record<string, string>; teardown?: () => Promise<void> | void }>
// called before VS Code starts (start fake servers there); `env` reaches the extension host.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Writable } from 'node:stream';
import { runTests } from '@vscode/test-electron';

export const repo = path.resolve(__dirname, '..', '..', '..');
const launcher = path.join(repo, 'test', 'vscode', 'launcher.mjs');
export const desktop = process.env.WEATHER_VSCODE_DESKTOP === '1';
const verbose = process.env.WEATHER_VSCODE_VERBOSE === '1';

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

// dynamic import() of a plain-JS helper (a computed specifier keeps tsc out of it)
export const importScript = (file: string): Promise<any> => import(pathToFileURL(path.join(repo, file)).href);

/** The node:test timeout of one run: long enough for the one-time server install when it is due. */
export function runTimeoutMs(minutes: number): number {
  const installedAlready = fs.existsSync(path.join(process.env.WEATHER_VSCODE_CACHE ?? path.join(repo, '.cache', 'vscode-server'), 'installed.json'));
  return (installedAlready || desktop ? minutes : 40) * 60_000;
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

export interface RunOptions {
  /** The folder test-electron passes as extensionDevelopmentPath. */
  devPath: string;
  /** The mocha runner the extension host loads (compiled, without .js). */
  extensionTestsPath: string;
  /** Where the results, the log, the screenshots and VS Code's logs of this run go. */
  outputDir: string;
  /** More environment for the launcher and the extension host (after setup.ts's). */
  env?: Record<string, string>;
}

/** Runs the suites in VS Code and turns every mocha result into a subtest of `t`. */
export async function runInVsCode(t: TestContext, { devPath, extensionTestsPath, outputDir, env = {} }: RunOptions): Promise<void> {
  const resultsFile = path.join(outputDir, 'vscode-results.jsonl');
  const logFile = path.join(outputDir, 'vscode-extension-host.log');
  const shown = (file: string) => path.relative(repo, file);

  /**
   * The launcher's output. Its stdout is VS Code's log minus known noise (the launcher writes the
   * complete log to logFile itself); its stderr (the launcher's own messages, crashes) goes to
   * logFile too. The last readable lines are kept for failure messages.
   */
  const recent: string[] = [];
  const sink = (kind: 'stdout' | 'stderr'): Writable =>
    new Writable({
      write(chunk, _encoding, callback) {
        const text = String(chunk);
        if (kind === 'stderr') fs.appendFileSync(logFile, text);
        if (verbose) process.stderr.write(text);
        for (const line of text.split('\n')) if (line.trim() && !line.startsWith('WAL-TEST ')) recent.push(line);
        recent.splice(0, Math.max(0, recent.length - 60));
        callback();
      },
    });
  /** The readable end of the output: what a person needs when the run itself failed. */
  const logTail = () => `${recent.join('\n')}\n(full log: ${shown(logFile)})`;
  const readResults = (): Result[] =>
    fs.existsSync(resultsFile)
      ? fs
          .readFileSync(resultsFile, 'utf8')
          .split('\n')
          .filter((line) => line.trim())
          .map((line) => JSON.parse(line) as Result)
      : [];

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
      extensionTestsPath,
      extensionTestsEnv: {
        ...fixture.env,
        WEATHER_VSCODE_HARNESS: '1',
        WEATHER_VSCODE_DEV_PATH: devPath,
        WEATHER_VSCODE_RESULTS_FILE: resultsFile,
        WEATHER_VSCODE_SCREENSHOT_DIR: outputDir,
        WEATHER_VSCODE_LOG_FILE: logFile,
        ...env,
      },
      stdout: sink('stdout'),
      stderr: sink('stderr'),
    });
  } catch (error) {
    exitError = error; // TestRunFailedError: non-zero exit code or signal
  } finally {
    await fixture.teardown?.();
  }
  t.diagnostic(`VS Code run took ${((Date.now() - started) / 1000).toFixed(1)} s; log: ${shown(logFile)}`);
  const workbench = path.join(outputDir, 'vscode-workbench.png');
  if (fs.existsSync(workbench)) t.diagnostic(`screenshot: ${shown(workbench)}`);

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
}
