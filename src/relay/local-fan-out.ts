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

  get channelCount(): number {
    return this.channels.size;
  }

  get subscriptionCount(): number {
    return this.subscriptions;
  }
}
