/**
 * The single place that decides what the Live Activity panel shows. Local events and
 * channel messages arrive here as the same seed payloads: local ones at once (marked
 * undelivered), their echoes from the relay only clear that mark, and duplicates from
 * resends are dropped by id. Threads are grouped by thread_id and bounded in number,
 * so memory stays flat on a channel that never stops. Every change is reported as a
 * small HostToPanel message; the whole state is sent only on (re)load.
 */
import { EventEmitter } from 'node:events';
import type { ChannelPayload, HostToPanel, ThreadView, ToolCard, TurnView } from '../protocol';
import { RecentIds } from '../collections/recent-ids';
import { MAX_TURNS_PER_THREAD } from '../protocol';

export interface ActivityStoreOptions {
  /** Threads kept; the oldest are dropped past this (default 50). */
  maxThreads?: number;
  /** Turns kept per thread (default 20). */
  maxTurnsPerThread?: number;
  /** Characters kept per answer; the rest is cut with a note (default 200,000). */
  maxAnswerLength?: number;
  now?: () => number;
}

export type PayloadSource = 'local' | 'channel';

interface TurnState extends TurnView {
  /** performance-style clock of each running tool's start, for durations. */
  toolStarts: Map<string, number>;
  truncated: boolean;
}

interface ThreadState {
  threadId: string;
  origin: 'local' | 'remote';
  turns: TurnState[];
  undelivered: number;
  nextTurnIndex: number;
}

export class ActivityStore extends EventEmitter<{ change: [HostToPanel] }> {
  private readonly threads = new Map<string, ThreadState>();
  /** Ids we published and have not yet seen come back: an echo of one is not shown twice. */
  private readonly awaitingEcho = new Map<string, string>();
  private readonly seen: RecentIds;
  private readonly maxThreads: number;
  private readonly maxTurns: number;
  private readonly maxAnswer: number;
  private readonly now: () => number;

  constructor(options: ActivityStoreOptions = {}) {
    super();
    this.maxThreads = options.maxThreads ?? 50;
    this.maxTurns = options.maxTurnsPerThread ?? MAX_TURNS_PER_THREAD;
    this.maxAnswer = options.maxAnswerLength ?? 200_000;
    this.now = options.now ?? Date.now;
    this.seen = new RecentIds(20_000);
  }

  get threadCount(): number {
    return this.threads.size;
  }

  /** A question asked in this window: opens a new turn that shows the question. */
  startLocalTurn(threadId: string, question: string): void {
    const thread = this.thread(threadId, 'local');
    this.openTurn(thread, question);
  }

  /** Takes one payload, from our own engine (`local`) or from the relay (`channel`). */
  ingest(payload: ChannelPayload, source: PayloadSource): void {
    if (payload.id !== undefined) {
      if (source === 'channel' && this.awaitingEcho.has(payload.id)) {
        this.confirmDelivery(payload.id);
        return;
      }
      if (!this.seen.add(payload.id)) return; // a resend we already have
      if (source === 'local') this.awaitingEcho.set(payload.id, payload.thread_id);
    }
    const thread = this.thread(payload.thread_id, source === 'local' ? 'local' : 'remote');
    if (source === 'local' && payload.id !== undefined) {
      thread.undelivered++;
      this.emitThread(thread);
    }
    const turn = this.currentTurn(thread);
    if (payload.type === 'tool') this.applyTool(thread, turn, payload);
    else this.applyResponse(thread, turn, payload);
  }

  /** Forgets every thread (Clear Activity). */
  clear(): void {
    this.threads.clear();
    this.awaitingEcho.clear();
    this.emit('change', { kind: 'cleared' });
  }

  snapshot(): ThreadView[] {
    return [...this.threads.values()].map((thread) => ({
      threadId: thread.threadId,
      origin: thread.origin,
      undelivered: thread.undelivered,
      turns: thread.turns.map((turn) => publicTurn(turn)),
    }));
  }

  private confirmDelivery(id: string): void {
    const threadId = this.awaitingEcho.get(id)!;
    this.awaitingEcho.delete(id);
    const thread = this.threads.get(threadId);
    if (!thread || thread.undelivered === 0) return;
    thread.undelivered--;
    this.emitThread(thread);
  }

  private applyTool(thread: ThreadState, turn: TurnState, payload: ChannelPayload): void {
    const callId = payload.tool_call_id;
    if (payload.status === 'started') {
      const key = callId ?? `tool-${turn.tools.length}`;
      turn.tools.push({ key, message: payload.message, status: 'running' });
      turn.toolStarts.set(key, this.now());
    } else {
      // Seed publishers send no call id: a result belongs to the oldest tool still running.
      let card = callId !== undefined ? turn.tools.find((tool) => tool.key === callId) : undefined;
      card ??= turn.tools.find((tool) => tool.status === 'running');
      if (!card) {
        card = { key: callId ?? `tool-${turn.tools.length}`, message: 'Tool result', status: 'running' };
        turn.tools.push(card);
      }
      card.status = resultIsError(payload.message) ? 'failed' : 'executed';
      card.result = payload.message;
      const started = turn.toolStarts.get(card.key);
      if (started !== undefined) card.durationMs = Math.max(0, this.now() - started);
      turn.toolStarts.delete(card.key);
    }
    this.emitTurn(thread, turn);
  }

  private applyResponse(thread: ThreadState, turn: TurnState, payload: ChannelPayload): void {
    switch (payload.status) {
      case undefined:
        this.appendAnswer(thread, turn, payload.message);
        return;
      case 'completed': {
        turn.status = 'completed';
        this.stopRunningTools(turn);
        // A watcher that joined mid-stream, or missed a delta, gets the whole text here.
        const replace = payload.message !== turn.answer ? this.clip(turn, payload.message) : undefined;
        if (replace !== undefined) turn.answer = replace;
        this.emitTurn(thread, turn, replace);
        return;
      }
      case 'error':
        turn.status = 'error';
        turn.error = payload.message;
        this.stopRunningTools(turn);
        this.emitTurn(thread, turn);
        return;
      default:
        this.appendAnswer(thread, turn, payload.message);
    }
  }

  private appendAnswer(thread: ThreadState, turn: TurnState, text: string): void {
    if (turn.truncated || text === '') return;
    let append = text;
    if (turn.answer.length + append.length > this.maxAnswer) {
      append = `${append.slice(0, Math.max(0, this.maxAnswer - turn.answer.length))}\n\n*… answer cut here: longer than ${this.maxAnswer} characters.*`;
      turn.truncated = true;
    }
    turn.answer += append;
    this.emit('change', { kind: 'answer', threadId: thread.threadId, turnIndex: turn.index, append });
  }

  private clip(turn: TurnState, text: string): string {
    if (text.length <= this.maxAnswer) return text;
    turn.truncated = true;
    return `${text.slice(0, this.maxAnswer)}\n\n*… answer cut here: longer than ${this.maxAnswer} characters.*`;
  }

  /** A turn that ended leaves no tool spinning forever. */
  private stopRunningTools(turn: TurnState): void {
    for (const tool of turn.tools) {
      if (tool.status === 'running') {
        tool.status = 'failed';
        tool.result ??= JSON.stringify({ error: 'No result was published before the turn ended.' });
      }
    }
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
    thread = { threadId, origin, turns: [], undelivered: 0, nextTurnIndex: 0 };
    this.threads.set(threadId, thread);
    this.evictOldThreads();
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
      ...(question !== undefined ? { question } : {}),
    };
    thread.turns.push(turn);
    if (thread.turns.length > this.maxTurns) thread.turns.shift();
    this.emitTurn(thread, turn);
    return turn;
  }

  private evictOldThreads(): void {
    const removed: string[] = [];
    for (const threadId of this.threads.keys()) {
      if (this.threads.size <= this.maxThreads) break;
      this.threads.delete(threadId);
      removed.push(threadId);
    }
    if (removed.length === 0) return;
    const gone = new Set(removed);
    for (const [id, threadId] of this.awaitingEcho) if (gone.has(threadId)) this.awaitingEcho.delete(id);
    this.emit('change', { kind: 'removed', threadIds: removed });
  }

  private emitThread(thread: ThreadState): void {
    this.emit('change', { kind: 'thread', threadId: thread.threadId, origin: thread.origin, undelivered: thread.undelivered });
  }

  private emitTurn(thread: ThreadState, turn: TurnState, answer?: string): void {
    const { answer: _text, ...header } = publicTurn(turn);
    this.emit('change', {
      kind: 'turn',
      threadId: thread.threadId,
      turn: header,
      ...(answer !== undefined ? { answer } : {}),
    });
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
  return view;
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
