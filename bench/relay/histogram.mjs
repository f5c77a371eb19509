/**
 * Latency histogram in microseconds: 1 µs buckets up to 100 ms, 1 ms buckets up to 100 s.
 * Fixed memory whatever the number of deliveries (500 subscribers × thousands of messages).
 */
const FINE = 100_000;
const COARSE = 100_000;

export class Histogram {
  constructor() {
    this.fine = new Uint32Array(FINE);
    this.coarse = new Uint32Array(COARSE);
    this.count = 0;
    this.sum = 0;
    this.max = 0;
  }

  record(micros) {
    if (micros < 0) micros = 0;
    if (micros < FINE) this.fine[micros]++;
    else this.coarse[Math.min(COARSE - 1, Math.floor(micros / 1000))]++;
    this.count++;
    this.sum += micros;
    if (micros > this.max) this.max = micros;
  }

  /** The value at quantile q (0..1), in microseconds. */
  percentile(q) {
    if (this.count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < FINE; i++) {
      seen += this.fine[i];
      if (seen >= rank) return i;
    }
    for (let i = 0; i < COARSE; i++) {
      seen += this.coarse[i];
      if (seen >= rank) return i * 1000;
    }
    return this.max;
  }

  summary() {
    return {
      count: this.count,
      p50Ms: this.percentile(0.5) / 1000,
      p90Ms: this.percentile(0.9) / 1000,
      p99Ms: this.percentile(0.99) / 1000,
      maxMs: this.max / 1000,
      meanMs: this.count ? this.sum / this.count / 1000 : NaN,
    };
  }
}
