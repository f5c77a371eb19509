/**
 * What the Live Activity panel shows, and the messages between the extension host and
 * the panel's webview. The host's activity store owns this state; the panel only renders
 * it and sends back user intents.
 */
import { TEXT_LIMITS } from './limits';

export type TurnStatus = 'running' | 'completed' | 'error';
export type ToolStatus = 'running' | 'executed' | 'failed';

export interface ToolCard {
  /** Stable within its turn. */
  key: string;
  /** "Executing weather check for Makati". */
  message: string;
  status: ToolStatus;
  /** Milliseconds between the start and the result, as this window saw them. */
  durationMs?: number;
  /** The raw result text (usually JSON) from the publisher: untrusted. */
  result?: string;
}

/** One question and its answer within a thread. */
export interface TurnView {
  /** Position within the thread, from 0. */
  index: number;
  /** Known for turns asked in this window; the seed protocol does not publish questions. */
  question?: string;
  /** Unix milliseconds when this window first saw the turn. */
  startedAt: number;
  tools: ToolCard[];
  /** The answer so far (markdown, untrusted). */
  answer: string;
  status: TurnStatus;
  /** Clear error text for a failed turn. */
  error?: string;
  /** A passing state of the running turn ("Waiting 20 s to retry: …"), until the next event. */
  notice?: string;
  /** Tool events past MAX_TOOLS_PER_TURN: counted, not kept. */
  omittedTools?: number;
}

export interface ThreadView {
  threadId: string;
  /** Started in this window, or seen on the channel. */
  origin: 'local' | 'remote';
  turns: TurnView[];
  /** Local events not yet echoed back by the relay. */
  undelivered: number;
  /** Local events the relay refused for good (the token may not publish here): shown, never shared. */
  notShared: number;
}

export type ConnectionView =
  | 'connecting'
  | 'connected'
  | 'reconnecting'
  | 'offline'
  | 'embedded';

export interface HeaderView {
  connection: ConnectionView;
  uri: string;
  channel: string;
  /** The latest connection problem, in words. */
  problem?: string;
  hasApiKey: boolean;
  /** The model questions go to, in words ("gpt-5-mini (OpenAI)", "llama3.2 at http://localhost:11434/v1"). */
  model?: string;
  /** True while a local turn is running. */
  busy: boolean;
  /** Questions sent from the composer while a turn ran, next first (at most MAX_QUEUED_QUESTIONS). */
  queued?: string[];
}

/** Questions the composer may queue behind a running turn. */
export const MAX_QUEUED_QUESTIONS = 10;
/** The longest question the composer sends (the host checks it again). */
export const MAX_COMPOSER_QUESTION = 4_000;

/** A turn without its answer text and tool cards, which travel separately. */
export type TurnHeader = Omit<TurnView, 'answer' | 'tools'>;

/** Host → panel. The host sends these in batches (arrays), at most one batch per frame. */
export type HostToPanel =
  | { kind: 'snapshot'; header: HeaderView; threads: ThreadView[] }
  | { kind: 'header'; header: HeaderView }
  /** Put keyboard focus in the composer (the Focus Question Box command). */
  | { kind: 'focusComposer' }
  /** A thread's delivery marker changed. */
  | { kind: 'thread'; threadId: string; origin: ThreadView['origin']; undelivered: number; notShared: number }
  /** A turn was added or changed; `answer` is present only when the whole text is replaced. */
  | { kind: 'turn'; threadId: string; turn: TurnHeader; answer?: string }
  /** One tool card was added (`position` = the turn's card count) or changed; it travels alone. */
  | { kind: 'tool'; threadId: string; turnIndex: number; position: number; tool: ToolCard }
  /** A thread's turns with an index below `below` are gone (turn cap, memory bound). */
  | { kind: 'turnsRemoved'; threadId: string; below: number }
  | { kind: 'answer'; threadId: string; turnIndex: number; append: string }
  | { kind: 'removed'; threadIds: string[] }
  | { kind: 'cleared' };

/** Panel → host: only intents, never content to publish. */
export type PanelToHost =
  | { kind: 'ready' }
  | { kind: 'ask' }
  | { kind: 'newChat' }
  | { kind: 'clear' }
  | { kind: 'reconnect' }
  | { kind: 'setApiKey' }
  /** The welcome's steps: the palette commands of the same names. */
  | { kind: 'chooseModel' | 'useLocalServer' | 'setServerUri' | 'setRelayToken' | 'openWalkthrough' }
  | { kind: 'openLink'; href: string }
  /** Stop this window's running turn. */
  | { kind: 'stop' }
  /** A turn, by thread and index: copy its answer, ask its question again, or export its thread. */
  | { kind: 'copyAnswer' | 'retry'; threadId: string; turnIndex: number }
  | { kind: 'exportThread'; threadId: string }
  /**
   * The text of a code block in an answer, for the clipboard. The one intent that carries
   * content: what the panel shows of the answer, which the host only puts on the clipboard.
   */
  | { kind: 'copyCode'; text: string }
  /** A question typed in the panel's composer: asked now, or queued behind the running turn. */
  | { kind: 'askText'; text: string }
  /** Takes a queued question (by its place in `queued`) off the queue. */
  | { kind: 'removeQueued'; index: number };

const PANEL_INTENTS = new Set(['ready', 'ask', 'newChat', 'clear', 'reconnect', 'setApiKey', 'openLink', 'stop', 'copyAnswer', 'retry', 'exportThread', 'copyCode', 'askText', 'removeQueued', 'chooseModel', 'useLocalServer', 'setServerUri', 'setRelayToken', 'openWalkthrough']);
/** Thread ids are the publishers' (bounded by the store); turn indexes count from 0. */
const MAX_THREAD_ID_LENGTH = 256;
const MAX_TURN_INDEX = 1_000_000;

/** Validates a message from the webview; anything else is ignored by the host. */
export function parsePanelMessage(value: unknown): PanelToHost | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { kind, href, threadId, turnIndex, text, index } = value as { kind?: unknown; href?: unknown; threadId?: unknown; turnIndex?: unknown; text?: unknown; index?: unknown };
  if (typeof kind !== 'string' || !PANEL_INTENTS.has(kind)) return undefined;
  if (kind === 'openLink') {
    return typeof href === 'string' && href.length <= 2048 ? { kind, href } : undefined;
  }
  if (kind === 'askText') {
    return typeof text === 'string' && text.trim() !== '' && text.length <= MAX_COMPOSER_QUESTION ? { kind, text } : undefined;
  }
  if (kind === 'copyCode') {
    return typeof text === 'string' && text.length <= TEXT_LIMITS.answer ? { kind, text } : undefined;
  }
  if (kind === 'removeQueued') {
    return typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < MAX_QUEUED_QUESTIONS ? { kind, index } : undefined;
  }
  if (kind === 'copyAnswer' || kind === 'retry' || kind === 'exportThread') {
    if (typeof threadId !== 'string' || threadId.length === 0 || threadId.length > MAX_THREAD_ID_LENGTH) return undefined;
    if (kind === 'exportThread') return { kind, threadId };
    if (typeof turnIndex !== 'number' || !Number.isInteger(turnIndex) || turnIndex < 0 || turnIndex > MAX_TURN_INDEX) return undefined;
    return { kind, threadId, turnIndex };
  }
  return { kind } as PanelToHost;
}

/** Links the host may open for the user: web pages and mail, nothing that runs code. */
export function isSafeLink(href: string): boolean {
  try {
    const url = new URL(href);
    return url.protocol === 'https:' || url.protocol === 'http:' || url.protocol === 'mailto:';
  } catch {
    return false;
  }
}
