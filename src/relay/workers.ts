/**
 * `--workers N`: one relay node on every core. The primary process forks N workers that each
 * run the whole relay on the same port (Node's cluster module hands each new connection to
 * the next worker) and share channels, history and offsets through the Redis broker, exactly
 * as separate nodes do. The primary only starts, restarts and stops them: it holds no
 * connection and no channel.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { serveWorkerNode } from './worker-node';

/** A worker that dies is started again after this long (and not in a tight loop). */
const RESTART_DELAY_MS = 1_000;
/** How long stopping waits for the workers to close their connections before it kills them. */
const STOP_TIMEOUT_MS = 15_000;

export const MAX_WORKERS = Math.max(64, availableParallelism() * 4);

/** What a worker tells the primary once it listens. */
interface ListeningMessage {
  kind: 'weather-relay:listening';
  url: string;
}

export function isWorker(): boolean {
  return cluster.isWorker;
}

/** In a worker: tells the primary where it listens (the primary prints it once for all). */
export function reportListening(url: string): void {
  process.send?.({ kind: 'weather-relay:listening', url } satisfies ListeningMessage);
}

/**
 * In the primary: runs `count` workers with this process's arguments until SIGTERM/SIGINT,
 * restarts any that die, passes SIGHUP (TLS reload) on to all. `say` writes a log line;
 * `listening` is called once every worker listens, with the URL.
 */
export function runWorkers(count: number, say: (line: string) => void, listening: (url: string) => void): void {
  let stopping = false;
  let reported = false;
  const listeningWorkers = new Map<number, Worker>();
  const start = (): Worker => {
    const worker = cluster.fork();
    worker.on('message', (message: ListeningMessage) => {
      if (message?.kind !== 'weather-relay:listening') return;
      listeningWorkers.set(worker.id, worker);
      if (!reported && listeningWorkers.size >= count) {
        reported = true;
        listening(message.url);
      }
    });
    return worker;
  };
  cluster.on('exit', (worker, code, signal) => {
    listeningWorkers.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    say(`worker ${worker.process.pid} ended (${signal ?? `exit ${code}`}); starting another in ${RESTART_DELAY_MS / 1000} s`);
    setTimeout(() => {
      if (!stopping) start();
    }, RESTART_DELAY_MS).unref();
  });
  const each = (signal: NodeJS.Signals) => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    say(`${signal} received, stopping ${count} workers`);
    each('SIGTERM');
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    setTimeout(() => {
      each('SIGKILL');
      process.exit(1);
    }, STOP_TIMEOUT_MS).unref();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', () => each('SIGHUP'));
  serveWorkerNode(() => [...listeningWorkers.values()]);
  for (let i = 0; i < count; i++) start();
}
