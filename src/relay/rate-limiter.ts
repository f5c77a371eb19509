/**
 * Message rates per connection: `ratePerSecond` messages a second on average, bursts up
 * to `burst`. A token bucket, kept as GCRA (the generic cell rate algorithm): one number per
 * connection, the time its next message is due at the steady rate, and the rate itself shared
 * by every connection, since idle connections number in the tens of thousands.
 */
/** One clock function for every rate and run (a closure per connection would cost memory). */
const monotonicNow = (): number => performance.now();

export class MessageRate {
  /** Milliseconds between messages at the steady rate. */
  private readonly intervalMs: number;
  /** How far ahead of the steady rate a connection may run: a full burst less the message itself. */
  private readonly toleranceMs: number;

  constructor(
    ratePerSecond: number,
    burst: number,
    private readonly now: () => number = monotonicNow,
  ) {
    this.intervalMs = 1000 / ratePerSecond;
    this.toleranceMs = (burst - 1) * this.intervalMs;
  }

  /**
   * Admits one message for a connection whose next message was `due` (0 for a new
   * connection: a full burst is available). Returns the connection's new due time, or NaN
   * when the message is over the rate (the due time then stays as it was).
   */
  take(due: number): number {
    const time = this.now();
    const start = due > time ? due : time;
    // The margin absorbs rounding: a burst of exactly `burst` (interval × (burst − 1) ahead) must pass.
    return start - time > this.toleranceMs + 1e-6 ? Number.NaN : start + this.intervalMs;
  }
}

/**
 * Counts the messages dropped in one run of excess, so that only sustained excess is
 * punished: a run ends once nothing has been dropped for `quietMs`, and the next drop
 * starts a new run from one. A long-lived client that overshoots now and then is never
 * cut off for the sum of its whole life.
 */
export class ExcessRun {
  private dropped = 0;
  private lastDropAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly quietMs: number,
    private readonly now: () => number = monotonicNow,
  ) {}

  /** Counts one dropped message; returns how many this run has dropped (1: a new run began). */
  drop(): number {
    const time = this.now();
    if (time - this.lastDropAt >= this.quietMs) this.dropped = 0;
    this.lastDropAt = time;
    return ++this.dropped;
  }
}
