// How busy the machine is, from /proc/stat (Linux): benchmarks on a shared 2-core machine wait
// (a bounded time) for other work to calm down before each measured run, and record the load.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Busy CPU time of the whole machine so far, in ms (NaN where /proc/stat is unavailable). */
export function machineBusyMs() {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user + nice + system + irq + softirq + steal) * 1000) / 100; // USER_HZ = 100
  } catch {
    return NaN;
  }
}

/** Waits (at most maxWaitMs) until the machine uses fewer than maxCores over 250 ms; returns that load. */
export async function waitForQuiet({ maxCores = 0.4, maxWaitMs = 3_000 } = {}) {
  const until = Date.now() + maxWaitMs;
  let load = NaN;
  do {
    const before = machineBusyMs();
    await new Promise((resolve) => setTimeout(resolve, 250));
    load = (machineBusyMs() - before) / 250;
    if (!(load > maxCores)) return load;
  } while (Date.now() < until);
  return load;
}

/** Measures the machine's busy cores over the duration of `work` (ours included). */
export async function busyDuring(work) {
  const before = machineBusyMs();
  const started = performance.now();
  const result = await work();
  return { result, busyCores: (machineBusyMs() - before) / (performance.now() - started) };
}

/**
 * TypeScript sources under `dirs` (relative to root) whose compiled out/…/*.js is missing or
 * older: what `npx tsc -p .` (npm run compile) would rebuild.
 */
export function staleCompiled(root, dirs) {
  const stale = [];
  const visit = (dir) => {
    let entries = [];
    try {
      entries = readdirSync(join(root, dir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) visit(path);
      else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
        const compiled = join(root, 'out', path.replace(/\.ts$/, '.js'));
        if (!existsSync(compiled) || statSync(compiled).mtimeMs < statSync(join(root, path)).mtimeMs) stale.push(path);
      }
    }
  };
  for (const dir of dirs) visit(dir);
  return stale;
}
