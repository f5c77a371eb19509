/**
 * The ids recently published on each channel, with the offset each got, so that a
 * publisher's resend (its receipt was lost with its connection, or its relay was replaced)
 * is acknowledged with the original offset and delivered to nobody a second time. Bounded
 * three ways: ids per channel, ids in all (the least recently published channel gives up
 * its oldest first) and age.
 */
import { createHash } from 'node:crypto';

export interface RecentPublishLimits {
  /** Ids remembered per channel: at least what a publisher resends (our client: 500). */
  perChannel: number;
  /** Ids remembered across all channels. */
  total: number;
  /** How long an id is remembered. */
  ttlMs: number;
}

export const RECENT_PUBLISH_LIMITS: RecentPublishLimits = { perChannel: 1_000, total: 50_000, ttlMs: 5 * 60_000 };

/** Ids up to this long (ours are 36-character UUIDs) are kept as they are; longer ones by hash, to bound bytes. */
const MAX_KEPT_ID_CHARS = 64;

/** How an id is remembered: as itself, or by its SHA-256 when longer than an id needs to be. */
export function idKey(id: string): string {
  return id.length <= MAX_KEPT_ID_CHARS ? id : `sha256:${createHash('sha256').update(id).digest('base64')}`;
}

interface Remembered {
  offset: number;
  at: number;
}

export class RecentPublishes {
  /** Ids by channel, oldest first; channels in order of last publish, the least recent first. */
  private readonly channels = new Map<string, Map<string, Remembered>>();
  /** The channel last moved to the end of `channels`. */
  private newestChannel: string | undefined;
  private count = 0;

  constructor(
    private readonly limits: RecentPublishLimits = RECENT_PUBLISH_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The offset `key` was published under on `channel`, if that was recent enough. */
  offsetOf(channel: string, key: string): number | undefined {
    const remembered = this.channels.get(channel)?.get(key);
    if (!remembered || this.now() - remembered.at > this.limits.ttlMs) return undefined;
    return remembered.offset;
  }

  remember(channel: string, key: string, offset: number): void {
    const now = this.now();
    const ids = this.channelIds(channel);
    if (ids.delete(key)) this.count--; // remembered before, and expired since
    ids.set(key, { offset, at: now });
    this.count++;
    for (const [oldest, remembered] of ids) {
      if (ids.size <= this.limits.perChannel && now - remembered.at <= this.limits.ttlMs) break;
      ids.delete(oldest);
      this.count--;
    }
    while (this.count > this.limits.total) this.forgetOldestOfLeastRecentChannel();
  }

  /** Ids remembered across all channels. */
  get size(): number {
    return this.count;
  }

  private channelIds(channel: string): Map<string, Remembered> {
    let ids = this.channels.get(channel);
    if (!ids) {
      ids = new Map();
    } else if (this.newestChannel !== channel) {
      this.channels.delete(channel); // re-inserted below: the most recently published go last
    } else {
      return ids; // the common case of one busy channel: already last
    }
    this.channels.set(channel, ids);
    this.newestChannel = channel;
    return ids;
  }

  private forgetOldestOfLeastRecentChannel(): void {
    const [channel, ids] = this.channels.entries().next().value as [string, Map<string, Remembered>];
    ids.delete(ids.keys().next().value as string);
    this.count--;
    if (ids.size === 0) {
      this.channels.delete(channel);
      if (this.newestChannel === channel) this.newestChannel = undefined;
    }
  }
}
