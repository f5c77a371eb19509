/**
 * One timer for the deadlines of every command in flight on a connection. All commands
 * share one timeout, so their deadlines fall in the order they were sent: only the oldest
 * needs watching. A timer (or an AbortSignal) per command costs more than the command itself
 * at tens of thousands of publishes a second.
 */
import { TimeoutError } from '@redis/client';

interface InFlight {
  deadline: number;
  settled: boolean;
  reject: (error: Error) => void;
}

export class CommandDeadlines {
  /** Oldest first; settled entries are dropped from the front as the timer passes them. */
  private queue: InFlight[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  /** Settles like `promise`, or rejects with a TimeoutError once it has taken `timeoutMs`; a late reply is dropped. */
  track<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const entry: InFlight = { deadline: performance.now() + this.timeoutMs, settled: false, reject };
      // Replies come in the order sent: the answered ones at the front go now, not at the next expiry.
      while (this.head < this.queue.length && this.queue[this.head].settled) this.head++;
      this.compact();
      this.queue.push(entry);
      promise.then(
        (value) => {
          entry.settled = true;
          resolve(value);
        },
        (error: unknown) => {
          entry.settled = true;
          reject(error);
        },
      );
      this.timer ??= this.arm(this.timeoutMs);
    });
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private arm(ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => this.expire(), Math.max(1, Math.ceil(ms)));
    timer.unref();
    return timer;
  }

  private expire(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.queue.length) {
      const entry = this.queue[this.head];
      if (!entry.settled) {
        if (entry.deadline > now) break;
        entry.settled = true;
        entry.reject(new TimeoutError());
      }
      this.head++;
    }
    this.compact();
    if (this.head < this.queue.length) this.timer = this.arm(this.queue[this.head].deadline - now);
  }
}
