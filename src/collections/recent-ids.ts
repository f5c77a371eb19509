/**
 * A bounded set of recently seen ids: remembers the last `capacity` ids, so that
 * duplicate deliveries are recognised without memory growing on a busy channel.
 */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity: number) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** Adds `id`; returns false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      // Sets iterate in insertion order: the first id is the oldest.
      this.ids.delete(this.ids.values().next().value as string);
    }
    return true;
  }

  delete(id: string): boolean {
    return this.ids.delete(id);
  }

  clear(): void {
    this.ids.clear();
  }
}
