/**
 * Where a subscriber is in its channel: the last offset it received and the relay epoch
 * that offset belongs to, so that a re-subscribe asks only for what it missed; and the
 * ids it has seen, so that replays and publishers' resends are delivered once.
 */
import { RecentIds } from '../collections/recent-ids';
import type { ChannelPayload } from '../protocol';

export class SubscriptionCursor {
  offset = 0;
  epoch: string | undefined;
  private readonly seen: RecentIds;

  constructor(dedupeWindow: number) {
    this.seen = new RecentIds(dedupeWindow);
  }

  /** True when this is a new message; false for a duplicate, which should be dropped. */
  accept(payload: ChannelPayload): boolean {
    if (typeof payload.offset === 'number' && payload.offset > this.offset) this.offset = payload.offset;
    return typeof payload.id !== 'string' || this.seen.add(payload.id);
  }

  /** The resume fields for a subscribe to a relay of `relayEpoch`. */
  resumeFrom(relayEpoch: string, catchUp: boolean): { since: number; epoch: string } {
    // A first subscribe that does not want history asks for nothing older than now.
    if (this.epoch === undefined && !catchUp) return { since: Number.MAX_SAFE_INTEGER, epoch: relayEpoch };
    return { since: this.offset, epoch: this.epoch ?? relayEpoch };
  }

  /** The relay confirmed a subscribe: offsets now count in its epoch. */
  subscribed(epoch: string, latestOffset: number | undefined, caughtUpToNow: boolean): void {
    if (this.epoch !== epoch) this.offset = caughtUpToNow && latestOffset !== undefined ? latestOffset : 0;
    this.epoch = epoch;
  }
}
