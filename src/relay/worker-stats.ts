/**
 * /healthz and /metrics for a node of `--workers`: a scraper's request lands on any worker,
 * and each worker alone knows only its own connections, so the worker that is asked gathers
 * every worker's snapshot through the primary and answers for the whole node (each series
 * labelled `worker="N"`; /healthz sums them). A worker that does not answer in time is named
 * rather than waited for, so a stuck worker cannot hang the health check that would reveal it.
 */
import cluster, { type Worker } from 'node:cluster';
import type { NodeStats } from './http';
import type { RelaySnapshot, SnapshotPart } from './metrics';

/** How long the primary waits for every worker's snapshot. */
export const COLLECT_TIMEOUT_MS = 1_000;
/** Requests a worker may have waiting on the primary at once; more are refused, not queued. */
const MAX_PENDING_REQUESTS = 16;

/** Worker → primary: gather the node's snapshots for request `id`. */
interface StatsRequest {
  kind: 'weather-relay:stats-request';
  id: number;
}
/** Primary → every worker: send your snapshot for collection `id`. */
interface CollectRequest {
  kind: 'weather-relay:collect';
  id: number;
}
/** Worker → primary: this worker's snapshot for collection `id`. */
interface Collected {
  kind: 'weather-relay:collected';
  id: number;
  snapshot: RelaySnapshot;
}
/** Primary → the asking worker: the node's snapshots for its request `id`. */
interface StatsAnswer {
  kind: 'weather-relay:stats';
  id: number;
  parts: SnapshotPart[];
  missing: string[];
}

function isMessage<T extends { kind: string; id: number }>(message: unknown, kind: T['kind']): message is T {
  return typeof message === 'object' && message !== null && (message as T).kind === kind && Number.isSafeInteger((message as T).id);
}

/** In a worker: answers the primary's collections, and reads the whole node's figures through it. */
export function workerNodeStats(local: () => RelaySnapshot): NodeStats {
  const pending = new Map<number, (answer: StatsAnswer) => void>();
  let nextId = 1;
  process.on('message', (message: unknown) => {
    if (isMessage<CollectRequest>(message, 'weather-relay:collect')) {
      process.send?.({ kind: 'weather-relay:collected', id: message.id, snapshot: local() } satisfies Collected);
    } else if (isMessage<StatsAnswer>(message, 'weather-relay:stats')) {
      pending.get(message.id)?.(message);
    }
  });
  return {
    read: () =>
      new Promise((resolve, reject) => {
        if (pending.size >= MAX_PENDING_REQUESTS) {
          reject(new Error(`${MAX_PENDING_REQUESTS} requests for them are already waiting; try again shortly`));
          return;
        }
        const id = nextId++;
        // The primary answers within its own timeout; this one only covers a primary that is gone.
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error('the primary process did not answer'));
        }, COLLECT_TIMEOUT_MS * 2);
        pending.set(id, (answer) => {
          clearTimeout(timer);
          pending.delete(id);
          resolve({ parts: answer.parts, missing: answer.missing });
        });
        process.send?.({ kind: 'weather-relay:stats-request', id } satisfies StatsRequest);
      }),
  };
}

/**
 * In the primary: serves the workers' stats requests. For each, asks every `serving` worker (those
 * listening: one still starting takes no connections and has no figures yet) for its snapshot and, once all have answered or COLLECT_TIMEOUT_MS has passed, sends the asking
 * worker what came back (by worker id) and which workers stayed silent.
 */
export function serveWorkerStats(serving: () => Worker[]): void {
  let nextCollection = 1;
  const collections = new Map<number, (workerId: number, snapshot: RelaySnapshot) => void>();
  cluster.on('message', (worker, message: unknown) => {
    if (isMessage<Collected>(message, 'weather-relay:collected')) {
      collections.get(message.id)?.(worker.id, message.snapshot);
      return;
    }
    if (!isMessage<StatsRequest>(message, 'weather-relay:stats-request')) return;
    const requestId = message.id;
    const workers = serving().filter((candidate) => candidate.isConnected());
    const id = nextCollection++;
    const answered = new Map<number, RelaySnapshot>();
    const finish = (): void => {
      clearTimeout(timer);
      collections.delete(id);
      const parts = [...answered].sort(([a], [b]) => a - b).map(([workerId, snapshot]) => ({ worker: workerId, snapshot }));
      const missing = workers.filter((candidate) => !answered.has(candidate.id)).map((candidate) => `worker ${candidate.id} (pid ${candidate.process.pid})`);
      if (worker.isConnected()) worker.send({ kind: 'weather-relay:stats', id: requestId, parts, missing } satisfies StatsAnswer);
    };
    const timer = setTimeout(finish, COLLECT_TIMEOUT_MS);
    collections.set(id, (workerId, snapshot) => {
      answered.set(workerId, snapshot);
      if (answered.size >= workers.length) finish();
    });
    for (const target of workers) target.send({ kind: 'weather-relay:collect', id } satisfies CollectRequest);
  });
}
