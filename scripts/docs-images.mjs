#!/usr/bin/env node
// `npm run docs:images`: retakes the README's pictures in the real VS Code (and the forecast card in
// the panel's Chromium harness, the watch page in Chromium from the real relay) and copies them
// into docs/images/. The pictures are taken by the suites on every `npm test` run (into test-output/);
// this runs only those suites (after a build) and copies the files the README shows, reduced to a
// palette by Debian's `pngquant` (`apt-get install pngquant`): the .vsix must carry every picture the
// README shows and stay under 1 MiB, and a screenshot needs no more than 256 colours to read well.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** test-output/<from> → docs/images/<to>: what the README shows, and where it comes from. */
const PICTURES = [
  ['panel-dark-modern.png', 'panel-dark.png'], // test/vscode/suite/accessibility.test.ts
  ['panel-light-modern.png', 'panel-light.png'],
  ['docs-panel-streaming.png', 'panel-streaming.png'], // test/vscode/suite/docs-pictures.test.ts
  ['docs-walkthrough.png', 'walkthrough.png'],
  ['docs-status-connected.png', 'status-connected.png'],
  ['docs-status-offline.png', 'status-offline.png'],
  ['forecast-3-days-dark-modern.png', 'forecast-card.png'], // test/panel/forecast.test.ts (the panel in Chromium)
  ['watch-page.png', 'watch-page.png'], // test/watch/accessibility.test.ts (the relay's watch page in Chromium)
];

const run = (command, args, env = {}) => {
  const result = spawnSync(command, args, { cwd: repo, stdio: 'inherit', env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.error(`docs:images: \`${[command, ...args].join(' ')}\` failed (exit ${result.status ?? result.signal}); docs/images/ is unchanged.`);
    process.exit(1);
  }
};

if (spawnSync('pngquant', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('docs:images: needs pngquant to keep the pictures small (Debian: `apt-get install pngquant`); docs/images/ is unchanged.');
  process.exit(1);
}

run('npm', ['run', 'build']);
run('npm', ['run', 'compile']);
run(process.execPath, ['test/run.mjs', 'test/vscode/extension-host'], {
  WEATHER_VSCODE_RUN: 'development',
  WEATHER_VSCODE_GREP: '^(docs pictures|accessibility): ',
});
// The forecast card is taken by the panel's own Chromium suite, in VS Code's four kinds of theme;
// the watch page by its own suite, served by the real relay.
run(process.execPath, ['test/run.mjs', 'out/test/panel/forecast', 'out/test/watch/accessibility']);
const missing = PICTURES.filter(([from]) => !existsSync(join(repo, 'test-output', from)));
if (missing.length > 0) {
  console.error(`docs:images: not taken: ${missing.map(([from]) => from).join(', ')} (was the UI driver off?); docs/images/ is unchanged.`);
  process.exit(1);
}
mkdirSync(join(repo, 'docs', 'images'), { recursive: true });
for (const [from, to] of PICTURES) {
  const target = join(repo, 'docs', 'images', to);
  // Quality 80–98: pngquant keeps the full-colour file (exit 99) rather than a palette that loses text edges.
  const reduced = spawnSync('pngquant', ['--quality=80-98', '--speed', '1', '--strip', '--force', '--output', target, join(repo, 'test-output', from)], { stdio: 'inherit' });
  if (reduced.status === 99) copyFileSync(join(repo, 'test-output', from), target);
  else if (reduced.status !== 0) {
    console.error(`docs:images: pngquant failed on test-output/${from} (exit ${reduced.status ?? reduced.signal}).`);
    process.exit(1);
  }
  console.log(`docs/images/${to} ← test-output/${from}${reduced.status === 99 ? ' (as taken: a palette would lose detail)' : ''}`);
}
