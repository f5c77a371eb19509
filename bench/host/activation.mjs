/**
 * Extension activation time in the real VS Code (issue 6, "Host and engine").
 *
 * The recipe of test/vscode/README.md: the VS Code 1.139.1 server from scripts/vscode-server.mjs
 * (installed once by `npm test`'s pretest), its workbench opened in headless Debian Chromium with
 * a `payload` naming the extension folder(s) and an extensionTestsPath. The "tests" here are a
 * tiny module written to a temp folder that runs inside the extension host and, for each
 * extension in turn, times `await vscode.extensions.getExtension(id).activate()`: what VS Code
 * itself counts as activation (loading the main module, calling activate(), awaiting its
 * promise). The extension's own `activated in X ms` line (the body of activate() alone) is read
 * from its LogOutputChannel file.
 *
 * Anchor, same window: an empty extension (activate() { }) of the same shape, i.e. VS Code's
 * own floor for an activation. Each round is a fresh server and window; the order alternates.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const CHROMIUM = process.env.WEATHER_CHROMIUM || '/usr/bin/chromium';
export const ANCHOR_ID = 'weather-bench.empty-extension';

const TESTS_MODULE = `'use strict';
// Written by bench/host/activation.mjs; runs inside the VS Code extension host.
const fs = require('fs');
const Module = require('module');
const vscode = require('vscode');

/** Resolves once the extension host's event loop has been idle (timer lag < 3 ms) for 600 ms. */
async function quiet(maxMs) {
  const until = performance.now() + maxMs;
  let calm = 0;
  while (performance.now() < until && calm < 6) {
    let worst = 0;
    for (let i = 0; i < 10; i++) {
      const before = performance.now();
      await new Promise((resolve) => setTimeout(resolve, 10));
      worst = Math.max(worst, performance.now() - before - 10);
    }
    calm = worst < 3 ? calm + 1 : 0;
  }
  return calm >= 6;
}

/** Optional (--profile): a CPU profile of the extension host around one activation. */
async function startProfile() {
  const inspector = require('inspector');
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) => new Promise((resolve, reject) => session.post(method, params || {}, (error, value) => (error ? reject(error) : resolve(value))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 100 });
  await post('Profiler.start');
  return async () => {
    const { profile } = await post('Profiler.stop');
    session.disconnect();
    return profile;
  };
}

exports.run = async function run() {
  const ids = JSON.parse(process.env.WEATHER_BENCH_ACTIVATION_IDS);
  const result = { ids, extensions: {}, activeBefore: {} };
  const waitStarted = performance.now();
  // Startup work of the window (built-in extensions activating) shares this event loop: wait
  // for it to end, as when a user runs a command in a window that has finished opening.
  result.quiet = await quiet(20000);
  result.waitedMs = performance.now() - waitStarted;
  for (const id of ids) result.activeBefore[id] = Boolean(vscode.extensions.getExtension(id)?.isActive);
  // Time spent loading each extension's main module (require), inside activate().
  const loads = [];
  const load = Module._load;
  Module._load = function timedLoad(request) {
    const started = performance.now();
    try {
      return load.apply(this, arguments);
    } finally {
      if (typeof request === 'string' && /[\\/]extension(\\.js)?$/.test(request)) loads.push({ request, ms: performance.now() - started });
    }
  };
  try {
    for (const id of ids) {
      const extension = vscode.extensions.getExtension(id);
      if (!extension) { result.extensions[id] = { error: 'not found' }; continue; }
      const wasActive = extension.isActive;
      loads.length = 0;
      const profile = process.env.WEATHER_BENCH_ACTIVATION_PROFILE && id === ids.find((x) => x !== 'weather-bench.empty-extension') ? await startProfile() : undefined;
      const started = performance.now();
      try {
        await extension.activate();
        result.extensions[id] = { ms: performance.now() - started, wasActive, loads: loads.slice() };
      } catch (error) {
        result.extensions[id] = { error: String(error && error.stack || error), wasActive };
      }
      if (profile) fs.writeFileSync(process.env.WEATHER_BENCH_ACTIVATION_PROFILE, JSON.stringify(await profile()));
      await quiet(3000);
    }
  } finally {
    Module._load = load;
  }
  fs.writeFileSync(process.env.WEATHER_BENCH_ACTIVATION_OUT, JSON.stringify(result));
};
`;

function makeAnchorExtension(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'empty-extension',
        publisher: 'weather-bench',
        version: '0.0.1',
        engines: { vscode: '^1.101.0' },
        main: './extension.js',
        activationEvents: [],
        contributes: { commands: [{ command: 'weatherBench.empty', title: 'Empty', category: 'Bench' }] },
      },
      null,
      2,
    ),
  );
  writeFileSync(join(dir, 'extension.js'), `'use strict';\nexports.activate = function activate() {};\nexports.deactivate = function deactivate() {};\n`);
}

/** Self time of a V8 CPU profile by script (package or file) and by function. */
export function summarizeProfile(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  const deltas = profile.timeDeltas ?? [];
  (profile.samples ?? []).forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0) / 1000));
  const byScript = new Map();
  const byFunction = new Map();
  for (const [id, ms] of self) {
    const frame = byId.get(id)?.callFrame ?? {};
    const url = frame.url || `(${frame.functionName || 'native'})`;
    if (url === 'node:inspector') continue; // the profiler's own start/stop
    const script = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1] ?? url.replace(/^.*\/(extensions|out|dist)\//, '$1/');
    byScript.set(script, (byScript.get(script) ?? 0) + ms);
    const name = `${frame.functionName || '(anonymous)'} ${script}:${(frame.lineNumber ?? 0) + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  }
  const top = (map, count) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, ms]) => ({ name, ms: Math.round(ms * 10) / 10 }));
  const totalMs = [...self.values()].reduce((a, b) => a + b, 0);
  return { totalMs: Math.round(totalMs * 10) / 10, byScript: top(byScript, 12), byFunction: top(byFunction, 20) };
}

function findFiles(dir, name, depth = 0, found = []) {
  if (depth > 8) return found;
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return found;
  }
  for (const entry of entries) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) findFiles(full, name, depth + 1, found);
    else if (entry.name === name) found.push(full);
  }
  return found;
}

async function waitFor(what, probe, timeoutMs, intervalMs = 100) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * @param {object} options
 * @param {string} options.root
 * @param {string} [options.vsix]     the packaged extension: installed into the server (preferred)
 * @param {string} options.extensionPath  its folder (package.json; loaded as a development
 *                                        extension when there is no vsix, without the anchor)
 * @param {number} [options.rounds]
 * @param {(line: string) => void} [options.log]
 */
export async function measureActivation({ root, vsix, extensionPath, rounds = 3, profile = false, log = () => {} }) {
  const server = await import(pathToFileURL(join(root, 'scripts/vscode-server.mjs')).href);
  if (!server.installedInfo()) {
    return { skipped: 'the VS Code server is not installed (node scripts/vscode-server.mjs install, which `npm test` runs first, takes ~4 minutes once)' };
  }
  if (!existsSync(CHROMIUM)) return { skipped: `${CHROMIUM} is missing` };
  const manifest = JSON.parse(readFileSync(join(extensionPath, 'package.json'), 'utf8'));
  const ourId = `${manifest.publisher}.${manifest.name}`;
  const { chromium } = createRequire(join(root, 'package.json'))('playwright-core');
  const scratch = mkdtempSync(join(tmpdir(), 'weather-bench-activation-'));
  const anchorPath = join(scratch, 'empty-extension');
  makeAnchorExtension(anchorPath);
  const testsPath = join(scratch, 'tests');
  mkdirSync(testsPath);
  writeFileSync(join(testsPath, 'index.js'), TESTS_MODULE);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: 20_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-breakpad'],
  });
  const results = [];
  let profileSummary;
  const profileFile = join(scratch, 'activation.cpuprofile');
  // One set of data folders for every round: the .vsix is installed into it once, as a user would.
  const dirs = server.makeDataDirs(undefined, join(scratch, 'vscode'));
  let installed = false;
  if (vsix) {
    const install = server.runServerCli(['--install-extension', vsix, '--force'], { dirs });
    if (install.status !== 0) log(`host: installing ${vsix} failed, loading the folder instead: ${(install.stderr || install.stdout || '').trim().slice(0, 500)}`);
    else installed = true;
  }
  try {
    for (let round = 0; round < rounds; round++) {
      const ids = !installed ? [ourId] : round % 2 === 0 ? [ourId, ANCHOR_ID] : [ANCHOR_ID, ourId];
      const out = join(scratch, `result-${round}.json`);
      const started = Date.now();
      const running = await server.startServer({
        dirs,
        env: {
          WEATHER_BENCH_ACTIVATION_IDS: JSON.stringify(ids),
          WEATHER_BENCH_ACTIVATION_OUT: out,
          ...(profile && round === rounds - 1 ? { WEATHER_BENCH_ACTIVATION_PROFILE: profileFile } : {}),
        },
        // Nothing to connect to and no embedded relay: activation does not wait for either,
        // and rounds stay alike (no port 4000 taken on a shared machine).
        settings: { 'weatherAssistant.server.autoStart': false, 'weatherAssistant.server.uri': 'ws://127.0.0.1:9' },
        log: () => {},
        verbose: false,
      });
      const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
      try {
        const page = await context.newPage();
        const remote = (path) => `vscode-remote://127.0.0.1:${running.port}${path}`;
        const folder = join(scratch, `workspace-${round}`);
        mkdirSync(folder);
        // The web workbench keeps one extensionDevelopmentPath: ours is installed from the
        // .vsix and the empty anchor is the development extension (or ours, without a vsix).
        const payload = [
          ['extensionDevelopmentPath', remote(installed ? anchorPath : extensionPath)],
          ['extensionTestsPath', remote(join(testsPath, 'index'))],
        ];
        // The smoke-test driver reports the end of the "tests" here; the result file is what counts.
        await page.exposeFunction('codeAutomationLog', () => {});
        await page.exposeFunction('codeAutomationExit', () => {});
        await page.goto(`${running.url}?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`, { waitUntil: 'domcontentloaded', timeout: 60_000 });
        const result = await waitFor('the activation result from the extension host', () => (existsSync(out) ? JSON.parse(readFileSync(out, 'utf8')) : undefined), 90_000);
        // The extension's own line, from its LogOutputChannel file.
        const selfReported = await waitFor(
          'the "activated in" log line',
          () => {
            // This round's file: the folders are shared by the rounds, each window logs afresh.
            const files = findFiles(dirs.root, 'Weather Assistant.log').filter((file) => statSync(file).mtimeMs >= started);
            for (const file of files) {
              const match = /activated in ([\d.]+) ms/.exec(readFileSync(file, 'utf8'));
              if (match) return Number(match[1]);
            }
            return undefined;
          },
          10_000,
        ).catch(() => null);
        const ours = result.extensions[ourId] ?? {};
        const anchor = result.extensions[ANCHOR_ID] ?? { ms: NaN };
        if (ours.error) throw new Error(`activating ${ourId} failed: ${ours.error}`);
        if (anchor.error) throw new Error(`activating the empty extension failed: ${anchor.error}`);
        const loaded = (entry) => (entry.loads ?? []).reduce((sum, l) => sum + l.ms, 0);
        results.push({ round, order: ids, oursMs: ours.ms, oursLoadMs: loaded(ours), anchorMs: anchor.ms, hostQuiet: result.quiet, waitedForQuietMs: result.waitedMs, selfReportedMs: selfReported, oursWasActive: ours.wasActive, roundSeconds: (Date.now() - started) / 1000 });
        log(
          `host: activation round ${round + 1}/${rounds}: ours ${ours.ms.toFixed(1)} ms (loading ${loaded(ours).toFixed(1)} ms; its own log: ${selfReported ?? '—'} ms), empty extension ${anchor.ms.toFixed(1)} ms` +
            `${ours.wasActive ? ' [ours was already active!]' : ''} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
        );
      } finally {
        await context.close().catch(() => undefined);
        await running.stop();
      }
    }
    if (profile && existsSync(profileFile)) profileSummary = summarizeProfile(JSON.parse(readFileSync(profileFile, 'utf8')));
  } finally {
    await browser.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
  }
  const bundle = join(extensionPath, manifest.main ?? 'dist/extension.js');
  return {
    id: ourId,
    loadedFrom: installed ? `installed from ${vsix}` : `development folder ${extensionPath}`,
    extensionPath,
    bundleBytes: existsSync(bundle) ? statSync(bundle).size : undefined,
    vscode: server.installedInfo()?.vscode,
    rounds: results,
    ...(profileSummary ? { profile: profileSummary } : {}),
  };
}
