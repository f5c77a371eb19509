/**
 * Answers for the whole node under `--workers`: a request lands on any worker, and each
 * worker alone knows only its own connections and channels, so the worker that is asked
 * gathers every listening worker's answer through the primary (over the cluster's IPC
 * channel). /healthz and /metrics read the node's figures this way, the watch page's
 * /api/channels its channels. A worker that does not answer in time is named rather than
 * waited for, so a stuck worker cannot hang the health check that would reveal it.
 */
import cluster, { type Worker } from 'node:cluster';
import type { ProcessChannels } from './channel-listing';
import type { NodeStats } from './http';
import type { RelaySnapshot } from './metrics';

/** How long the primary waits for every worker's answer. */
export const COLLECT_TIMEOUT_MS = 1_000;
/** Requests a worker may have waiting on the primary at once; more are refused, not queued. */
const MAX_PENDING_REQUESTS = 16;

/** What the workers of a node can be asked, and what each one answers. */
interface Topics {
  /** This worker's figures for /healthz and /metrics. */
  stats: RelaySnapshot;
  /** This worker's channels with subscribers (at most MAX_CHANNELS_SCANNED, by name), and its name in the census. */
  channels: ProcessChannels;
}
type Topic = keyof Topics;
const TOPICS: readonly Topic[] = ['stats', 'channels'];

/** Worker → primary: gather the node's answers on `topic` for request `id`. */
interface GatherRequest {
  kind: 'weather-relay:gather';
  id: number;
  topic: Topic;
}
/** Primary → every worker: answer `topic` for collection `id`. */
interface CollectRequest {
  kind: 'weather-relay:collect';
  id: number;
  topic: Topic;
}
/** Worker → primary: this worker's answer for collection `id`. */
interface Collected {
  kind: 'weather-relay:collected';
  id: number;
  value: unknown;
}
/** Primary → the asking worker: every worker's answer to its request `id`. */
interface Gathered {
  kind: 'weather-relay:gathered';
  id: number;
  parts: Array<{ worker: number; value: unknown }>;
  missing: string[];
}

function isMessage<T extends { kind: string; id: number }>(message: unknown, kind: T['kind']): message is T {
  return typeof message === 'object' && message !== null && (message as T).kind === kind && Number.isSafeInteger((message as T).id);
}

function isTopic(topic: unknown): topic is Topic {
  return TOPICS.includes(topic as Topic);
}

/** In a worker: answers the primary's collections, and asks the whole node through it. */
export class WorkerNode {
  private readonly providers: { [T in Topic]?: () => Topics[T] } = {};
  private readonly pending = new Map<number, (answer: Gathered) => void>();
  private nextId = 1;

  constructor() {
    process.on('message', (message: unknown) => {
      if (isMessage<CollectRequest>(message, 'weather-relay:collect') && isTopic(message.topic)) {
        const provide = this.providers[message.topic];
        if (provide) process.send?.({ kind: 'weather-relay:collected', id: message.id, value: provide() } satisfies Collected);
      } else if (isMessage<Gathered>(message, 'weather-relay:gathered')) {
        this.pending.get(message.id)?.(message);
      }
    });
  }

  /** /healthz and /metrics for the node, from each worker's `local` snapshot. */
  stats(local: () => RelaySnapshot): NodeStats {
    this.providers.stats = local;
    return {
      read: async () => {
        const { parts, missing } = await this.gather('stats');
        return { parts: parts.map(({ worker, value }) => ({ worker, snapshot: value })), missing };
      },
    };
  }

  /** Every worker's channels (from its `local` listing), for channel-listing.ts; workers that do not answer in time are left out. */
  channels(local: () => ProcessChannels): () => Promise<ProcessChannels[]> {
    this.providers.channels = local;
    return async () => (await this.gather('channels')).parts.map(({ value }) => value);
  }

  private gather<T extends Topic>(topic: T): Promise<{ parts: Array<{ worker: number; value: Topics[T] }>; missing: string[] }> {
    return new Promise((resolve, reject) => {
      if (this.pending.size >= MAX_PENDING_REQUESTS) {
        reject(new Error(`${MAX_PENDING_REQUESTS} requests to the other workers are already waiting; try again shortly`));
        return;
      }
      const id = this.nextId++;
      // The primary answers within its own timeout; this one only covers a primary that is gone.
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error('the primary process did not answer'));
      }, COLLECT_TIMEOUT_MS * 2);
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        this.pending.delete(id);
        // Our own workers' answers to our own question: their shape is the topic's.
        resolve({ parts: answer.parts as Array<{ worker: number; value: Topics[T] }>, missing: answer.missing });
      });
      process.send?.({ kind: 'weather-relay:gather', id, topic } satisfies GatherRequest);
    });
  }
}

/**
 * In the primary: serves the workers' requests. For each, asks every `serving` worker (those
 * listening: one still starting takes no connections and has nothing to say yet) and, once all
 * have answered or COLLECT_TIMEOUT_MS has passed, sends the asking worker what came back (by
 * worker id) and which workers stayed silent.
 */
export function serveWorkerNode(serving: () => Worker[]): void {
  let nextCollection = 1;
  const collections = new Map<number, (workerId: number, value: unknown) => void>();
  cluster.on('message', (worker, message: unknown) => {
    if (isMessage<Collected>(message, 'weather-relay:collected')) {
      collections.get(message.id)?.(worker.id, message.value);
      return;
    }
    if (!isMessage<GatherRequest>(message, 'weather-relay:gather') || !isTopic(message.topic)) return;
    const { id: requestId, topic } = message;
    const workers = serving().filter((candidate) => candidate.isConnected());
    const id = nextCollection++;
    const answered = new Map<number, unknown>();
    const finish = (): void => {
      clearTimeout(timer);
      collections.delete(id);
      const parts = [...answered].sort(([a], [b]) => a - b).map(([workerId, value]) => ({ worker: workerId, value }));
      const missing = workers.filter((candidate) => !answered.has(candidate.id)).map((candidate) => `worker ${candidate.id} (pid ${candidate.process.pid})`);
      if (worker.isConnected()) worker.send({ kind: 'weather-relay:gathered', id: requestId, parts, missing } satisfies Gathered);
    };
    const timer = setTimeout(finish, COLLECT_TIMEOUT_MS);
    collections.set(id, (workerId, value) => {
      answered.set(workerId, value);
      if (answered.size >= workers.length) finish();
    });
    for (const target of workers) target.send({ kind: 'weather-relay:collect', id, topic } satisfies CollectRequest);
  });
}
