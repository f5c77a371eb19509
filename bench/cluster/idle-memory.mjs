/**
 * Memory per idle subscribed connection on one node, so users can size nodes: the growth of
 * the server's resident memory (VmRSS, from /proc) while N clients connect and subscribe and
 * then sit idle, divided by N. Ours in memory, ours on Redis, and the bare `ws` broadcast
 * server of the relay benchmark, each in a fresh process per round, in the same run.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer } from '../relay/processes.mjs';

/** Channels the idle clients subscribe to, round-robin. */
export const IDLE_CHANNELS = 10;
/** Pause after the last subscription before memory is read. */
export const SETTLE_MS = 3_000;

const residentBytes = (pid) => Number(/^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens `connections` idle subscribers to `port` in a child process; resolves with it and its report. */
async function holdClients(root, port, connections) {
  const config = { host: '127.0.0.1', port, connections, channels: IDLE_CHANNELS, concurrency: 200, timeoutMs: 120_000 };
  const child = spawn(process.execPath, [join(root, 'bench/cluster/idle-clients.mjs'), JSON.stringify(config)], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdout.setEncoding('utf8');
  let line = '';
  for await (const chunk of child.stdout) {
    line += chunk;
    if (line.includes('\n')) break;
  }
  return { child, report: JSON.parse(line) };
}

/**
 * @param {object} options
 * @param {string} options.root
 * @param {Array<{ id: string, label: string, args: (redisUrl?: string) => string[], redis?: boolean }>} options.servers
 * @param {() => Promise<{ url: string, stop(): Promise<void> }>} options.startRedis
 * @param {number} options.connections
 * @param {number} options.rounds
 * @param {(line: string) => void} options.log
 */
export async function measureIdleMemory({ root, servers, startRedis, connections, rounds, log }) {
  const runs = [];
  for (let round = 0; round < rounds; round++) {
    for (const server of servers) {
      const redis = server.redis ? await startRedis() : undefined;
      const node = await startServer({ name: server.label, args: server.args(redis?.url), cwd: root });
      let clients;
      try {
        await delay(1_000);
        const before = residentBytes(node.pid);
        clients = await holdClients(root, node.port, connections);
        await delay(SETTLE_MS);
        const after = residentBytes(node.pid);
        const { subscribed, failed, firstError } = clients.report;
        const perConnection = subscribed > 0 ? (after - before) / subscribed : NaN;
        runs.push({ round, server: server.id, before, after, subscribed, failed, perConnection });
        log(`cluster: idle memory round ${round + 1}/${rounds} ${server.label.padEnd(18)} ${subscribed} subscribed${failed ? ` (${failed} failed: ${firstError})` : ''}, ${Math.round(perConnection).toLocaleString('en-US')} B each`);
      } finally {
        if (clients) {
          clients.child.kill('SIGTERM');
          await once(clients.child, 'exit');
        }
        await node.stop();
        await redis?.stop();
      }
    }
  }
  return runs;
}
