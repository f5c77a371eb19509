/**
 * Recent messages, so that a subscriber that dropped for a few seconds can resume with
 * `since` and miss nothing. Each channel counts its own offsets, from 1, and they never
 * repeat within an epoch (one run of the relay): a channel whose record was forgotten
 * counts on above every offset forgotten that way. Memory is bounded three ways: N
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
  /** Cleared when forgotten: a cursor holding it must look elsewhere. */
  held: boolean;
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
  /** The channel's last offset, kept or not: offsets follow on without gaps, so a cursor sees gaps by them. */
  top: number;
  /** Highest offset of this channel that is no longer held: resuming at or above it loses nothing. */
  forgottenUpTo: number;
}

/** Returned by a cursor when the history forgot a message it had yet to return. */
export const LOST = Symbol('lost');
/** Returned by a cursor still fetching from storage: it calls the `wake` it was given once it can answer. */
export const PENDING = Symbol('pending');
/** Returned by a cursor whose storage could not be read: the subscriber should resume later. */
export const UNAVAILABLE = Symbol('unavailable');

export type CursorStep = StoredMessage | undefined | typeof LOST | typeof PENDING | typeof UNAVAILABLE;

/**
 * Walks one channel's history oldest first, on through what is published meanwhile, up to
 * the newest message. Once it has returned undefined it may miss later ones: its caller
 * switches to live delivery at that moment.
 */
export interface HistoryCursor {
  /**
   * The next message; undefined when none is left; LOST when one was forgotten before it was
   * read; PENDING while more is fetched (then `wake` is called once, later); UNAVAILABLE when
   * the storage could not be read. An in-memory history never answers the last two.
   */
  next(wake: () => void): CursorStep;
}

/** The in-memory history's cursor: it answers at once, never PENDING or UNAVAILABLE. */
export interface InMemoryCursor extends HistoryCursor {
  next(): StoredMessage | undefined | typeof LOST;
}

interface Resume {
  /** The channel's top offset. */
  offset: number;
  /** True when nothing after `since` had been forgotten. */
  recovered: boolean;
  /** Everything held after `since`, then whatever is published on the channel later. */
  cursor: InMemoryCursor;
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
  /** Highest offset of any channel whose record was forgotten: where a channel without a record counts on from. */
  private evictedUpTo = 0;

  constructor(private readonly limits: HistoryLimits) {}

  /** Frame bytes held across all channels; never above the budget. */
  get bytes(): number {
    return this.heldBytes;
  }

  /** Records a publish of `frame` under the next offset; the returned message shares the buffer. */
  append(channel: string, frame: Buffer): StoredMessage {
    const history = this.channel(channel);
    const offset = ++history.top;
    if (this.limits.perChannel === 0 || frame.length > this.limits.bytes) {
      // Nothing is kept, or this is larger than the whole budget: delivered live, never kept.
      history.forgottenUpTo = offset;
      return { channel, offset, frame };
    }
    const entry: HistoryEntry = { channel, offset, frame, history, held: true, newerInChannel: undefined, older: this.newest, newer: undefined };
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

  /**
   * Where a subscriber that last saw offset `since` (counted in `epoch`) resumes. The cursor
   * holds no copy and pins at most one message, so a slow reader costs the history nothing.
   */
  resume(channel: string, since: number, epoch: string | undefined): Resume {
    // Offsets from another run of the relay say nothing about what this one holds.
    const sameEpoch = epoch === undefined || epoch === this.epoch;
    const from = sameEpoch ? since : 0;
    const history = this.channels.get(channel);
    const recovered = sameEpoch && from >= (history ? history.forgottenUpTo : this.evictedUpTo);
    if (!history) return { offset: this.evictedUpTo, recovered, cursor: { next: () => undefined } };
    const nextAtResume = history.top + 1;
    let first = history.oldest;
    while (first && first.offset <= from) first = first.newerInChannel;
    /** The offset of the next message to return. */
    let expected = first ? first.offset : nextAtResume;
    let last: HistoryEntry | undefined;
    const following = (): HistoryEntry | undefined => {
      if (last?.held) return last.newerInChannel;
      // None returned yet, or the last one was forgotten since: the next held is the first at or past `expected`.
      let entry = history.oldest;
      while (entry && entry.offset < expected) entry = entry.newerInChannel;
      return entry;
    };
    const next = (): StoredMessage | undefined | typeof LOST => {
      if (this.channels.get(channel) !== history) return history.top >= expected ? LOST : undefined;
      const direct = last?.held ?? false;
      const entry = following();
      const reached = entry ? entry.offset : history.top + 1;
      // Skipped straight from the last one returned, a gap is messages never kept: those published
      // before the resume were told of by `recovered`. Any other gap is a message forgotten unread.
      if (reached !== expected && !(direct && reached <= nextAtResume)) return LOST;
      if (!entry) return undefined;
      expected = entry.offset + 1;
      last = entry;
      return entry;
    };
    return { offset: history.top, recovered, cursor: { next } };
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
    entry.held = false;
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
    // This channel may have had a record that was evicted: count on above it, and assume the worst.
    history = { oldest: undefined, newest: undefined, count: 0, top: this.evictedUpTo, forgottenUpTo: this.evictedUpTo };
    this.channels.set(name, history);
    this.newestChannel = name;
    if (this.channels.size > this.limits.channels) {
      const [oldestName, oldest] = this.channels.entries().next().value as [string, ChannelHistory];
      this.channels.delete(oldestName);
      this.evictedUpTo = Math.max(this.evictedUpTo, oldest.top);
      for (let entry = oldest.oldest; entry; ) {
        const next = entry.newerInChannel;
        this.unlink(entry);
        entry = next;
      }
    }
    return history;
  }
}
