/**
 * .vsix size and bundle sizes (issue 6, "Host and engine").
 *
 * Packages the extension exactly as a release would (`vsce package --no-dependencies`, which
 * runs `vscode:prepublish`, the minified production build) — but in a temporary copy of the
 * sources, so the working tree's dist/ (the development build other benchmarks and tests use)
 * is never replaced. vsce comes through npx (`--prefer-offline`: from npm's cache when it is
 * there). Also reports what the production extension bundle is made of (esbuild metafile).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUNDLES = ['extension', 'panel', 'relay', 'cli'];

/** The files the webview asks for (webview-html + activity-view): all must ship. */
export const WEBVIEW_FILES = ['extension/dist/panel.js', 'extension/dist/codicons/codicon.css', 'extension/dist/codicons/codicon.ttf', 'extension/media/panel.css'];

/** Entries of a zip file from its central directory: { name, compressed, size }. */
export function zipEntries(file) {
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
    const compressed = data.readUInt32LE(at + 20);
    const size = data.readUInt32LE(at + 24);
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    entries.push({ name: data.toString('utf8', at + 46, at + 46 + nameLength), compressed, size });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function fileSize(path) {
  return existsSync(path) ? statSync(path).size : undefined;
}

/** What the minified extension bundle is made of, by package (node_modules) or source folder. */
async function composition(root) {
  const require = createRequire(join(root, 'package.json'));
  const esbuild = require('esbuild');
  const result = await esbuild.build({
    entryPoints: [join(root, 'src/extension/extension.ts')],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    external: ['vscode', 'bufferutil', 'utf-8-validate'],
    write: false,
    metafile: true,
    outfile: join(root, 'out-bench-unused/extension.js'),
    logLevel: 'silent',
  });
  const output = Object.values(result.metafile.outputs)[0];
  const groups = new Map();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const module = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
    const key = module ?? input.replace(/^(src\/[^/]+)\/.*$/, '$1');
    groups.set(key, (groups.get(key) ?? 0) + bytesInOutput);
  }
  return {
    totalBytes: output.bytes,
    parts: [...groups.entries()].sort((a, b) => b[1] - a[1]).map(([name, bytes]) => ({ name, bytes })),
  };
}

/**
 * @returns {{ vsix, vsixBytes, entries, missing, production, development, workDir, seconds, composition }}
 * `workDir` holds the packaged copy (package.json + production dist/); remove it when done.
 */
export async function packageVsix({ root, log = () => {} }) {
  const started = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), 'weather-bench-vsix-'));
  for (const entry of ['package.json', '.vscodeignore', 'README.md', 'LICENSE', 'tsconfig.json', 'media', 'src', 'scripts']) {
    if (existsSync(join(root, entry))) cpSync(join(root, entry), join(workDir, entry), { recursive: true });
  }
  symlinkSync(join(root, 'node_modules'), join(workDir, 'node_modules'), 'dir');
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const vsix = join(workDir, `${manifest.name}-${manifest.version}.vsix`);
  const args = ['--prefer-offline', '--yes', '@vscode/vsce', 'package', '--no-dependencies', '--allow-missing-repository', '--out', vsix];
  const packed = spawnSync('npx', args, { cwd: workDir, encoding: 'utf8', timeout: 180_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (packed.status !== 0 || !existsSync(vsix)) {
    const why = `${packed.error?.message ?? ''}\n${packed.stdout ?? ''}\n${packed.stderr ?? ''}`.trim().slice(-3000);
    rmSync(workDir, { recursive: true, force: true });
    throw new Error(`npx ${args.join(' ')} failed (${packed.status ?? packed.signal}):\n${why}`);
  }
  const entries = zipEntries(vsix);
  const names = new Set(entries.map((e) => e.name));
  const production = Object.fromEntries(BUNDLES.map((name) => [name, fileSize(join(workDir, 'dist', `${name}.js`))]));
  const development = Object.fromEntries(BUNDLES.map((name) => [name, fileSize(join(root, 'dist', `${name}.js`))]));
  let parts;
  try {
    parts = await composition(root);
  } catch (error) {
    log(`host: bundle composition failed: ${error.message}`);
  }
  return {
    vsix,
    vsixBytes: statSync(vsix).size,
    entries,
    missing: WEBVIEW_FILES.filter((file) => !names.has(file)),
    production,
    development,
    composition: parts,
    workDir,
    command: `npx ${args.slice(0, -1).join(' ')} <tmp>.vsix`,
    seconds: (Date.now() - started) / 1000,
  };
}
