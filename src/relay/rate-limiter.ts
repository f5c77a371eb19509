/**
 * A token bucket per connection: `ratePerSecond` messages a second on average, bursts
 * up to `burst`. Cheap enough to run on every frame.
 */
/** One clock function for every bucket and run (a closure per connection would cost memory). */
const monotonicNow = (): number => performance.now();

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = monotonicNow,
  ) {
    this.tokens = burst;
    this.updatedAt = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const time = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((time - this.updatedAt) * this.ratePerSecond) / 1000);
    this.updatedAt = time;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
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
