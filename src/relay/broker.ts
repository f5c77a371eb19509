/**
 * Channel fan-out behind a small interface, so that a backplane on a distributed
 * engine can replace the in-memory broker later without touching connection code.
 * The broker moves already-encoded deliveries: it never parses or re-serializes a message.
 */
import type { Delivery } from './delivery';

export interface Subscriber {
  /** Writes one published message to this subscriber. */
  deliver(delivery: Delivery): void;
}

export interface Broker {
  /** Returns false when the subscriber already had the channel. */
  subscribe(channel: string, subscriber: Subscriber): boolean;
  /** Returns false when the subscriber did not have the channel. */
  unsubscribe(channel: string, subscriber: Subscriber): boolean;
  /** Delivers to every subscriber of the delivery's channel; returns how many it reached. */
  publish(delivery: Delivery): number;
  readonly channelCount: number;
  readonly subscriptionCount: number;
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

  publish(delivery: Delivery): number {
    const subscribers = this.channels.get(delivery.channel);
    if (!subscribers) return 0;
    for (const subscriber of subscribers) subscriber.deliver(delivery);
    return subscribers.size;
  }

  get channelCount(): number {
    return this.channels.size;
  }

  get subscriptionCount(): number {
    return this.subscriptions;
  }
}
