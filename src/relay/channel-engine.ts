/**
 * The one seam between connection code and where channels live: local fan-out, publish
 * (offsets, epochs, idempotency by `payload.id`), resume, health. The in-memory engine
 * is the default; a backplane (Redis) implements the same interface, so connection code
 * never knows which one it talks to. Publish and resume may answer at once or later:
 * the in-memory engine answers at once, so its path holds no promise per publish.
 */
import type { ChannelPayload } from '../protocol';
import type { HistoryCursor } from './history';
import type { LocalChannel, Subscriber } from './local-fan-out';

/** Where a publish landed: its channel's offset, counted in that channel's epoch. */
export interface Published {
  readonly offset: number;
  readonly epoch: string;
}

/** What a subscriber resuming with `since` learns, and where its replay reads from. */
export interface Resumed {
  /** The channel's epoch: the one `since` should be counted in next time. */
  readonly epoch: string;
  /** The channel's top offset when resumed (0 before its first publish). */
  readonly offset: number;
  /** True when nothing after `since` is missing. */
  readonly recovered: boolean;
  /**
   * Everything held after `since`, then what is published on the channel later, read as the
   * subscriber takes it. Once it returns undefined the connection joins the channel's local
   * fan-out in the same turn: a message must become readable here no later than it is fanned out.
   */
  readonly cursor: HistoryCursor;
}

export type EngineHealth = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface EngineGauges {
  /** Channels with at least one local subscriber. */
  channels: number;
  /** Local subscriptions across all channels. */
  subscriptions: number;
  /** Bytes of frames this process holds for resuming subscribers. */
  historyBytes: number;
  /** Only for an engine that shares channels through a backplane (Redis). */
  backplane?: BackplaneGauges;
}

export interface BackplaneGauges {
  /** The last health check's round trip, in seconds; undefined before the first answer. */
  roundTripSeconds: number | undefined;
  /** Backplane operations that failed, and malformed messages from it. */
  errors: number;
  /** Times the live (pub/sub) connection came back after being lost. */
  pubsubReconnects: number;
  /** Whether the live connection is up now. */
  pubsubConnected: boolean;
}

export interface ChannelEngine {
  /**
   * The epoch of the engine's storage, announced in the upgrade header: a relay can only
   * vouch for receipts given in it. In memory one per process run; every channel's epoch
   * equals it for as long as it stays the same.
   */
  readonly epoch: string;
  /** Adds a local subscriber; false when it already had the channel. */
  subscribe(channel: string, subscriber: Subscriber): boolean;
  /**
   * Settles once messages published from now on reach this process's subscribers of the
   * channel, holding the channel meanwhile; undefined when they already do (always, in
   * memory). A plain subscribe is answered only then, so nothing published after its
   * `subscribed` reply can pass it by. Never rejects: a channel the engine cannot reach now
   * becomes live once it can (and nothing can be published on it meanwhile).
   */
  whenLive?(channel: string): Promise<void> | undefined;
  /** Removes a local subscriber; false when it did not have the channel. */
  unsubscribe(channel: string, subscriber: Subscriber): boolean;
  /**
   * Stores `frame` (the publisher's text, framed once) under the channel's next offset and
   * delivers it to every subscriber of the channel, on every node. A publish whose string
   * `payload.id` was published on the channel recently is neither stored nor delivered again:
   * its original offset and epoch are returned. Rejects (or throws) `EngineUnavailableError`
   * when the storage cannot be reached: nothing was published, the publisher may resend.
   */
  publish(channel: string, frame: Buffer, payload: ChannelPayload): Published | Promise<Published>;
  /** Where a subscriber that last saw `since` (counted in `epoch`, if given) resumes; fails as publish does. */
  resume(channel: string, since: number, epoch: string | undefined): Resumed | Promise<Resumed>;
  /**
   * This process's channels that have subscribers here, with their counts: at most `limit` of
   * those `include` accepts, by name, from a bounded scan (LocalFanOut.list). With a backplane,
   * channels watched only on other nodes are not among them.
   */
  localChannels(include: (channel: string) => boolean, limit: number): LocalChannel[];
  /** With a backplane: this process's name among the processes sharing the storage. */
  readonly processId?: string;
  /**
   * With a backplane: the channels with subscribers on the other processes sharing the
   * storage, summed by name, as each last reported them (a few seconds ago at most), leaving
   * out this process and those in `skip`. Fails as publish does.
   */
  elsewhereChannels?(skip: ReadonlySet<string>): Promise<LocalChannel[]>;
  /** Whether the engine can work now; /healthz answers 503 with the reason when not. */
  health(): EngineHealth;
  gauges(): EngineGauges;
  /** Releases the engine's connections and timers; the relay calls it once, on close. */
  close(): Promise<void>;
}

/** The storage behind an engine cannot be reached now; the same request may succeed later. */
export class EngineUnavailableError extends Error {
  override readonly name = 'EngineUnavailableError';
}

/** True for an answer that comes later; the in-memory engine never gives one. */
export function isPending<T>(answer: T | Promise<T>): answer is Promise<T> {
  return answer instanceof Promise;
}
