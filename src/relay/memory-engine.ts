/**
 * The channel engine of one relay process on its own: channels, their history and the
 * ids recently published live in this process and end with it. Everything answers at
 * once, so a publish costs no promise, and it can never be unavailable.
 */
import type { ChannelPayload } from '../protocol';
import type { ChannelEngine, EngineGauges, EngineHealth, Published, Resumed } from './channel-engine';
import { Delivery } from './delivery';
import { RelayHistory, type HistoryLimits } from './history';
import { LocalFanOut, type LocalChannel, type Subscriber } from './local-fan-out';
import { idKey, RecentPublishes } from './recent-publishes';

const HEALTHY: EngineHealth = { ok: true };

export class InMemoryChannelEngine implements ChannelEngine {
  private readonly fanOut = new LocalFanOut();
  private readonly history: RelayHistory;
  private readonly recent = new RecentPublishes();

  constructor(limits: HistoryLimits) {
    this.history = new RelayHistory(limits);
  }

  /** One per run: every channel counts in it, since offsets never restart while the process lives. */
  get epoch(): string {
    return this.history.epoch;
  }

  subscribe(channel: string, subscriber: Subscriber): boolean {
    return this.fanOut.subscribe(channel, subscriber);
  }

  unsubscribe(channel: string, subscriber: Subscriber): boolean {
    return this.fanOut.unsubscribe(channel, subscriber);
  }

  publish(channel: string, frame: Buffer, payload: ChannelPayload): Published {
    const epoch = this.history.epoch;
    const key = typeof payload.id === 'string' ? idKey(payload.id) : undefined;
    if (key !== undefined) {
      const earlier = this.recent.offsetOf(channel, key);
      if (earlier !== undefined) return { offset: earlier, epoch };
    }
    const message = this.history.append(channel, frame);
    if (key !== undefined) this.recent.remember(channel, key, message.offset);
    this.fanOut.deliver(new Delivery(message, payload));
    return { offset: message.offset, epoch };
  }

  resume(channel: string, since: number, epoch: string | undefined): Resumed {
    return { epoch: this.history.epoch, ...this.history.resume(channel, since, epoch) };
  }

  health(): EngineHealth {
    return HEALTHY;
  }

  localChannels(include: (channel: string) => boolean, limit: number): LocalChannel[] {
    return this.fanOut.list(include, limit);
  }

  gauges(): EngineGauges {
    return { channels: this.fanOut.channelCount, subscriptions: this.fanOut.subscriptionCount, historyBytes: this.history.bytes };
  }

  async close(): Promise<void> {}
}
