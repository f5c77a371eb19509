// Bundles every runnable entry point with esbuild. `--watch` rebuilds on change.
import * as esbuild from 'esbuild';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** Node programs: CommonJS, one file each; ws's optional native helpers stay optional. */
const nodeEntries = [{ in: 'src/relay/cli.ts', out: 'relay' }];

const contexts = [
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

if (watch) {
  await Promise.all(contexts.map((context) => context.watch()));
  console.log('esbuild: watching for changes');
} else {
  await Promise.all(contexts.map((context) => context.rebuild()));
  await Promise.all(contexts.map((context) => context.dispose()));
}
