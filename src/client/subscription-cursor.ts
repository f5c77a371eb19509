/**
 * Where a subscriber is in its channel (its ResumePoint: offset and epoch, so that a
 * re-subscribe asks only for what it missed), and the ids it has seen, so that replays and
 * publishers' resends are delivered once.
 */
import { createHash } from 'node:crypto';
import { RecentIds } from '../collections/recent-ids';
import type { ChannelPayload } from '../protocol';
import { ResumePoint, type ResumeFields } from './resume-point';

/**
 * Ids up to this long are remembered as they are (ours are 36-character UUIDs); longer
 * ones by their SHA-256, so that the window is bounded in bytes as well as in count.
 */
const MAX_REMEMBERED_ID_CHARS = 64;

export class SubscriptionCursor {
  private readonly point = new ResumePoint();
  private readonly seen: RecentIds;

  constructor(dedupeWindow: number) {
    this.seen = new RecentIds(dedupeWindow);
  }

  /** True when this is a new message; false for a duplicate, which should be dropped. */
  accept(payload: ChannelPayload): boolean {
    this.point.passed(payload.offset);
    if (typeof payload.id !== 'string') return true;
    const key = payload.id.length <= MAX_REMEMBERED_ID_CHARS ? payload.id : `sha256:${createHash('sha256').update(payload.id).digest('base64')}`;
    return this.seen.add(key);
  }

  /** The resume fields for a subscribe to a relay of `relayEpoch`. */
  resumeFrom(relayEpoch: string, catchUp: boolean): ResumeFields {
    return this.point.resumeFrom(relayEpoch, catchUp);
  }

  /** The relay confirmed a subscribe: offsets now count in its epoch. */
  subscribed(epoch: string, latestOffset: number | undefined, caughtUpToNow: boolean): void {
    this.point.subscribed(epoch, latestOffset, caughtUpToNow);
  }
}
