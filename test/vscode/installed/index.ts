// The extensionTestsPath of the installed run in test/vscode/extension-host.test.ts, loaded by
// VS Code's extension host. Around the usual mocha run (../suite/index.ts, with
// WEATHER_VSCODE_GREP picking the end-to-end suite) it checks, in this very window, that the
// extension under test is the one the launcher installed from the .vsix
// (WEATHER_VSCODE_INSTALL_VSIX) and not the development folder, that the suite really drove it,
// and what its details page makes of the README and its images. Its checks are reported like
// mocha's tests (WAL-TEST lines and the results file), under "installed extension › …".
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readmeReferences, relativeTarget } from '../../package/readme-links';
import { run as runSuites } from '../suite/index';

const env = process.env;
const id = env.WEATHER_VSCODE_INSTALLED_ID ?? '';
const TITLE = 'installed extension';

function report(title: string, state: 'passed' | 'failed' | 'skipped', extra: { error?: unknown; reason?: string; durationMs?: number } = {}): void {
  const { error, reason, durationMs } = extra;
  const record = {
    type: 'test',
    title: `${TITLE} › ${title}`,
    path: [TITLE, title],
    state,
    durationMs,
    file: 'installed/index.js',
    reason,
    error: error === undefined ? undefined : { message: String((error as Error)?.message ?? error), stack: (error as Error)?.stack },
  };
  const line = JSON.stringify(record);
  console.log(`WAL-TEST ${line}`);
  if (env.WEATHER_VSCODE_RESULTS_FILE) fs.appendFileSync(env.WEATHER_VSCODE_RESULTS_FILE, `${line}\n`);
}

class Skip extends Error {}
const failures: string[] = [];
async function check(title: string, body: () => void | Promise<void>): Promise<void> {
  const started = Date.now();
  try {
    await body();
    report(title, 'passed', { durationMs: Date.now() - started });
  } catch (error) {
    if (error instanceof Skip) return report(title, 'skipped', { reason: error.message });
    console.error(`${TITLE} › ${title}: ${(error as Error)?.stack ?? error}`);
    report(title, 'failed', { error, durationMs: Date.now() - started });
    failures.push(title);
  }
}

function assertTrue(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

const real = (file: string) => fs.realpathSync(file);
const inside = (file: string, folder: string) => real(file).startsWith(real(folder) + path.sep);
const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks the launcher for every <img> in every frame of the workbench (webviews included). */
async function imagesOnScreen(name: string): Promise<Array<{ src: string | null; url: string; alt: string; loaded: boolean; width: number; frame: string }>> {
  const requests = path.join(env.WEATHER_VSCODE_SCREENSHOT_DIR!, '.screenshot-requests');
  const answer = path.join(requests, `${name}.images.json`);
  const done = path.join(requests, `${name}.done`);
  fs.mkdirSync(requests, { recursive: true });
  for (const file of [answer, done]) fs.rmSync(file, { force: true });
  fs.writeFileSync(path.join(requests, `${name}.images`), String(Date.now()));
  for (const until = Date.now() + 10_000; Date.now() < until; await delay(100)) {
    if (fs.existsSync(done)) {
      const images = JSON.parse(fs.readFileSync(answer, 'utf8'));
      for (const file of [answer, done]) fs.rmSync(file, { force: true });
      return images;
    }
  }
  throw new Error('the launcher did not answer the images request within 10 s');
}

/** Asks the launcher for a screenshot of the workbench (test-output/vscode-installed/<name>.png). */
async function screenshot(name: string): Promise<void> {
  const requests = path.join(env.WEATHER_VSCODE_SCREENSHOT_DIR!, '.screenshot-requests');
  fs.writeFileSync(path.join(requests, `${name}.request`), String(Date.now()));
  for (const until = Date.now() + 10_000; Date.now() < until && !fs.existsSync(path.join(requests, `${name}.done`)); await delay(100));
  fs.rmSync(path.join(requests, `${name}.done`), { force: true });
}

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension(id);

  await check('is the one installed from the .vsix, not the development folder', () => {
    assertTrue(id, 'WEATHER_VSCODE_INSTALLED_ID is not set');
    assertTrue(extension, `${id} is not installed in this window`);
    const extensionsDir = env.WEATHER_VSCODE_EXTENSIONS_DIR;
    assertTrue(extensionsDir && env.WEATHER_VSCODE_INSTALL_VSIX, 'the launcher did not install a .vsix (WEATHER_VSCODE_INSTALL_VSIX, WEATHER_VSCODE_EXTENSIONS_DIR)');
    const where = extension.extensionPath;
    assertTrue(inside(where, extensionsDir), `${id} runs from ${where}, not from the extensions folder ${extensionsDir}`);
    assertTrue(!inside(where, env.WEATHER_VSCODE_REPO!) && real(where) !== real(env.WEATHER_VSCODE_REPO!), `${id} runs from the repository (${where})`);
    assertTrue(path.basename(where) === `${id}-${extension.packageJSON.version}`, `${where} is not named as VS Code names an installed extension (${id}-${extension.packageJSON.version})`);
    assertTrue(real(where) === real(env.WEATHER_VSCODE_DEV_PATH ?? ''), `the suites' devPath (${env.WEATHER_VSCODE_DEV_PATH}) is not the installed extension`);
    // What a .vsix holds, and a development folder does not: the production bundle alone.
    const main = path.join(where, extension.packageJSON.main);
    assertTrue(!/[#@] sourceMappingURL=/.test(fs.readFileSync(main, 'utf8')), `${main} refers to a source map: a development build`);
    for (const absent of ['src', 'test', 'node_modules', 'out', `${extension.packageJSON.main}.map`]) {
      assertTrue(!fs.existsSync(path.join(where, absent)), `${absent} is in the installed extension`);
    }
  });

  let suiteError: unknown;
  try {
    await runSuites();
  } catch (error) {
    suiteError = error;
  }

  await check('was activated and driven by the end-to-end suite', () => {
    assertTrue(extension?.isActive, `${id} never activated`);
    const exports = extension.exports as { store?: { snapshot(): Array<{ turns: unknown[] }> } } | undefined;
    assertTrue(exports?.store, `${id} activated without its API`);
    assertTrue(exports.store.snapshot().some((thread) => thread.turns.length > 0), 'no turn reached the installed extension’s store');
  });

  // The details page: what VS Code makes of the README that the .vsix carries. VS Code 1.139 shows
  // README images there only from https: addresses (its sanitizer keeps http/https media sources
  // alone, and the page's CSP is `img-src https: data:`), so the images shipped in the .vsix are
  // dropped, leaving their alt text; the second check says so as its skip reason, and passes by
  // itself should they ever be shown (a VS Code that allows them, or --baseImagesUrl).
  type Shown = { target: string; alt: string; state: 'shown' | 'dropped' | 'broken' | 'absent'; seen?: string };
  let onPage: Shown[] | undefined;
  await check('its details page renders the README from the installed files, each image in its place', async () => {
    if (!env.WEATHER_VSCODE_SCREENSHOT_DIR) throw new Skip('screenshots are off, so the launcher cannot be asked what the page shows');
    assertTrue(extension, `${id} is not installed`);
    const readme = fs.readdirSync(extension.extensionPath).find((name) => /^readme\.md$/i.test(name));
    assertTrue(readme, 'the installed extension has no README');
    const expected = readmeReferences(fs.readFileSync(path.join(extension.extensionPath, readme), 'utf8')).images.flatMap(({ src, alt }) => {
      const target = relativeTarget(src);
      return target === undefined ? [] : [{ target, alt: alt.replace(/\s+/g, ' ').trim() }];
    });
    assertTrue(expected.length > 0, 'the README shows no image of its own');
    for (const { target } of expected) assertTrue(fs.existsSync(path.join(extension.extensionPath, target)), `${target} is not in the installed extension`);
    // `extension.open` would ask the gallery first, which setup.ts points at a dead address;
    // `_extensions.manage` opens the installed one's page directly.
    await vscode.commands.executeCommand('_extensions.manage', id);
    for (const until = Date.now() + 20_000; ; await delay(250)) {
      const images = await imagesOnScreen('installed-details');
      onPage = expected.map(({ target, alt }) => {
        const image = images.find((candidate) => candidate.alt.replace(/\s+/g, ' ').trim() === alt);
        if (!image) return { target, alt, state: 'absent' };
        const seen = `${image.src ?? '(no src)'} → ${image.url || '(nothing)'}`;
        if (!image.src) return { target, alt, state: 'dropped', seen };
        const loaded = image.loaded && decodeURIComponent(image.url.replace(/[?#].*$/, '')).endsWith(`/${target}`);
        return { target, alt, state: loaded ? 'shown' : 'broken', seen };
      });
      if (onPage.every((image) => image.state === 'shown' || image.state === 'dropped') || Date.now() > until) break;
    }
    await screenshot('vscode-installed-details');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    const absent = onPage!.filter((image) => image.state === 'absent');
    assertTrue(absent.length === 0, `the details page has no image for ${absent.map((image) => `${image.target} ("${image.alt.slice(0, 40)}…")`).join(', ')}`);
  });

  await check("its details page shows the README's images", () => {
    if (!onPage) throw new Skip('the page was not read (see the check before)');
    const broken = onPage.filter((image) => image.state === 'broken');
    assertTrue(broken.length === 0, `broken on the details page: ${broken.map((image) => `${image.target}: ${image.seen}`).join('; ')}`);
    const dropped = onPage.filter((image) => image.state === 'dropped');
    if (dropped.length > 0) {
      throw new Skip(
        `VS Code ${vscode.version} drops ${dropped.map((image) => image.target).join(' and ')} from the details page and shows their alt text: ` +
          'it shows README images there only from https: addresses, and this extension has no public host for them (CHANGELOG.md, Packaging)',
      );
    }
  });

  if (suiteError) throw suiteError;
  if (failures.length > 0) throw new Error(`${failures.length} check(s) of the installed extension failed: ${failures.join('; ')}`);
}
