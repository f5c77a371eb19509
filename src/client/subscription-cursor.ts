/**
 * Where a subscriber is in its channel: the last offset it received and the relay epoch
 * that offset belongs to, so that a re-subscribe asks only for what it missed; and the
 * ids it has seen, so that replays and publishers' resends are delivered once.
 */
import { createHash } from 'node:crypto';
import { RecentIds } from '../collections/recent-ids';
import type { ChannelPayload } from '../protocol';

/**
 * Ids up to this long are remembered as they are (ours are 36-character UUIDs); longer
 * ones by their SHA-256, so that the window is bounded in bytes as well as in count.
 */
const MAX_REMEMBERED_ID_CHARS = 64;

export class SubscriptionCursor {
  private offset = 0;
  private epoch: string | undefined;
  private readonly seen: RecentIds;

  constructor(dedupeWindow: number) {
    this.seen = new RecentIds(dedupeWindow);
  }

  /** True when this is a new message; false for a duplicate, which should be dropped. */
  accept(payload: ChannelPayload): boolean {
    if (typeof payload.offset === 'number' && payload.offset > this.offset) this.offset = payload.offset;
    if (typeof payload.id !== 'string') return true;
    const key = payload.id.length <= MAX_REMEMBERED_ID_CHARS ? payload.id : `sha256:${createHash('sha256').update(payload.id).digest('base64')}`;
    return this.seen.add(key);
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
