/**
 * Messages waiting for a connection, oldest first. Bounded: when full, the oldest
 * message makes room for the newest and the caller is told how many were dropped,
 * so that loss is always reported.
 */
export class OfflineQueue<T> {
  private items: T[] = [];
  private head = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new RangeError(`queue capacity must be a whole number of at least 1, got ${capacity}`);
    }
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds `item`; returns how many old items were dropped to make room (0 or 1). */
  push(item: T): number {
    let dropped = 0;
    if (this.length >= this.capacity) {
      this.head++;
      dropped = 1;
    }
    this.items.push(item);
    this.compact();
    return dropped;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined as T;
    this.compact();
    return item;
  }

  /** Removes and returns everything, oldest first. */
  drain(): T[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return all;
  }

  // Dropping the consumed prefix now and then keeps shift() O(1) without unbounded growth.
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
