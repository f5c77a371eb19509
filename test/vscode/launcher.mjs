#!/usr/bin/env node
// A stand-in for the `code` executable, for @vscode/test-electron's
//   runTests({ vscodeExecutablePath: 'test/vscode/launcher.mjs', extensionDevelopmentPath, extensionTestsPath })
// Desktop VS Code cannot be downloaded here, so this starts the VS Code server from
// scripts/vscode-server.mjs, opens its workbench in headless Debian Chromium (playwright-core)
// with the extension-test `payload`, prints the test output and exits with the suite's code.
//
// Arguments (as test-electron passes them): --extensionDevelopmentPath=P (repeatable),
// --extensionTestsPath=P, optionally a folder to open (launchArgs); --user-data-dir /
// --extensions-dir and desktop-only flags are ignored: every run gets fresh temporary folders.
// The server (and so the extension host) inherits this process's environment.
//
// Environment:
//   WEATHER_VSCODE_TIMEOUT_MS      bound on the whole run once the server is up (default 180000)
//   WEATHER_VSCODE_SCREENSHOT_DIR  enables screenshots: requests from the suite
//                                  (<dir>/.screenshot-requests/<name>.request -> <dir>/<name>.png)
//                                  and a final vscode-workbench.png (vscode-timeout.png on timeout)
//   WEATHER_VSCODE_LOG_FILE        append every line VS Code logs to that file (stdout omits known
//                                  noise), and the server's output when the run fails
//   WEATHER_VSCODE_VERBOSE=1       print everything: workbench noise, browser console, server output
//   WEATHER_CHROMIUM               browser executable (default /usr/bin/chromium)
//   WEATHER_VSCODE_INSTALL_VSIX    a .vsix to install (the server's --install-extension) into the
//                                  run's fresh extensions folder before the server starts; the
//                                  extension host then gets WEATHER_VSCODE_DEV_PATH = the installed
//                                  extension's folder and WEATHER_VSCODE_EXTENSIONS_DIR. The
//                                  development path should then be an empty placeholder extension
//                                  (test-electron needs one); one with the same id is refused, as it
//                                  would hide the installed extension.
//
// Besides screenshots, the request folder answers `<name>.images`: `<name>.images.json` lists
// every <img> in every frame of the workbench (webviews included) with its resolved URL and
// whether it loaded, then `<name>.done`.
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
const TIMEOUT_MS = Number(process.env.WEATHER_VSCODE_TIMEOUT_MS) || 180_000;
const CHROMIUM = process.env.WEATHER_CHROMIUM || '/usr/bin/chromium';
const verbose = process.env.WEATHER_VSCODE_VERBOSE === '1';
const screenshotDir = process.env.WEATHER_VSCODE_SCREENSHOT_DIR ? resolve(process.env.WEATHER_VSCODE_SCREENSHOT_DIR) : undefined;
const logFile = process.env.WEATHER_VSCODE_LOG_FILE ? resolve(process.env.WEATHER_VSCODE_LOG_FILE) : undefined;
const toLog = (text) => logFile && appendFileSync(logFile, text.endsWith('\n') ? text : `${text}\n`);
const say = (line) => process.stderr.write(`[launcher] ${line}\n`);
// Workbench chatter that reaches codeAutomationLog in every run (offline, no accounts, no chat).
const NOISE = [
  /^\[(AgentHost|AgentHost:remote|ChatModelSelection|AccountPolicyGate|reconnection-grace-time|Service Worker)\]/,
  /^(Resolving|Resolved) connection token/,
  /^Creating a socket/,
  /^Updating additional builtin extensions cache/,
  /^Timed out waiting for authentication provider/,
  /ENOTFOUND (open-vsx\.org|marketplace|.*\.visualstudio\.com|.*github)/,
];

// ---- arguments ----------------------------------------------------------------------
const devPaths = [];
let testsPath;
let folder;
const ignored = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
  const value = () => inline ?? argv[++i];
  if (flag === '--extensionDevelopmentPath') devPaths.push(resolve(value()));
  else if (flag === '--extensionTestsPath') testsPath = resolve(value());
  else if (['--user-data-dir', '--extensions-dir', '--folder-uri'].includes(flag)) ignored.push(`${flag}=${value()}`);
  else if (!arg.startsWith('-')) folder = resolve(arg);
  else ignored.push(arg);
}
if (devPaths.length === 0 && !testsPath) {
  say('usage: launcher.mjs --extensionDevelopmentPath=DIR --extensionTestsPath=DIR_OR_FILE [FOLDER]');
  process.exit(2);
}
if (verbose && ignored.length) say(`ignoring: ${ignored.join(' ')}`);
if (!existsSync(CHROMIUM)) {
  say(`${CHROMIUM} not found: run \`node scripts/ensure-system.mjs\` (as root), or set WEATHER_CHROMIUM.`);
  process.exit(1);
}
if (testsPath && !existsSync(testsPath) && !existsSync(`${testsPath}.js`)) {
  say(`extensionTestsPath ${testsPath} does not exist (did \`npm run compile\` run?)`);
  process.exit(1);
}

// ---- run ------------------------------------------------------------------------------
const { ensureServer, makeDataDirs, runServerCli, startServer } = await import(pathToFileURL(join(repo, 'scripts', 'vscode-server.mjs')).href);
const { chromium } = await import('playwright-core');

const scratch = mkdtempSync(join(tmpdir(), 'weather-vscode-launch-'));
let server;
let context;
let exiting = false;
let watchTimer;
let overallTimer;

async function cleanup() {
  clearInterval(watchTimer);
  clearTimeout(overallTimer);
  await context?.close().catch(() => {});
  await server?.stop().catch(() => {});
  rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
}

async function finish(code, { screenshotName, message } = {}) {
  if (exiting) return;
  exiting = true;
  if (message) say(message);
  if (screenshotName && page && screenshotDir) {
    const file = join(screenshotDir, screenshotName);
    await page.screenshot({ path: file, timeout: 10_000 }).then(() => say(`screenshot: ${file}`), (error) => say(`screenshot failed: ${error.message}`));
  }
  if (code !== 0 && logFile && server?.logFile && existsSync(server.logFile)) {
    toLog(`---- VS Code server output ----\n${readFileSync(server.logFile, 'utf8')}---- end of server output ----`);
  }
  await cleanup();
  process.exit(code);
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => finish(130, { message: `${signal}: stopping` }));

/**
 * Installs the .vsix into fresh data folders under the scratch folder, as a user's
 * `code --install-extension` would; returns startServer's options for them.
 */
function installVsix(vsix) {
  if (!existsSync(vsix)) throw new Error(`WEATHER_VSCODE_INSTALL_VSIX: ${vsix} does not exist`);
  const dirs = makeDataDirs(undefined, join(scratch, 'vscode-data'));
  const started = Date.now();
  const result = runServerCli(['--install-extension', vsix], { dirs });
  const folders = readdirSync(dirs.extensions, { withFileTypes: true }).filter((entry) => entry.isDirectory());
  if (result.status !== 0 || folders.length !== 1) {
    throw new Error(`installing ${vsix} failed (exit ${result.status ?? result.signal}, ${folders.length} extension folders):\n${result.stdout ?? ''}${result.stderr ?? ''}`);
  }
  const extensionPath = join(dirs.extensions, folders[0].name);
  const { publisher, name } = JSON.parse(readFileSync(join(extensionPath, 'package.json'), 'utf8'));
  for (const devPath of devPaths) {
    const dev = existsSync(join(devPath, 'package.json')) ? JSON.parse(readFileSync(join(devPath, 'package.json'), 'utf8')) : {};
    if (`${dev.publisher}.${dev.name}`.toLowerCase() === `${publisher}.${name}`.toLowerCase()) {
      throw new Error(`the development folder ${devPath} is ${publisher}.${name} too and would hide the installed one; pass an empty placeholder extension`);
    }
  }
  say(`installed ${vsix} into ${extensionPath} (${Date.now() - started} ms)`);
  return { dirs, env: { WEATHER_VSCODE_DEV_PATH: extensionPath, WEATHER_VSCODE_EXTENSIONS_DIR: dirs.extensions } };
}

/** Every <img> in every frame (webviews are frames too): where it points and whether it loaded. */
async function imagesOnScreen() {
  const images = [];
  for (const frame of page.frames()) {
    const found = await frame
      .evaluate(() => [...document.images].map((img) => ({ src: img.getAttribute('src'), url: img.currentSrc || img.src, alt: img.alt, loaded: img.complete && img.naturalWidth > 0, width: img.naturalWidth, height: img.naturalHeight })))
      .catch(() => []); // a frame that went away meanwhile
    images.push(...found.map((image) => ({ ...image, frame: frame.url() })));
  }
  return images;
}

let page;
try {
  const started = Date.now();
  await ensureServer({ log: say });
  const installed = process.env.WEATHER_VSCODE_INSTALL_VSIX ? installVsix(resolve(process.env.WEATHER_VSCODE_INSTALL_VSIX)) : undefined;
  server = await startServer({ log: say, ...installed });
  say(`VS Code server on ${server.url} (${Date.now() - started} ms)`);
  overallTimer = setTimeout(
    () => finish(1, { screenshotName: 'vscode-timeout.png', message: `TIMEOUT: the extension tests did not finish within ${TIMEOUT_MS / 1000} s (WEATHER_VSCODE_TIMEOUT_MS); the workbench is in vscode-timeout.png if screenshots are on` }),
    TIMEOUT_MS,
  );

  if (!folder) {
    folder = join(scratch, 'workspace');
    mkdirSync(folder);
  }
  const remote = (path) => `vscode-remote://127.0.0.1:${server.port}${path}`;
  const payload = [
    ...devPaths.map((p) => ['extensionDevelopmentPath', remote(p)]),
    ...(testsPath ? [['extensionTestsPath', remote(testsPath)]] : []),
  ];
  const url = `${server.url}?folder=${encodeURIComponent(folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;

  context = await chromium.launchPersistentContext(join(scratch, 'chromium'), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-breakpad',
    ],
  });
  page = context.pages()[0] ?? (await context.newPage());
  // VS Code's window log while extension tests run: the extension host's console (so mocha's
  // output) plus the workbench's own messages. `message` is the console.log argument list.
  await page.exposeFunction('codeAutomationLog', (level, message) => {
    const text = Array.isArray(message) ? format(...message) : typeof message === 'string' ? message : JSON.stringify(message);
    toLog(level === 'info' ? text : `[${level}] ${text}`);
    if (!verbose && NOISE.some((pattern) => pattern.test(text))) return;
    (level === 'error' || level === 'warn' ? process.stderr : process.stdout).write(`${text}\n`);
  });
  await page.exposeFunction('codeAutomationExit', async (code, logs) => {
    if (code !== 0 && Array.isArray(logs) && screenshotDir) {
      // VS Code hands over its log files on exit; keep them for diagnosis.
      const dir = join(screenshotDir, 'vscode-logs');
      for (const { relativePath, contents } of logs) {
        const file = join(dir, relativePath);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, contents);
      }
      say(`VS Code logs: ${dir}`);
    }
    await finish(Number(code) || 0, { screenshotName: 'vscode-workbench.png' });
  });
  page.on('pageerror', (error) => (verbose ? say : toLog)(`page error: ${error.message}`));
  page.on('console', (msg) => verbose && say(`console.${msg.type()}: ${msg.text()}`));
  page.on('crash', () => finish(1, { message: 'the browser page crashed' }));

  if (screenshotDir) {
    const requests = join(screenshotDir, '.screenshot-requests');
    mkdirSync(requests, { recursive: true });
    for (const stale of readdirSync(requests)) rmSync(join(requests, stale), { force: true });
    let busy = false;
    watchTimer = setInterval(async () => {
      if (busy || exiting) return;
      busy = true;
      try {
        for (const entry of readdirSync(requests)) {
          if (entry.endsWith('.images')) {
            const name = entry.slice(0, -'.images'.length);
            rmSync(join(requests, entry), { force: true });
            writeFileSync(join(requests, `${name}.images.json`), JSON.stringify(await imagesOnScreen()));
            writeFileSync(join(requests, `${name}.done`), join(requests, `${name}.images.json`));
            continue;
          }
          if (!entry.endsWith('.request')) continue;
          const name = entry.slice(0, -'.request'.length);
          rmSync(join(requests, entry), { force: true });
          const file = join(screenshotDir, `${name}.png`);
          await page.screenshot({ path: file, timeout: 10_000 }).catch((error) => say(`screenshot ${name} failed: ${error.message}`));
          writeFileSync(join(requests, `${name}.done`), file);
          if (verbose) say(`screenshot: ${file}`);
        }
      } finally {
        busy = false;
      }
    }, 100);
  }

  say(`opening the workbench (folder ${folder})`);
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  if (!testsPath) say('no --extensionTestsPath: the workbench stays open until the timeout or Ctrl-C');
} catch (error) {
  await finish(1, { message: `failed: ${error?.stack ?? error}` });
}
