// Bundles every runnable entry point with esbuild. `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Node programs: CommonJS, one file each; ws's optional native helpers stay optional. */
const nodeEntries = [
  { in: 'src/relay/cli.ts', out: 'relay' },
  { in: 'src/assistant/cli.ts', out: 'cli' },
];

/** The Live Activity webview: one browser bundle, no framework. */
const panelOptions = {
  entryPoints: { panel: 'src/panel/main.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'browser',
  target: 'chrome120',
  format: 'iife',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
};

/**
 * The relay's pages in a browser (src/watch: the channel list and the live watch page, the
 * panel's view read-only): one bundle and one stylesheet (media/panel.css's rules with
 * src/watch/watch.css's page layer), written to dist/watch/ under names carrying the first 12 hex
 * digits of their SHA-256, with manifest.json naming them; the relay serves exactly those two,
 * cached for good. No source map: nothing else is served. Older builds' files are removed
 * once the new manifest is in place.
 */
const watchOutput = {
  name: 'watch-output',
  setup(build) {
    build.onEnd((result) => {
      if (result.errors.length > 0) return;
      const dir = 'dist/watch';
      mkdirSync(dir, { recursive: true });
      const manifest = {};
      for (const file of result.outputFiles) {
        const kind = file.path.endsWith('.css') ? 'style' : 'script';
        const hash = createHash('sha256').update(file.contents).digest('hex').slice(0, 12);
        manifest[kind] = `watch.${hash}.${kind === 'style' ? 'css' : 'js'}`;
        writeFileSync(`${dir}/${manifest[kind]}`, file.contents);
      }
      if (!manifest.script || !manifest.style) throw new Error('the watch page build made no script or no stylesheet');
      // A relay reading the manifest meanwhile sees the old one or the new one whole, never half of one.
      writeFileSync(`${dir}/manifest.json.tmp`, `${JSON.stringify({ script: manifest.script, style: manifest.style })}\n`);
      renameSync(`${dir}/manifest.json.tmp`, `${dir}/manifest.json`);
      const current = new Set(['manifest.json', manifest.script, manifest.style]);
      for (const name of readdirSync(dir)) if (!current.has(name)) rmSync(`${dir}/${name}`, { force: true });
    });
  },
};
const watchOptions = {
  entryPoints: [
    { in: 'src/watch/main.ts', out: 'watch' },
    { in: 'src/watch/watch.css', out: 'watch' },
  ],
  outdir: 'dist/watch',
  bundle: true,
  platform: 'browser',
  // Any current browser a teammate may open it in (light-dark() in the stylesheet needs these).
  target: ['chrome123', 'edge123', 'firefox120', 'safari17.5'],
  format: 'iife',
  minify: production,
  write: false,
  plugins: [watchOutput],
  logLevel: 'warning',
};

/**
 * The extension host side: `vscode` is provided by the host at run time. The engine
 * (with the OpenAI SDK, most of the code) is a bundle of its own, dist/engine.js, that
 * src/extension/load-engine.ts requires on the first question, so activation stays fast.
 */
const engineOnDemand = {
  name: 'engine-on-demand',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/assistant$/ }, (args) =>
      args.importer.endsWith('load-engine.ts') ? { path: './engine.js', external: true } : undefined,
    );
  },
};
const extensionOptions = {
  entryPoints: { extension: 'src/extension/extension.ts', engine: 'src/assistant/index.ts' },
  plugins: [engineOnDemand],
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  external: ['vscode', 'bufferutil', 'utf-8-validate'],
  logLevel: 'warning',
};

const hasExtension = existsSync('src/extension/extension.ts');

const contexts = [
  await esbuild.context(panelOptions),
  await esbuild.context(watchOptions),
  ...(hasExtension ? [await esbuild.context(extensionOptions)] : []),
  await esbuild.context({
    entryPoints: nodeEntries,
    outdir: 'dist',
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    minify: production,
    external: ['bufferutil', 'utf-8-validate'],
    logLevel: 'warning',
  }),
];

// Codicons ship with the extension: the webview may load nothing from the network.
mkdirSync('dist/codicons', { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf']) cpSync(`node_modules/@vscode/codicons/dist/${file}`, `dist/codicons/${file}`);

if (watch) {
  await Promise.all(contexts.map((context) => context.watch()));
  console.log('esbuild: watching for changes');
} else {
  await Promise.all(contexts.map((context) => context.rebuild()));
  await Promise.all(contexts.map((context) => context.dispose()));
}
