/**
 * One model round at a time, the same shape for both OpenAI APIs: send what is new
 * (the user’s question, or tool outputs), stream the text back through the listener,
 * and return the tool calls the model asked for. Each adapter keeps the conversation
 * of every thread, so a follow-up question has its context.
 */
import type { RetryWait } from './retry';

export interface ToolCall {
  callId: string;
  name: string;
  /** The raw JSON arguments string, as the model wrote it. */
  arguments: string;
}

export interface ToolOutput {
  callId: string;
  name: string;
  output: string;
}

export type RoundInput = { kind: 'user'; text: string } | { kind: 'tool_outputs'; outputs: ToolOutput[] };

export interface RoundResult {
  text: string;
  toolCalls: ToolCall[];
}

/** What a round reports while it runs. */
export interface RoundListener {
  /** A piece of the answer's text. */
  delta(text: string): void;
  /** This many characters of reasoning streamed: counted against the turn's budget, never kept or shown. */
  reasoning(chars: number): void;
  /** The request failed and will be retried after a wait. */
  waiting(wait: RetryWait): void;
}

export interface ModelAdapter {
  round(threadId: string, input: RoundInput, listener: RoundListener, signal: AbortSignal): Promise<RoundResult>;
  /** Drops what is remembered of a thread (New Chat). */
  forget(threadId: string): void;
}
