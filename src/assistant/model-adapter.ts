/**
 * One model round at a time, the same shape for both OpenAI APIs: send what is new
 * (the user's question, or tool outputs), stream the text back through `onDelta`,
 * and return the tool calls the model asked for. Each adapter keeps the conversation
 * of every thread, so a follow-up question has its context.
 */

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

export interface ModelAdapter {
  round(threadId: string, input: RoundInput, onDelta: (text: string) => void, signal: AbortSignal): Promise<RoundResult>;
  /** Drops what is remembered of a thread (New Chat). */
  forget(threadId: string): void;
}
