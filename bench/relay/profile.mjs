/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self and inclusive time per
 * function over a time window, with bundled code (dist/relay.js) mapped back to its
 * sources through the bundle's source map, so `ws` internals and relay code show under
 * their own file names.
 *
 *   node bench/relay/profile.mjs FILE.cpuprofile [--top 25]
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { basename, dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const sourceMaps = new Map();

function sourceMapFor(url) {
  if (sourceMaps.has(url)) return sourceMaps.get(url);
  let map = null;
  try {
    const path = url.startsWith('file://') ? fileURLToPath(url) : url;
    if (path.endsWith('.js') && existsSync(`${path}.map`)) {
      map = { map: new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8'))), dir: dirname(path) };
    }
  } catch {
    map = null;
  }
  sourceMaps.set(url, map);
  return map;
}

/** "file:line" of a call frame, mapped to the original source when a source map exists. */
function locate(callFrame) {
  const { url, lineNumber, columnNumber } = callFrame;
  if (!url) return '';
  const mapped = sourceMapFor(url);
  if (mapped && lineNumber >= 0) {
    const entry = mapped.map.findEntry(lineNumber, columnNumber);
    if (entry?.originalSource) {
      const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : resolve(mapped.dir, entry.originalSource);
      return `${tidy(source)}:${entry.originalLine + 1}`;
    }
  }
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  return `${tidy(path)}:${lineNumber + 1}`;
}

function tidy(path) {
  if (path.startsWith('node:')) return path;
  const rel = relative(ROOT, path);
  return rel.startsWith('..') ? basename(path) : rel.replace(/^node_modules\//, '');
}

/** Which part of the stack a frame belongs to, for the coarse breakdown. */
function category(name, where) {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(program)') return 'native (program: syscalls, libuv, V8 runtime)';
  if (where.startsWith('src/relay/') || where.startsWith('src/protocol/')) return 'relay code (src/)';
  if (where.startsWith('ws/')) return 'ws library';
  if (where.startsWith('socket.io') || where.startsWith('engine.io')) return 'socket.io / engine.io';
  if (where.startsWith('bench/')) return 'bench server code';
  if (where.startsWith('node:')) return 'Node internals (streams, net, buffer)';
  if (!where) return `native: ${name || '(anonymous)'}`;
  return 'other JS';
}

/**
 * @param {string} file .cpuprofile path
 * @param {{ fromUs?: number, toUs?: number, top?: number }} options
 *   window in the profile's own microsecond clock (CLOCK_MONOTONIC on Linux, like process.hrtime)
 */
export function summarizeProfile(file, { fromUs = -Infinity, toUs = Infinity, top = 20 } = {}) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const selfUs = new Map(); // node id -> µs
  let time = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i] ?? 0;
    const next = profile.timeDeltas[i + 1] ?? 0;
    if (time < fromUs || time > toUs) continue;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + next);
  }

  const key = (node) => {
    const where = locate(node.callFrame);
    return { id: `${node.callFrame.functionName || '(anonymous)'} ${where}`, name: node.callFrame.functionName || '(anonymous)', where };
  };
  const self = new Map();
  const inclusive = new Map();
  const categories = new Map();
  let busy = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const { id: k, name, where } = key(node);
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    self.set(k, (self.get(k) ?? 0) + us);
    const cat = category(name, where);
    categories.set(cat, (categories.get(cat) ?? 0) + us);
    // Inclusive: credit each distinct function on the stack once.
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const ancestor = key(byId.get(at)).id;
      if (seen.has(ancestor)) continue;
      seen.add(ancestor);
      inclusive.set(ancestor, (inclusive.get(ancestor) ?? 0) + us);
    }
  }
  const ranked = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([fn, us]) => ({ fn, ms: us / 1000, share: busy ? us / busy : 0 }));
  const interesting = (fn) => !/^\((root|program|garbage collector)\)/.test(fn) && !fn.startsWith('processTicksAndRejections') && !fn.startsWith('(anonymous) ') ;
  return {
    file,
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    utilization: busy + idle ? busy / (busy + idle) : NaN,
    self: ranked(self, top),
    inclusive: ranked(new Map([...inclusive].filter(([fn]) => interesting(fn))), top),
    categories: ranked(categories, 20),
  };
}

export function formatProfile(summary, label) {
  const pct = (share) => `${(share * 100).toFixed(1).padStart(5)}%`;
  const lines = [
    `${label}: ${summary.busyMs.toFixed(0)} ms busy, ${(summary.utilization * 100).toFixed(0)}% of the window`,
    '  by category (self time):',
    ...summary.categories.map((row) => `    ${pct(row.share)}  ${row.fn}`),
    '  top self time:',
    ...summary.self.map((row) => `    ${pct(row.share)}  ${row.fn}`),
    '  top inclusive time (JS functions):',
    ...summary.inclusive.map((row) => `    ${pct(row.share)}  ${row.fn}`),
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const file = process.argv[2];
  const topIndex = process.argv.indexOf('--top');
  const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 25;
  if (!file) {
    process.stderr.write('usage: node bench/relay/profile.mjs FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatProfile(summarizeProfile(file, { top }), basename(file))}\n`);
}
