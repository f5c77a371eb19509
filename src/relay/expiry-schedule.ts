/**
 * When connections' tokens run out: one timer for all of them, set to the earliest expiry,
 * instead of a timer per connection. Entries are kept in a binary heap by time; one whose
 * connection goes first is taken out at once (a token may be valid for weeks: nothing waits
 * in here for a connection that has gone).
 */

/** setTimeout's longest delay; a later expiry is looked at again when that fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Entry<T> {
  at: number;
  item: T;
  /** Where it is in the heap; -1 once out. */
  index: number;
}

export class ExpirySchedule<T> {
  private readonly heap: Array<Entry<T>> = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;

  constructor(
    /** Called for each item whose time has come, in time order; it must not throw (pass a guarded handler). */
    private readonly expire: (item: T) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Expires `item` at `at` (ms since the epoch); the handle takes it out again. */
  add(item: T, at: number): { cancel(): void } {
    const entry: Entry<T> = { at, item, index: this.heap.length };
    this.heap.push(entry);
    this.up(entry.index);
    if (at < this.timerAt) this.arm();
    return { cancel: () => this.remove(entry) };
  }

  /** Entries waiting: for tests and gauges. */
  get size(): number {
    return this.heap.length;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    for (const entry of this.heap) entry.index = -1;
    this.heap.length = 0;
  }

  private remove(entry: Entry<T>): void {
    const at = entry.index;
    if (at < 0) return;
    entry.index = -1;
    const last = this.heap.pop()!;
    if (last !== entry) {
      this.heap[at] = last;
      last.index = at;
      this.up(at);
      this.down(last.index);
    }
    // The timer may stay set for the removed entry: it then fires, finds nothing due, and re-arms.
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
    const next = this.heap[0];
    if (!next) return;
    this.timerAt = next.at;
    this.timer = setTimeout(() => this.fire(), Math.min(Math.max(0, next.at - this.now()), MAX_TIMER_MS));
    this.timer.unref();
  }

  private fire(): void {
    const now = this.now();
    const due: T[] = [];
    while (this.heap.length > 0 && this.heap[0].at <= now) {
      const entry = this.heap[0];
      this.remove(entry);
      due.push(entry.item);
    }
    this.arm();
    for (const item of due) this.expire(item);
  }

  private up(at: number): void {
    const heap = this.heap;
    const entry = heap[at];
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if (heap[parent].at <= entry.at) break;
      heap[at] = heap[parent];
      heap[at].index = at;
      at = parent;
    }
    heap[at] = entry;
    entry.index = at;
  }

  private down(at: number): void {
    const heap = this.heap;
    const entry = heap[at];
    for (;;) {
      const left = 2 * at + 1;
      if (left >= heap.length) break;
      const child = left + 1 < heap.length && heap[left + 1].at < heap[left].at ? left + 1 : left;
      if (heap[child].at >= entry.at) break;
      heap[at] = heap[child];
      heap[at].index = at;
      at = child;
    }
    heap[at] = entry;
    entry.index = at;
  }
}
