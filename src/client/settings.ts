/**
 * The manager's options, their defaults, and the checks that refuse a bad value with one
 * sentence naming it. Options may come from user settings, so nothing here is trusted:
 * a NaN backoff would retry in a busy loop, a timeout past 2^31-1 ms fires at once (Node
 * clamps it to 1 ms), and a NaN window would never forget anything.
 */
import { rootCertificates } from 'node:tls';
import { FEATURES_HEADER, type RelayFeature } from '../protocol';
import type { BackoffOptions } from './backoff';

export interface WebSocketManagerOptions {
  /** Reconnect after a lost connection (default true); an object tunes the backoff. */
  reconnect?: boolean | BackoffOptions;
  /** Messages kept while offline; past this the oldest are dropped and reported (default 1000). */
  maxQueue?: number;
  /** How long the relay has to confirm subscribe / unsubscribe, from when the request is sent (default 5000 ms). */
  subscribeTimeoutMs?: number;
  /** How long opening the connection may take (default 10000 ms). */
  connectTimeoutMs?: number;
  /** Ping interval; a relay that does not answer within one interval is dropped (default 15000 ms, 0 = off). */
  heartbeatIntervalMs?: number;
  /** Extra HTTP headers for the upgrade request (e.g. Authorization). */
  headers?: Record<string, string>;
  /** PEM certificates of extra authorities to trust for wss:// (a team's private CA), besides the system's. */
  extraCa?: string;
  /** Largest frame accepted from the relay (default 16 MiB). */
  maxPayloadBytes?: number;
  /**
   * With a relay that offers it (ours; a seed relay does not): receipts for every publish,
   * resending what a restarted relay cannot vouch for, resuming the subscription from the
   * last offset seen, and dropping duplicate messages by id. Default true.
   */
  reliable?: boolean;
  /** On the first subscribe, also receive the messages the relay still holds (default false). */
  catchUp?: boolean;
  /** Sent messages kept for resending after a relay restart (default 500, half the relay's default history). */
  resendWindow?: number;
  /** Message ids remembered for dropping duplicates (default 10000). */
  dedupeWindow?: number;
  log?: Log;
}

export type Log = (level: 'info' | 'warn' | 'error', line: string) => void;

export interface ManagerSettings {
  maxQueue: number;
  subscribeTimeoutMs: number;
  connectTimeoutMs: number;
  heartbeatIntervalMs: number;
  maxPayloadBytes: number;
  /** False: do not reconnect. */
  backoff: BackoffOptions | false;
  headers: Record<string, string> | undefined;
  /** The authorities trusted for wss:// when extra ones were given (Node's roots plus those); undefined: Node's. */
  ca: string[] | undefined;
  catchUp: boolean;
  /** Undefined when `reliable` is off. */
  reliability: { resendWindow: number; dedupeWindow: number } | undefined;
}

/** The longest delay setTimeout honours. */
const MAX_TIMER_MS = 2_147_483_647;

/** Resolves `options` against the defaults; throws a RangeError or TypeError naming the first bad value. */
export function resolveSettings(options: WebSocketManagerOptions): ManagerSettings {
  const reconnect = options.reconnect ?? true;
  if (typeof reconnect !== 'boolean' && (typeof reconnect !== 'object' || reconnect === null)) {
    throw new TypeError(`reconnect must be true, false or backoff options, got ${typeof reconnect}`);
  }
  const reliable = options.reliable ?? true;
  const resendWindow = whole('resendWindow', options.resendWindow, 500, 0, Number.MAX_SAFE_INTEGER);
  const dedupeWindow = whole('dedupeWindow', options.dedupeWindow, 10_000, 0, Number.MAX_SAFE_INTEGER);
  return {
    maxQueue: whole('maxQueue', options.maxQueue, 1000, 1, Number.MAX_SAFE_INTEGER),
    subscribeTimeoutMs: whole('subscribeTimeoutMs', options.subscribeTimeoutMs, 5_000, 1, MAX_TIMER_MS),
    connectTimeoutMs: whole('connectTimeoutMs', options.connectTimeoutMs, 10_000, 1, MAX_TIMER_MS),
    heartbeatIntervalMs: whole('heartbeatIntervalMs', options.heartbeatIntervalMs, 15_000, 0, MAX_TIMER_MS),
    maxPayloadBytes: whole('maxPayloadBytes', options.maxPayloadBytes, 16 * 1024 * 1024, 1, 2 ** 32),
    backoff: reconnect === false ? false : reconnect === true ? {} : checkedBackoff(reconnect),
    headers: reliable ? { ...options.headers, [FEATURES_HEADER]: 'ack' satisfies RelayFeature } : options.headers,
    // Node's `ca` replaces its roots: extra authorities are trusted beside them, not instead.
    ca: options.extraCa ? [...rootCertificates, options.extraCa] : undefined,
    catchUp: options.catchUp ?? false,
    reliability: reliable ? { resendWindow, dedupeWindow } : undefined,
  };
}

function checkedBackoff(backoff: BackoffOptions): BackoffOptions {
  for (const name of ['initialDelayMs', 'maxDelayMs', 'minDelayMs'] as const) {
    if (backoff[name] !== undefined) whole(`reconnect.${name}`, backoff[name], 0, 0, MAX_TIMER_MS);
  }
  const factor = backoff.factor;
  if (factor !== undefined && !(typeof factor === 'number' && Number.isFinite(factor) && factor >= 1)) {
    throw new RangeError(`reconnect.factor must be a finite number of at least 1, got ${shown(factor)}`);
  }
  return backoff;
}

function whole(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(`${name} must be a whole number of at least ${min}, got ${shown(value)}`);
  }
  if (value > max) throw new RangeError(`${name} must be at most ${max}, got ${value}`);
  return value;
}

function shown(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value.slice(0, 40)) : String(value);
}
