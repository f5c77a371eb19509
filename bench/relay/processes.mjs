/** Child processes for the relay benchmark: servers that print their URL, one-shot generators. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Benchmark processes run at a raised priority when the OS allows it (root / CAP_SYS_NICE),
 * so that unrelated work on a shared machine disturbs them less. Returns the nice value set.
 */
export const BENCH_NICE = -10;
export function raisePriority(pid) {
  try {
    setPriority(pid, BENCH_NICE);
    return BENCH_NICE;
  } catch {
    return 0;
  }
}

/**
 * Starts a server process and resolves once it has printed `... ws://HOST:PORT` on stdout.
 * Returns { child, pid, host, port, stop() }.
 */
export function startServer({ name, args, nodeArgs = [], cwd, startTimeoutMs = 15_000 }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const nice = raisePriority(child.pid);
    let stdout = '';
    let stderr = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start within ${startTimeoutMs} ms\n${stderr}`));
    }, startTimeoutMs);
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      if (stderr.length < 20_000) stderr += chunk;
    });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      if (ready) return;
      stdout += chunk;
      const match = /ws:\/\/([\d.]+):(\d+)/.exec(stdout);
      if (!match) return;
      ready = true;
      clearTimeout(timer);
      const exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
      resolve({
        name,
        child,
        pid: child.pid,
        nice,
        host: match[1],
        port: Number(match[2]),
        stderr: () => stderr,
        /** SIGTERM (lets --cpu-prof write its profile), SIGKILL after `graceMs`. */
        async stop(graceMs = 8_000) {
          if (child.exitCode !== null || child.signalCode !== null) return exited;
          child.kill('SIGTERM');
          const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          const result = await exited;
          clearTimeout(killer);
          return result;
        },
      });
    });
    child.once('exit', (code, signal) => {
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(`${name} exited before listening (${code ?? signal})\n${stderr}`));
    });
  });
}

/** Runs the generator once; resolves with its JSON result (or { failed }). */
export function runGenerator({ script, config, cwd, timeoutMs }) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, JSON.stringify(config)], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    raisePriority(child.pid);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => {
      if (stderr.length < 20_000) stderr += chunk;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      const line = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line));
      } catch {
        resolve({ failed: `generator exited ${code ?? signal} without a result\n${stderr.slice(0, 2000)}` });
      }
    });
  });
}

/** Busy CPU of the whole machine, in ms (from /proc/stat; 100 Hz ticks). */
export function machineBusyMs() {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return (user + nice + system + irq + softirq + steal) * 10;
  } catch {
    return NaN;
  }
}

/**
 * Waits (bounded) until other processes use less than `maxCores` of the machine over a
 * 250 ms sample. Returns the last measured load, in cores.
 */
export async function waitForQuiet({ maxCores = 0.3, maxWaitMs = 3_000 }) {
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
