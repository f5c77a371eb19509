/**
 * Scale benchmark: what one relay process holds at 10,000–19,000 connections, next to the
 * bare `ws` broadcast server of the relay benchmark (bench/relay/servers/bare-ws.mjs),
 * measured in the same run, interleaved, a fresh server process per measurement session:
 *
 *   1. memory per idle subscribed connection at 10,000 and 19,000 connections (VmRSS growth)
 *   2. server CPU over 60 s with 19,000 idle subscribed connections and the default heartbeat
 *   3. churn: 10,000 subscribed clients dropped at once and reconnecting at once
 *   4. one broadcast to all 19,000 subscribers of one channel: publish → last delivery
 *   5. fan-out throughput (the relay benchmark's 500-subscriber case) on 1 and on 2 relay
 *      processes (`--workers 2` when dist/relay.js has it, else two processes on one Redis)
 *
 * The clients live in GENERATORS long-lived processes (bench/scale/clients.mjs), each far
 * under the 20,000 open files a process may hold, bound to loopback source addresses
 * 127.0.0.2 … 127.0.0.254 handed out in turn (at most PER_ADDRESS connections each, so no
 * address runs short of ephemeral ports, and TIME_WAIT left by one session never meets the
 * next). Module contract: see bench/README.md.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { PLANS, SERVERS } from '../relay/index.mjs';
import { machineBusyMs, raisePriority, runGenerator, startServer, waitForQuiet } from '../relay/processes.mjs';

export const name = 'scale';
export const description = 'Relay at scale: idle memory and CPU at 10,000–19,000 connections, churn, broadcast to 19,000, 1 vs 2 processes; ours vs bare ws';

/** Generator processes holding the clients (19,000 ÷ 4 = 4,750 open files each). */
const GENERATORS = 4;
/** Connections per loopback source address (an address has ~28,000 ephemeral ports). */
const PER_ADDRESS = 2_500;
/** Connections each generator has in flight while connecting (4 × 100 stays under the 511 listen backlog). */
const CONCURRENCY = 100;
const IDLE_STEPS = [10_000, 19_000];
const CHURN_CONNECTIONS = 10_000;
/**
 * After the last subscription, wait SETTLE_MS, then read VmRSS SAMPLES times SAMPLE_GAP_MS apart
 * and keep the least ("settled"); then force a full GC through the inspector, wait GC_REST_MS,
 * and read it the same way again ("after a full GC", the figure judged).
 */
const SETTLE_MS = 3_000;
const SAMPLES = 4;
const SAMPLE_GAP_MS = 500;
const GC_REST_MS = 1_000;
/** Memory sessions run both servers with the inspector on a loopback port, to force full GCs. */
const INSPECT = ['--inspect=127.0.0.1:0'];
/** Idle CPU window: the issue's 60 s; --quick 10 s; env SCALE_IDLE_CPU_SECONDS overrides both. */
const CPU_SECONDS = { full: 60, quick: 10 };
/** Bare ws has no heartbeat and no timers: its idle CPU is read over a shorter window, for reference. */
const BARE_CPU_SECONDS = 10;
const BROADCASTS = { full: 5, quick: 3 };
const BROADCAST_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 90_000;
/** Before each measurement, wait (at most QUIET_WAIT_MS) for the machine to use less than QUIET_CORES. */
const QUIET_CORES = 0.35;
const QUIET_WAIT_MS = 3_000;
const CHANNEL = 'weather-update';

const TARGETS = { memoryVsBare: 1.2, idleCpuPercent: 5, churnVsBare: 0.8, broadcastMs: 250, twoVsOne: 1.6 };

/**
 * The relay measured: dist/relay.js, or the bundle named by env SCALE_RELAY (e.g. a build of
 * another commit, for a before/after; then the staleness check of dist/ is skipped).
 */
const RELAY = process.env.SCALE_RELAY || 'dist/relay.js';
const RELAY_FANOUT_ARGS = [RELAY, ...SERVERS.find((s) => s.id === 'ours').args.slice(1)]; // the relay benchmark's: rate raised, --quiet
const TARGET_SERVERS = [
  {
    id: 'ours',
    label: 'ours',
    args: [RELAY, '--host', '127.0.0.1', '--port', '0', '--max-connections', '25000', '--quiet'],
    metrics: true,
  },
  { id: 'bare', label: 'bare ws', args: ['bench/relay/servers/bare-ws.mjs', '0'] },
];

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const quantile = (sorted, q) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]);
const fmt = (v, digits = 0) => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—');
const ratio = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}×` : '—');

function residentBytes(pid) {
  try {
    return Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
  } catch {
    return NaN;
  }
}
/** utime + stime of one process, ms (100 Hz ticks). */
function cpuMs(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}
/** A process and its descendants (a --workers relay forks its workers). */
function processTree(root) {
  const parents = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      parents.set(Number(entry), Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length && tree.length < 64; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}
/** The least of a few VmRSS readings: a reading taken after a GC released pages wins. */
async function settledRss(pid) {
  const samples = [];
  for (let i = 0; i < SAMPLES; i++) {
    if (i > 0) await delay(SAMPLE_GAP_MS);
    samples.push(residentBytes(pid));
  }
  return { min: Math.min(...samples), samples };
}
/**
 * Forces a full, memory-releasing GC in a server started with --inspect (the inspector's
 * HeapProfiler.collectGarbage: V8's low-memory notification), then reads VmRSS as settledRss.
 */
async function rssAfterGc(server) {
  const forced = await collectGarbage(server);
  await delay(GC_REST_MS);
  return { ...(await settledRss(server.pid)), forced };
}
async function collectGarbage(server) {
  const url = /Debugger listening on (ws:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(server.stderr())?.[1];
  if (!url) return false;
  const socket = new WebSocket(url, { perMessageDeflate: false });
  socket.on('error', () => {});
  try {
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), 15_000);
      socket.once('open', () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
      socket.on('message', (data) => {
        if (JSON.parse(String(data)).id !== 1) return;
        clearTimeout(timer);
        resolve(true);
      });
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(false);
      });
    });
  } finally {
    socket.terminate();
  }
}

/** Our relay's own gauges (heap used, resident memory, connections), from GET /metrics. */
async function relayMetrics(port) {
  try {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(3_000) })).text();
    const read = (name) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
    return {
      heapUsed: read('weather_relay_heap_used_bytes'),
      resident: read('weather_relay_resident_memory_bytes'),
      connections: read('weather_relay_connections'),
      subscriptions: read('weather_relay_subscriptions'),
    };
  } catch {
    return undefined;
  }
}
async function relayConnections(port) {
  try {
    const body = await (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) })).json();
    return Number(body.connections);
  } catch {
    return NaN;
  }
}
const quiet = () => waitForQuiet({ maxCores: QUIET_CORES, maxWaitMs: QUIET_WAIT_MS });

/** Loopback source addresses 127.0.0.2 … 127.0.0.254, handed out in turn. */
class AddressPool {
  next = 0;
  take(count) {
    return Array.from({ length: count }, () => `127.0.0.${2 + (this.next++ % 253)}`);
  }
}

/** A long-lived bench/scale/clients.mjs process, driven by JSON lines. */
class Generator {
  constructor(root, index) {
    this.index = index;
    this.child = spawn(process.execPath, [join(root, 'bench/scale/clients.mjs')], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    raisePriority(this.child.pid);
    this.pid = this.child.pid;
    this.pending = new Map();
    this.nextId = 1;
    this.stderr = '';
    this.subscribed = 0;
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    this.exited.then(({ code, signal }) => {
      for (const { reject, timer } of this.pending.values()) {
        clearTimeout(timer);
        reject(new Error(`generator ${index} exited (${code ?? signal}): ${this.stderr.slice(-500)}`));
      }
      this.pending.clear();
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk) => {
      if (this.stderr.length < 20_000) this.stderr += chunk;
    });
    this.child.stdout.setEncoding('utf8');
    let buffered = '';
    this.child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let message;
        try {
          message = JSON.parse(line);
        } catch {
          continue;
        }
        const waiting = this.pending.get(message.id);
        if (!waiting) continue;
        this.pending.delete(message.id);
        clearTimeout(waiting.timer);
        if (message.error) waiting.reject(new Error(`generator ${index}: ${message.error}`));
        else waiting.resolve(message);
      }
    });
    this.child.stdin.on('error', () => {});
  }

  send(cmd, args = {}, timeoutMs = 30_000) {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`generator ${this.index}: ${cmd} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.child.stdin.write(`${JSON.stringify({ id, cmd, args })}\n`);
    });
  }

  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin.end();
    const killer = setTimeout(() => this.child.kill('SIGKILL'), 3_000);
    await this.exited;
    clearTimeout(killer);
  }
}

/**
 * @param {object} options see bench/README.md; besides the usual ones, `scale` (for trying the
 *   benchmark out at a smaller size) may override { idleSteps, churn, cpuSeconds, broadcasts,
 *   parts: subset of ['idle', 'churn', 'fanout'] }.
 */
export async function run(options = {}) {
  const root = options.root;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const quick = Boolean(options.quick);
  const rounds = options.rounds ?? (quick ? 1 : 3);
  const envSeconds = Number(process.env.SCALE_IDLE_CPU_SECONDS);
  const size = {
    idleSteps: IDLE_STEPS,
    churn: CHURN_CONNECTIONS,
    cpuSeconds: Number.isFinite(envSeconds) && envSeconds > 0 ? Math.min(600, envSeconds) : CPU_SECONDS[quick ? 'quick' : 'full'],
    broadcasts: BROADCASTS[quick ? 'quick' : 'full'],
    ...options.scale,
  };
  const fanoutPlan = PLANS[quick ? 'quick' : 'full'].find((plan) => plan.subscribers === 500);
  if (!process.env.SCALE_RELAY) checkBuild(root);
  else if (!existsSync(resolve(root, RELAY))) throw new Error(`SCALE_RELAY=${RELAY}: no such file`);
  const buildAtStart = relayBuild(root);
  const help = await relayHelp(root);
  // The --workers paragraph of --help; its workers share channels through --redis when it says so.
  const workersHelp = /^\s*--workers\b.*(?:\n(?!\s*--).*)*/m.exec(help)?.[0];
  const workersFlag = workersHelp !== undefined;
  const workersNeedRedis = workersFlag && /--redis/.test(workersHelp);
  const parts = new Set(size.parts ?? ['idle', 'churn', 'fanout']);
  log(`scale: measuring ${RELAY}; two processes for the fan-out: ${workersFlag ? `--workers 2${workersNeedRedis ? ' with --redis (its --help says it needs it)' : ''}` : 'two relays on one Redis (its --help lists no --workers)'}`);

  const started = Date.now();
  const children = new Set();
  const redises = new Set();
  const killAll = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const redis of redises) {
      try {
        if (redis.pid) process.kill(redis.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };
  // Should the runner be interrupted, take every process of ours down with it: the tracked ones
  // and any other descendant (a server still starting, a relay's workers).
  const killDescendants = (spare = new Set()) => {
    for (const pid of processTree(process.pid).slice(1)) {
      if (spare.has(pid)) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  };
  const onSignal = (signal) => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    killDescendants(new Set([...redises].map((redis) => redis.pid)));
    // Each redis-server's stop() also removes its temp dir; give them 2 s at most, then sweep
    // again (something may have been starting meanwhile) and go.
    const code = signal === 'SIGINT' ? 130 : 143;
    Promise.race([Promise.all([...redises].map((redis) => redis.stop())), delay(2_000)]).finally(() => {
      killDescendants();
      process.exit(code);
    });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', killAll);
  try {
    return await measureAll();
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('exit', killAll);
    killAll(); // normally nothing is left by now
  }

  async function measureAll() {
    let startRedisServer;
    {
      const helper = join(root, 'out/test/support/redis-server.js');
      if (!existsSync(helper)) throw new Error('out/test/support/redis-server.js is missing: run `npm run compile` (npm run bench does)');
      ({ startRedisServer } = await import(pathToFileURL(helper).href));
    }

    const addresses = new AddressPool();
    const generators = [];
    const idleRuns = [];
    const churnRuns = [];
    const fanoutRuns = [];
    let clockCheck;

    const track = (server) => {
      children.add(server.child);
      return server;
    };
    const startTarget = async (target, nodeArgs = []) => track(await startServer({ name: target.label, args: target.args, nodeArgs, cwd: root }));
    const stopServer = async (server) => {
      // Nothing to flush: SIGKILL, so 19,000 connections are not closed one by one first.
      for (const pid of processTree(server.pid).slice(1)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
      server.child.kill('SIGKILL');
      await server.stop();
      children.delete(server.child);
    };
    const connectSpread = async (port, count) => {
      const shares = generators.map((_, i) => Math.floor(count / generators.length) + (i < count % generators.length ? 1 : 0));
      const answers = await Promise.all(
        generators.map((generator, i) =>
          generator.send(
            'connect',
            { host: '127.0.0.1', port, count: shares[i], addresses: addresses.take(Math.max(1, Math.ceil(shares[i] / PER_ADDRESS))), perAddress: PER_ADDRESS, channel: CHANNEL, concurrency: CONCURRENCY, timeoutMs: CONNECT_TIMEOUT_MS },
            CONNECT_TIMEOUT_MS + 15_000,
          ),
        ),
      );
      answers.forEach((answer, i) => (generators[i].subscribed += answer.subscribed));
      return combine(answers);
    };
    const closeAll = async () => {
      await Promise.all(generators.map((generator) => generator.send('closeAll', {}, 20_000)));
      for (const generator of generators) generator.subscribed = 0;
    };

    try {
      for (let i = 0; i < GENERATORS; i++) {
        const generator = new Generator(root, i);
        generators.push(generator);
        children.add(generator.child);
      }
      clockCheck = await checkClock(generators);
      log(`scale: ${GENERATORS} generator processes up (pids ${generators.map((g) => g.pid).join(', ')}); CLOCK_MONOTONIC shared: ${clockCheck.ok ? 'yes' : 'NO'}`);
      const context = { size, log, generators, addresses, startTarget, stopServer, connectSpread, closeAll };

      for (let round = 0; round < rounds; round++) {
        const order = TARGET_SERVERS.map((_, i) => TARGET_SERVERS[(i + round) % TARGET_SERVERS.length]);
        if (parts.has('idle')) for (const target of order) idleRuns.push(await idleSession(context, target, round, rounds));
        if (parts.has('churn')) for (const target of order) churnRuns.push(await churnSession(context, target, round, rounds));
      }
    } finally {
      await Promise.all(generators.map((generator) => generator.stop()));
      for (const generator of generators) children.delete(generator.child);
    }

    const configs = [
      { id: 'one', label: '1 process, in memory', nodes: 1 },
      workersFlag
        ? { id: 'two', label: `--workers 2${workersNeedRedis ? ' on Redis' : ''}`, nodes: 1, extraArgs: ['--workers', '2'], redis: workersNeedRedis, mode: 'workers' }
        : { id: 'two', label: '2 processes on one Redis', nodes: 2, redis: true, mode: 'redis' },
      { id: 'one-redis', label: '1 process on Redis (reference)', nodes: 1, redis: true, reference: true },
    ];
    try {
      for (let round = 0; round < rounds && parts.has('fanout'); round++) {
        const order = configs.map((_, i) => configs[(i + round) % configs.length]);
        for (const config of order) {
          const result = await fanoutRun({ root, config, plan: fanoutPlan, startRedisServer, redises, track, stopServer });
          fanoutRuns.push({ round, config: config.id, ...result });
          log(`scale: round ${round + 1}/${rounds} fan-out 500 subs ${config.label.padEnd(31)} ${describeFanout(result)}`);
        }
      }
    } finally {
      for (const redis of redises) await redis.stop();
    }

    const elapsedS = (Date.now() - started) / 1000;
    const buildAtEnd = relayBuild(root);
    const buildChanged = buildAtEnd.sha256 !== buildAtStart.sha256;
    if (buildChanged) log(`scale: WARNING: ${RELAY} changed during the run (rebuilt by someone else?): rounds may have measured different builds`);
    const summary = summarize({ idleRuns, churnRuns, fanoutRuns, size, rounds, configs });
    const targets = judge(summary, size);
    return {
      tables: tables({ summary, targets, size, rounds, elapsedS, configs, fanoutPlan, clockCheck, idleRuns, churnRuns, fanoutRuns, buildAtStart, buildChanged }),
      json: {
        rounds,
        elapsedSeconds: elapsedS,
        size,
        generators: GENERATORS,
        perAddress: PER_ADDRESS,
        concurrencyPerGenerator: CONCURRENCY,
        twoProcessMode: workersFlag ? 'workers' : 'redis',
        servers: TARGET_SERVERS.map(({ id, label, args }) => ({ id, label, command: ['node', ...args].join(' ') })),
        fanoutPlan,
        fanoutConfigs: configs,
        clockCheck,
        relayBuild: { atStart: buildAtStart, atEnd: buildAtEnd, changed: buildChanged },
        summary,
        targets,
        idleRuns,
        churnRuns,
        fanoutRuns,
      },
    };
  }
}

function combine(answers) {
  return {
    subscribed: answers.reduce((n, a) => n + a.subscribed, 0),
    failed: answers.reduce((n, a) => n + a.failed + (a.notTried ?? 0), 0),
    firstError: answers.map((a) => a.firstError).find(Boolean) ?? '',
    startUs: Math.min(...answers.map((a) => a.startUs)),
    endUs: Math.max(...answers.map((a) => a.endUs)),
  };
}

/** Every generator's clock reading must fall between the parent's readings before and after asking. */
async function checkClock(generators) {
  const checks = [];
  for (const generator of generators) {
    for (let i = 0; i < 3; i++) {
      const before = Number(process.hrtime.bigint() / 1000n);
      const { us } = await generator.send('clock');
      const after = Number(process.hrtime.bigint() / 1000n);
      checks.push({ generator: generator.index, before, theirs: us, after, ok: before <= us && us <= after });
    }
  }
  return { ok: checks.every((c) => c.ok), maxRoundTripUs: Math.max(...checks.map((c) => c.after - c.before)), checks };
}

/** Memory at 10,000 and 19,000, idle CPU at 19,000, broadcasts to 19,000: one fresh server. */
async function idleSession(context, target, round, rounds) {
  const { size, log, generators } = context;
  const server = await context.startTarget(target, INSPECT);
  const run = { round, server: target.id, pid: server.pid, steps: [], broadcasts: [] };
  const tag = `scale: round ${round + 1}/${rounds} ${target.label.padEnd(7)}`;
  try {
    await delay(1_000);
    run.backgroundBefore = [await quiet()];
    const base = await settledRss(server.pid);
    const baseGc = await rssAfterGc(server);
    run.baseRss = base.min;
    run.baseRssAfterGc = baseGc.min;
    run.baseMetrics = target.metrics ? await relayMetrics(server.port) : undefined;
    let total = 0;
    for (const step of size.idleSteps) {
      run.backgroundBefore.push(await quiet());
      const connected = await context.connectSpread(server.port, step - total);
      total += connected.subscribed;
      await delay(SETTLE_MS);
      const rss = await settledRss(server.pid);
      const gc = await rssAfterGc(server);
      const metrics = target.metrics ? await relayMetrics(server.port) : undefined;
      // What an operator would read at this scale: /healthz and /metrics must count every subscriber.
      const healthConnections = target.metrics ? await relayConnections(server.port) : undefined;
      const record = {
        connections: step,
        subscribed: total,
        failed: connected.failed,
        firstError: connected.firstError,
        connectSeconds: (connected.endUs - connected.startUs) / 1e6,
        rss: rss.min,
        rssSamples: rss.samples,
        settledPerConnection: total > 0 ? (rss.min - base.min) / total : NaN,
        rssAfterGc: gc.min,
        rssAfterGcSamples: gc.samples,
        gcForced: gc.forced,
        perConnection: total > 0 && gc.forced && baseGc.forced ? (gc.min - baseGc.min) / total : NaN,
        metrics,
        healthConnections,
        figuresExact: target.metrics ? metrics?.connections === total && metrics?.subscriptions === total && healthConnections === total : undefined,
        heapPerConnection: metrics && run.baseMetrics ? (metrics.heapUsed - run.baseMetrics.heapUsed) / total : undefined,
      };
      run.steps.push(record);
      log(`${tag} ${fmt(total).padStart(6)} subscribed${connected.failed ? ` (${connected.failed} failed: ${connected.firstError})` : ''} in ${record.connectSeconds.toFixed(1)} s; VmRSS ${fmt(rss.min / 2 ** 20, 1)} MiB (${fmt(record.settledPerConnection)} B per connection), after a full GC ${fmt(gc.min / 2 ** 20, 1)} MiB (${fmt(record.perConnection)} B per connection)${metrics ? `, heap used ${fmt(metrics.heapUsed / 2 ** 20, 1)} MiB; /metrics ${fmt(metrics.connections)} connections, ${fmt(metrics.subscriptions)} subscriptions, /healthz ${fmt(healthConnections)}` : ''}`);
    }

    // Idle CPU with the default heartbeat (ours pings every 30 s; bare ws has no timer at all).
    const seconds = target.id === 'bare' ? Math.min(BARE_CPU_SECONDS, size.cpuSeconds) : size.cpuSeconds;
    run.cpuBackgroundBefore = await quiet();
    const statsBefore = await Promise.all(generators.map((g) => g.send('stats')));
    const wall0 = performance.now();
    const server0 = cpuMs(server.pid);
    const machine0 = machineBusyMs();
    const gens0 = generators.reduce((n, g) => n + cpuMs(g.pid), 0);
    const rssDuring = [];
    for (let i = 0; i < seconds && performance.now() - wall0 < seconds * 1000 + 5_000; i++) {
      await delay(Math.max(0, wall0 + (i + 1) * 1000 - performance.now()));
      rssDuring.push(residentBytes(server.pid));
    }
    const wallMs = performance.now() - wall0;
    const serverMs = cpuMs(server.pid) - server0;
    const gensMs = generators.reduce((n, g) => n + cpuMs(g.pid), 0) - gens0;
    const statsAfter = await Promise.all(generators.map((g) => g.send('stats')));
    const sum = (list, key) => list.reduce((n, s) => n + s[key], 0);
    run.cpu = {
      seconds: wallMs / 1000,
      connections: total,
      percentOfCore: (serverMs / wallMs) * 100,
      serverCpuMs: serverMs,
      generatorsPercent: (gensMs / wallMs) * 100,
      otherCores: (machineBusyMs() - machine0 - serverMs - gensMs) / wallMs,
      pingsAnswered: sum(statsAfter, 'pingsAnswered') - sum(statsBefore, 'pingsAnswered'),
      closedByServer: sum(statsAfter, 'closedByServer') - sum(statsBefore, 'closedByServer'),
      openAfter: sum(statsAfter, 'open'),
      rssMin: Math.min(...rssDuring),
      rssMax: Math.max(...rssDuring),
    };
    log(`${tag} idle CPU ${run.cpu.percentOfCore.toFixed(2)}% of a core over ${run.cpu.seconds.toFixed(0)} s with ${fmt(total)} connections (${fmt(run.cpu.pingsAnswered)} pings answered, ${run.cpu.closedByServer} closed by the server; other load ${run.cpu.otherCores.toFixed(2)} cores)`);

    // Broadcasts to every subscriber of the one channel.
    await generators[0].send('publisher', { host: '127.0.0.1', port: server.port, address: context.addresses.take(1)[0] });
    await delay(200);
    for (let seq = 1; seq <= size.broadcasts; seq++) {
      const backgroundBefore = await quiet();
      const serverCpu0 = cpuMs(server.pid);
      const generatorsCpu0 = generators.reduce((n, g) => n + cpuMs(g.pid), 0);
      const { sentUs } = await generators[0].send('publish', { seq });
      const answers = await Promise.all(generators.map((g) => g.send('received', { seq, expected: g.subscribed, timeoutMs: BROADCAST_TIMEOUT_MS }, BROADCAST_TIMEOUT_MS + 10_000)));
      const serverCpuMs = cpuMs(server.pid) - serverCpu0;
      const generatorsCpuMs = generators.reduce((n, g) => n + cpuMs(g.pid), 0) - generatorsCpu0;
      const times = answers.flatMap((a) => a.timesUs).sort((a, b) => a - b);
      const broadcast = {
        seq,
        expected: total,
        delivered: times.length,
        firstMs: (times[0] - sentUs) / 1000,
        p50Ms: (quantile(times, 0.5) - sentUs) / 1000,
        p99Ms: (quantile(times, 0.99) - sentUs) / 1000,
        lastMs: times.length === total ? (times[times.length - 1] - sentUs) / 1000 : Infinity,
        // CPU (user + system, 10 ms ticks) from just before the publish to the parent learning the last receipt.
        serverCpuMs,
        generatorsCpuMs,
        backgroundBefore,
      };
      run.broadcasts.push(broadcast);
      log(`${tag} broadcast ${seq}: ${fmt(broadcast.delivered)}/${fmt(total)} delivered, first ${broadcast.firstMs.toFixed(1)} ms, p50 ${broadcast.p50Ms.toFixed(1)} ms, last ${fmt(broadcast.lastMs, 1)} ms; CPU server ${serverCpuMs} ms, generators ${generatorsCpuMs} ms`);
      await delay(300);
    }
  } finally {
    await context.stopServer(server);
    await context.closeAll();
  }
  return run;
}

/** 10,000 subscribed clients dropped at once and reconnecting at once: one fresh server. */
async function churnSession(context, target, round, rounds) {
  const { size, log, generators } = context;
  const server = await context.startTarget(target);
  const tag = `scale: round ${round + 1}/${rounds} ${target.label.padEnd(7)}`;
  const run = { round, server: target.id, connections: size.churn };
  try {
    await delay(500);
    run.backgroundBefore = [await quiet()];
    const first = await context.connectSpread(server.port, size.churn);
    run.initial = { subscribed: first.subscribed, failed: first.failed, firstError: first.firstError, seconds: (first.endUs - first.startUs) / 1e6 };
    run.initial.perSecond = first.subscribed / run.initial.seconds;
    await delay(1_000);
    run.backgroundBefore.push(await quiet());
    const cpu0 = cpuMs(server.pid);
    const answers = await Promise.all(
      generators.map((generator) =>
        generator.send(
          'churn',
          { host: '127.0.0.1', port: server.port, addresses: context.addresses.take(Math.max(1, Math.ceil(generator.subscribed / PER_ADDRESS))), perAddress: PER_ADDRESS, channel: CHANNEL, concurrency: CONCURRENCY, timeoutMs: CONNECT_TIMEOUT_MS },
          CONNECT_TIMEOUT_MS + 15_000,
        ),
      ),
    );
    const again = combine(answers);
    answers.forEach((answer, i) => (generators[i].subscribed = answer.subscribed));
    run.serverCpuSeconds = (cpuMs(server.pid) - cpu0) / 1000;
    run.dropped = answers.reduce((n, a) => n + a.dropped, 0);
    run.subscribed = again.subscribed;
    run.failed = again.failed;
    run.firstError = again.firstError;
    run.seconds = (again.endUs - again.startUs) / 1e6;
    run.perSecond = again.subscribed / run.seconds;
    // Ours says how many connections it holds: the dropped ones must all be gone too.
    if (target.metrics) {
      const deadline = Date.now() + 10_000;
      let connections = await relayConnections(server.port);
      while (connections !== again.subscribed && Date.now() < deadline) {
        await delay(100);
        connections = await relayConnections(server.port);
      }
      run.serverConnectionsAfter = connections;
    }
    log(`${tag} churn: ${fmt(run.dropped)} dropped, ${fmt(run.subscribed)} subscribed again in ${run.seconds.toFixed(2)} s = ${fmt(run.perSecond)} connects+subscribes/s${run.failed ? ` (${run.failed} failed: ${run.firstError})` : ''} (first connect: ${fmt(run.initial.perSecond)}/s)`);
  } finally {
    await context.stopServer(server);
    await context.closeAll();
  }
  return run;
}

/** The relay benchmark's 500-subscriber fan-out on one configuration (fresh processes). */
async function fanoutRun(options) {
  try {
    return await fanoutRunOnce(options);
  } catch (error) {
    // A configuration that does not start (e.g. a --workers that fails) costs its row, not the benchmark.
    return { failed: String(error?.message ?? error) };
  }
}
async function fanoutRunOnce({ root, config, plan, startRedisServer, redises, track, stopServer }) {
  let redis;
  const servers = [];
  try {
    if (config.redis) {
      redis = await startRedisServer();
      redises.add(redis);
      raisePriority(redis.pid); // Redis is part of the system measured
    }
    for (let i = 0; i < config.nodes; i++) {
      const args = [...RELAY_FANOUT_ARGS, ...(config.extraArgs ?? []), ...(redis ? ['--redis', redis.url] : [])];
      servers.push(track(await startServer({ name: `${config.label} ${i}`, args, cwd: root })));
    }
    await delay(300);
    const processes = servers.reduce((n, s) => n + processTree(s.pid).length, 0);
    const backgroundBefore = await quiet();
    const spread = servers.length > 1;
    const result = await runGenerator({
      script: join(root, spread ? 'bench/cluster/spread-generator.mjs' : 'bench/relay/generator.mjs'),
      cwd: root,
      timeoutMs: 75_000,
      config: { host: '127.0.0.1', port: servers[0].port, nodePorts: servers.map((s) => s.port), protocol: 'seed', serverPid: servers[0].pid, timeoutMs: 60_000, ...plan },
    });
    return { backgroundBefore, processes, ...result };
  } finally {
    for (const server of servers) await stopServer(server);
    if (redis) {
      await redis.stop();
      redises.delete(redis);
    }
  }
}

function describeFanout(result) {
  if (result.failed) return `FAILED ${result.failed.split('\n')[0]}`;
  if (result.stalled) return `STALLED ${JSON.stringify(result.exact)} ${result.errors.join('; ')}`;
  const machine = result.cpu.server + result.cpu.generator + result.cpu.background;
  return (
    `${fmt(result.deliveriesPerSec).padStart(9)}/s p50 ${result.latency.p50Ms.toFixed(2)} p99 ${result.latency.p99Ms.toFixed(2)} ms, ` +
    `generator ${Math.round(result.cpu.generator * 100)}%, machine ${machine.toFixed(2)} cores${result.exact.ok ? '' : ` NOT EXACT ${JSON.stringify(result.exact)}`}`
  );
}

function summarize({ idleRuns, churnRuns, fanoutRuns, size, rounds, configs }) {
  const byServer = (runs, id) => runs.filter((r) => r.server === id);
  const memory = [];
  for (const step of size.idleSteps) {
    const bare = median(byServer(idleRuns, 'bare').map((r) => r.steps.find((s) => s.connections === step)?.perConnection));
    for (const target of TARGET_SERVERS) {
      const steps = byServer(idleRuns, target.id).map((r) => r.steps.find((s) => s.connections === step)).filter(Boolean);
      const bytes = median(steps.map((s) => s.perConnection));
      memory.push({
        connections: step,
        server: target.id,
        label: target.label,
        perConnection: bytes,
        min: Math.min(...steps.map((s) => s.perConnection)),
        max: Math.max(...steps.map((s) => s.perConnection)),
        complete: steps.filter((s) => s.subscribed === step).length,
        rounds: steps.length,
        vsBare: bytes / bare,
        pairedVsBare: paired(idleRuns, rounds, target.id, 'bare', (r) => r.steps.find((s) => s.connections === step)?.perConnection),
        settledPerConnection: median(steps.map((s) => s.settledPerConnection)),
        settledPairedVsBare: paired(idleRuns, rounds, target.id, 'bare', (r) => r.steps.find((s) => s.connections === step)?.settledPerConnection),
        gcForced: steps.filter((s) => s.gcForced).length,
        heapUsedPerConnection: target.metrics ? median(steps.map((s) => s.heapPerConnection)) : undefined,
        connectPerSecond: median(steps.map((s) => (s.connections - (size.idleSteps[size.idleSteps.indexOf(step) - 1] ?? 0)) / s.connectSeconds)),
      });
    }
  }
  const readings = idleRuns.flatMap((r) => r.steps).filter((step) => step.figuresExact !== undefined);
  const figures = { readings: readings.length, exact: readings.filter((step) => step.figuresExact).length };
  const cpu = TARGET_SERVERS.map((target) => {
    const runs = byServer(idleRuns, target.id).filter((r) => r.cpu);
    return {
      server: target.id,
      label: target.label,
      percentOfCore: median(runs.map((r) => r.cpu.percentOfCore)),
      max: Math.max(...runs.map((r) => r.cpu.percentOfCore)),
      seconds: median(runs.map((r) => r.cpu.seconds)),
      connections: median(runs.map((r) => r.cpu.connections)),
      pingsAnswered: median(runs.map((r) => r.cpu.pingsAnswered)),
      closedByServer: runs.reduce((n, r) => n + r.cpu.closedByServer, 0),
      otherCores: median(runs.map((r) => r.cpu.otherCores)),
      rounds: runs.length,
    };
  });
  const churn = TARGET_SERVERS.map((target) => {
    const runs = byServer(churnRuns, target.id);
    return {
      server: target.id,
      label: target.label,
      perSecond: median(runs.map((r) => r.perSecond)),
      seconds: median(runs.map((r) => r.seconds)),
      initialPerSecond: median(runs.map((r) => r.initial.perSecond)),
      serverCpuSeconds: median(runs.map((r) => r.serverCpuSeconds)),
      complete: runs.filter((r) => r.subscribed === r.connections && r.failed === 0).length,
      rounds: runs.length,
      pairedVsBare: paired(churnRuns, rounds, target.id, 'bare', (r) => r.perSecond),
    };
  });
  const broadcast = TARGET_SERVERS.map((target) => {
    const runs = byServer(idleRuns, target.id);
    const all = runs.flatMap((r) => r.broadcasts);
    return {
      server: target.id,
      label: target.label,
      connections: size.idleSteps[size.idleSteps.length - 1],
      // Per round, the median of its broadcasts; then the median over rounds.
      lastMs: median(runs.map((r) => median(r.broadcasts.map((b) => b.lastMs)))),
      p50Ms: median(runs.map((r) => median(r.broadcasts.map((b) => b.p50Ms)))),
      firstBroadcastLastMs: median(runs.map((r) => r.broadcasts[0]?.lastMs)),
      worstLastMs: Math.max(...all.map((b) => b.lastMs)),
      serverCpuMs: median(all.map((b) => b.serverCpuMs)),
      generatorsCpuMs: median(all.map((b) => b.generatorsCpuMs)),
      complete: all.filter((b) => b.delivered === b.expected).length,
      broadcasts: all.length,
    };
  });
  const fanout = configs.map((config) => {
    const runs = fanoutRuns.filter((r) => r.config === config.id);
    const ok = runs.filter((r) => !r.failed && !r.stalled);
    return {
      config: config.id,
      label: config.label,
      deliveriesPerSec: median(ok.map((r) => r.deliveriesPerSec)),
      p50Ms: median(ok.map((r) => r.latency.p50Ms)),
      p99Ms: median(ok.map((r) => r.latency.p99Ms)),
      generatorCpu: median(ok.map((r) => r.cpu.generator)),
      machineCores: median(ok.map((r) => r.cpu.server + r.cpu.generator + r.cpu.background)),
      processes: median(ok.map((r) => r.processes)),
      exactRounds: ok.filter((r) => r.exact.ok).length,
      rounds: runs.length,
      pairedVsOne: medianPairedFanout(fanoutRuns, rounds, config.id, 'one'),
    };
  });
  return { memory, figures, cpu, churn, broadcast, fanout };
}

function paired(runs, rounds, a, b, field) {
  return median(
    Array.from({ length: rounds }, (_, round) => {
      const x = runs.find((r) => r.round === round && r.server === a);
      const y = runs.find((r) => r.round === round && r.server === b);
      return x && y ? field(x) / field(y) : NaN;
    }),
  );
}
function medianPairedFanout(runs, rounds, a, b) {
  return median(
    Array.from({ length: rounds }, (_, round) => {
      const x = runs.find((r) => r.round === round && r.config === a && !r.failed && !r.stalled);
      const y = runs.find((r) => r.round === round && r.config === b && !r.failed && !r.stalled);
      return x && y ? x.deliveriesPerSec / y.deliveriesPerSec : NaN;
    }),
  );
}

function judge(summary, size) {
  const targets = [];
  const last = size.idleSteps[size.idleSteps.length - 1];
  for (const step of size.idleSteps) {
    const row = summary.memory.find((m) => m.connections === step && m.server === 'ours');
    targets.push({ check: `memory per idle connection at ${fmt(step)}, ours ÷ bare ws`, measured: ratio(row.pairedVsBare), target: `≤ ${TARGETS.memoryVsBare}×`, pass: row.pairedVsBare <= TARGETS.memoryVsBare });
  }
  const ourSteps = summary.figures;
  targets.push({ check: `/healthz and /metrics count every subscriber at ${size.idleSteps.map((step) => fmt(step)).join(' and ')}`, measured: `${ourSteps.exact}/${ourSteps.readings} exact`, target: 'all', pass: ourSteps.readings > 0 && ourSteps.exact === ourSteps.readings });
  const cpu = summary.cpu.find((c) => c.server === 'ours');
  targets.push({ check: `idle CPU at ${fmt(cpu.connections)} connections, default heartbeat, ${fmt(cpu.seconds)} s`, measured: `${fmt(cpu.percentOfCore, 2)}% of a core`, target: `≤ ${TARGETS.idleCpuPercent}%`, pass: cpu.percentOfCore <= TARGETS.idleCpuPercent && cpu.closedByServer === 0 });
  const churn = summary.churn.find((c) => c.server === 'ours');
  targets.push({ check: `churn of ${fmt(size.churn)}: connects+subscribes/s, ours ÷ bare ws`, measured: ratio(churn.pairedVsBare), target: `≥ ${TARGETS.churnVsBare}×`, pass: churn.pairedVsBare >= TARGETS.churnVsBare && churn.complete === churn.rounds });
  const broadcast = summary.broadcast.find((b) => b.server === 'ours');
  targets.push({ check: `broadcast to ${fmt(last)}: publish → last subscriber (median)`, measured: `${fmt(broadcast.lastMs, 1)} ms`, target: `≤ ${TARGETS.broadcastMs} ms`, pass: broadcast.lastMs <= TARGETS.broadcastMs && broadcast.complete === broadcast.broadcasts });
  const two = summary.fanout.find((f) => f.config === 'two');
  targets.push({ check: `fan-out, 500 subscribers: ${two.label} ÷ 1 process`, measured: ratio(two.pairedVsOne), target: `≥ ${TARGETS.twoVsOne}×`, pass: two.pairedVsOne >= TARGETS.twoVsOne });
  return targets;
}

function tables({ summary, targets, size, rounds, elapsedS, configs, fanoutPlan, clockCheck, idleRuns, churnRuns, fanoutRuns, buildAtStart, buildChanged }) {
  const last = size.idleSteps[size.idleSteps.length - 1];
  const background = [...idleRuns.flatMap((r) => [...r.backgroundBefore, r.cpuBackgroundBefore, ...r.broadcasts.map((b) => b.backgroundBefore)]), ...churnRuns.flatMap((r) => r.backgroundBefore), ...fanoutRuns.map((r) => r.backgroundBefore)].filter(Number.isFinite);
  const quietNote = `Before each measurement the benchmark waits up to ${QUIET_WAIT_MS / 1000} s for other processes to use < ${QUIET_CORES} cores; they used a median ${fmt(median(background), 2)} cores just before (max ${fmt(Math.max(...background), 2)}).`;
  return [
    {
      title: `Scale: memory per idle subscribed connection, medians of ${rounds} round${rounds > 1 ? 's' : ''} (${elapsedS.toFixed(0)} s in all)`,
      columns: ['connections', 'server', 'bytes per connection, after a full GC', 'min – max', '÷ bare ws (paired)', 'settled, no forced GC', '÷ bare ws', 'all subscribed', 'connects/s', 'ours: V8 heap growth per connection'],
      align: ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'r'],
      rows: summary.memory.map((m) => [
        fmt(m.connections),
        m.label,
        fmt(m.perConnection),
        `${fmt(m.min)} – ${fmt(m.max)}`,
        m.server === 'bare' ? '1.00×' : ratio(m.pairedVsBare),
        fmt(m.settledPerConnection),
        m.server === 'bare' ? '1.00×' : ratio(m.settledPairedVsBare),
        `${m.complete}/${m.rounds}${m.gcForced < m.rounds ? ` (GC forced ${m.gcForced})` : ''}`,
        fmt(m.connectPerSecond),
        m.heapUsedPerConnection === undefined ? '' : fmt(m.heapUsedPerConnection),
      ]),
      notes: [
        `Growth of the server's VmRSS (/proc/PID/status) from before any client connects to after the last one is subscribed, ÷ connections; 10,000 then 9,000 more on the same fresh server process, every client subscribed to one channel. Each reading is the least of ${SAMPLES} samples ${SAMPLE_GAP_MS} ms apart. "settled": ${SETTLE_MS / 1000} s after the last subscription, whatever the heap holds then. "after a full GC" (judged): then a full GC forced in the server (started with ${INSPECT.join(' ')}; the inspector's HeapProfiler.collectGarbage, V8's low-memory notification), ${GC_REST_MS / 1000} s, and the same at the baseline: independent of when the server last collected.`,
        `Clients: ${GENERATORS} generator processes (bench/scale/clients.mjs, raw-TCP WebSocket client of bench/relay/lite-ws.mjs, answering pings), bound to loopback source addresses 127.0.0.2–254 (≤ ${fmt(PER_ADDRESS)} each), ${CONCURRENCY} connecting at a time per process.`,
        `ours: ${TARGET_SERVERS[0].args.join(' ')} (default heartbeat 30 s and limits). bare ws: bench/relay/servers/bare-ws.mjs. "V8 heap growth": the growth of ours' own weather_relay_heap_used_bytes gauge (GET /metrics, read after each forced GC: live objects) ÷ connections.`,
      ],
    },
    {
      title: `Scale: idle CPU, ${fmt(last)} subscribed connections`,
      columns: ['server', 'CPU, % of one core', 'max', 'window', 'pings answered', 'closed by the server', 'other load'],
      align: ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
      rows: summary.cpu.map((c) => [c.label, `${fmt(c.percentOfCore, 2)}%`, `${fmt(c.max, 2)}%`, `${fmt(c.seconds)} s`, fmt(c.pingsAnswered), fmt(c.closedByServer), `${fmt(c.otherCores, 2)} cores`]),
      notes: [
        `Server utime+stime from /proc/PID/stat over the window ÷ wall time, right after the ${fmt(last)}-connection memory reading; ours with its default heartbeat (a ping to every connection each 30 s, answered by the clients). bare ws has no heartbeat or timer: measured over ${BARE_CPU_SECONDS} s for reference.`,
        'other load: what the rest of the machine (not the server, not the generators) used meanwhile.',
        ...(summary.cpu.find((c) => c.server === 'ours')?.pingsAnswered > 0
          ? []
          : ['WARNING: no heartbeat fell inside the window (shorter than the 30 s interval, e.g. --quick): this figure leaves the pings out.']),
      ],
    },
    {
      title: `Scale: churn, ${fmt(size.churn)} subscribed clients dropped and reconnecting at once`,
      columns: ['server', 'connects+subscribes/s', '÷ bare ws (paired)', 'all subscribed again after', 'server CPU', 'complete', 'first connect, /s'],
      align: ['l', 'r', 'r', 'r', 'r', 'l', 'r'],
      rows: summary.churn.map((c) => [c.label, fmt(c.perSecond), c.server === 'bare' ? '1.00×' : ratio(c.pairedVsBare), `${fmt(c.seconds, 2)} s`, `${fmt(c.serverCpuSeconds, 2)} s`, `${c.complete}/${c.rounds}`, fmt(c.initialPerSecond)]),
      notes: [
        `Each generator process destroys its sockets at once and opens as many again (from fresh source addresses, ${CONCURRENCY} in flight per process, ${CONCURRENCY * GENERATORS} in all), each subscribing; time from the first drop to the last "subscribed" reply on CLOCK_MONOTONIC, shared by the processes. The server sees the ${fmt(size.churn)} closes and the ${fmt(size.churn)} new connections at the same time.`,
      ],
    },
    {
      title: `Scale: one broadcast to ${fmt(last)} subscribers of one channel`,
      columns: ['server', 'publish → last subscriber', 'publish → median subscriber', 'first broadcast: last', 'worst broadcast: last', 'all delivered', 'server CPU', 'generators CPU'],
      align: ['l', 'r', 'r', 'r', 'r', 'l', 'r', 'r'],
      rows: summary.broadcast.map((b) => [b.label, `${fmt(b.lastMs, 1)} ms`, `${fmt(b.p50Ms, 1)} ms`, `${fmt(b.firstBroadcastLastMs, 1)} ms`, `${fmt(b.worstLastMs, 1)} ms`, `${b.complete}/${b.broadcasts}`, `${fmt(b.serverCpuMs)} ms`, `${fmt(b.generatorsCpuMs)} ms`]),
      notes: [
        `${size.broadcasts} broadcasts per round (the seed's 200-byte message, 300 ms apart, after the idle-CPU window), by a publisher connection in generator 0; medians over the round's broadcasts, then over rounds.`,
        `Clock: the publisher notes process.hrtime (CLOCK_MONOTONIC, one clock for every process on the machine) just before writing; each generator notes it once per socket read, for every subscriber. Checked at start: every generator's reading fell between the parent's readings before and after asking (${clockCheck.ok ? 'ok' : 'FAILED'}, ≤ ${fmt(clockCheck.maxRoundTripUs)} µs round trip).`,
        'The last delivery includes the generators reading 19,000 sockets on the same 2 cores as the server: an upper bound on the server\'s own time. "server CPU" / "generators CPU": their user+system time (10 ms ticks) from just before the publish until every receipt was counted, median per broadcast; on loopback part of the kernel\'s receive work may be charged to the writer.',
      ],
    },
    {
      title: `Scale: fan-out, 1 vs 2 relay processes, ${fanoutPlan.subscribers} subscribers`,
      columns: ['configuration', 'deliveries/s', '÷ 1 process (paired)', 'p50 ms', 'p99 ms', 'exactly once, in order', 'generator CPU', 'machine busy', 'processes'],
      align: ['l', 'r', 'r', 'r', 'r', 'l', 'r', 'r', 'r'],
      rows: summary.fanout.map((f) => [
        f.label,
        fmt(f.deliveriesPerSec),
        f.config === 'one' ? '1.00×' : ratio(f.pairedVsOne),
        fmt(f.p50Ms, 2),
        fmt(f.p99Ms, 2),
        `${f.exactRounds}/${f.rounds}${f.exactRounds === f.rounds ? ' ok' : ' LOST/DUP'}`,
        `${Math.round(f.generatorCpu * 100)}%`,
        `${fmt(f.machineCores, 2)} cores`,
        fmt(f.processes),
      ]),
      notes: [
        `The relay benchmark's case: one publisher, ${fanoutPlan.subscribers} subscribers, ${fanoutPlan.messages} messages after ${fanoutPlan.warmup} warm-up, window ${fanoutPlan.window}; its generator (bench/relay/generator.mjs; bench/cluster/spread-generator.mjs for two ports: subscriber i on process i mod 2, the publisher on the first). Relay flags: ${RELAY_FANOUT_ARGS.slice(1).join(' ')}.`,
        configs.some((c) => c.mode === 'workers')
          ? `Two processes: one \`${RELAY} --workers 2\`${configs.find((c) => c.id === 'two').redis ? ' --redis (its --help says workers share channels through Redis: a redis-server on loopback as below)' : ''}, one port (its --help lists --workers). The 1-process-on-Redis row separates the Redis cost from the scaling.`
          : `Two processes: two ${RELAY} on one redis-server (loopback, temp dir, deploy/redis.conf: AOF, appendfsync always), two ports (its --help lists no --workers flag). The 1-process-on-Redis row separates the Redis cost from the scaling.`,
        '"machine busy": server + generator + everything else, in cores, over the measured interval (this machine has 2): near 2 means the cores, not the relay, set the pace.',
      ],
    },
    {
      title: 'Scale targets',
      columns: ['check', 'measured', 'target', 'result'],
      align: ['l', 'r', 'l', 'l'],
      rows: targets.map((t) => [t.check, t.measured, t.target, t.pass ? 'PASS' : 'FAIL']),
      notes: [
        'Targets are reported, not enforced: benchmarks never fail `npm test`. Ratios are paired: the median over rounds of the ratio within a round.',
        quietNote,
        `Relay measured: ${RELAY}, sha256 ${buildAtStart.sha256.slice(0, 12)}, built ${buildAtStart.mtime}${buildChanged ? '; WARNING: it changed during the run, so rounds may have measured different builds' : ''}.`,
      ],
    },
  ];
}

/** Fails early, and clearly, when dist/relay.js is missing or older than its sources. */
function checkBuild(root) {
  const bundle = join(root, 'dist/relay.js');
  if (!existsSync(bundle)) throw new Error('dist/relay.js is missing: run `npm run build` (npm run bench does)');
  const built = statSync(bundle).mtimeMs;
  const stale = [];
  const walk = (dir) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (statSync(join(root, path)).mtimeMs > built) stale.push(path);
    }
  };
  for (const dir of ['src/relay', 'src/protocol']) if (existsSync(join(root, dir))) walk(dir);
  if (stale.length > 0) throw new Error(`dist/relay.js is older than ${stale.slice(0, 5).join(', ')}: run \`npm run build\` (npm run bench does)`);
}

/** Which build of the relay was measured (another change may rebuild dist/ meanwhile). */
function relayBuild(root) {
  const bundle = resolve(root, RELAY);
  return { path: RELAY, sha256: createHash('sha256').update(readFileSync(bundle)).digest('hex'), mtime: statSync(bundle).mtime.toISOString() };
}

/** `node dist/relay.js --help`, to learn whether it has --workers. */
function relayHelp(root) {
  const bundle = resolve(root, RELAY);
  return new Promise((done) => {
    const child = spawn(process.execPath, [bundle, '--help'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => (text += chunk));
    child.stderr.on('data', (chunk) => (text += chunk));
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    // 'close', not 'exit': the help must have been read to its end.
    child.once('close', () => {
      clearTimeout(killer);
      done(text);
    });
  });
}
