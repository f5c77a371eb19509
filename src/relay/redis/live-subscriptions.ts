/**
 * Live fan-out from Redis on the node's own pub/sub connection: one Redis SUBSCRIBE per
 * channel while at least one local listener wants it (reference counted), UNSUBSCRIBE
 * when the last one leaves. Pub/sub is fire-and-forget, so whenever the connection comes
 * back (or first comes up with channels already wanted) the listeners of `onRestored`
 * hear which channels may have missed messages and must be re-read from their streams.
 */
import { ClientOfflineError } from '@redis/client';
import { beforeDeadline, unavailable } from './errors';
import { parseLiveMessage } from './live-message';

export type LiveListener = (offset: number, epoch: string, frame: Buffer) => void;

/** What this module needs of a node-redis client in pub/sub mode. */
export interface PubSubConnection {
  readonly isReady: boolean;
  subscribe(topic: string, listener: (message: Buffer, topic: Buffer) => unknown, bufferMode: true): Promise<void>;
  unsubscribe(topics: string | string[]): Promise<void>;
  getPubSubListeners(type: 'CHANNELS'): Map<string, { unsubscribing: boolean }>;
  on(event: 'ready' | 'error', listener: (...args: unknown[]) => void): unknown;
}

interface LiveCounters {
  /** Times the pub/sub connection came back after being lost. */
  pubsubReconnects: number;
  /** Messages on a subscribed topic that were not in the publish script's format. */
  malformedMessages: number;
  /** Local listeners that threw (each is isolated from the others). */
  listenerErrors: number;
}

interface Wanted {
  channel: string;
  topic: string;
  listeners: LiveListener[];
  /** The SUBSCRIBE in flight, if any. */
  pending: Promise<void> | undefined;
}

export class LiveSubscriptions {
  readonly counters: LiveCounters = { pubsubReconnects: 0, malformedMessages: 0, listenerErrors: 0 };
  readonly #byTopic = new Map<string, Wanted>();
  readonly #byChannel = new Map<string, Wanted>();
  readonly #restoredListeners = new Set<(channels: string[]) => void>();
  /** UNSUBSCRIBEs in flight by topic: until answered, node-redis still lists the topic as subscribed. */
  readonly #leaving = new Map<string, Promise<void>>();
  #everReady = false;

  constructor(
    private readonly connection: PubSubConnection,
    private readonly topicOf: (channel: string) => string,
    private readonly replyTimeoutMs: number,
  ) {
    connection.on('ready', () => this.#onReady());
  }

  /** Adds a listener; settles when Redis confirmed the subscription (at once if it already had). */
  subscribe(channel: string, listener: LiveListener): Promise<void> {
    let wanted = this.#byChannel.get(channel);
    if (!wanted) {
      wanted = { channel, topic: this.topicOf(channel), listeners: [], pending: undefined };
      this.#byChannel.set(channel, wanted);
      this.#byTopic.set(wanted.topic, wanted);
    }
    wanted.listeners.push(listener);
    return this.#ensureSubscribed(wanted);
  }

  /** Removes one registration of `listener`; the last one out unsubscribes. Never rejects: a reconnect cleans up what failed. */
  async unsubscribe(channel: string, listener: LiveListener): Promise<void> {
    const wanted = this.#byChannel.get(channel);
    if (!wanted) return;
    const index = wanted.listeners.indexOf(listener);
    if (index < 0) return;
    wanted.listeners.splice(index, 1);
    if (wanted.listeners.length > 0) return;
    this.#byChannel.delete(channel);
    this.#byTopic.delete(wanted.topic);
    if (!this.connection.isReady) return;
    // Without a listener argument the UNSUBSCRIBE is always sent, even behind a SUBSCRIBE still in flight.
    const leaving = this.connection.unsubscribe(wanted.topic).catch(() => undefined);
    this.#leaving.set(wanted.topic, leaving);
    await leaving;
    if (this.#leaving.get(wanted.topic) === leaving) this.#leaving.delete(wanted.topic);
  }

  /** Channels with at least one local listener. */
  channels(): string[] {
    return [...this.#byChannel.keys()];
  }

  onRestored(listener: (channels: string[]) => void): () => void {
    this.#restoredListeners.add(listener);
    return () => this.#restoredListeners.delete(listener);
  }

  #ensureSubscribed(wanted: Wanted): Promise<void> {
    if (wanted.pending) return wanted.pending;
    // A channel left and wanted again at once: node-redis forgets the topic when the UNSUBSCRIBE
    // is answered, so the SUBSCRIBE must follow that answer, or the topic ends up unsubscribed.
    const leaving = this.#leaving.get(wanted.topic);
    const active = this.connection.getPubSubListeners('CHANNELS').get(wanted.topic);
    if (!leaving && active && !active.unsubscribing) return Promise.resolve();
    if (!this.connection.isReady) {
      return Promise.reject(unavailable(`subscribe to channel ${wanted.channel}`, new ClientOfflineError()));
    }
    const subscribing = (leaving ?? Promise.resolve()).then(() => this.connection.subscribe(wanted.topic, this.#dispatch, true));
    const subscribed = beforeDeadline(subscribing, this.replyTimeoutMs);
    const pending = subscribed.then(
      () => {
        if (wanted.pending === pending) wanted.pending = undefined;
      },
      (error: unknown) => {
        if (wanted.pending === pending) wanted.pending = undefined;
        throw unavailable(`subscribe to channel ${wanted.channel}`, error);
      },
    );
    wanted.pending = pending;
    // Later callers share this promise; the first caller may be gone, so its rejection must not go unhandled.
    pending.catch(() => undefined);
    return pending;
  }

  readonly #dispatch = (message: Buffer, topic: Buffer) => {
    const wanted = this.#byTopic.get(topic.toString('latin1'));
    if (!wanted) return;
    const live = parseLiveMessage(message);
    if (!live) {
      this.counters.malformedMessages++;
      return;
    }
    for (const listener of [...wanted.listeners]) {
      try {
        listener(live.offset, live.epoch, live.frame);
      } catch {
        this.counters.listenerErrors++;
      }
    }
  };

  /**
   * node-redis has re-sent SUBSCRIBE for the topics it knew before 'ready'; this adds the
   * ones whose SUBSCRIBE failed while Redis was away and drops the ones left since.
   */
  #onReady(): void {
    const reconnected = this.#everReady;
    this.#everReady = true;
    if (reconnected) this.counters.pubsubReconnects++;
    const stale = [...this.connection.getPubSubListeners('CHANNELS').keys()].filter((topic) => !this.#byTopic.has(topic));
    const work: Promise<void>[] = [...this.#byChannel.values()].map((wanted) => this.#ensureSubscribed(wanted));
    if (stale.length > 0) work.push(this.connection.unsubscribe(stale));
    void Promise.allSettled(work).then((results) => {
      // A failure here means the connection dropped again: its next 'ready' reports instead.
      if (results.some((result) => result.status === 'rejected')) return;
      const channels = this.channels();
      if (!reconnected && channels.length === 0) return;
      for (const listener of [...this.#restoredListeners]) {
        try {
          listener(channels);
        } catch {
          this.counters.listenerErrors++;
        }
      }
    });
  }
}
