// Runs the mocha suites in test/vscode/suite/ inside a real VS Code (1.139.1, the VS Code server
// from the npm package code-server, driven by headless Chromium; see test/vscode/README.md) and
// reports every mocha test as a node:test subtest (driver.ts), so the closing "N passed, N failed"
// counts them one by one. Builds nothing: `npm test` has already bundled dist/ and compiled out/.
// Two runs, one after the other (never two VS Code windows at once):
//   1. this repository as the extension under development, every suite;
//   2. the end-to-end suite (suite/e2e.test.ts: Ask → panel → channel) once more, against the
//      extension as users get it: the .vsix that `npm run package` builds (scripts/package-vsix.mjs,
//      in a copy of the working tree; or the one given as WEATHER_VSIX, e.g. CI's), installed with
//      the VS Code server's --install-extension into that run's fresh extensions folder by the
//      launcher (WEATHER_VSCODE_INSTALL_VSIX). Our extension is not under development in that
//      window: the development path is an empty placeholder (VS Code runs extension tests only
//      beside one), and installed/index.ts checks in the window that the extension the suite
//      drives is the installed one. Output: test-output/vscode-installed/.
//
// Environment:
//   WEATHER_VSCODE_DEV_PATH    extension to test in run 1 (default: this repository)
//   WEATHER_VSCODE_RUN         `development` or `installed`: only that run (default: both)
//   WEATHER_VSIX               the .vsix for run 2 instead of building one
//   plus driver.ts's WEATHER_VSCODE_DESKTOP / WEATHER_VSCODE_VERBOSE, the launcher's
//   WEATHER_VSCODE_TIMEOUT_MS and the runner's WEATHER_VSCODE_GREP (run 1).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { desktop, importScript, repo, runInVsCode, runTimeoutMs } from './driver';

const only = process.env.WEATHER_VSCODE_RUN;
const notNow = (run: string) => (only && only !== run ? `WEATHER_VSCODE_RUN=${only}` : false);

test('extension tests in a real VS Code', { timeout: runTimeoutMs(6), skip: notNow('development') }, (t) =>
  runInVsCode(t, {
    devPath: path.resolve(process.env.WEATHER_VSCODE_DEV_PATH ?? repo),
    extensionTestsPath: path.join(__dirname, 'suite', 'index'),
    outputDir: path.join(repo, 'test-output'),
  }),
);

test('the end-to-end suite against the extension installed from the .vsix', { timeout: runTimeoutMs(4), skip: notNow('installed') }, async (t) => {
  if (desktop) {
    t.skip('installing the .vsix goes through the offline VS Code server, not desktop VS Code');
    return;
  }
  let vsix: string;
  if (process.env.WEATHER_VSIX) {
    vsix = path.resolve(process.env.WEATHER_VSIX);
    t.diagnostic(`the .vsix: ${vsix} (WEATHER_VSIX)`);
  } else {
    const packaged = await (await importScript('scripts/package-vsix.mjs')).packageVsix();
    vsix = packaged.vsix;
    t.diagnostic(`the .vsix: ${path.relative(repo, vsix)} (${packaged.built ? `built in ${(packaged.ms / 1000).toFixed(1)} s` : 'built before for these sources'})`);
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(repo, 'package.json'), 'utf8'));
  await runInVsCode(t, {
    devPath: path.join(repo, 'test', 'vscode', 'placeholder-extension'),
    extensionTestsPath: path.join(__dirname, 'installed', 'index'),
    outputDir: path.join(repo, 'test-output', 'vscode-installed'),
    env: {
      WEATHER_VSCODE_INSTALL_VSIX: vsix,
      WEATHER_VSCODE_INSTALLED_ID: `${manifest.publisher}.${manifest.name}`,
      WEATHER_VSCODE_REPO: repo,
      WEATHER_VSCODE_GREP: '^end to end: ',
    },
  });
});
