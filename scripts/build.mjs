// Bundles every runnable entry point with esbuild. `--watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync } from 'node:fs';

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
