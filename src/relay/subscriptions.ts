/**
 * A connection's channels, each with whether it is delivered with offsets (subscribed with
 * `since`). Almost every connection is on one channel: that one lives in two fields, and a
 * Map is made only for a second, so an idle subscriber carries no hash table.
 */
export class Subscriptions {
  private first: string | undefined;
  private firstWithOffsets = false;
  private more: Map<string, boolean> | undefined;

  get size(): number {
    return (this.first === undefined ? 0 : 1) + (this.more?.size ?? 0);
  }

  has(channel: string): boolean {
    return channel === this.first || (this.more?.has(channel) ?? false);
  }

  /** Whether `channel` is delivered with offsets; undefined when not subscribed. */
  get(channel: string): boolean | undefined {
    return channel === this.first ? this.firstWithOffsets : this.more?.get(channel);
  }

  set(channel: string, withOffsets: boolean): void {
    if (this.first === undefined || channel === this.first) {
      if (this.first === undefined && this.more?.has(channel)) {
        this.more.set(channel, withOffsets);
        return;
      }
      this.first = channel;
      this.firstWithOffsets = withOffsets;
      return;
    }
    (this.more ??= new Map()).set(channel, withOffsets);
  }

  delete(channel: string): boolean {
    if (channel !== this.first) return this.more?.delete(channel) ?? false;
    this.first = undefined;
    this.firstWithOffsets = false;
    return true;
  }

  /** The channels now (a copy: safe to change the subscriptions while going through it). */
  names(): string[] {
    const names = this.first === undefined ? [] : [this.first];
    if (this.more) names.push(...this.more.keys());
    return names;
  }

  clear(): void {
    this.first = undefined;
    this.firstWithOffsets = false;
    this.more = undefined;
  }
}
