/**
 * A relay node's view of the channels shared through Redis: publish (atomic, idempotent
 * per message id), history reads for resuming subscribers, live fan-out by pub/sub, and
 * health. Two connections: one for commands, a duplicate for pub/sub (a subscribed
 * connection takes no other commands). Commands fail fast while Redis is away (no offline
 * queue, a reply timeout) with a RedisUnavailableError, and the connections keep
 * reconnecting with a capped backoff, so the relay can answer `unavailable` at once and
 * resume when Redis returns.
 */
import { createClient, RESP_TYPES } from '@redis/client';
import { channelNameProblem } from '../../protocol/wire/channel';
import { CommandDeadlines } from './deadlines';
import { newEpoch } from './epochs';
import { beforeDeadline, failureReason, RedisUnavailableError, unavailable } from './errors';
import { KeyNames } from './keys';
import { LiveSubscriptions, type LiveListener, type PubSubConnection } from './live-subscriptions';
import { databaseOf, redisStoreSettings, type RedisStoreOptions, type RedisStoreSettings } from './options';
import { CENSUS_SCRIPT, HISTORY_SCRIPT, PUBLISH_SCRIPT, runScript, ScriptCache, type CommandSender } from './scripts';

export interface PublishResult {
  /** The message's place in its channel, from 1. */
  offset: number;
  epoch: string;
  /** True when the id was already published on the channel: nothing was stored or sent this time. */
  duplicate: boolean;
}

export interface HistoryRead {
  epoch: string;
  /** The channel's latest offset; 0 before its first publish. */
  top: number;
  /** Oldest first, each offset once. */
  entries: { offset: number; frame: Buffer }[];
}

export type StoreHealth = { ok: true; roundTripMs: number } | { ok: false; reason: string };

export interface StoreMetrics {
  /** The last PING round trip measured by health(), in milliseconds. */
  roundTripMs: number | undefined;
  /** Redis operations that failed (publish, history, subscribe, PING) plus malformed live messages. */
  backplaneErrors: number;
  /** Times the pub/sub connection came back after being lost. */
  pubsubReconnects: number;
  /** Whether the pub/sub connection is up now. */
  pubsubConnected: boolean;
  /** Local live listeners that threw. */
  listenerErrors: number;
}

/** Replies as Buffers: frames are bytes, whatever they hold. */
const BUFFER_REPLIES = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer, [RESP_TYPES.SIMPLE_STRING]: Buffer } };

type PublishReply = [number, Buffer, number];

/** Commands a node may have waiting for Redis at once; more are refused as unavailable. */
const MAX_QUEUED_COMMANDS = 20_000;
type HistoryReply = [Buffer, number, (number | Buffer)[]];

export class RedisChannelStore {
  readonly settings: RedisStoreSettings;
  readonly #keys: KeyNames;
  readonly #commands: ReturnType<typeof createClient>;
  readonly #pubsub: ReturnType<typeof createClient>;
  readonly #live: LiveSubscriptions;
  readonly #connected: Promise<unknown>;
  readonly #scripts = new ScriptCache();
  readonly #deadlines: CommandDeadlines;
  /** When a command last got its answer: a PING held up behind a burst of publishes is not a dead Redis. */
  #lastReplyAt = -Infinity;
  #lastError: unknown;
  #roundTripMs: number | undefined;
  #failures = 0;
  #closed: Promise<void> | undefined;

  /** Starts connecting at once; Redis being down is not an error here (see ready() and health()). */
  constructor(options: RedisStoreOptions) {
    this.settings = redisStoreSettings(options);
    this.#deadlines = new CommandDeadlines(this.settings.commandTimeoutMs);
    this.#keys = new KeyNames(this.settings.keyPrefix, databaseOf(this.settings.url));
    const { maxReconnectDelayMs, livenessIntervalMs } = this.settings;
    this.#commands = createClient({
      url: this.settings.url,
      disableOfflineQueue: true,
      // Deadlines are ours (one timer for all, see CommandDeadlines); node-redis's own would make an AbortSignal per command.
      commandOptions: { timeout: 0 },
      // A Redis slower than the publishes coming in refuses the excess at once (`unavailable`), rather than queueing without end.
      commandsQueueMaxLength: MAX_QUEUED_COMMANDS,
      pingInterval: livenessIntervalMs,
      socket: {
        connectTimeout: this.settings.connectTimeoutMs,
        socketTimeout: 3 * livenessIntervalMs,
        // Never gives up (the relay outlives a Redis outage): doubles from 50 ms up to the cap,
        // with a little jitter so the nodes of a cluster do not all knock at once.
        reconnectStrategy: (retries: number) =>
          Math.round(Math.min(50 * 2 ** Math.min(retries, 16), maxReconnectDelayMs) * (0.8 + 0.2 * Math.random())),
      },
    });
    this.#pubsub = this.#commands.duplicate();
    for (const client of [this.#commands, this.#pubsub]) {
      // Without a listener an 'error' event would crash the process; the cause is kept for health().
      client.on('error', (error: unknown) => {
        this.#lastError = error;
      });
    }
    // A re-made connection may reach a restarted Redis, whose script cache is empty.
    this.#commands.on('ready', () => this.#scripts.clear());
    this.#live = new LiveSubscriptions(
      this.#pubsub as unknown as PubSubConnection,
      (channel) => this.#keys.channel(channel).topic,
      this.settings.commandTimeoutMs,
    );
    this.#connected = Promise.all([this.#commands.connect(), this.#pubsub.connect()]);
    // Rejects only when close() interrupts the first connection: nothing to report then.
    this.#connected.catch(() => undefined);
  }

  /**
   * Settles once both connections have come up (the first time), or rejects with
   * RedisUnavailableError after `timeoutMs`; they keep trying either way.
   */
  async ready(timeoutMs: number): Promise<void> {
    try {
      await beforeDeadline(this.#connected, timeoutMs);
    } catch {
      if (this.#closed) throw closedError();
      const why = this.#lastError === undefined ? 'no connection yet' : failureReason(this.#lastError);
      throw new RedisUnavailableError(`Redis did not answer within ${timeoutMs} ms: ${why}.`);
    }
  }

  async publish(channel: string, frame: Buffer, id?: string | null): Promise<PublishResult> {
    checkChannel(channel);
    if (!Buffer.isBuffer(frame)) throw new TypeError('A published frame must be a Buffer.');
    const keys = this.#keys.channel(channel);
    const scriptKeys = [keys.stream, keys.meta, this.#keys.dataSetEpoch];
    if (typeof id === 'string') scriptKeys.push(this.#keys.idempotency(channel, id));
    const s = this.settings;
    const [offset, epoch, duplicate] = await this.#run<PublishReply>(`publish on channel ${channel}`, (client) =>
      runScript(client, this.#scripts, PUBLISH_SCRIPT, scriptKeys, [
        frame,
        keys.topic,
        newEpoch(),
        String(s.historySize),
        String(s.historyTtlSeconds),
        String(s.metaTtlSeconds),
        String(s.idempotencyTtlSeconds),
      ], BUFFER_REPLIES),
    );
    return { offset, epoch: epoch.toString('latin1'), duplicate: duplicate === 1 };
  }

  /**
   * The epoch of the data set in Redis, shared by every node on it: the one already stored, or
   * `candidate` when there was none (a new or emptied Redis). The key never expires, so it only
   * changes when Redis loses its data, and then every node adopts the first new one written.
   */
  async dataSetEpoch(candidate: string): Promise<string> {
    const key = this.#keys.dataSetEpoch;
    const earlier = await this.#run<Buffer | null>('read the data set epoch', (client) =>
      client.sendCommand(['SET', key, candidate, 'NX', 'GET'], BUFFER_REPLIES),
    );
    return earlier === null ? candidate : earlier.toString('latin1');
  }

  /** Entries after offset `since`, at most `limit` (capped by maxHistoryRead), with the channel's epoch and top offset. */
  async history(channel: string, since: number, limit: number): Promise<HistoryRead> {
    checkChannel(channel);
    if (!Number.isSafeInteger(since) || since < 0) throw new RangeError('since must be a whole number of at least 0.');
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError('A history limit must be a whole number of at least 0.');
    const keys = this.#keys.channel(channel);
    const count = Math.min(limit, this.settings.maxHistoryRead);
    const [epoch, top, flat] = await this.#run<HistoryReply>(`read the history of channel ${channel}`, (client) =>
      runScript(client, this.#scripts, HISTORY_SCRIPT, [keys.stream, keys.meta, this.#keys.dataSetEpoch], [
        String(since + 1),
        String(count),
        newEpoch(),
        String(this.settings.metaTtlSeconds),
      ], BUFFER_REPLIES),
    );
    const entries: HistoryRead['entries'] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ offset: flat[i] as number, frame: flat[i + 1] as Buffer });
    return { epoch: epoch.toString('latin1'), top, entries };
  }

  /**
   * Restarts the meta TTL of each of `channels` that has a meta hash (EXPIRE does nothing to a
   * missing key): a channel its subscribers still watch keeps its offsets however long it is quiet.
   */
  async keepChannels(channels: readonly string[]): Promise<void> {
    const ttl = String(this.settings.metaTtlSeconds);
    await Promise.all(
      channels.map((channel) => this.#run('keep a watched channel\'s offsets', (client) => client.sendCommand(['EXPIRE', this.#keys.channel(channel).meta, ttl]))),
    );
  }

  /** Replaces process `processId`'s census (channel name, subscribers pairs), to expire after `ttlMs` unless renewed. */
  async reportChannels(processId: string, channels: ReadonlyArray<readonly [string, number]>, ttlMs: number): Promise<void> {
    const args = [processId, String(ttlMs)];
    for (const [name, subscribers] of channels) args.push(name, String(subscribers));
    await this.#run('report this process\'s channels', (client) =>
      runScript(client, this.#scripts, CENSUS_SCRIPT, [this.#keys.census, this.#keys.censusOf(processId)], args),
    );
  }

  /** Extends the census of `processId` by `ttlMs`; false when it is gone (expired, or Redis lost it) and must be reported again. */
  async renewChannels(processId: string, ttlMs: number): Promise<boolean> {
    const renewed = await this.#run<number>('renew this process\'s channels', (client) =>
      client.sendCommand(['PEXPIRE', this.#keys.censusOf(processId), String(ttlMs)]),
    );
    return renewed === 1;
  }

  /**
   * The censuses of the processes in the census set, at most `maxProcesses` of them, skipping
   * those in `skip`: raw name → subscribers strings, as Redis holds them. A process whose census
   * expired (it stopped, or died) leaves the set here.
   */
  async readCensus(skip: ReadonlySet<string>, maxProcesses: number): Promise<Array<{ processId: string; fields: Record<string, string> }>> {
    const members = await this.#run<string[]>('list the relay processes', (client) => client.sendCommand(['SRANDMEMBER', this.#keys.census, String(maxProcesses)]));
    const wanted = members.filter((processId) => !skip.has(processId));
    const hashes = await Promise.all(
      wanted.map((processId) =>
        this.#run<unknown>('read a relay process\'s channels', (client) => client.sendCommand(['HGETALL', this.#keys.censusOf(processId)])),
      ),
    );
    const censuses: Array<{ processId: string; fields: Record<string, string> }> = [];
    const gone: string[] = [];
    wanted.forEach((processId, i) => {
      const fields = hashFields(hashes[i]);
      if (fields === undefined) gone.push(processId);
      else censuses.push({ processId, fields });
    });
    // Best effort: the next reader tries again, and a live process re-adds itself when it reports.
    if (gone.length > 0) await this.#run('forget ended relay processes', (client) => client.sendCommand(['SREM', this.#keys.census, ...gone])).catch(() => undefined);
    return censuses;
  }

  /** Removes the census of `processId` (it is closing). */
  async forgetChannels(processId: string): Promise<void> {
    await this.#run('remove this process\'s channels', (client) => runScript(client, this.#scripts, CENSUS_SCRIPT, [this.#keys.census, this.#keys.censusOf(processId)], [processId, '1']));
  }

  /**
   * Adds a live listener; settles when Redis confirmed the subscription. Rejects with
   * RedisUnavailableError when Redis cannot confirm now: the listener stays, and
   * onPubSubRestored reports the channel once it is subscribed.
   */
  async subscribe(channel: string, listener: LiveListener): Promise<void> {
    checkChannel(channel);
    if (this.#closed) throw closedError();
    try {
      await this.#live.subscribe(channel, listener);
    } catch (error) {
      this.#failures++;
      throw error;
    }
  }

  /** Never rejects. */
  unsubscribe(channel: string, listener: LiveListener): Promise<void> {
    return this.#live.unsubscribe(channel, listener);
  }

  /**
   * Calls `listener` with every locally subscribed channel after the pub/sub connection
   * came back: live messages may have been lost meanwhile, so each must be re-read from its
   * stream. Returns a function that removes the listener.
   */
  onPubSubRestored(listener: (channels: string[]) => void): () => void {
    return this.#live.onRestored(listener);
  }

  /** PINGs Redis (bounded by the command timeout) and reports whether both connections work. */
  async health(): Promise<StoreHealth> {
    if (this.#closed) return { ok: false, reason: closedError().message };
    const started = performance.now();
    try {
      await this.#run('answer PING', (client) => client.sendCommand(['PING']));
      this.#roundTripMs = performance.now() - started;
    } catch (error) {
      // Queued behind a burst of publishes that Redis is still answering: busy, not down.
      if (!this.answeredSince(started)) return { ok: false, reason: (error as Error).message };
      this.#roundTripMs = performance.now() - started;
    }
    if (!this.#pubsub.isReady) return { ok: false, reason: 'The pub/sub connection to Redis is down and reconnecting.' };
    return { ok: true, roundTripMs: this.#roundTripMs };
  }

  /** True when some command got its answer after `time` (performance.now()) on a working connection: Redis is answering. */
  answeredSince(time: number): boolean {
    return this.#lastReplyAt > time && this.#commands.isReady;
  }

  metrics(): StoreMetrics {
    const live = this.#live.counters;
    return {
      roundTripMs: this.#roundTripMs,
      backplaneErrors: this.#failures + live.malformedMessages,
      pubsubReconnects: live.pubsubReconnects,
      pubsubConnected: this.#pubsub.isReady,
      listenerErrors: live.listenerErrors,
    };
  }

  /** Closes both connections, waiting at most the command timeout for replies in flight. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= Promise.all(
      [this.#commands, this.#pubsub].map(async (client) => {
        let timer: NodeJS.Timeout | undefined;
        const drained = client.isReady ? client.close().catch(() => undefined) : Promise.resolve();
        await Promise.race([drained, new Promise((resolve) => (timer = setTimeout(resolve, this.settings.commandTimeoutMs)))]);
        clearTimeout(timer);
        client.destroy();
      }),
    ).then(() => undefined);
    return this.#closed;
  }

  async #run<T>(operation: string, command: (client: CommandSender) => Promise<unknown>): Promise<T> {
    try {
      if (this.#closed) throw closedError();
      const reply = (await this.#deadlines.track(command(this.#commands as unknown as CommandSender))) as T;
      this.#lastReplyAt = performance.now();
      return reply;
    } catch (error) {
      this.#failures++;
      throw unavailable(operation, error, this.#lastError);
    }
  }

}

/** An HGETALL reply (node-redis gives an object; a raw reply is flat pairs) as fields; undefined for none. */
function hashFields(reply: unknown): Record<string, string> | undefined {
  const fields: Record<string, string> = Object.create(null);
  const pairs: Array<[unknown, unknown]> = [];
  if (Array.isArray(reply)) for (let at = 0; at + 1 < reply.length; at += 2) pairs.push([reply[at], reply[at + 1]]);
  else if (reply instanceof Map) pairs.push(...reply);
  else if (typeof reply === 'object' && reply !== null) pairs.push(...Object.entries(reply));
  for (const [name, value] of pairs) fields[String(name)] = String(value);
  return pairs.length === 0 ? undefined : fields;
}

function closedError(): RedisUnavailableError {
  return new RedisUnavailableError('The Redis channel store is closed.');
}

function checkChannel(channel: string): void {
  const problem = channelNameProblem(channel);
  if (problem) throw new RangeError(`${problem}.`);
}
