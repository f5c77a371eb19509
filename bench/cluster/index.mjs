/**
 * Cluster benchmark (issue 10): our relay on one node in memory (a), one node on Redis (b)
 * and three nodes on one Redis (c), next to Socket.IO 4 in the same topologies (a: plain
 * Socket.IO, b/c: `@socket.io/redis-streams-adapter`), measured in the same run, interleaved,
 * medians of rounds.
 *
 * The load is the relay benchmark's, unchanged: its generator (bench/relay/generator.mjs),
 * message and plans for 100 and 500 subscribers, run through spread-generator.mjs so that
 * the subscribers are spread over the nodes and the publisher sits on the first. Every
 * server process and every Redis (a real redis-server with AOF on, one per cluster so that
 * no two clusters share a pub/sub namespace) stays up for the whole benchmark.
 * Module contract: see bench/README.md.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PLANS, SERVERS } from '../relay/index.mjs';
import { raisePriority, runGenerator, startServer, waitForQuiet } from '../relay/processes.mjs';
import { IDLE_CHANNELS, measureIdleMemory, SETTLE_MS } from './idle-memory.mjs';

export const name = 'cluster';
export const description = 'Relay cluster: 1 node in memory / 1 node on Redis / 3 nodes on Redis, ours vs Socket.IO 4 + redis-streams-adapter';

const SUBSCRIBERS = [100, 500];
const TOPOLOGIES = [
  { id: 'a', label: '(a) 1 node, memory', nodes: 1, redis: false },
  { id: 'b', label: '(b) 1 node, Redis', nodes: 1, redis: true },
  { id: 'c', label: '(c) 3 nodes, Redis', nodes: 3, redis: true },
];
const OURS_ARGS = SERVERS.find((s) => s.id === 'ours').args;
const KINDS = [
  {
    id: 'ours',
    label: 'ours',
    protocol: 'seed',
    args: (topology, redisUrl) => (topology.redis ? [...OURS_ARGS, '--redis', redisUrl] : OURS_ARGS),
  },
  {
    id: 'sio',
    label: 'Socket.IO 4',
    protocol: 'socketio',
    args: (topology, redisUrl) =>
      topology.redis
        ? ['bench/cluster/servers/socketio-redis.mjs', '0', redisUrl, `bench-${topology.id}`]
        : ['bench/relay/servers/socketio.mjs', '0'],
  },
];
/** The steady-rate run: publish→deliver across nodes at 1,000 messages/s (topology c). */
const PACED = { subscribers: 100, perSecond: 1_000, warmup: 300, messages: { full: 5_000, quick: 2_000 }, window: 64 };
const PACED_P99_MS = 5;
/** Idle subscribed connections held against one node for the memory figure (issue 10: 10,000). */
const IDLE_CONNECTIONS = { full: 10_000, quick: 2_000 };
/** Servers measured for it: ours in memory, ours on Redis, and the bare `ws` broadcast server. */
const IDLE_SERVERS = [
  { id: 'ours', label: 'ours, in memory', args: () => [...OURS_ARGS, '--max-connections', '20000'] },
  { id: 'ours-redis', label: 'ours, on Redis', redis: true, args: (redisUrl) => [...OURS_ARGS, '--max-connections', '20000', '--redis', redisUrl] },
  { id: 'bare', label: 'bare ws', args: () => ['bench/relay/servers/bare-ws.mjs', '0'] },
];
/** Before each run, wait (at most QUIET_WAIT_MS) for other processes to use less than this many cores. */
const QUIET_CORES = 0.35;
const QUIET_WAIT_MS = 3_000;

const median = (values) => {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const fmt = (v, digits = 0) => (Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—');

/**
 * @param {object} options
 * @param {string} options.root
 * @param {boolean} [options.quick]        one round, the relay benchmark's quick plans
 * @param {number} [options.rounds]        rounds (default 3, quick 1)
 * @param {number[]} [options.subscribers] subset of 100 / 500
 * @param {(line: string) => void} [options.log]
 */
export async function run(options) {
  const root = options.root;
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  const rounds = options.rounds ?? (options.quick ? 1 : 3);
  const plans = PLANS[options.quick ? 'quick' : 'full'].filter(
    (plan) => SUBSCRIBERS.includes(plan.subscribers) && (!options.subscribers || options.subscribers.includes(plan.subscribers)),
  );
  const helper = join(root, 'out/test/support/redis-server.js');
  if (!existsSync(join(root, 'dist/relay.js')) || !existsSync(helper)) {
    throw new Error('dist/relay.js or out/test/support/redis-server.js is missing: run `npm run build && npm run compile` (npm run bench does)');
  }
  const { startRedisServer } = await import(pathToFileURL(helper).href);

  const started = Date.now();
  const redises = [];
  const clusters = [];
  const results = [];
  const paced = [];
  try {
    for (const kind of KINDS) {
      for (const topology of TOPOLOGIES) {
        const redis = topology.redis ? await startRedisServer() : undefined;
        if (redis) {
          // Redis is part of the system measured: it runs at the servers' priority, not below them.
          raisePriority(redis.pid);
          redises.push(redis);
        }
        const nodes = [];
        clusters.push({ kind, topology, nodes });
        for (let i = 0; i < topology.nodes; i++) {
          nodes.push(await startServer({ name: `${kind.label} ${topology.id}${i}`, args: kind.args(topology, redis?.url), cwd: root }));
        }
      }
    }
    log(`cluster: ${clusters.reduce((n, c) => n + c.nodes.length, 0)} server processes and ${redises.length} redis-servers up`);
    for (let round = 0; round < rounds; round++) {
      for (const plan of plans) {
        // Rotate the order every round so no cluster always runs first.
        const order = clusters.map((_, i) => clusters[(i + round) % clusters.length]);
        for (const cluster of order) {
          const result = await measure(root, cluster, plan);
          results.push({ round, kind: cluster.kind.id, topology: cluster.topology.id, subscribers: plan.subscribers, ...result });
          log(`cluster: round ${round + 1}/${rounds} ${String(plan.subscribers).padStart(3)} subs ${cluster.kind.label.padEnd(11)} ${cluster.topology.label.padEnd(19)} ${describe(result)}`);
        }
      }
      for (const cluster of clusters.filter((c) => c.topology.id === 'c')) {
        const plan = { subscribers: PACED.subscribers, warmup: PACED.warmup, messages: PACED.messages[options.quick ? 'quick' : 'full'], window: PACED.window, paceMessagesPerSec: PACED.perSecond };
        const result = await measure(root, cluster, plan);
        paced.push({ round, kind: cluster.kind.id, ...result });
        log(`cluster: round ${round + 1}/${rounds} paced ${PACED.perSecond}/s ${cluster.kind.label.padEnd(11)} ${cluster.topology.label} ${describe(result)}`);
      }
    }
  } finally {
    await Promise.all(clusters.flatMap((c) => c.nodes.map((node) => node.stop())));
    await Promise.all(redises.map((redis) => redis.stop()));
  }
  const idleConnections = IDLE_CONNECTIONS[options.quick ? 'quick' : 'full'];
  const idleRuns = await measureIdleMemory({
    root,
    servers: IDLE_SERVERS,
    startRedis: async () => {
      const redis = await startRedisServer();
      raisePriority(redis.pid);
      return redis;
    },
    connections: idleConnections,
    rounds: Math.max(2, rounds),
    log,
  });
  const elapsedS = (Date.now() - started) / 1000;

  const summary = [];
  for (const plan of plans) {
    for (const topology of TOPOLOGIES) {
      const row = { subscribers: plan.subscribers, topology: topology.id, label: topology.label };
      for (const kind of KINDS) row[kind.id] = summarize(results.filter((r) => r.kind === kind.id && r.topology === topology.id && r.subscribers === plan.subscribers));
      row.oursVsSio = pairedRatio(results, plan.subscribers, ['ours', topology.id], ['sio', topology.id]);
      summary.push(row);
    }
  }
  const pacedSummary = Object.fromEntries(KINDS.map((kind) => [kind.id, summarize(paced.filter((r) => r.kind === kind.id))]));
  const targets = judge(plans, pacedSummary, results, paced);

  const cells = (s) => [fmt(s.deliveriesPerSec), fmt(s.p50Ms, 2), fmt(s.p99Ms, 2), `${s.exactRounds}/${s.rounds}${s.exactRounds === s.rounds ? ' ok' : ' LOST/DUP'}`];
  const plansText = plans.map((p) => `${p.subscribers} subs: ${p.messages} msgs after ${p.warmup} warm-up, window ${p.window}`).join('; ');
  return {
    tables: [
      {
        title: `Relay cluster — medians of ${rounds} interleaved round${rounds > 1 ? 's' : ''} (${elapsedS.toFixed(0)} s)`,
        columns: ['subs', 'topology', 'ours deliveries/s', 'p50 ms', 'p99 ms', 'exactly once, in order', 'Socket.IO deliveries/s', 'p50 ms', 'p99 ms', 'exactly once, in order', 'ours ÷ Socket.IO'],
        align: ['r', 'l', 'r', 'r', 'r', 'l', 'r', 'r', 'r', 'l', 'r'],
        rows: [
          ...summary.map((row) => [String(row.subscribers), row.label, ...cells(row.ours), ...cells(row.sio), `${fmt(row.oursVsSio, 2)}×`]),
          [String(PACED.subscribers), `(c) paced ${PACED.perSecond}/s`, ...cells(pacedSummary.ours), ...cells(pacedSummary.sio), '—'],
        ],
        notes: [
          `One publisher on node 0, subscribers spread round-robin over the nodes (in (c) a third share the publisher's node), one channel, the relay benchmark's ${results[0]?.messageBytes ?? 200}-byte message; ${plansText}.`,
          `ours = dist/relay.js as in the relay benchmark (${OURS_ARGS.slice(1).join(' ')}), plus --redis in (b) and (c). Socket.IO 4: (a) bench/relay/servers/socketio.mjs, (b)/(c) bench/cluster/servers/socketio-redis.mjs (@socket.io/redis-streams-adapter 0.3.1).`,
          'Redis: redis-server on loopback, AOF on with appendfsync always (as the cluster docs ask), one per cluster, at the servers\' raised priority.',
          `Paced: ${PACED.subscribers} subscribers, ${PACED.perSecond} messages/s held steady by the publisher (each message stamped when written); deliveries/s shows the rate achieved.`,
          'Latency: publish → deliver on the generator\'s clock (publisher and subscribers share the process), across nodes.',
          `Ratios (here and in the targets) are paired: the median over rounds of the ratio within a round. Before each run the benchmark waits up to ${QUIET_WAIT_MS / 1000} s for other processes to use < ${QUIET_CORES} cores; they used a median ${fmt(median([...results, ...paced].map((r) => r.backgroundBefore)), 2)} cores just before the runs (max ${fmt(Math.max(...[...results, ...paced].map((r) => r.backgroundBefore)), 2)}).`,
        ],
      },
      {
        title: `Memory per idle subscribed connection, ${fmt(idleConnections)} connections on one node`,
        columns: ['server', 'bytes per connection (median)', 'rounds', 'all subscribed', '÷ bare ws'],
        align: ['l', 'r', 'r', 'l', 'r'],
        rows: idleRows(idleRuns, idleConnections),
        notes: [
          `Growth of the server's VmRSS from before the clients connect to ${SETTLE_MS / 1000} s after the last one is subscribed, ÷ connections; a fresh server process each round; the clients (seed protocol, ${IDLE_CHANNELS} channels) in one other process.`,
          'ours: dist/relay.js with the default heartbeat (30 s) and limits, --max-connections 20000; on Redis adds --redis (idle channels each hold one Redis subscription per node).',
        ],
      },
      {
        title: 'Relay cluster targets (issue 10)',
        columns: ['check', 'measured', 'target', 'result'],
        align: ['l', 'r', 'l', 'l'],
        rows: targets.map((t) => [t.check, t.measured, t.target, t.pass ? 'PASS' : 'FAIL']),
        notes: ['Targets are reported, not enforced: benchmarks never fail `npm test`.'],
      },
    ],
    json: { rounds, elapsedSeconds: elapsedS, plans, paced: PACED, summary, pacedSummary, targets, runs: results, pacedRuns: paced, idleConnections, idleRuns },
  };
}

async function measure(root, cluster, plan) {
  const timeoutMs = 60_000;
  const backgroundBefore = await waitForQuiet({ maxCores: QUIET_CORES, maxWaitMs: QUIET_WAIT_MS });
  const result = await runGenerator({
    script: join(root, 'bench/cluster/spread-generator.mjs'),
    cwd: root,
    timeoutMs: timeoutMs + 15_000,
    config: {
      host: '127.0.0.1',
      port: cluster.nodes[0].port,
      nodePorts: cluster.nodes.map((node) => node.port),
      protocol: cluster.kind.protocol,
      serverPid: cluster.nodes[0].pid,
      timeoutMs,
      ...plan,
    },
  });
  return { backgroundBefore, ...result };
}

function describe(result) {
  if (result.failed) return `FAILED ${result.failed.split('\n')[0]}`;
  if (result.stalled) return `STALLED (timed out before every subscriber had every message) ${JSON.stringify(result.exact)} ${result.errors.join('; ')}`;
  const l = result.latency;
  return (
    `${Math.round(result.deliveriesPerSec).toLocaleString('en-US').padStart(9)}/s p50 ${l.p50Ms.toFixed(2)} p99 ${l.p99Ms.toFixed(2)} ms` +
    `${result.exact.ok ? '' : ` NOT EXACT ${JSON.stringify(result.exact)} ${result.errors.join('; ')}`}`
  );
}

function summarize(runs) {
  const ok = runs.filter((r) => !r.failed && !r.stalled);
  return {
    rounds: runs.length,
    deliveriesPerSec: median(ok.map((r) => r.deliveriesPerSec)),
    messagesPerSec: median(ok.map((r) => r.messagesPerSec)),
    p50Ms: median(ok.map((r) => r.latency.p50Ms)),
    p99Ms: median(ok.map((r) => r.latency.p99Ms)),
    exactRounds: ok.filter((r) => r.exact.ok).length,
  };
}

/**
 * Ratios are paired: the median over rounds of (x ÷ y) within one round, whose runs were
 * measured seconds apart — on a shared machine steadier than a ratio of medians.
 */
function pairedRatio(results, subscribers, x, y) {
  const rounds = [...new Set(results.map((r) => r.round))];
  const find = (round, [kind, topology]) =>
    results.find((r) => r.round === round && r.subscribers === subscribers && r.kind === kind && r.topology === topology && !r.failed && !r.stalled);
  return median(
    rounds.map((round) => {
      const a = find(round, x);
      const b = find(round, y);
      return a && b ? a.deliveriesPerSec / b.deliveriesPerSec : NaN;
    }),
  );
}

function idleRows(runs, connections) {
  const bare = median(runs.filter((r) => r.server === 'bare').map((r) => r.perConnection));
  return IDLE_SERVERS.map((server) => {
    const mine = runs.filter((r) => r.server === server.id);
    const bytes = median(mine.map((r) => r.perConnection));
    const complete = mine.filter((r) => r.subscribed === connections).length;
    return [server.label, fmt(bytes), String(mine.length), `${complete}/${mine.length}`, server.id === 'bare' ? '1.00×' : `${fmt(bytes / bare, 2)}×`];
  });
}

function judge(plans, pacedSummary, results, paced) {
  const targets = [];
  for (const plan of plans) {
    const n = plan.subscribers;
    const ratioC = pairedRatio(results, n, ['ours', 'c'], ['sio', 'c']);
    targets.push({ check: `${n} subs: ours (c) ÷ Socket.IO (c), deliveries/s`, measured: `${fmt(ratioC, 2)}×`, target: '≥ 2×', pass: ratioC >= 2 });
    const ratioB = pairedRatio(results, n, ['ours', 'b'], ['ours', 'a']);
    targets.push({ check: `${n} subs: ours (b) ÷ ours (a), deliveries/s`, measured: `${fmt(ratioB, 2)}×`, target: '≥ 0.7×', pass: ratioB >= 0.7 });
  }
  const p = pacedSummary.ours;
  targets.push({
    check: `ours (c) p99 at a steady ${PACED.perSecond} msgs/s (achieved ${fmt(p.messagesPerSec)}/s)`,
    measured: `${fmt(p.p99Ms, 2)} ms`,
    target: `≤ ${PACED_P99_MS} ms`,
    pass: p.p99Ms <= PACED_P99_MS && p.messagesPerSec >= PACED.perSecond * 0.95,
  });
  const ours = [...results.filter((r) => r.kind === 'ours'), ...paced.filter((r) => r.kind === 'ours')];
  const exact = ours.filter((r) => !r.failed && r.exact?.ok).length;
  targets.push({ check: 'ours: every subscriber got every message once, in order', measured: `${exact}/${ours.length} runs`, target: 'all runs', pass: exact === ours.length });
  return targets;
}
