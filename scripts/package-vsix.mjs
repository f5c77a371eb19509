// Builds the extension's .vsix the way a fresh clone would, without touching this checkout:
// the files git would hand out (tracked and untracked-but-not-ignored, as they are in the working
// tree; no dist/, out/ or other build output) are copied to a temporary folder, node_modules is
// linked in, and `npm run package` runs there (vsce runs `vscode:prepublish`, the production
// build, into that copy's dist/). The shared dist/ that running tests use is never rebuilt.
//
// The result is kept in .cache/vsix/ under a hash of everything that went in (the files, the
// installed dependencies' lock), so the tests that need the .vsix (test/package/vsix.test.ts and
// the installed run of test/vscode/extension-host.test.ts) build it once per change, not once each.
//
//   node scripts/package-vsix.mjs [--force]      prints the .vsix's path
//
// As a module: `const { vsix, built, ms } = await packageVsix({ force })`, and
// `vsixEntries(file)` lists (and reads) what a .vsix holds.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { inflateRawSync } from 'node:zlib';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUILD_TIMEOUT_MS = 5 * 60 * 1000;
/** Never copied when git cannot say what a clone holds (the .gitignore's build output). */
const NOT_SOURCE = new Set(['.git', 'node_modules', 'dist', 'out', '.cache', '.vscode-test', 'test-output']);

/** The files a fresh clone would hold, relative to the repository, sorted. */
export function sourceFiles(root = repo) {
  const listed = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' });
  if (listed.status === 0) {
    return listed.stdout
      .split('\0')
      .filter((file) => file && existsSync(join(root, file)) && statSync(join(root, file)).isFile()) // deleted-but-tracked files are gone
      .sort();
  }
  const walk = (dir) =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) return NOT_SOURCE.has(entry.name) ? [] : walk(full);
      return entry.isFile() && !entry.name.endsWith('.vsix') ? [relative(root, full)] : [];
    });
  return walk(root).sort();
}

function inputsHash(files) {
  const hash = createHash('sha256');
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(repo, file))).update('\0');
  const installed = join(repo, 'node_modules', '.package-lock.json');
  if (existsSync(installed)) hash.update(readFileSync(installed));
  return hash.digest('hex').slice(0, 16);
}

function run(command, args, options) {
  return new Promise((resolvePromise) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    const keep = (chunk) => (output = (output + chunk).slice(-20_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      keep(`\n(timed out after ${BUILD_TIMEOUT_MS / 1000} s)\n`);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, BUILD_TIMEOUT_MS);
    child.on('error', (error) => keep(`\n${error.message}\n`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ ok: code === 0, status: signal ?? code, output });
    });
  });
}

/**
 * Returns { vsix, built, ms, files, log }: the path of the .vsix for the current working tree
 * (built now unless the cache has it, or always with `force`), whether it was built, how long
 * that took, how many source files went in, and vsce's output. With `keepStage` it is always
 * built and `stage` is the copy it was built in (its production dist/ included); the caller
 * removes it.
 */
export async function packageVsix({ force = false, keepStage = false } = {}) {
  if (!existsSync(join(repo, 'node_modules'))) throw new Error('node_modules is missing: run `npm ci` first');
  const started = Date.now();
  const files = sourceFiles();
  const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  const cacheDir = join(repo, '.cache', 'vsix', inputsHash(files));
  const vsix = join(cacheDir, `${manifest.name}-${manifest.version}.vsix`);
  if (!force && !keepStage && existsSync(vsix)) return { vsix, built: false, ms: Date.now() - started, files: files.length };

  const stage = mkdtempSync(join(tmpdir(), 'weather-vsix-'));
  try {
    for (const file of files) {
      mkdirSync(dirname(join(stage, file)), { recursive: true });
      copyFileSync(join(repo, file), join(stage, file));
    }
    symlinkSync(join(repo, 'node_modules'), join(stage, 'node_modules'), 'dir');
    // Exactly `npm run package`, so the .vsix lands where it would in a clone: <name>-<version>.vsix.
    const out = join(stage, basename(vsix));
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const result = await run(npm, ['run', 'package'], { cwd: stage, env: { ...process.env, CI: 'true' } });
    if (!result.ok) throw new Error(`\`npm run package\` failed (${result.status}) in a copy of the working tree:\n${result.output}`);
    if (!existsSync(out)) throw new Error(`\`npm run package\` did not write ${basename(out)}:\n${result.output}`);
    // Only this tree's .vsix stays in the cache; the rename is atomic, so two builds racing
    // for the same tree both leave a whole file.
    for (const old of existsSync(join(repo, '.cache', 'vsix')) ? readdirSync(join(repo, '.cache', 'vsix')) : []) {
      const dir = join(repo, '.cache', 'vsix', old);
      if (dir !== cacheDir && Date.now() - statSync(dir).mtimeMs > 10 * 60 * 1000) rmSync(dir, { recursive: true, force: true });
    }
    mkdirSync(cacheDir, { recursive: true });
    renameSync(out, vsix);
    return { vsix, built: true, ms: Date.now() - started, files: files.length, log: result.output, ...(keepStage ? { stage } : {}) };
  } finally {
    if (!keepStage) rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * The entries of a .vsix (a zip file), from its central directory:
 * { name, size, compressed, read() } where read() returns the entry's bytes.
 */
export function vsixEntries(file) {
  const data = readFileSync(file);
  let eocd = -1;
  for (let i = data.length - 22; i >= Math.max(0, data.length - 65_557); i--) {
    if (data.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = data.readUInt16LE(eocd + 10);
  let at = data.readUInt32LE(eocd + 16);
  const entries = [];
  for (let i = 0; i < count; i++) {
    if (data.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const method = data.readUInt16LE(at + 10);
    const compressed = data.readUInt32LE(at + 20);
    const size = data.readUInt32LE(at + 24);
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    const local = data.readUInt32LE(at + 42);
    const name = data.toString('utf8', at + 46, at + 46 + nameLength);
    const read = () => {
      if (data.readUInt32LE(local) !== 0x04034b50) throw new Error(`${file}: bad local header for ${name}`);
      const start = local + 30 + data.readUInt16LE(local + 26) + data.readUInt16LE(local + 28);
      const raw = data.subarray(start, start + compressed);
      if (method !== 0 && method !== 8) throw new Error(`${file}: ${name} uses compression method ${method}`);
      const bytes = method === 8 ? inflateRawSync(raw) : raw;
      if (bytes.length !== size) throw new Error(`${file}: ${name} is ${bytes.length} bytes, the directory says ${size}`);
      return bytes;
    };
    entries.push({ name, size, compressed, read });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const { vsix, built, ms, files, log } = await packageVsix({ force: process.argv.includes('--force') });
    if (log) process.stderr.write(log);
    process.stderr.write(`${built ? `built from ${files} files in ${(ms / 1000).toFixed(1)} s` : 'unchanged since the last build'}: ${relative(process.cwd(), vsix)} (${statSync(vsix).size} bytes)\n`);
    console.log(vsix);
  } catch (error) {
    console.error(`package-vsix: ${error.message}`);
    process.exit(1);
  }
}
