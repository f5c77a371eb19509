/**
 * Host and engine benchmarks (issue 6, "Host and engine"):
 *   - delta → wire latency through the extension's own wiring (latency.mjs), next to the
 *     seed's bare handler as anchor;
 *   - the .vsix size and bundle sizes (vsix.mjs), packaged in a temporary copy;
 *   - activation time in the real VS Code (activation.mjs), with the packaged .vsix installed
 *     and an empty extension in the same window as anchor.
 *
 *   const { tables, rows, json } = await run({ quick, rounds, log, root });
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { staleCompiled } from '../panel/machine.mjs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureActivation } from './activation.mjs';
import { measureLatency } from './latency.mjs';
import { packageVsix } from './vsix.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DEFAULT_ROOT = resolve(HERE, '..', '..');

export const description = 'delta → wire latency, activation in the real VS Code, .vsix and bundle sizes';

export const TARGETS = { latencyP99Ms: 1, activationMs: 50, vsixBytes: 1024 * 1024 };

const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const round = (value, digits = 2) => (Number.isFinite(value) ? Math.round(value * 10 ** digits) / 10 ** digits : null);
const kib = (bytes) => (Number.isFinite(bytes) ? round(bytes / 1024, 1) : null);

function checkBuild(root) {
  const missing = [
    'dist/relay.js',
    'out/src/extension/assistant-session.js',
    'out/src/extension/connection-controller.js',
    'out/src/activity/index.js',
    'out/test/fakes/openai-server.js',
  ].filter((file) => !existsSync(join(root, file)));
  if (missing.length) throw new Error(`missing ${missing.join(', ')}: run \`npm run build && npm run compile\` first`);
  const stale = staleCompiled(root, ['src/activity', 'src/assistant', 'src/client', 'src/extension', 'src/protocol', 'src/weather', 'test/fakes', 'test/support']);
  const relayTime = statSync(join(root, 'dist/relay.js')).mtimeMs;
  const staleRelay = ['src/relay', 'src/protocol'].some((dir) => readdirSync(join(root, dir)).some((f) => statSync(join(root, dir, f)).mtimeMs > relayTime));
  return { stale, staleRelay };
}

/**
 * @param {object} [options]
 * @param {string} [options.root]
 * @param {boolean} [options.quick]   one round each, fewer deltas
 * @param {number} [options.rounds]   latency turns per variant and pacing (default 3), activation windows (default 2, at most 3)
 * @param {string[]} [options.skip]   any of 'latency', 'vsix', 'activation'
 * @param {boolean} [options.profile] also CPU-profile the extension host around one activation
 * @param {(line: string) => void} [options.log]
 */
export async function run(options = {}) {
  const root = options.root ?? DEFAULT_ROOT;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const skip = new Set(options.skip ?? []);
  const startedAll = Date.now();
  const { stale, staleRelay } = checkBuild(root);
  if (stale.length) log(`host: WARNING out/ is older than ${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', …' : ''}: run \`npm run compile\``);
  if (staleRelay) log('host: WARNING dist/relay.js is older than src/relay or src/protocol: run `npm run build`');
  const json = { targets: TARGETS, staleCompiled: stale, staleRelay };
  const rows = [];
  const notes = [];
  const problems = [];

  // ---- delta → wire ----
  if (!skip.has('latency')) {
    const latency = await measureLatency({ root, rounds: options.rounds ?? (options.quick ? 1 : 3), deltas: options.quick ? 300 : 600, log });
    json.latency = latency;
    const ms = (us) => round(us / 1000, 3);
    for (const mode of ['paced', 'burst']) {
      const ours = latency.summary[`${mode}:ours`];
      const seed = latency.summary[`${mode}:seed`];
      const label = mode === 'paced' ? 'model delta → wire, 1 ms apart' : 'model delta → wire, back to back';
      // Back to back, the end-to-end span is mostly queueing behind earlier deltas: JSON only.
      const spans = [['inProcessUs', 'SDK yields delta → frame sent'], ...(mode === 'paced' ? [['endToEndUs', 'fake server writes SSE → frame sent']] : [])];
      for (const [span, name] of spans) {
        for (const q of ['p50', 'p99']) {
          const gated = mode === 'paced' && span === 'inProcessUs' && q === 'p99';
          rows.push({
            case: label,
            metric: `${name}, ${q}`,
            value: ms(ours[span][q]),
            unit: 'ms',
            anchor: ms(seed[span][q]),
            ratio: round(ours[span][q] / seed[span][q]),
            ...(gated ? { target: `≤ ${TARGETS.latencyP99Ms} ms`, pass: ours[span][q] / 1000 <= TARGETS.latencyP99Ms } : {}),
          });
        }
      }
      if (ours.framesLeftInUserlandBuffer > 0) problems.push(`${mode}: ${ours.framesLeftInUserlandBuffer} of ${ours.deltas} frames were still in Node's write buffer when send() returned`);
      if (ours.textMismatches > 0) problems.push(`${mode}: ${ours.textMismatches} frames did not carry the delta they were paired with`);
    }
    notes.push(
      `Latency: ${latency.rounds} turns × ${latency.perTurn} deltas per variant and pacing, ours and anchor interleaved; fake OpenAI (Responses API SSE) and dist/relay.js (${latency.relayArgs}) in their own processes.`,
      'ours = AssistantSession → ChannelPublisher → ConnectionController → WebSocketManager → ws (with the ActivityStore + PanelBatcher of the panel), as extension.ts wires them. anchor = the seed\'s handler: the same SDK stream, for await … ws.send(JSON.stringify({type, payload})).',
      '"SDK yields delta" = first listener on the engine\'s event stream; "frame sent" = return of ws send() with the bytes handed to the kernel (Node\'s write buffer checked empty). Clocks: process.hrtime, shared by the processes.',
    );
    const paced = latency.summary['paced:ours'];
    const busy = latency.machineBusyCores ?? {};
    notes.push(
      `Paced, ours: ${paced.over1ms} of ${paced.deltas} deltas took over 1 ms (${paced.over1msDuringGc} of them during a GC pause of this process; the span is synchronous code, so the rest is the OS scheduling us out). Machine busy meanwhile: ${Number(busy.paced).toFixed(2)} of 2 cores (this process, the fake model, the relay and anything else).`,
    );
  }

  // ---- .vsix ----
  let packaged;
  if (!skip.has('vsix') || !skip.has('activation')) {
    try {
      packaged = await packageVsix({ root, log });
      log(`host: .vsix ${kib(packaged.vsixBytes)} KiB (${packaged.entries.length} files) in ${packaged.seconds.toFixed(0)} s`);
    } catch (error) {
      problems.push(`packaging failed: ${error.message.split('\n')[0]}`);
      log(`host: ${error.message}`);
      json.vsixError = error.message;
    }
  }
  try {
    if (packaged && !skip.has('vsix')) {
      json.vsix = { ...packaged, workDir: undefined, vsix: undefined };
      rows.push({ case: '.vsix (npm run package)', metric: 'size', value: kib(packaged.vsixBytes), unit: 'KiB', target: '≤ 1 MiB', pass: packaged.vsixBytes <= TARGETS.vsixBytes });
      for (const name of ['extension', 'panel', 'relay', 'cli']) {
        const shipped = packaged.entries.some((entry) => entry.name === `extension/dist/${name}.js`);
        rows.push({
          case: `dist/${name}.js`,
          metric: `bundle size, production${shipped ? ' (in the .vsix)' : ''} / npm run build`,
          value: `${kib(packaged.production[name]) ?? '—'} / ${kib(packaged.development[name]) ?? '—'}`,
          unit: 'KiB',
        });
      }
      if (packaged.missing.length) problems.push(`the .vsix lacks files the webview loads: ${packaged.missing.join(', ')} (.vscodeignore)`);
      if (packaged.composition) {
        const total = packaged.composition.totalBytes;
        const top = packaged.composition.parts.slice(0, 6).map((p) => `${p.name} ${Math.round((100 * p.bytes) / total)}%`);
        notes.push(`Production dist/extension.js (${kib(total)} KiB) by input: ${top.join(', ')}.`);
      }
    } else if (!skip.has('vsix')) {
      rows.push({ case: '.vsix (npm run package)', metric: 'size', value: 'failed', unit: '', target: '≤ 1 MiB', pass: false });
    }

    // ---- activation ----
    if (!skip.has('activation')) {
      const activation = await measureActivation({
        root,
        vsix: packaged?.vsix,
        extensionPath: packaged?.workDir ?? root,
        rounds: options.quick ? 1 : Math.min(options.rounds ?? 2, 3),
        profile: Boolean(options.profile),
        log,
      });
      json.activation = activation;
      if (activation.skipped) {
        rows.push({ case: 'activation in VS Code', metric: 'activate()', value: 'skipped', unit: '', target: `≤ ${TARGETS.activationMs} ms` });
        notes.push(`Activation skipped: ${activation.skipped}.`);
      } else {
        const oursMs = median(activation.rounds.map((r) => r.oursMs));
        const anchorMs = median(activation.rounds.map((r) => r.anchorMs));
        const selfMs = median(activation.rounds.map((r) => r.selfReportedMs ?? NaN));
        const loadMs = median(activation.rounds.map((r) => r.oursLoadMs ?? NaN));
        rows.push({
          case: `activation in VS Code ${activation.vscode}`,
          metric: 'extension.activate(): load + activate()',
          value: round(oursMs, 1),
          unit: 'ms',
          anchor: round(anchorMs, 1),
          ratio: round(oursMs / anchorMs),
          target: `≤ ${TARGETS.activationMs} ms`,
          pass: oursMs <= TARGETS.activationMs,
        });
        rows.push({ case: `activation in VS Code ${activation.vscode}`, metric: 'of which loading dist/extension.js', value: round(loadMs, 1), unit: 'ms' });
        rows.push({ case: `activation in VS Code ${activation.vscode}`, metric: 'its own log: "activated in X ms"', value: round(selfMs, 1), unit: 'ms' });
        if (activation.profile) {
          const top = (list) => list.slice(0, 6).map((e) => `${e.name} ${e.ms} ms`).join(', ');
          notes.push(`Activation CPU profile (--profile, last window; the profiler slows compilation): by script ${top(activation.profile.byScript)}; by function ${top(activation.profile.byFunction)}.`);
        }
        notes.push(
          `Activation: median of ${activation.rounds.length} fresh windows (ours ${activation.loadedFrom.startsWith('installed') ? 'installed from the packaged .vsix' : `loaded from ${activation.loadedFrom}`}); timed inside the extension host around extension.activate() once the window's startup work was over. Anchor = an empty extension (activate() {}) in the same window.`,
        );
      }
    }
  } finally {
    if (packaged?.workDir) rmSync(packaged.workDir, { recursive: true, force: true, maxRetries: 3 });
  }

  for (const problem of problems) notes.push(`PROBLEM: ${problem}`);
  const seconds = (Date.now() - startedAll) / 1000;
  const title = `Host and engine (${seconds.toFixed(0)} s)`;
  const cell = (v) => (v === undefined || v === null ? '' : typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 3 }) : String(v));
  const tables = [
    {
      title,
      columns: ['case', 'metric', 'ours', 'anchor', 'ours ÷ anchor', 'target', 'result'],
      align: ['l', 'l', 'r', 'r', 'r', 'l', 'l'],
      rows: rows.map((row) => [
        row.case,
        row.metric,
        `${cell(row.value)}${row.unit ? ` ${row.unit}` : ''}`,
        row.anchor === undefined || row.anchor === null ? '' : `${cell(row.anchor)}${row.unit ? ` ${row.unit}` : ''}`,
        row.ratio === undefined || row.ratio === null ? '' : `${cell(row.ratio)}×`,
        row.target ?? '',
        row.pass === undefined ? '' : row.pass ? 'PASS' : 'FAIL',
      ]),
      notes,
    },
  ];
  json.seconds = seconds;
  json.rows = rows;
  json.problems = problems;
  return { title, rows, tables, json };
}

// `node bench/host/index.mjs [--quick] [--json]` runs this benchmark alone.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const result = await run({ quick: process.argv.includes('--quick') });
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result.json, null, 2)}\n`);
  else {
    for (const table of result.tables) {
      process.stdout.write(`## ${table.title}\n`);
      for (const row of table.rows) process.stdout.write(`${row.join(' | ')}\n`);
      for (const note of table.notes ?? []) process.stdout.write(`  ${note}\n`);
    }
  }
}
