// Mocha runner loaded by VS Code's extension host (extensionTestsPath points at the compiled
// out/test/vscode/suite/index.js). Runs every *.test.js in this folder (and below) with both the
// TDD (suite/test) and BDD (describe/it) globals; `import { suite, test } from 'mocha'` works too.
//
// Besides the usual spec output it prints one machine-readable line per test:
//   WAL-TEST {"title":"suite › test","state":"passed"|"failed"|"skipped","durationMs":12,"error":{...}}
// and, when WEATHER_VSCODE_RESULTS_FILE is set, appends the same JSON to that file (one per
// line, then a final {"type":"end",...} record); test/vscode/extension-host.test.ts reads it.
//
// Environment: WEATHER_VSCODE_GREP (only matching tests), WEATHER_VSCODE_MOCHA_TIMEOUT (ms, default 20000).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

const PREFIX = 'WAL-TEST ';
const FIRST_FILE = 'activation.test.js';

type Record = {
  type: 'test';
  title: string;
  path: string[];
  state: 'passed' | 'failed' | 'skipped';
  durationMs?: number;
  file?: string;
  reason?: string;
  error?: { message: string; stack?: string; expected?: string; actual?: string };
};

function titlePath(runnable: Mocha.Runnable): string[] {
  return runnable.titlePath().filter((part) => part !== '');
}

function describeError(error: any): Record['error'] {
  const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));
  return {
    message: String(error?.message ?? error),
    stack: typeof error?.stack === 'string' ? error.stack : undefined,
    ...(error && 'expected' in error && 'actual' in error ? { expected: show(error.expected), actual: show(error.actual) } : {}),
  };
}

/** Spec output plus the WAL-TEST lines / results file. */
class WalReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options: Mocha.MochaOptions) {
    super(runner, options);
    const resultsFile = process.env.WEATHER_VSCODE_RESULTS_FILE;
    const emit = (record: object) => {
      const line = JSON.stringify(record);
      console.log(PREFIX + line);
      if (resultsFile) fs.appendFileSync(resultsFile, line + '\n');
    };
    const report = (runnable: Mocha.Runnable, state: Record['state'], error?: unknown) => {
      const parts = titlePath(runnable);
      emit({
        type: 'test',
        title: parts.join(' › '),
        path: parts,
        state,
        durationMs: runnable.duration,
        file: runnable.file ? path.basename(runnable.file) : undefined,
        reason: (runnable as Mocha.Runnable & { skipReason?: string }).skipReason,
        error: error === undefined ? undefined : describeError(error),
      } satisfies Record);
    };
    const { EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;
    runner.on(EVENT_TEST_PASS, (test) => report(test, 'passed'));
    runner.on(EVENT_TEST_FAIL, (runnable, error) => report(runnable, 'failed', error)); // tests and hooks
    runner.on(EVENT_TEST_PENDING, (test) => report(test, 'skipped'));
    runner.once(EVENT_RUN_END, () => {
      const stats = runner.stats ?? { passes: 0, failures: 0, pending: 0 };
      emit({ type: 'end', passes: stats.passes, failures: stats.failures, pending: stats.pending });
    });
  }
}

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTests(full));
    else if (entry.name.endsWith('.test.js')) found.push(full);
  }
  return found;
}

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'tdd',
    color: false,
    timeout: Number(process.env.WEATHER_VSCODE_MOCHA_TIMEOUT) || 20_000,
    reporter: WalReporter as unknown as Mocha.ReporterConstructor,
    ...(process.env.WEATHER_VSCODE_GREP ? { grep: process.env.WEATHER_VSCODE_GREP } : {}),
  });
  Mocha.interfaces.bdd(mocha.suite); // describe/it as well as suite/test
  // activation.test.js checks that nothing activated the extension before it, so it goes first
  // whatever sorts before it by name (accessibility.test.js does).
  const files = findTests(__dirname).sort((a, b) => Number(path.basename(b) === FIRST_FILE) - Number(path.basename(a) === FIRST_FILE));
  for (const file of files) mocha.addFile(file);
  return new Promise((resolve, reject) => {
    try {
      mocha.run((failures) => {
        if (failures > 0) reject(new Error(`${failures} test(s) failed.`));
        else resolve();
      });
    } catch (error) {
      console.error(error);
      reject(error);
    }
  });
}
