/**
 * Collects store changes and hands them over in batches, at most one per interval,
 * so a model streaming hundreds of deltas a second costs the webview a few messages
 * a second. Within a batch only the latest state travels: appends to the same answer
 * become one, a newer thread marker, turn header or tool card overwrites the queued one
 * in its place, and whatever is queued for threads or turns that are
 * removed is dropped (and a removal is only sent for threads the panel was sent). So a
 * publisher flooding the channel costs the webview a bounded batch per interval, not one
 * message per event.
 */
import type { HostToPanel } from '../protocol';

type Replaceable = Extract<HostToPanel, { kind: 'thread' | 'turn' | 'tool' | 'answer' }>;

export class PanelBatcher {
  private pending: HostToPanel[] = [];
  /** The queued message holding each thread marker, turn header, tool card and answer append, by key. */
  private queued = new Map<string, Replaceable>();
  /** Threads delivered to the panel and not removed since: as many as the store keeps. */
  private readonly delivered = new Set<string>();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly deliver: (batch: HostToPanel[]) => void,
    private readonly intervalMs = 16,
  ) {}

  push(message: HostToPanel): void {
    if (message.kind === 'cleared' || message.kind === 'snapshot') {
      // Nothing queued before a reset matters any more.
      this.pending = [message];
      this.queued.clear();
    } else if (message.kind === 'removed') {
      const gone = new Set(message.threadIds);
      this.dropQueued((queued) => 'threadId' in queued && gone.has(queued.threadId));
      const shown = message.threadIds.filter((threadId) => this.delivered.has(threadId));
      const earlier = this.pending.find((queued) => queued.kind === 'removed');
      if (earlier) earlier.threadIds = [...new Set([...earlier.threadIds, ...shown])];
      else if (shown.length > 0) this.pending.push({ kind: 'removed', threadIds: shown });
    } else if (message.kind === 'turnsRemoved') {
      this.dropQueued(
        (queued) =>
          'threadId' in queued &&
          queued.threadId === message.threadId &&
          (queued.kind === 'turnsRemoved' || turnIndexOf(queued) < message.below),
      );
      this.pending.push({ ...message });
    } else if (!this.overwrite(message)) {
      // Text appended after a replacement of the whole answer must follow it.
      if (message.kind === 'turn' && message.answer !== undefined) this.queued.delete(answerKey(message.threadId, message.turn.index));
      const copy = { ...message };
      this.pending.push(copy);
      const key = keyOf(copy);
      if (key !== undefined) this.queued.set(key, copy as Replaceable);
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
    this.queued.clear();
    for (const message of batch) this.track(message);
    this.deliver(batch);
  }

  /** Drops what is queued (the view went away; it will get a snapshot when it returns). */
  discard(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.queued.clear();
    this.delivered.clear();
  }

  /**
   * Writes a newer state into the message already queued for the same thing (appends are
   * joined). A turn header that replaces the answer text is never moved before appends
   * queued after the old one.
   */
  private overwrite(message: HostToPanel): boolean {
    const key = keyOf(message);
    const earlier = key === undefined ? undefined : this.queued.get(key);
    if (earlier?.kind === 'turn' && message.kind === 'turn' && message.answer === undefined) earlier.turn = message.turn;
    else if (earlier?.kind === 'tool' && message.kind === 'tool') earlier.tool = message.tool;
    else if (earlier?.kind === 'thread' && message.kind === 'thread') Object.assign(earlier, { undelivered: message.undelivered, notShared: message.notShared });
    else if (earlier?.kind === 'answer' && message.kind === 'answer') earlier.append += message.append;
    else return false;
    return true;
  }

  private dropQueued(gone: (queued: HostToPanel) => boolean): void {
    const kept: HostToPanel[] = [];
    for (const queued of this.pending) {
      if (!gone(queued)) {
        kept.push(queued);
        continue;
      }
      const key = keyOf(queued);
      if (key !== undefined && this.queued.get(key) === queued) this.queued.delete(key);
    }
    this.pending = kept;
  }

  /** Keeps `delivered` in step with what the panel has. */
  private track(message: HostToPanel): void {
    if (message.kind === 'snapshot') {
      this.delivered.clear();
      for (const thread of message.threads) this.delivered.add(thread.threadId);
    } else if (message.kind === 'cleared') {
      this.delivered.clear();
    } else if (message.kind === 'removed') {
      for (const threadId of message.threadIds) this.delivered.delete(threadId);
    } else if ('threadId' in message) {
      this.delivered.add(message.threadId);
    }
  }
}

/** Numbers first and the thread id last: whatever characters it holds, two keys cannot collide. */
function keyOf(message: HostToPanel): string | undefined {
  switch (message.kind) {
    case 'thread':
      return `thread\n${message.threadId}`;
    case 'turn':
      return `turn\n${message.turn.index}\n${message.threadId}`;
    case 'tool':
      return `tool\n${message.turnIndex}\n${message.position}\n${message.threadId}`;
    case 'answer':
      return answerKey(message.threadId, message.turnIndex);
    default:
      return undefined;
  }
}

function answerKey(threadId: string, turnIndex: number): string {
  return `answer\n${turnIndex}\n${threadId}`;
}

function turnIndexOf(message: HostToPanel): number {
  if (message.kind === 'turn') return message.turn.index;
  if (message.kind === 'tool' || message.kind === 'answer') return message.turnIndex;
  return Number.POSITIVE_INFINITY;
}
