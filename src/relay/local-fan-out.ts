/**
 * The subscribers of each channel on this process, and the broadcast to them. It moves
 * already-encoded deliveries: it never parses or re-serializes a message. Every channel
 * engine fans out through one of these, whatever stores its channels.
 */
import type { Delivery } from './delivery';

export interface Subscriber {
  /** Writes one published message to this subscriber. */
  deliver(delivery: Delivery): void;
}

/** A channel with subscribers on this process, and how many. */
export interface LocalChannel {
  readonly name: string;
  readonly subscribers: number;
}

/** Channels one listing looks at, however many this process has: a listing's cost stays bounded. */
export const MAX_CHANNELS_SCANNED = 10_000;

export class LocalFanOut {
  private readonly channels = new Map<string, Set<Subscriber>>();
  private subscriptions = 0;

  /** Returns false when the subscriber already had the channel. */
  subscribe(channel: string, subscriber: Subscriber): boolean {
    let subscribers = this.channels.get(channel);
    if (!subscribers) {
      subscribers = new Set();
      this.channels.set(channel, subscribers);
    }
    if (subscribers.has(subscriber)) return false;
    subscribers.add(subscriber);
    this.subscriptions++;
    return true;
  }

  /** Returns false when the subscriber did not have the channel. */
  unsubscribe(channel: string, subscriber: Subscriber): boolean {
    const subscribers = this.channels.get(channel);
    if (!subscribers?.delete(subscriber)) return false;
    this.subscriptions--;
    // Empty channels are dropped so that a stream of one-off channel names cannot grow memory.
    if (subscribers.size === 0) this.channels.delete(channel);
    return true;
  }

  /** Delivers to every subscriber of the delivery's channel. */
  deliver(delivery: Delivery): void {
    const subscribers = this.channels.get(delivery.channel);
    if (!subscribers) return;
    for (const subscriber of subscribers) subscriber.deliver(delivery);
  }

  hasSubscribers(channel: string): boolean {
    return this.channels.has(channel);
  }

  /**
   * At most `limit` of the channels `include` accepts, sorted by name, with their subscriber
   * counts. It looks at the first MAX_CHANNELS_SCANNED channels only (those that have had
   * subscribers longest), so a process with more lists some of them, never all.
   */
  list(include: (channel: string) => boolean, limit: number): LocalChannel[] {
    const found: LocalChannel[] = [];
    let scanned = 0;
    for (const [name, subscribers] of this.channels) {
      if (scanned++ >= MAX_CHANNELS_SCANNED) break;
      if (include(name)) found.push({ name, subscribers: subscribers.size });
    }
    return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, limit);
  }

  get channelCount(): number {
    return this.channels.size;
  }

  get subscriptionCount(): number {
    return this.subscriptions;
  }
}
