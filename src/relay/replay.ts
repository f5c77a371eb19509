/**
 * Sends a resuming subscriber what it missed as fast as it reads, and no faster. Written
 * at once, a replay larger than the high-water mark would cut an honest client off as a
 * slow consumer on every resume. Instead a little is written whenever the socket has
 * flushed what came before, straight from the history (nothing is copied or queued), and
 * messages published meanwhile are reached through the history in turn, so they follow
 * the replay in order. While it runs the replay stands in for its connection in the
 * engine's fan-out, so live broadcasts skip it without any test on their path.
 */
import type { Socket } from 'node:net';
import type { Boundary } from './boundary';
import type { Subscriber } from './local-fan-out';
import { Delivery } from './delivery';
import { LOST, PENDING, UNAVAILABLE, type HistoryCursor } from './history';

/**
 * How a replay ended: caught up (go live); the peer read too slowly for the history to keep
 * what it had yet to read; or the history could not be read now (the peer should resume later).
 */
export type ReplayEnd = { outcome: 'caught-up' } | { outcome: 'too-slow' | 'unavailable'; reason: string };

export interface ReplayOptions {
  /** Bytes waiting in the socket past which the replay waits for them to be flushed. */
  lowWaterBytes: number;
  /** How long the peer may take to read what is waiting before it is cut off. */
  stallMs: number;
  /** Writes one encoded frame; false when the peer can take no more (it is closing). */
  write(frame: Buffer, flushed?: (error?: Error | null) => void): boolean;
  boundary: Boundary;
  /** Called once, when the replay has caught up or must stop; never after `cancel()`. */
  onEnd(end: ReplayEnd): void;
}

export class Replay implements Subscriber {
  private ended = false;
  private readonly stall: NodeJS.Timeout;
  /** Called once the frame that filled the socket is flushed. */
  private readonly flushed: (error?: Error | null) => void;
  /** Called by the cursor once it has fetched more. */
  private readonly wake: () => void;

  constructor(
    private readonly cursor: HistoryCursor,
    private readonly transport: Socket,
    private readonly options: ReplayOptions,
  ) {
    this.stall = setTimeout(
      options.boundary.guard('a stalled replay', () => this.end({ outcome: 'too-slow', reason: 'not reading its replay' })),
      options.stallMs,
    );
    this.stall.unref();
    this.flushed = options.boundary.guard('a replay', (error?: Error | null) => {
      if (!error) this.pump(); // a failed write means the socket is going: its close ends the replay
    });
    this.wake = options.boundary.guard('a replay', () => {
      if (this.ended) return;
      this.stall.refresh(); // waiting on storage is not the peer's stall
      this.pump();
    });
  }

  /** Live messages of the channel are in the history already: the cursor reaches them in turn. */
  deliver(): void {}

  /** Writes until the socket holds `lowWaterBytes`, then again once that is flushed; ends when caught up. */
  readonly pump = (): void => {
    if (this.ended) return;
    const { lowWaterBytes, write } = this.options;
    for (;;) {
      const message = this.cursor.next(this.wake);
      if (message === PENDING) return;
      if (message === LOST) return this.end({ outcome: 'too-slow', reason: 'fell behind the history' });
      if (message === UNAVAILABLE) return this.end({ outcome: 'unavailable', reason: 'its history could not be read now' });
      if (message === undefined) return this.end({ outcome: 'caught-up' });
      const frame = new Delivery(message).annotated();
      const full = this.transport.writableLength + frame.length >= lowWaterBytes;
      if (!write(frame, full ? this.flushed : undefined)) return this.cancel();
      if (full) {
        this.stall.refresh();
        return;
      }
    }
  };

  /** Stops without a word: the subscription went, or the connection did. */
  cancel(): void {
    this.ended = true;
    clearTimeout(this.stall);
  }

  private end(end: ReplayEnd): void {
    if (this.ended) return;
    this.cancel();
    this.options.onEnd(end);
  }
}
