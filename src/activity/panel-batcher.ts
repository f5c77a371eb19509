/**
 * Collects store changes and hands them over in batches, at most one per interval,
 * so a model streaming hundreds of deltas a second costs the webview a few messages
 * a second. Consecutive appends to the same answer are merged into one.
 */
import type { HostToPanel } from '../protocol';

export class PanelBatcher {
  private pending: HostToPanel[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly deliver: (batch: HostToPanel[]) => void,
    private readonly intervalMs = 16,
  ) {}

  push(message: HostToPanel): void {
    const last = this.pending.at(-1);
    if (
      message.kind === 'answer' &&
      last?.kind === 'answer' &&
      last.threadId === message.threadId &&
      last.turnIndex === message.turnIndex
    ) {
      last.append += message.append;
    } else if (message.kind === 'cleared' || message.kind === 'snapshot') {
      // Nothing queued before a reset matters any more.
      this.pending = [message];
    } else {
      this.pending.push(message.kind === 'answer' ? { ...message } : message);
    }
    this.timer ??= setTimeout(() => this.flush(), this.intervalMs);
  }

  /** Delivers what is queued now. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.deliver(batch);
  }

  /** Drops what is queued (the view went away; it will get a snapshot when it returns). */
  discard(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }
}
