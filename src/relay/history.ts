/**
 * The last N messages of each channel, so that a subscriber that dropped for a few
 * seconds can resume with `since` and miss nothing. Offsets come from one counter for
 * the whole relay, so they never repeat within an epoch (one run of the relay). Memory
 * is bounded twice: N messages per channel, and a bounded number of channels (the
 * least recently published are forgotten).
 */
import { randomBytes } from 'node:crypto';
import type { ChannelPayload } from '../protocol';
import { Delivery } from './delivery';

interface ChannelHistory {
  entries: Delivery[];
  /** Index of the oldest entry in `entries` (a ring buffer once full). */
  start: number;
  /** Highest offset of this channel that is no longer held: resuming at or above it loses nothing. */
  forgottenUpTo: number;
}

export interface ReplayResult {
  deliveries: Delivery[];
  /** True when nothing after `since` has been forgotten. */
  recovered: boolean;
}

export class RelayHistory {
  /** Changes on every start: offsets from another epoch mean nothing here. */
  readonly epoch = randomBytes(6).toString('hex');
  private readonly channels = new Map<string, ChannelHistory>();
  private lastOffset = 0;
  /** The channel last moved to the end of `channels`. */
  private newest: string | undefined;
  /** Highest offset dropped with a whole channel's history (least recently published first). */
  private evictedUpTo = 0;

  constructor(
    private readonly perChannel: number,
    private readonly maxChannels: number,
  ) {}

  get latestOffset(): number {
    return this.lastOffset;
  }

  /** Records a publish and returns its delivery, with the next offset. */
  append(channel: string, raw: Buffer, payload: ChannelPayload): Delivery {
    const delivery = new Delivery(channel, ++this.lastOffset, raw, payload);
    if (this.perChannel === 0) return delivery;
    const history = this.channel(channel);
    if (history.entries.length < this.perChannel) {
      history.entries.push(delivery);
    } else {
      history.forgottenUpTo = history.entries[history.start].offset;
      history.entries[history.start] = delivery;
      history.start = (history.start + 1) % this.perChannel;
    }
    return delivery;
  }

  /** What a subscriber that last saw offset `since` (counted in `epoch`) should be sent now. */
  replay(channel: string, since: number, epoch: string | undefined): ReplayResult {
    // Offsets from another run of the relay say nothing about what this one holds.
    const sameEpoch = epoch === undefined || epoch === this.epoch;
    const from = sameEpoch ? since : 0;
    const history = this.channels.get(channel);
    const floor = history ? history.forgottenUpTo : this.evictedUpTo;
    const recovered = sameEpoch && from >= floor;
    if (!history) return { deliveries: [], recovered };
    const ordered = [...history.entries.slice(history.start), ...history.entries.slice(0, history.start)];
    return { deliveries: ordered.filter((delivery) => delivery.offset > from), recovered };
  }

  private channel(name: string): ChannelHistory {
    let history = this.channels.get(name);
    if (history) {
      // Most recently published channels are kept longest (re-inserting moves one to the end;
      // skipped when it is there already, the common case of one busy channel).
      if (this.newest !== name) {
        this.channels.delete(name);
        this.channels.set(name, history);
        this.newest = name;
      }
      return history;
    }
    // This channel may have had a history that was evicted: assume the worst.
    history = { entries: [], start: 0, forgottenUpTo: this.evictedUpTo };
    this.channels.set(name, history);
    this.newest = name;
    if (this.channels.size > this.maxChannels) {
      const [oldestName, oldest] = this.channels.entries().next().value as [string, ChannelHistory];
      this.channels.delete(oldestName);
      const newest = oldest.entries[(oldest.start + oldest.entries.length - 1) % oldest.entries.length];
      this.evictedUpTo = Math.max(this.evictedUpTo, newest?.offset ?? 0);
    }
    return history;
  }
}
