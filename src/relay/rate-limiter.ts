/**
 * A token bucket per connection: `ratePerSecond` messages a second on average, bursts
 * up to `burst`. Cheap enough to run on every frame.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
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
