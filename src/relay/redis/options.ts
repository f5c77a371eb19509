/**
 * Settings of the Redis channel store, their defaults and their bounds. Every key the
 * store writes expires, every read is capped, and the client gives up on a command or a
 * reconnect attempt after a bounded time, so a dead Redis costs the relay a prompt refusal.
 */
import { checkKeyPrefix, DEFAULT_KEY_PREFIX } from './keys';

export interface RedisStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…` for TLS. */
  url: string;
  /** Start of every key and topic name, so several deployments can share one Redis. */
  keyPrefix?: string;
  /** Messages kept per channel (the stream's exact MAXLEN); 0 keeps none. */
  historySize?: number;
  /** Seconds a channel's history outlives its last publish. */
  historyTtlSeconds?: number;
  /** Seconds a channel's epoch and top offset outlive its last publish, or its last subscriber on any node; at least the history TTL. */
  metaTtlSeconds?: number;
  /** Seconds a published message id is remembered, so its resend is acknowledged, not delivered again. */
  idempotencyTtlSeconds?: number;
  /** Most entries one history read returns, whatever the caller asks. */
  maxHistoryRead?: number;
  /** Milliseconds a command may wait for its reply. */
  commandTimeoutMs?: number;
  /** Milliseconds one connection attempt may take. */
  connectTimeoutMs?: number;
  /** Longest pause between reconnection attempts (they back off from 50 ms up to this). */
  maxReconnectDelayMs?: number;
  /**
   * Milliseconds between PINGs on each connection; a connection silent for three of these
   * is dropped and re-made. TCP alone may take minutes to notice a Redis that hangs or a
   * network that drops packets, and a silent pub/sub connection would lose messages unseen.
   */
  livenessIntervalMs?: number;
}

export type RedisStoreSettings = Required<RedisStoreOptions>;

export const REDIS_STORE_DEFAULTS: Omit<RedisStoreSettings, 'url'> = {
  keyPrefix: DEFAULT_KEY_PREFIX,
  historySize: 1_000,
  historyTtlSeconds: 300,
  metaTtlSeconds: 30 * 24 * 3600,
  idempotencyTtlSeconds: 300,
  maxHistoryRead: 1_000,
  commandTimeoutMs: 2_000,
  connectTimeoutMs: 2_000,
  maxReconnectDelayMs: 2_000,
  livenessIntervalMs: 5_000,
};

const BOUNDS: Record<keyof typeof REDIS_STORE_DEFAULTS, [number, number] | undefined> = {
  keyPrefix: undefined,
  historySize: [0, 1_000_000],
  historyTtlSeconds: [1, 365 * 24 * 3600],
  metaTtlSeconds: [1, 365 * 24 * 3600],
  idempotencyTtlSeconds: [1, 24 * 3600],
  maxHistoryRead: [1, 100_000],
  commandTimeoutMs: [10, 60_000],
  connectTimeoutMs: [10, 60_000],
  maxReconnectDelayMs: [10, 60_000],
  livenessIntervalMs: [50, 60_000],
};

/** Fills in defaults; throws a RangeError (one sentence) for a setting out of its bounds. */
export function redisStoreSettings(options: RedisStoreOptions): RedisStoreSettings {
  const settings: RedisStoreSettings = { ...REDIS_STORE_DEFAULTS, ...definedOnly(options) };
  if (!/^rediss?:\/\//.test(settings.url)) {
    throw new RangeError('The Redis URL must start with redis:// or rediss://.');
  }
  databaseOf(settings.url);
  checkKeyPrefix(settings.keyPrefix);
  for (const [name, bounds] of Object.entries(BOUNDS)) {
    if (!bounds) continue;
    const value = settings[name as keyof RedisStoreSettings];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < bounds[0] || value > bounds[1]) {
      throw new RangeError(`The Redis setting ${name} must be a whole number from ${bounds[0]} to ${bounds[1]}.`);
    }
  }
  if (settings.metaTtlSeconds < settings.historyTtlSeconds) {
    throw new RangeError(
      'The Redis setting metaTtlSeconds must be at least historyTtlSeconds, or a history would outlive its offsets.',
    );
  }
  return settings;
}

/** The database a Redis URL selects (its path, `/3`), 0 when it names none; throws a RangeError for any other path. */
export function databaseOf(url: string): number {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    throw new RangeError('The Redis URL is not a valid URL.');
  }
  if (path === '' || path === '/') return 0;
  const match = /^\/(\d{1,9})$/.exec(path);
  if (!match) throw new RangeError('The path of a Redis URL may only be a database number, such as /1.');
  return Number(match[1]);
}

function definedOnly(options: RedisStoreOptions): RedisStoreOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as RedisStoreOptions;
}
