/**
 * The channel engine of a relay node in a cluster: channels, offsets, history and
 * idempotency live in Redis (RedisChannelStore), shared by every node on it; this node
 * fans each channel out to its own subscribers from Redis pub/sub, in order and once.
 *
 * Epochs: the upgrade header carries the epoch of the Redis data set (one key, created by
 * the first node and kept until Redis loses its data), so a client's receipts stay vouched
 * for on every node of the cluster and are resent after Redis lost them. Offsets count
 * per channel in the channel's own epoch, which the `subscribed` reply and receipts carry;
 * it differs from the header epoch, which our client only compares with other header epochs.
 */
import type { ChannelPayload } from '../../protocol';
import { EngineUnavailableError, type ChannelEngine, type EngineGauges, type EngineHealth, type Published, type Resumed } from '../channel-engine';
import { Delivery } from '../delivery';
import { LocalFanOut, MAX_CHANNELS_SCANNED, type LocalChannel, type Subscriber } from '../local-fan-out';
import { ChannelCensus } from './channel-census';
import { ChannelKeepalive } from './channel-keepalive';
import { RedisChannelStore } from './channel-store';
import { newEpoch } from './epochs';
import { RedisUnavailableError } from './errors';
import { LiveChannel } from './live-channel';
import type { LiveListener } from './live-subscriptions';
import type { RedisStoreOptions } from './options';
import { ReplayCursor } from './replay-cursor';

export interface RedisEngineOptions extends RedisStoreOptions {
  /** How often Redis is PINGed (and the data set epoch re-read) for health(). */
  healthIntervalMs?: number;
  /** Messages per channel kept for replays to run on into (see LiveChannel). */
  windowSize?: number;
  /** Frame bytes per channel kept for that. */
  windowBytes?: number;
  /** How often this process tells Redis its channels for the other nodes' listings (channel-census.ts). */
  censusIntervalMs?: number;
}

interface NodeChannel {
  live: LiveChannel;
  listener: LiveListener;
  /** Redis confirmed the subscription: every later publish reaches this node. */
  confirmed: boolean;
  subscribing: Promise<void> | undefined;
  /** Resumes and plain subscribes waiting for the channel to be live: they hold it as subscribers do. */
  waiting: number;
  retry: NodeJS.Timeout | undefined;
}

const RETRY_MS = 250;
/** Entries a resume reads before it answers: enough to know whether it recovered; the replay pages in the rest. */
const FIRST_PAGE_ENTRIES = 32;
const CONNECTING: EngineHealth = { ok: false, reason: 'Redis has not answered yet.' };

export class RedisChannelEngine implements ChannelEngine {
  private readonly store: RedisChannelStore;
  private readonly fanOut = new LocalFanOut();
  private readonly channels = new Map<string, NodeChannel>();
  private readonly windowSize: number;
  private readonly windowBytes: number;
  private readonly healthTimer: NodeJS.Timeout;
  private readonly stopRestored: () => void;
  private readonly census: ChannelCensus;
  private readonly keepalive: ChannelKeepalive;
  /** This process's name among those sharing the Redis: random, new each run. */
  readonly processId = newEpoch();
  private currentEpoch = newEpoch();
  private lastHealth: EngineHealth = CONNECTING;
  private closed = false;
  private checking: Promise<void> | undefined;

  constructor(options: RedisEngineOptions) {
    const { healthIntervalMs = 1_000, windowSize = 1_000, windowBytes = 8 * 1024 * 1024, censusIntervalMs, ...storeOptions } = options;
    this.store = new RedisChannelStore(storeOptions);
    this.census = new ChannelCensus({
      store: this.store,
      processId: this.processId,
      local: () => this.fanOut.list(() => true, MAX_CHANNELS_SCANNED),
      intervalMs: censusIntervalMs,
    });
    this.keepalive = new ChannelKeepalive({
      store: this.store,
      channels: () => this.fanOut.list(() => true, MAX_CHANNELS_SCANNED).map(({ name }) => name),
      metaTtlSeconds: this.store.settings.metaTtlSeconds,
    });
    this.windowSize = windowSize;
    this.windowBytes = windowBytes;
    // Pub/sub may have dropped messages while it was away: every channel re-reads its stream.
    this.stopRestored = this.store.onPubSubRestored((names) => {
      for (const name of names) {
        const channel = this.channels.get(name);
        if (!channel) continue;
        channel.confirmed = true;
        void channel.live.sync();
      }
    });
    this.healthTimer = setInterval(() => void this.checkHealth(), healthIntervalMs);
    this.healthTimer.unref();
    void this.checkHealth();
  }

  /**
   * Settles once Redis first answered (the epoch is then the data set's), or after `timeoutMs`
   * without it: a relay starts anyway and says it is unavailable until Redis is reached.
   */
  async ready(timeoutMs: number): Promise<EngineHealth> {
    try {
      await this.store.ready(timeoutMs);
      await this.checkHealth();
    } catch {
      // Not reachable in time: health() says why.
    }
    return this.health();
  }

  /** The Redis data set's epoch; until Redis first answers, one of this node's own. */
  get epoch(): string {
    return this.currentEpoch;
  }

  subscribe(channel: string, subscriber: Subscriber): boolean {
    const added = this.fanOut.subscribe(channel, subscriber);
    if (added) this.hold(channel);
    return added;
  }

  whenLive(name: string): Promise<void> | undefined {
    const channel = this.hold(name);
    if (channel.confirmed) return undefined;
    channel.waiting++;
    return this.confirm(channel)
      .catch(() => this.retryLater(name))
      .finally(() => {
        channel.waiting--;
        this.releaseLater(name);
      });
  }

  unsubscribe(channel: string, subscriber: Subscriber): boolean {
    const removed = this.fanOut.unsubscribe(channel, subscriber);
    if (removed) this.releaseLater(channel);
    return removed;
  }

  async publish(channel: string, frame: Buffer, payload: ChannelPayload): Promise<Published> {
    try {
      // A duplicate was neither stored nor published again by the script: acknowledged only.
      const { offset, epoch } = await this.store.publish(channel, frame, typeof payload.id === 'string' ? payload.id : undefined);
      return { offset, epoch };
    } catch (error) {
      throw asEngineError(error);
    }
  }

  async resume(name: string, since: number, epoch: string | undefined): Promise<Resumed> {
    const channel = this.hold(name);
    channel.waiting++;
    try {
      // Subscribed first: whatever is published after the read below reaches this node live.
      await this.confirm(channel);
      let read = await this.store.history(name, since, FIRST_PAGE_ENTRIES);
      const sameEpoch = epoch === undefined || epoch === read.epoch;
      const from = sameEpoch ? since : 0;
      if (!sameEpoch && since > 0) read = await this.store.history(name, 0, FIRST_PAGE_ENTRIES);
      // Recovered when the stream still holds the message right after `from`; the rest is paged in as it is read.
      const recovered = sameEpoch && (from >= read.top || read.entries[0]?.offset === from + 1);
      channel.live.startAt(read.epoch, read.top);
      // The replay runs on from the pages into what this node delivers: it must have delivered up to the read's top.
      if (!(await channel.live.deliveredUpTo(read.epoch, read.top, this.store.settings.commandTimeoutMs))) {
        throw new EngineUnavailableError(`Redis did not bring channel ${name} up to offset ${read.top} in time.`);
      }
      const readPage = (after: number, limit: number) => this.store.history(name, after, limit);
      const cursor = new ReplayCursor(channel.live, readPage, read, from, this.store.settings.maxHistoryRead);
      return { epoch: read.epoch, offset: read.top, recovered, cursor };
    } catch (error) {
      throw asEngineError(error);
    } finally {
      channel.waiting--;
      // The connection subscribes the replay on the turn it hears the answer; a later check finds it.
      this.releaseLater(name);
    }
  }

  health(): EngineHealth {
    return this.closed ? { ok: false, reason: 'The relay is closing.' } : this.lastHealth;
  }

  localChannels(include: (channel: string) => boolean, limit: number): LocalChannel[] {
    return this.fanOut.list(include, limit);
  }

  async elsewhereChannels(skip: ReadonlySet<string>): Promise<LocalChannel[]> {
    try {
      return await this.census.elsewhere(skip);
    } catch (error) {
      throw asEngineError(error);
    }
  }

  gauges(): EngineGauges {
    let historyBytes = 0;
    for (const channel of this.channels.values()) historyBytes += channel.live.windowBytes;
    const store = this.store.metrics();
    const backplane = {
      roundTripSeconds: store.roundTripMs === undefined ? undefined : store.roundTripMs / 1000,
      errors: store.backplaneErrors + store.listenerErrors,
      pubsubReconnects: store.pubsubReconnects,
      pubsubConnected: store.pubsubConnected,
    };
    return { channels: this.fanOut.channelCount, subscriptions: this.fanOut.subscriptionCount, historyBytes, backplane };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.healthTimer);
    this.stopRestored();
    await Promise.all([this.census.stop(), this.keepalive.stop()]);
    for (const name of [...this.channels.keys()]) this.drop(name);
    await this.store.close();
  }

  /** The channel's node state, made (and subscribed in Redis) if this is its first holder. */
  private hold(name: string): NodeChannel {
    const existing = this.channels.get(name);
    if (existing) return existing;
    const live = new LiveChannel(
      name,
      {
        read: (since, limit) => this.store.history(name, since, limit),
        deliver: (message) => this.fanOut.deliver(new Delivery(message)),
        retryLater: () => this.retryLater(name),
      },
      { readLimit: this.store.settings.maxHistoryRead, windowSize: this.windowSize, windowBytes: this.windowBytes },
    );
    const channel: NodeChannel = {
      live,
      listener: (offset, epoch, frame) => live.arrive(offset, epoch, frame),
      confirmed: false,
      subscribing: undefined,
      waiting: 0,
      retry: undefined,
    };
    this.channels.set(name, channel);
    if (!this.closed) this.confirm(channel).catch(() => this.retryLater(name));
    return channel;
  }

  /** Settles once Redis confirmed the channel's subscription; a failed attempt is made again by the next caller. */
  private confirm(channel: NodeChannel): Promise<void> {
    if (channel.confirmed) return Promise.resolve();
    const name = channel.live.name;
    channel.subscribing ??= (async () => {
      try {
        // The store keeps a listener whose SUBSCRIBE failed: take it back before asking again.
        await this.store.unsubscribe(name, channel.listener);
        await this.store.subscribe(name, channel.listener);
        if (this.channels.get(name) !== channel) {
          // Dropped while subscribing: the drop's unsubscribe came first, so this one undoes it.
          await this.store.unsubscribe(name, channel.listener);
          return;
        }
        channel.confirmed = true;
        // Messages may have passed while unsubscribed; nothing to catch up before the first.
        if (channel.live.epoch !== undefined) void channel.live.sync();
      } finally {
        channel.subscribing = undefined;
      }
    })();
    return channel.subscribing;
  }

  /** Tries the subscription or the stream read again after a pause, while the channel is held. */
  private retryLater(name: string): void {
    const channel = this.channels.get(name);
    if (!channel || channel.retry || this.closed) return;
    channel.retry = setTimeout(() => {
      channel.retry = undefined;
      if (this.channels.get(name) !== channel) return;
      if (!channel.confirmed) this.confirm(channel).catch(() => this.retryLater(name));
      else void channel.live.sync();
    }, RETRY_MS);
    channel.retry.unref();
  }

  /**
   * Drops the channel once nobody holds it. Checked on a later turn: a replay that caught up
   * leaves and its connection joins in the same turn, and that must not cost the subscription.
   */
  private releaseLater(name: string): void {
    setImmediate(() => {
      const channel = this.channels.get(name);
      if (channel && channel.waiting === 0 && !this.fanOut.hasSubscribers(name)) this.drop(name);
    });
  }

  private drop(name: string): void {
    const channel = this.channels.get(name);
    if (!channel) return;
    this.channels.delete(name);
    channel.live.released = true;
    clearTimeout(channel.retry);
    void this.store.unsubscribe(name, channel.listener);
  }

  private async checkHealth(): Promise<void> {
    // A hung Redis makes a check last up to the command timeout: one at a time.
    if (this.checking) return this.checking;
    this.checking = this.check().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async check(): Promise<void> {
    const health = await this.store.health();
    if (this.closed) return;
    if (!health.ok) {
      this.lastHealth = { ok: false, reason: health.reason };
      return;
    }
    const started = performance.now();
    try {
      // A fresh candidate every time: after Redis lost its data, no node may bring back an old epoch.
      this.currentEpoch = await this.store.dataSetEpoch(newEpoch());
      this.lastHealth = { ok: true };
    } catch (error) {
      // Held up behind a burst Redis is still answering: busy, not down; the next check reads the epoch.
      if (this.store.answeredSince(started)) return;
      this.lastHealth = { ok: false, reason: (error as Error).message };
    }
  }
}

function asEngineError(error: unknown): unknown {
  return error instanceof RedisUnavailableError ? new EngineUnavailableError(error.message, { cause: error }) : error;
}
