/**
 * Channel fan-out behind a small interface, so that a backplane on a distributed
 * engine can replace the in-memory broker later without touching connection code.
 * The broker moves opaque frames: it never parses or re-serializes a message.
 */

export interface Subscriber {
  /** Writes one already-encoded text frame to this subscriber. */
  deliver(frame: Buffer): void;
}

export interface Broker {
  /** Returns false when the subscriber already had the channel. */
  subscribe(channel: string, subscriber: Subscriber): boolean;
  /** Returns false when the subscriber did not have the channel. */
  unsubscribe(channel: string, subscriber: Subscriber): boolean;
  /** Delivers `frame` to every subscriber of `channel`; returns how many it reached. */
  publish(channel: string, frame: Buffer): number;
  readonly channelCount: number;
  readonly subscriptionCount: number;
  subscriberCount(channel: string): number;
}

export class InMemoryBroker implements Broker {
  private readonly channels = new Map<string, Set<Subscriber>>();
  private subscriptions = 0;

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

  unsubscribe(channel: string, subscriber: Subscriber): boolean {
    const subscribers = this.channels.get(channel);
    if (!subscribers?.delete(subscriber)) return false;
    this.subscriptions--;
    // Empty channels are dropped so that a stream of one-off channel names cannot grow memory.
    if (subscribers.size === 0) this.channels.delete(channel);
    return true;
  }

  publish(channel: string, frame: Buffer): number {
    const subscribers = this.channels.get(channel);
    if (!subscribers) return 0;
    for (const subscriber of subscribers) subscriber.deliver(frame);
    return subscribers.size;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  get subscriptionCount(): number {
    return this.subscriptions;
  }

  subscriberCount(channel: string): number {
    return this.channels.get(channel)?.size ?? 0;
  }
}
