/**
 * Builders for every message the seed shows. Key order follows the seed's examples
 * (message, timestamp, thread_id, status, type), so what we send reads exactly like
 * the documentation; our optional fields come after.
 */
import type {
  ChannelMessage,
  ChannelPayload,
  ErrorCode,
  ErrorMessage,
  EventStatus,
  PayloadType,
  RefusedAction,
  SubscribeMessage,
  SubscribedMessage,
  UnsubscribeMessage,
  UnsubscribedMessage,
} from './messages';

/** A new thread id in the seed's style ("thread_" and 24 hex digits), from the platform's CSPRNG. */
export function newThreadId(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(12));
  return `thread_${Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')}`;
}

/** Unix time in whole seconds, the seed's timestamp unit. */
export function unixSeconds(now: number = Date.now()): number {
  return Math.floor(now / 1000);
}

export interface EventOptions {
  /** Unique event id; a random UUID when omitted. */
  id?: string;
  /** Position of the event within its thread. */
  seq?: number;
  /** Milliseconds since the epoch; defaults to now. */
  now?: number;
}

export interface ToolEventOptions extends EventOptions {
  /** The model's id for this tool call, so that results pair with starts. */
  callId?: string;
}

function payload(
  message: string,
  threadId: string,
  type: PayloadType,
  status: EventStatus | undefined,
  options: EventOptions,
): ChannelPayload {
  const built: ChannelPayload = { message, timestamp: unixSeconds(options.now), thread_id: threadId } as ChannelPayload;
  if (status !== undefined) built.status = status;
  built.type = type;
  built.id = options.id ?? globalThis.crypto.randomUUID();
  if (options.seq !== undefined) built.seq = options.seq;
  const callId = (options as ToolEventOptions).callId;
  if (callId !== undefined) built.tool_call_id = callId;
  return built;
}

/** The seed's words for a weather check starting: "Executing weather check for Makati". */
export function weatherCheckMessage(location: string): string {
  return `Executing weather check for ${location}`;
}

/** A weather check starting, in the seed's words. */
export function toolStartedPayload(threadId: string, location: string, options: ToolEventOptions = {}): ChannelPayload {
  return toolCallStartedPayload(threadId, weatherCheckMessage(location), options);
}

/** Any tool call starting, `message` saying what runs (the seed's shape, another tool's words). */
export function toolCallStartedPayload(threadId: string, message: string, options: ToolEventOptions = {}): ChannelPayload {
  return payload(message, threadId, 'tool', 'started', options);
}

/** `result` is the tool's output as the seed sends it: a JSON document in a string. */
export function toolExecutedPayload(threadId: string, result: string, options: ToolEventOptions = {}): ChannelPayload {
  return payload(result, threadId, 'tool', 'tool_executed', options);
}

/** A streamed piece of the answer: no status, as in the seed. */
export function responseDeltaPayload(threadId: string, delta: string, options: EventOptions = {}): ChannelPayload {
  return payload(delta, threadId, 'response', undefined, options);
}

export function responseCompletedPayload(threadId: string, answer: string, options: EventOptions = {}): ChannelPayload {
  return payload(answer, threadId, 'response', 'completed', options);
}

/**
 * A passing state of a running turn (a retry wait, say): an empty answer delta carrying
 * the `notice` extension, so seed clients append nothing and ours show the notice.
 */
export function turnNoticePayload(threadId: string, notice: string, options: EventOptions = {}): ChannelPayload {
  const built = payload('', threadId, 'response', undefined, options);
  built.notice = notice;
  return built;
}

/** Ends a failed turn so that watchers stop waiting; `message` says what went wrong. */
export function turnFailedPayload(threadId: string, message: string, options: EventOptions = {}): ChannelPayload {
  return payload(message, threadId, 'response', 'error', options);
}

export function channelMessage(channel: string, body: ChannelPayload): ChannelMessage {
  return { type: channel, payload: body };
}

export function subscribeMessage(channel: string): SubscribeMessage {
  return { type: 'subscribe', payload: { channel } };
}

export function unsubscribeMessage(channel: string): UnsubscribeMessage {
  return { type: 'unsubscribe', payload: { channel } };
}

export function subscribedReply(channel: string): SubscribedMessage {
  return { type: 'subscribed', payload: { channel, message: 'subscribed' } };
}

export function unsubscribedReply(channel: string): UnsubscribedMessage {
  return { type: 'unsubscribed', payload: { channel, message: 'unsubscribed' } };
}

/** `id` names the refused publish, for a publisher that resends it; absent when undefined. */
export function errorReply(code: ErrorCode, message: string, channel?: string, id?: string, action?: RefusedAction): ErrorMessage {
  const reply: ErrorMessage = { type: 'error', payload: channel === undefined ? { message, code } : { message, code, channel } };
  if (id !== undefined) reply.payload.id = id;
  if (action !== undefined) reply.payload.action = action;
  return reply;
}
