/**
 * Recent messages, so that a subscriber that dropped for a few seconds can resume with
 * `since` and miss nothing. Offsets come from one counter for the whole relay, so they
 * never repeat within an epoch (one run of the relay). Memory is bounded three ways: N
 * messages per channel, a number of channels (the least recently published are forgotten
 * first) and a byte budget across all channels (the oldest messages, whatever their
 * channel, are forgotten first, so every channel's history covers the same recent span).
 */
import { randomBytes } from 'node:crypto';
import type { StoredMessage } from './delivery';

export interface HistoryLimits {
  /** Messages kept per channel; 0 keeps none. */
  perChannel: number;
  /** Channels whose history is kept. */
  channels: number;
  /** Frame bytes kept across all channels. */
  bytes: number;
}

interface HistoryEntry extends StoredMessage {
  readonly history: ChannelHistory;
  /** The next newer entry of the same channel. */
  newerInChannel: HistoryEntry | undefined;
  /** Neighbours in the relay-wide order of publishing. */
  older: HistoryEntry | undefined;
  newer: HistoryEntry | undefined;
}

interface ChannelHistory {
  oldest: HistoryEntry | undefined;
  newest: HistoryEntry | undefined;
  count: number;
  /** Highest offset of this channel that is no longer held: resuming at or above it loses nothing. */
  forgottenUpTo: number;
}

export interface ReplayResult {
  messages: StoredMessage[];
  /** True when nothing after `since` has been forgotten. */
  recovered: boolean;
}

export class RelayHistory {
  /** Changes on every start: offsets from another epoch mean nothing here. */
  readonly epoch = randomBytes(6).toString('hex');
  /** In order of last publish: the least recently published channel first. */
  private readonly channels = new Map<string, ChannelHistory>();
  /** The channel last moved to the end of `channels`. */
  private newestChannel: string | undefined;
  /** Ends of the relay-wide list of held entries, oldest first. */
  private oldest: HistoryEntry | undefined;
  private newest: HistoryEntry | undefined;
  private heldBytes = 0;
  private lastOffset = 0;
  /** Highest offset forgotten with a whole channel's history, or never kept at all. */
  private evictedUpTo = 0;

  constructor(private readonly limits: HistoryLimits) {}

  get latestOffset(): number {
    return this.lastOffset;
  }

  /** Frame bytes held across all channels; never above the budget. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Records a publish of `frame` under the next offset; the returned message shares the buffer. */
  append(channel: string, frame: Buffer): StoredMessage {
    const offset = ++this.lastOffset;
    if (this.limits.perChannel === 0) {
      this.evictedUpTo = offset;
      return { channel, offset, frame };
    }
    const history = this.channel(channel);
    if (frame.length > this.limits.bytes) {
      // Larger than the whole budget: delivered live, never kept.
      history.forgottenUpTo = offset;
      return { channel, offset, frame };
    }
    const entry: HistoryEntry = { channel, offset, frame, history, newerInChannel: undefined, older: this.newest, newer: undefined };
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
    if (history.newest) history.newest.newerInChannel = entry;
    else history.oldest = entry;
    history.newest = entry;
    history.count++;
    this.heldBytes += frame.length;
    if (history.count > this.limits.perChannel) this.forgetOldest(history);
    while (this.heldBytes > this.limits.bytes) this.forgetOldest(this.oldest!.history);
    return entry;
  }

  /** What a subscriber that last saw offset `since` (counted in `epoch`) should be sent now. */
  replay(channel: string, since: number, epoch: string | undefined): ReplayResult {
    // Offsets from another run of the relay say nothing about what this one holds.
    const sameEpoch = epoch === undefined || epoch === this.epoch;
    const from = sameEpoch ? since : 0;
    const history = this.channels.get(channel);
    const floor = history ? history.forgottenUpTo : this.evictedUpTo;
    const messages: StoredMessage[] = [];
    for (let entry = history?.oldest; entry; entry = entry.newerInChannel) {
      if (entry.offset > from) messages.push(entry);
    }
    return { messages, recovered: sameEpoch && from >= floor };
  }

  /**
   * Forgets the oldest entry of `history`. Entries join both lists in publishing order,
   * so a channel's oldest entry is also the oldest of that channel relay-wide.
   */
  private forgetOldest(history: ChannelHistory): void {
    const entry = history.oldest!;
    history.oldest = entry.newerInChannel;
    if (!history.oldest) history.newest = undefined;
    history.count--;
    history.forgottenUpTo = Math.max(history.forgottenUpTo, entry.offset);
    this.unlink(entry);
  }

  private unlink(entry: HistoryEntry): void {
    if (entry.older) entry.older.newer = entry.newer;
    else this.oldest = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else this.newest = entry.older;
    this.heldBytes -= entry.frame.length;
    // A delivery still holding this entry must not keep its neighbours alive.
    entry.older = entry.newer = entry.newerInChannel = undefined;
  }

  private channel(name: string): ChannelHistory {
    let history = this.channels.get(name);
    if (history) {
      // Most recently published channels are kept longest (re-inserting moves one to the end;
      // skipped when it is there already, the common case of one busy channel).
      if (this.newestChannel !== name) {
        this.channels.delete(name);
        this.channels.set(name, history);
        this.newestChannel = name;
      }
      return history;
    }
    // This channel may have had a history that was evicted: assume the worst.
    history = { oldest: undefined, newest: undefined, count: 0, forgottenUpTo: this.evictedUpTo };
    this.channels.set(name, history);
    this.newestChannel = name;
    if (this.channels.size > this.limits.channels) {
      const [oldestName, oldest] = this.channels.entries().next().value as [string, ChannelHistory];
      this.channels.delete(oldestName);
      this.evictedUpTo = Math.max(this.evictedUpTo, oldest.forgottenUpTo, oldest.newest?.offset ?? 0);
      for (let entry = oldest.oldest; entry; ) {
        const next = entry.newerInChannel;
        this.unlink(entry);
        entry = next;
      }
    }
    return history;
  }
}
