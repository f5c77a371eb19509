/**
 * One channel as this node delivers it from Redis: live messages in offset order, each
 * once, with any gap (a lost pub/sub message, a reconnect, an epoch change) filled from the
 * channel's stream before going on. The messages delivered last are kept in a short
 * window, so a resuming subscriber's replay can run on from its history read into what
 * arrived meanwhile without a gap or a repeat (see ReplayCursor).
 */
import type { StoredMessage } from '../delivery';
import { LOST } from '../history';
import type { HistoryRead } from './channel-store';

export interface LiveChannelHooks {
  /** Reads the channel's stream after `since` (at most `limit` entries). */
  read(since: number, limit: number): Promise<HistoryRead>;
  /** Hands one message, in order, to the node's local subscribers. */
  deliver(message: StoredMessage): void;
  /** A read failed: the channel tries again after a pause while it is still wanted. */
  retryLater(): void;
}

export interface LiveChannelLimits {
  /** Entries one history read asks for. */
  readLimit: number;
  /** Messages kept in the window for replays, and live messages held while a gap is filled. */
  windowSize: number;
  /** Frame bytes kept in the window. */
  windowBytes: number;
}

interface Arrival {
  offset: number;
  epoch: string;
  frame: Buffer;
}

/** Answered by delivered() for a message that has left the window: it is read from the stream instead. */
export const BEHIND = Symbol('behind');

/** Rounds of reading one sync may take before it gives up and tries again later. */
const MAX_SYNC_ROUNDS = 100;

export class LiveChannel {
  /** The epoch the channel is delivered in; undefined until the first message or read sets it. */
  epoch: string | undefined;
  /** The offset delivered last (or the top when the channel was first read). */
  last = 0;
  /** Set once the channel is dropped: answers arriving later are ignored. */
  released = false;
  /** Window of the messages delivered last, contiguous up to `last`, oldest first. */
  private window: StoredMessage[] = [];
  private windowStart = 0;
  private bytes = 0;
  /** Live messages that arrived while a sync was under way. */
  private held: Arrival[] = [];
  private syncing: Promise<void> | undefined;
  private waiters: Array<{ epoch: string; offset: number; done: () => void }> = [];

  constructor(
    readonly name: string,
    private readonly hooks: LiveChannelHooks,
    private readonly limits: LiveChannelLimits,
  ) {}

  /** Frame bytes held in the window. */
  get windowBytes(): number {
    return this.bytes;
  }

  /** A message from pub/sub: delivered at once when it is the next one, else after the gap is filled. */
  arrive(offset: number, epoch: string, frame: Buffer): void {
    if (this.released) return;
    if (this.syncing) {
      this.hold({ offset, epoch, frame });
      return;
    }
    if (this.epoch === undefined) {
      // The first message since subscribing sets where this node starts delivering.
      this.epoch = epoch;
      this.last = offset - 1;
    }
    if (epoch === this.epoch && offset <= this.last) return; // read from the stream already
    if (epoch === this.epoch && offset === this.last + 1) {
      this.deliver(offset, frame);
      return;
    }
    this.hold({ offset, epoch, frame });
    void this.sync();
  }

  /** Sets where delivery starts when nothing has set it yet (a resume read the top first). */
  startAt(epoch: string, top: number): void {
    if (this.epoch !== undefined || this.syncing) return; // a sync sets it from its own read
    this.epoch = epoch;
    this.last = top;
  }

  /**
   * Resolves true once `offset` of `epoch` has been delivered here (reading the stream if
   * needed), false when that took longer than `timeoutMs`.
   */
  deliveredUpTo(epoch: string, offset: number, timeoutMs: number): Promise<boolean> {
    if (this.epoch === epoch && this.last >= offset) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter = {
        epoch,
        offset,
        done: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((other) => other !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
      void this.sync();
    });
  }

  /**
   * Re-reads the stream from the last offset delivered: after a gap, an epoch change or a
   * pub/sub reconnect. One at a time; messages arriving meanwhile are held and merged.
   */
  sync(): Promise<void> {
    this.syncing ??= this.catchUp().finally(() => {
      this.syncing = undefined;
    });
    return this.syncing;
  }

  /**
   * The message this node delivered at `offset` of `epoch`: undefined when it is not delivered
   * yet (or the channel was dropped), BEHIND when it has left the window (read it from the
   * stream), LOST when the channel's epoch is no longer `epoch` (Redis lost the channel).
   */
  delivered(epoch: string, offset: number): StoredMessage | undefined | typeof LOST | typeof BEHIND {
    if (this.released) return undefined;
    if (this.epoch !== epoch) return LOST;
    if (offset > this.last) return undefined;
    const first = this.window.length > this.windowStart ? this.window[this.windowStart].offset : this.last + 1;
    if (offset < first) return BEHIND;
    return this.window[this.windowStart + (offset - first)];
  }

  private async catchUp(): Promise<void> {
    for (let round = 0; round < MAX_SYNC_ROUNDS; round++) {
      let read: HistoryRead;
      const known = this.epoch;
      try {
        read = await this.hooks.read(known === undefined ? 0 : this.last, known === undefined ? 0 : this.limits.readLimit);
      } catch {
        if (!this.released) this.hooks.retryLater();
        return;
      }
      if (this.released) return;
      if (known === undefined) {
        this.epoch = read.epoch;
        this.last = read.top;
      } else if (read.epoch !== known) {
        // Redis lost the channel: its offsets start again in a new epoch, read from the first.
        this.epoch = read.epoch;
        this.last = 0;
        this.clearWindow();
        continue;
      }
      for (const entry of read.entries) {
        if (entry.offset <= this.last) continue;
        if (entry.offset !== this.last + 1) this.clearWindow(); // trimmed from the stream before it was read
        this.deliver(entry.offset, entry.frame);
      }
      if (read.entries.length === 0 && read.top > this.last) {
        this.clearWindow(); // nothing held any more between: go on from the top
        this.last = read.top;
      }
      if (this.last < read.top) continue; // the read was capped: more to read
      if (this.mergeHeld()) {
        this.release(true);
        return;
      }
    }
    if (!this.released) this.hooks.retryLater();
  }

  /** Delivers held messages that follow on; true when none is left waiting for a gap to be filled. */
  private mergeHeld(): boolean {
    const held = this.held.filter((arrival) => arrival.epoch === this.epoch).sort((a, b) => a.offset - b.offset);
    // Held messages of another epoch were published before the read (which saw this one): dropped.
    this.held = [];
    for (let i = 0; i < held.length; i++) {
      const arrival = held[i];
      if (arrival.offset <= this.last) continue;
      if (arrival.offset !== this.last + 1) {
        this.held = held.slice(i);
        return false;
      }
      this.deliver(arrival.offset, arrival.frame);
    }
    return true;
  }

  private hold(arrival: Arrival): void {
    // Everything held is in the stream too: past the bound it is simply read from there.
    if (this.held.length >= this.limits.windowSize) this.held = [];
    this.held.push(arrival);
  }

  private deliver(offset: number, frame: Buffer): void {
    // A frame cut from a larger reply would keep all of it alive in the window: kept on its own.
    if (frame.buffer.byteLength > 2 * frame.length + 1024) frame = Buffer.from(frame);
    const message: StoredMessage = { channel: this.name, offset, frame };
    this.last = offset;
    this.window.push(message);
    this.bytes += frame.length;
    while (this.window.length - this.windowStart > this.limits.windowSize || this.bytes > this.limits.windowBytes) {
      this.bytes -= this.window[this.windowStart].frame.length;
      this.windowStart++;
    }
    if (this.windowStart > 64 && this.windowStart * 2 > this.window.length) {
      this.window = this.window.slice(this.windowStart);
      this.windowStart = 0;
    }
    this.hooks.deliver(message);
    this.release();
  }

  private clearWindow(): void {
    this.window = [];
    this.windowStart = 0;
    this.bytes = 0;
  }

  /**
   * Lets resumes waiting for what was just delivered go on. A resume that read another epoch
   * is let go only after a sync: its read may be newer than this channel's state, or stale.
   */
  private release(synced = false): void {
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => {
      const reached = waiter.epoch === this.epoch ? this.last >= waiter.offset : synced;
      if (reached) waiter.done();
      return !reached;
    });
  }
}
