/**
 * The single place that decides what the Live Activity panel shows. Local events and
 * channel messages arrive here as the same seed payloads: local ones at once (marked
 * undelivered), their echoes from the relay only clear that mark, and duplicates from
 * resends are dropped by id. Anyone may publish on the channel, so everything kept is
 * bounded (src/protocol/panel/limits.ts): threads, turns per thread, tool cards per turn,
 * every text field, the ids remembered, and the characters kept over all threads.
 * Every change is reported as a small HostToPanel message carrying only what changed
 * (a turn's header, one tool card, an answer append); the whole state only on (re)load.
 */
import { RecentIds } from '../collections/recent-ids';
import {
  clip,
  DEFAULT_MAX_THREADS,
  freshCopy,
  MAX_REMEMBERED_IDS,
  MAX_RETAINED_CHARS,
  MAX_TOOLS_PER_TURN,
  MAX_TURNS_PER_THREAD,
  TEXT_LIMITS,
  type ChannelPayload,
  type HostToPanel,
  type ThreadView,
  type ToolCard,
  type TurnView,
} from '../protocol';
import { readIncomingEvent, type IncomingEvent } from './incoming-event';

export interface ActivityStoreOptions {
  /** Threads kept; the least recently active are dropped past this (default DEFAULT_MAX_THREADS). */
  maxThreads?: number;
  /** Turns kept per thread (default MAX_TURNS_PER_THREAD). */
  maxTurnsPerThread?: number;
  /** Characters kept per answer; the rest is cut with a note (default TEXT_LIMITS.answer). */
  maxAnswerLength?: number;
  /** Characters kept over all threads (default MAX_RETAINED_CHARS). */
  maxRetainedChars?: number;
  now?: () => number;
}

export type PayloadSource = 'local' | 'channel';

export type ChangeListener = (change: HostToPanel) => void;

interface TurnState extends TurnView {
  /** performance-style clock of each running tool's start, for durations. */
  toolStarts: Map<string, number>;
  truncated: boolean;
  /** Characters this turn keeps (its texts and card keys). */
  chars: number;
}

interface ThreadState {
  threadId: string;
  origin: 'local' | 'remote';
  turns: TurnState[];
  undelivered: number;
  notShared: number;
  nextTurnIndex: number;
  /** Characters kept by its turns and its id. */
  chars: number;
  /** Our ids in this thread still waiting for their echo. */
  awaiting: Set<string>;
}

/**
 * Plain TypeScript with no Node module (not even `events`): the relay's watch page runs this
 * same store in the browser. Its one event, `change`, works as an EventEmitter's would:
 * listeners in the order added, a listener added twice called twice, what one throws thrown.
 */
export class ActivityStore {
  private listeners: ChangeListener[] = [];
  private readonly threads = new Map<string, ThreadState>();
  /** Ids we published and have not yet seen come back: an echo of one is not shown twice. */
  private readonly awaitingEcho = new Map<string, ThreadState>();
  private readonly seen = new RecentIds(MAX_REMEMBERED_IDS);
  private maxThreads: number;
  private readonly maxTurns: number;
  private readonly maxAnswer: number;
  private readonly maxRetained: number;
  private readonly now: () => number;
  private retained = 0;

  constructor(options: ActivityStoreOptions = {}) {
    this.maxThreads = options.maxThreads ?? DEFAULT_MAX_THREADS;
    this.maxTurns = options.maxTurnsPerThread ?? MAX_TURNS_PER_THREAD;
    this.maxAnswer = options.maxAnswerLength ?? TEXT_LIMITS.answer;
    this.maxRetained = options.maxRetainedChars ?? MAX_RETAINED_CHARS;
    this.now = options.now ?? Date.now;
  }

  /**
   * Changes how many threads are kept (the setting changed while the window is open): past the
   * new number, the least recently active threads go at once, with a `removed` change.
   */
  setMaxThreads(maxThreads: number): void {
    this.maxThreads = maxThreads;
    this.evictThreads(undefined, () => this.threads.size > this.maxThreads);
  }

  on(event: 'change', listener: ChangeListener): this {
    this.listeners = [...this.listeners, listener];
    return this;
  }

  /** Removes the most recently added registration of `listener`. */
  off(event: 'change', listener: ChangeListener): this {
    const at = this.listeners.lastIndexOf(listener);
    if (at >= 0) this.listeners = this.listeners.filter((_, index) => index !== at);
    return this;
  }

  private emit(event: 'change', change: HostToPanel): void {
    // A copy-on-write list: listeners added or removed by a listener take effect from the next change.
    for (const listener of this.listeners) listener(change);
  }

  get threadCount(): number {
    return this.threads.size;
  }

  /** Characters kept over all threads (bounded by maxRetainedChars). */
  get retainedChars(): number {
    return this.retained;
  }

  /** A question asked in this window: opens a new turn that shows the question. */
  startLocalTurn(threadId: string, question: string): void {
    const thread = this.thread(clip(String(threadId), TEXT_LIMITS.threadId), 'local');
    const turn = this.openTurn(thread, clip(String(question), TEXT_LIMITS.question));
    this.account(thread, turn);
  }

  /** Takes one payload, from our own engine (`local`) or from the relay (`channel`); anything malformed is ignored. */
  ingest(payload: ChannelPayload, source: PayloadSource): void {
    const event = readIncomingEvent(payload);
    if (!event) return;
    if (event.id !== undefined) {
      if (source === 'channel' && this.awaitingEcho.has(event.id)) {
        this.confirmDelivery(event.id);
        return;
      }
      if (!this.seen.add(event.id)) return; // a resend we already have
    }
    const thread = this.thread(event.threadId, source === 'local' ? 'local' : 'remote');
    if (source === 'local' && event.id !== undefined) this.awaitEcho(thread, event.id);
    const turn = this.currentTurn(thread);
    if (event.type === 'tool') this.applyTool(thread, turn, event);
    else this.applyResponse(thread, turn, event);
    this.account(thread, turn);
  }

  /** Forgets every thread (Clear Activity). */
  clear(): void {
    this.threads.clear();
    this.awaitingEcho.clear();
    this.retained = 0;
    this.emit('change', { kind: 'cleared' });
  }

  snapshot(): ThreadView[] {
    return [...this.threads.values()].map((thread) => ({
      threadId: thread.threadId,
      origin: thread.origin,
      undelivered: thread.undelivered,
      notShared: thread.notShared,
      turns: thread.turns.map((turn) => publicTurn(turn)),
    }));
  }

  private awaitEcho(thread: ThreadState, id: string): void {
    this.awaitingEcho.set(id, thread);
    thread.awaiting.add(id);
    thread.undelivered++;
    if (this.awaitingEcho.size > MAX_REMEMBERED_IDS) {
      // The relay has not echoed this many of ours: stop waiting for the oldest (it stays counted).
      const [oldest, owner] = this.awaitingEcho.entries().next().value as [string, ThreadState];
      this.awaitingEcho.delete(oldest);
      owner.awaiting.delete(oldest);
    }
    this.emitThread(thread);
  }

  /**
   * The relay refused our event `id` for good (the token may not publish on the channel): it
   * stays shown here and counts as not shared instead of waiting for an echo that cannot come.
   */
  refuseDelivery(id: string): void {
    const thread = this.awaitingEcho.get(id);
    if (!thread) return;
    this.awaitingEcho.delete(id);
    thread.awaiting.delete(id);
    if (this.threads.get(thread.threadId) !== thread) return;
    if (thread.undelivered > 0) thread.undelivered--;
    thread.notShared++;
    this.emitThread(thread);
  }

  private confirmDelivery(id: string): void {
    const thread = this.awaitingEcho.get(id)!;
    this.awaitingEcho.delete(id);
    thread.awaiting.delete(id);
    if (this.threads.get(thread.threadId) !== thread || thread.undelivered === 0) return;
    thread.undelivered--;
    this.emitThread(thread);
  }

  private applyTool(thread: ThreadState, turn: TurnState, event: IncomingEvent): void {
    this.clearNotice(thread, turn);
    const callId = event.toolCallId;
    if (event.status === 'started') {
      const key = callId ?? `tool-${turn.tools.length}`;
      if (!this.addCard(thread, turn, { key, message: event.message, status: 'running' })) return;
      turn.toolStarts.set(key, this.now());
      return;
    }
    // Seed publishers send no call id: a result belongs to the oldest tool still running.
    // A card takes one result: a finished card is never rewritten, so each card travels at most twice.
    let position = callId !== undefined ? turn.tools.findIndex((tool) => tool.key === callId && tool.status === 'running') : -1;
    if (position < 0) position = turn.tools.findIndex((tool) => tool.status === 'running');
    if (position < 0) {
      const card: ToolCard = { key: callId ?? `tool-${turn.tools.length}`, message: 'Tool result', status: 'running' };
      if (!this.addCard(thread, turn, card, false)) return;
      position = turn.tools.length - 1;
    }
    const card = turn.tools[position];
    card.status = resultIsError(event.message) ? 'failed' : 'executed';
    card.result = event.message;
    const started = turn.toolStarts.get(card.key);
    if (started !== undefined) card.durationMs = Math.max(0, this.now() - started);
    turn.toolStarts.delete(card.key);
    this.emitTool(thread, turn, position);
  }

  /** Adds a card, or past MAX_TOOLS_PER_TURN only counts it; false when it was not added. */
  private addCard(thread: ThreadState, turn: TurnState, card: ToolCard, announce = true): boolean {
    if (turn.tools.length >= MAX_TOOLS_PER_TURN) {
      turn.omittedTools = (turn.omittedTools ?? 0) + 1;
      this.emitTurn(thread, turn);
      return false;
    }
    turn.tools.push(card);
    if (announce) this.emitTool(thread, turn, turn.tools.length - 1);
    return true;
  }

  private applyResponse(thread: ThreadState, turn: TurnState, event: IncomingEvent): void {
    switch (event.status) {
      case 'completed': {
        turn.status = 'completed';
        delete turn.notice;
        this.stopRunningTools(thread, turn);
        // A watcher that joined mid-stream, or missed a delta, gets the whole text here.
        const replace = event.message !== turn.answer ? this.cutAnswer(turn, event.message) : undefined;
        if (replace !== undefined) turn.answer = replace;
        this.emitTurn(thread, turn, replace);
        return;
      }
      case 'error':
        turn.status = 'error';
        turn.error = event.message;
        delete turn.notice;
        this.stopRunningTools(thread, turn);
        this.emitTurn(thread, turn);
        return;
      default:
        if (event.message !== '') this.clearNotice(thread, turn);
        this.appendAnswer(thread, turn, event.message);
        if (event.notice !== undefined && event.notice !== turn.notice) {
          turn.notice = event.notice;
          this.emitTurn(thread, turn);
        }
    }
  }

  /** A notice lasts until the turn's next event. */
  private clearNotice(thread: ThreadState, turn: TurnState): void {
    if (turn.notice === undefined) return;
    delete turn.notice;
    this.emitTurn(thread, turn);
  }

  private appendAnswer(thread: ThreadState, turn: TurnState, text: string): void {
    if (turn.truncated || text === '') return;
    let append = text;
    if (turn.answer.length + append.length > this.maxAnswer) {
      append = this.cutNote(append.slice(0, Math.max(0, this.maxAnswer - turn.answer.length)));
      turn.truncated = true;
    }
    turn.answer += append;
    this.emit('change', { kind: 'answer', threadId: thread.threadId, turnIndex: turn.index, append });
  }

  private cutAnswer(turn: TurnState, text: string): string {
    if (text.length <= this.maxAnswer) return text;
    turn.truncated = true;
    return this.cutNote(text.slice(0, this.maxAnswer));
  }

  private cutNote(kept: string): string {
    return freshCopy(`${kept}\n\n*… answer cut here: longer than ${this.maxAnswer} characters.*`);
  }

  /** A turn that ended leaves no tool spinning forever. */
  private stopRunningTools(thread: ThreadState, turn: TurnState): void {
    turn.tools.forEach((tool, position) => {
      if (tool.status !== 'running') return;
      tool.status = 'failed';
      tool.result ??= JSON.stringify({ error: 'No result was published before the turn ended.' });
      this.emitTool(thread, turn, position);
    });
    turn.toolStarts.clear();
  }

  private thread(threadId: string, origin: 'local' | 'remote'): ThreadState {
    let thread = this.threads.get(threadId);
    if (thread) {
      // Most recently active threads stay; re-inserting moves this one to the end.
      this.threads.delete(threadId);
      this.threads.set(threadId, thread);
      return thread;
    }
    thread = { threadId, origin, turns: [], undelivered: 0, notShared: 0, nextTurnIndex: 0, chars: threadId.length, awaiting: new Set() };
    this.threads.set(threadId, thread);
    this.retained += thread.chars;
    this.evictThreads(thread, () => this.threads.size > this.maxThreads);
    this.emitThread(thread);
    return thread;
  }

  /** The turn a payload belongs to: the last one, unless it has ended. */
  private currentTurn(thread: ThreadState): TurnState {
    const last = thread.turns.at(-1);
    return last && last.status === 'running' ? last : this.openTurn(thread, undefined);
  }

  private openTurn(thread: ThreadState, question: string | undefined): TurnState {
    const turn: TurnState = {
      index: thread.nextTurnIndex++,
      startedAt: this.now(),
      tools: [],
      answer: '',
      status: 'running',
      toolStarts: new Map(),
      truncated: false,
      chars: 0,
      ...(question !== undefined ? { question } : {}),
    };
    thread.turns.push(turn);
    if (thread.turns.length > this.maxTurns) this.dropOldestTurns(thread, 1);
    this.emitTurn(thread, turn);
    return turn;
  }

  /** Recounts the characters `turn` keeps, then brings the store back within its budget. */
  private account(thread: ThreadState, turn: TurnState): void {
    if (!thread.turns.includes(turn)) return;
    const chars = turnChars(turn);
    thread.chars += chars - turn.chars;
    this.retained += chars - turn.chars;
    turn.chars = chars;
    if (this.retained <= this.maxRetained) return;
    this.evictThreads(thread, () => this.retained > this.maxRetained);
    // Still over: this thread's oldest turns go, never the one being written.
    let drop = 0;
    for (let over = this.retained - this.maxRetained; over > 0 && drop < thread.turns.length - 1; drop++) over -= thread.turns[drop].chars;
    if (drop > 0) this.dropOldestTurns(thread, drop);
  }

  private dropOldestTurns(thread: ThreadState, count: number): void {
    const gone = thread.turns.splice(0, count);
    const chars = gone.reduce((sum, old) => sum + old.chars, 0);
    thread.chars -= chars;
    this.retained -= chars;
    this.emit('change', { kind: 'turnsRemoved', threadId: thread.threadId, below: thread.turns[0]?.index ?? thread.nextTurnIndex });
  }

  /** Removes the least recently active threads, never `keep`, while `tooMany()`. */
  private evictThreads(keep: ThreadState | undefined, tooMany: () => boolean): void {
    const removed: string[] = [];
    for (const thread of this.threads.values()) {
      if (!tooMany()) break;
      if (thread === keep) continue;
      this.threads.delete(thread.threadId);
      this.retained -= thread.chars;
      for (const id of thread.awaiting) this.awaitingEcho.delete(id);
      removed.push(thread.threadId);
    }
    if (removed.length > 0) this.emit('change', { kind: 'removed', threadIds: removed });
  }

  private emitThread(thread: ThreadState): void {
    this.emit('change', { kind: 'thread', threadId: thread.threadId, origin: thread.origin, undelivered: thread.undelivered, notShared: thread.notShared });
  }

  private emitTurn(thread: ThreadState, turn: TurnState, answer?: string): void {
    const { answer: _text, tools: _tools, ...header } = publicTurn(turn);
    this.emit('change', {
      kind: 'turn',
      threadId: thread.threadId,
      turn: header,
      ...(answer !== undefined ? { answer } : {}),
    });
  }

  private emitTool(thread: ThreadState, turn: TurnState, position: number): void {
    this.emit('change', { kind: 'tool', threadId: thread.threadId, turnIndex: turn.index, position, tool: { ...turn.tools[position] } });
  }
}

function publicTurn(turn: TurnState): TurnView {
  const view: TurnView = {
    index: turn.index,
    startedAt: turn.startedAt,
    tools: turn.tools.map((tool): ToolCard => ({ ...tool })),
    answer: turn.answer,
    status: turn.status,
  };
  if (turn.question !== undefined) view.question = turn.question;
  if (turn.error !== undefined) view.error = turn.error;
  if (turn.notice !== undefined) view.notice = turn.notice;
  if (turn.omittedTools !== undefined) view.omittedTools = turn.omittedTools;
  return view;
}

/** What a turn keeps, in characters: every text and card key (each at most its TEXT_LIMITS). */
function turnChars(turn: TurnState): number {
  let chars = turn.answer.length + (turn.question?.length ?? 0) + (turn.error?.length ?? 0) + (turn.notice?.length ?? 0);
  for (const tool of turn.tools) chars += tool.key.length + tool.message.length + (tool.result?.length ?? 0);
  return chars;
}

/** A tool result is a failure when it is a JSON object with an `error` field. */
function resultIsError(message: string): boolean {
  if (!message.startsWith('{')) return false;
  try {
    const parsed = JSON.parse(message) as unknown;
    return typeof parsed === 'object' && parsed !== null && 'error' in parsed;
  } catch {
    return false;
  }
}
