/**
 * .vsix size and bundle sizes (issue 6, "Host and engine").
 *
 * Packages the extension exactly as a release would (`npm run package`: the pinned vsce, which
 * runs `vscode:prepublish`, the minified production build) — through scripts/package-vsix.mjs,
 * in a temporary copy of the working tree, so its dist/ (the development build other benchmarks
 * and tests use) is never replaced. Also reports what the production extension bundle is made
 * of (esbuild metafile).
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const BUNDLES = ['extension', 'panel', 'relay', 'cli'];

/** The files the webview asks for (webview-html + activity-view): all must ship. */
export const WEBVIEW_FILES = ['extension/dist/panel.js', 'extension/dist/codicons/codicon.css', 'extension/dist/codicons/codicon.ttf', 'extension/media/panel.css'];

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
  const { packageVsix: build, vsixEntries } = await import(pathToFileURL(join(root, 'scripts/package-vsix.mjs')).href);
  const { vsix, stage: workDir } = await build({ keepStage: true });
  const entries = vsixEntries(vsix).map(({ name, compressed, size }) => ({ name, compressed, size }));
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
    command: 'npm run package (scripts/package-vsix.mjs: in a copy of the working tree)',
    seconds: (Date.now() - started) / 1000,
  };
}
