/**
 * Bounds on what a model may send in one turn. The model server is as untrusted as any
 * other peer: a runaway or hostile one could otherwise stream text, reasoning or events
 * saying nothing without end, or tool calls big or many enough to flood memory, the weather
 * service and the channel; the idle watchdog only catches a stream that goes quiet.
 * Each check throws one clear sentence that ends the turn.
 */
import { AssistantError } from './errors';
import type { ToolCall } from './model-adapter';

/** Far beyond any weather answer, and keeps the completed answer well inside the relay's 1 MiB frame. */
const MAX_ANSWER_CHARS = 100_000;
/** A question about several places runs its checks in parallel; more than this is a runaway. */
const MAX_TOOL_CALLS_PER_ROUND = 16;
/** Real arguments are {"location": …}, a few hundred characters at most. */
const MAX_TOOL_ARGUMENTS_CHARS = 8_192;
/** OpenAI's own limit for function names. */
const MAX_TOOL_NAME_CHARS = 64;
/** Real call ids are about 30 characters. */
const MAX_CALL_ID_CHARS = 256;
/** Stream events that carry neither text, reasoning nor a tool call: a real answer has a handful, not thousands. */
const MAX_QUIET_EVENTS = 10_000;
/**
 * Reasoning characters in one turn. Real reasoning runs to tens of thousands; it is only
 * counted, never kept, so this bounds the time a model may think, not memory.
 */
const MAX_REASONING_CHARS = 1_000_000;

export function checkAnswerLength(chars: number): void {
  if (chars > MAX_ANSWER_CHARS) throw new AssistantError(`the model's answer passed ${MAX_ANSWER_CHARS} characters; stopped the turn`);
}

/** `count` events of one answer have said nothing so far. */
export function checkQuietEvents(count: number): void {
  if (count > MAX_QUIET_EVENTS) {
    throw new AssistantError(`the model server sent more than ${MAX_QUIET_EVENTS} stream events without text or a tool call; stopped the turn`);
  }
}

/** `chars` characters of reasoning have streamed in this turn so far. */
export function checkReasoningLength(chars: number): void {
  if (chars > MAX_REASONING_CHARS) throw new AssistantError(`the model's reasoning passed ${MAX_REASONING_CHARS} characters; stopped the turn`);
}

export function checkToolCallCount(count: number): void {
  if (count > MAX_TOOL_CALLS_PER_ROUND) {
    throw new AssistantError(`the model asked for more than ${MAX_TOOL_CALLS_PER_ROUND} tool calls at once; stopped the turn`);
  }
}

export function checkArgumentsLength(chars: number): void {
  if (chars > MAX_TOOL_ARGUMENTS_CHARS) {
    throw new AssistantError(`the model sent tool-call arguments longer than ${MAX_TOOL_ARGUMENTS_CHARS} characters; stopped the turn`);
  }
}

/** A call as the stream delivered it, possibly still partial; its fields are whatever the server sent. */
export function checkToolCall(call: ToolCall): void {
  const { callId, name, arguments: args } = call as { [K in keyof ToolCall]: unknown };
  if (typeof callId !== 'string' || typeof name !== 'string' || typeof args !== 'string') {
    throw new AssistantError('the model sent a malformed tool call (its id, name or arguments are not text)');
  }
  if (name.length > MAX_TOOL_NAME_CHARS) throw new AssistantError(`the model sent a tool name longer than ${MAX_TOOL_NAME_CHARS} characters; stopped the turn`);
  if (callId.length > MAX_CALL_ID_CHARS) throw new AssistantError(`the model sent a tool-call id longer than ${MAX_CALL_ID_CHARS} characters; stopped the turn`);
  checkArgumentsLength(args.length);
}
