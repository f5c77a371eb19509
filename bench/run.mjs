#!/usr/bin/env node
/**
 * `npm run bench`: runs every benchmark under bench/ and prints one table each, with the
 * machine it ran on. Benchmarks are not tests: targets are reported (PASS/FAIL per row),
 * never enforced, and nothing here runs in `npm test`.
 *
 *   node bench/run.mjs [--json] [--only relay,panel] [--quick] [--rounds N] [--profile]
 *                      [--subscribers 1,100,500] [--out FILE]
 *
 * Each benchmark is a module bench/<name>/index.mjs; the contract is in bench/README.md.
 */
import { readdirSync, existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, totalmem, release, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH, '..');
/** Preferred order; other directories with an index.mjs follow alphabetically. */
const ORDER = ['relay', 'cluster', 'scale', 'panel', 'host'];

const USAGE = `Usage: node bench/run.mjs [options]   (npm run bench -- [options])

  --json                 print one JSON document on stdout (progress stays on stderr)
  --only NAMES           comma-separated benchmarks to run (default: all: ${discover().join(', ')})
  --quick                fewer rounds and messages, for a smoke run (scale: also a 10 s
                         idle-CPU window instead of 60 s; or set SCALE_IDLE_CPU_SECONDS)
  --rounds N             rounds per benchmark (relay default 5, quick 2; cluster and scale 3, quick 1)
  --profile              also CPU-profile the servers (relay: ours and bare ws, one run per subscriber count)
  --subscribers LIST     relay: subset of 1,100,500; cluster: of 100,500
  --servers LIST         relay only: ours,bare,sio (default) plus optional batched (a reference
                         server with frame-once + corked writes, for optimization work)
  --out FILE             also write the JSON document to FILE
  -h, --help             this help
`;

function discover() {
  const names = readdirSync(BENCH, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(BENCH, entry.name, 'index.mjs')))
    .map((entry) => entry.name);
  return [...ORDER.filter((n) => names.includes(n)), ...names.filter((n) => !ORDER.includes(n)).sort()];
}

export function machine() {
  let cpuModel = cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) cpuModel = line.split(':')[1].trim();
  } catch {
    // not Linux: os.cpus() is the best we have
  }
  return {
    cpu: cpuModel,
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${process.platform} ${release()}`,
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

function renderTable(table) {
  const lines = [`## ${table.title}`];
  if (table.text !== undefined) {
    lines.push(table.text);
    return lines.join('\n');
  }
  const widths = table.columns.map((column, i) => Math.max(column.length, ...table.rows.map((row) => String(row[i] ?? '').length)));
  const cell = (value, i) => {
    const text = String(value ?? '');
    return table.align?.[i] === 'r' ? text.padStart(widths[i]) : text.padEnd(widths[i]);
  };
  lines.push(table.columns.map(cell).join('  '));
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table.rows) lines.push(row.map(cell).join('  ').trimEnd());
  for (const note of table.notes ?? []) lines.push(`  ${note}`);
  return lines.join('\n');
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        json: { type: 'boolean', default: false },
        only: { type: 'string' },
        quick: { type: 'boolean', default: false },
        rounds: { type: 'string' },
        profile: { type: 'boolean', default: false },
        subscribers: { type: 'string' },
        servers: { type: 'string' },
        out: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`bench: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const available = discover();
  const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : available;
  const unknown = only.filter((n) => !available.includes(n));
  if (unknown.length > 0) {
    process.stderr.write(`bench: no benchmark named ${unknown.join(', ')} (have: ${available.join(', ')})\n`);
    process.exit(2);
  }
  const rounds = values.rounds === undefined ? undefined : Number(values.rounds);
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1 && rounds <= 50)) {
    process.stderr.write('bench: --rounds must be a whole number from 1 to 50\n');
    process.exit(2);
  }
  const subscribers = values.subscribers?.split(',').map(Number);

  const info = machine();
  const log = (line) => process.stderr.write(`${line}\n`);
  log(`bench: ${info.cpu}, ${info.cores} cores, Node ${info.node}, load average ${info.loadAverage.join(' ')}`);
  const document = { machine: info, startedAt: new Date().toISOString(), options: { quick: values.quick, rounds, profile: values.profile }, benchmarks: {} };
  const outputs = [];
  let crashed = false;
  for (const benchName of only) {
    const started = Date.now();
    try {
      const module = await import(pathToFileURL(join(BENCH, benchName, 'index.mjs')).href);
      log(`bench: ${benchName} — ${module.description ?? ''}`);
      const result = await module.run({
        root: ROOT,
        quick: values.quick,
        rounds,
        profile: values.profile,
        subscribers,
        servers: values.servers?.split(',').map((s) => s.trim()),
        machine: info,
        log,
      });
      document.benchmarks[benchName] = { seconds: (Date.now() - started) / 1000, ...result.json };
      outputs.push(...(result.tables ?? []));
    } catch (error) {
      crashed = true;
      log(`bench: ${benchName} failed: ${error?.stack ?? error}`);
      document.benchmarks[benchName] = { failed: String(error?.message ?? error) };
      outputs.push({ title: `${benchName}: FAILED`, text: String(error?.message ?? error) });
    }
  }
  document.finishedAt = new Date().toISOString();

  if (values.out) {
    mkdirSync(dirname(resolve(values.out)), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify(document, null, 2)}\n`);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  } else {
    const header = `Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, Node ${info.node}, ${info.os}; load average at start ${info.loadAverage.join(' ')}`;
    process.stdout.write(`${[header, ...outputs.map(renderTable)].join('\n\n')}\n`);
  }
  process.exitCode = crashed ? 1 : 0;
}

await main();
