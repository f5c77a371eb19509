// `npm start`: runs the extension in VS Code (after `npm run build`).
//   - `code` on PATH: `code --extensionDevelopmentPath=<repo> <workspace>` (desktop VS Code).
//   - otherwise: starts the offline VS Code server (scripts/vscode-server.mjs) on 127.0.0.1 and
//     prints the URL to open in a browser; it stays in the foreground until Ctrl-C.
//     The URL carries the `payload` parameter that loads this folder as the extension under
//     development (the server itself ignores --extensionDevelopmentPath). After a rebuild,
//     run "Developer: Reload Window" in the page. With `--vsix` it instead packages the
//     extension (npm run package) and installs it into the server,
//     so the plain URL works too (useful behind a port forward that changes host or port).
//
// Usage: node scripts/start.mjs [--vsix] [--server] [WORKSPACE_FOLDER]
// Environment: PORT (default: a free port), WEATHER_START_WORKSPACE (default .cache/workspace),
//   WEATHER_VSCODE_DEV_PATH (another extension folder instead of this repository),
//   WEATHER_START_FRESH=1 (throwaway profile instead of the cache folder's start-profile).
// The extension host inherits this process's environment (e.g. OPENAI_API_KEY).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeDataDirs, runServerCli, serverPaths, startServer } from './vscode-server.mjs';

const repo = resolve(process.env.WEATHER_VSCODE_DEV_PATH ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
/**
 * The start profile runs folder-open tasks without asking (only the start workspace has one)
 * and does not ask whether to trust that workspace (its own, under .cache/). Desktop VS Code,
 * with your own profile, asks once instead.
 */
const START_SETTINGS = { 'task.allowAutomaticTasks': 'on', 'security.workspace.trust.enabled': false };

const args = process.argv.slice(2);
const useVsix = args.includes('--vsix');
const forceServer = args.includes('--server') || useVsix;
const ownFolder = args.find((a) => !a.startsWith('--'));
const workspace = resolve(ownFolder ?? process.env.WEATHER_START_WORKSPACE ?? join(repo, '.cache', 'workspace'));
mkdirSync(workspace, { recursive: true });
// The start workspace opens with the Live Activity panel showing; a folder of your own is left as it is.
if (!ownFolder) showPanelOnOpen(workspace);

const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const main = manifest.main ? join(repo, manifest.main) : undefined;
if (!main || !existsSync(main)) {
  console.warn(`warning: ${manifest.main ? `${manifest.main} is not built (run \`npm run build\`)` : 'package.json has no "main"'}; VS Code will not find the extension's code.`);
}

const onPath = (name) => (process.env.PATH ?? '').split(delimiter).find((dir) => dir && existsSync(join(dir, name)));

if (!forceServer && onPath('code')) {
  console.log(`Opening VS Code with the extension under development (${repo}) on ${workspace}`);
  const result = spawnSync('code', ['--new-window', `--extensionDevelopmentPath=${repo}`, workspace], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}

// ---- the offline VS Code server -----------------------------------------------------------
const profileRoot = join(serverPaths().cacheDir, 'start-profile');
const fresh = process.env.WEATHER_START_FRESH === '1';
const dirs = fresh ? undefined : makeDataDirs(undefined, profileRoot);

if (useVsix) {
  // `npm run package`: the pinned vsce with the project's flags; it runs `vscode:prepublish` (the
  // production build into dist/).
  const vsixDir = join(serverPaths().cacheDir, 'vsix');
  rmSync(vsixDir, { recursive: true, force: true });
  mkdirSync(vsixDir, { recursive: true });
  const vsix = join(vsixDir, `${manifest.name}-${manifest.version}.vsix`);
  console.log('Packaging the extension (npm run package)…');
  const packed = spawnSync('npm', ['run', 'package', '--', '--out', vsix], {
    cwd: repo,
    stdio: 'inherit',
    timeout: 300_000,
  });
  if (packed.status !== 0 || !existsSync(vsix)) {
    console.error('Packaging failed; see above. (`npm start` without --vsix loads the folder directly.)');
    process.exit(1);
  }
  const targetDirs = dirs ?? makeDataDirs();
  for (const entry of existsSync(targetDirs.extensions) ? readdirSync(targetDirs.extensions) : []) {
    if (entry.startsWith(`${manifest.publisher}.${manifest.name}-`.toLowerCase())) rmSync(join(targetDirs.extensions, entry), { recursive: true, force: true });
  }
  const installed = runServerCli(['--install-extension', vsix, '--force'], { dirs: targetDirs });
  process.stdout.write(installed.stdout ?? '');
  if (installed.status !== 0) {
    console.error(`Installing ${vsix} failed:\n${installed.stderr}`);
    process.exit(1);
  }
  startAndWait(targetDirs, fresh);
} else {
  startAndWait(dirs, fresh);
}

async function startAndWait(dataDirs, removeDirs) {
  let server;
  try {
    // The payload's extensionDevelopmentPath is honoured only with --enable-smoke-test-driver
    // (checked: without it the folder is not loaded), so keep the default testDriver: true.
    allowStartTask(dataDirs);
    server = await startServer({ port: process.env.PORT, dirs: dataDirs, settings: START_SETTINGS });
  } catch (error) {
    console.error(`Could not start the VS Code server: ${error.message}`);
    process.exit(1);
  }
  const folderUrl = `${server.url}?folder=${encodeURIComponent(workspace)}`;
  const payload = JSON.stringify([['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${server.port}${repo}`]]);
  const url = useVsix ? folderUrl : `${folderUrl}&payload=${encodeURIComponent(payload)}`;
  console.log(
    [
      '',
      `VS Code ${readVersion()} is serving the Weather Assistant Live extension${useVsix ? ' (installed from the .vsix)' : ' (extension development mode)'}.`,
      'Open this URL in a browser on this machine:',
      '',
      `    ${url}`,
      '',
      useVsix
        ? 'After a rebuild, rerun `npm start -- --vsix`.'
        : 'After `npm run build`, press F1 and run "Developer: Reload Window" to load the new build.',
      `Workspace: ${workspace}   Profile: ${removeDirs ? '(temporary)' : profileRoot}`,
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async (signal) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping the VS Code server…`);
    await server.stop();
    if (dataDirs && removeDirs) rmSync(dataDirs.root, { recursive: true, force: true });
    process.exit(0);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => stop(signal));
  // Keep running until a signal arrives (the server's pipes keep the event loop alive too).
  setInterval(() => {}, 1 << 30);
}

/**
 * VS Code has no setting or flag that opens a view at startup, but a task can run on folder
 * open, and resolving its `${command:…}` variable runs that command: Show Live Activity. The
 * task itself only echoes, in a terminal that is never shown. Written once; an existing
 * tasks.json is left alone.
 */
function showPanelOnOpen(folder) {
  const file = join(folder, '.vscode', 'tasks.json');
  if (existsSync(file)) return;
  mkdirSync(dirname(file), { recursive: true });
  const task = {
    label: 'Show the Weather Assistant Live Activity panel',
    type: 'shell',
    command: 'echo Live Activity panel: ${command:weatherAssistant.showActivity}shown',
    runOptions: { runOn: 'folderOpen' },
    presentation: { reveal: 'never', close: true, echo: false },
    problemMatcher: [],
  };
  writeFileSync(file, `${JSON.stringify({ version: '2.0.0', tasks: [task] }, null, 2)}\n`);
}

/** A start profile made before these settings existed gets them too (its other settings are kept). */
function allowStartTask(dataDirs) {
  const file = dataDirs && join(dataDirs.userData, 'User', 'settings.json');
  if (!file || !existsSync(file)) return;
  try {
    const settings = JSON.parse(readFileSync(file, 'utf8'));
    const missing = Object.entries(START_SETTINGS).filter(([key]) => !(key in settings));
    if (missing.length > 0) writeFileSync(file, `${JSON.stringify({ ...settings, ...Object.fromEntries(missing) }, null, 2)}\n`);
  } catch {
    // Edited by hand into JSON with comments: left alone (VS Code will ask before running the task).
  }
}

function readVersion() {
  try {
    return JSON.parse(readFileSync(join(serverPaths().vscodeDir, 'package.json'), 'utf8')).version;
  } catch {
    return '';
  }
}
