/**
 * One outcome that any number of callers await: the connection opening, the subscription
 * being confirmed, the relay confirming that we left. Every caller gets the same promise,
 * so a caller calling a thousand times while the relay is away costs one promise, not a
 * thousand waiters.
 */
export class PendingOutcome {
  private current: { promise: Promise<void>; resolve(): void; reject(error: Error): void } | undefined;

  /** The promise of the outcome in progress, or of a new one when none is. */
  wait(): Promise<void> {
    if (!this.current) {
      let resolve!: () => void;
      let reject!: (error: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.current = { promise, resolve, reject };
    }
    return this.current.promise;
  }

  /** Resolves the outcome in progress (if any); the next wait() starts a new one. */
  resolve(): void {
    const current = this.current;
    this.current = undefined;
    current?.resolve();
  }

  /** Rejects the outcome in progress (if any) with `error`. */
  reject(error: Error): void {
    const current = this.current;
    this.current = undefined;
    current?.reject(error);
  }
}
