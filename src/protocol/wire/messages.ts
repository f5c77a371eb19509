/**
 * Wire messages of the seed protocol (../shared/seed/websocket-implementation.md),
 * byte-compatible with it. Optional fields marked "extension" are ours: seed
 * clients neither send nor need them, and ignore them when they arrive.
 */

export type PayloadType = 'tool' | 'response';
export const PAYLOAD_TYPES: readonly PayloadType[] = ['tool', 'response'];

/**
 * `started` / `tool_executed` belong to tool messages, `completed` ends a response,
 * and `error` ends a failed turn so that watchers never wait forever. Streaming
 * response deltas carry no status at all.
 */
export type EventStatus = 'started' | 'tool_executed' | 'completed' | 'error';
export const EVENT_STATUSES: readonly EventStatus[] = ['started', 'tool_executed', 'completed', 'error'];

export interface ChannelPayload {
  message: string;
  /** Unix time in seconds, as the seed's `timestamp`. */
  timestamp: number;
  thread_id: string;
  status?: EventStatus;
  type: PayloadType;
  /** Extension: unique id of this event, for de-duplicating echoes and resends. */
  id?: string;
  /** Extension: position of this event within its thread, from 0. */
  seq?: number;
  /** Extension: pairs a tool result with its start when several tools run at once. */
  tool_call_id?: string;
  /**
   * Extension: a passing state of the turn that is not part of the answer, in words (e.g.
   * "Waiting 20 s to retry: the model server is rate limiting (HTTP 429)"). It rides on a
   * response payload whose `message` is empty, so seed clients append nothing.
   */
  notice?: string;
  /** Extension: the relay's position of this message in the channel's history. */
  offset?: number;
  /** Other publishers may add fields of their own; they are passed through untouched. */
  [extra: string]: unknown;
}

/** A publish / delivery: `type` is the channel's name. */
export interface ChannelMessage {
  type: string;
  payload: ChannelPayload;
}

export interface SubscribeMessage {
  type: 'subscribe';
  payload: {
    channel: string;
    /**
     * Extension: the last offset this client has seen (0 for none). The relay replays
     * what it still holds after it, and delivers this channel's messages with their
     * `offset` from then on. Omitted by seed clients, which get exactly the seed's bytes.
     */
    since?: number;
    /** Extension: the relay epoch `since` was counted in; another epoch means a restarted relay. */
    epoch?: string;
  };
}

export interface UnsubscribeMessage {
  type: 'unsubscribe';
  payload: { channel: string };
}

export interface SubscribedMessage {
  type: 'subscribed';
  payload: {
    channel: string;
    message: 'subscribed';
    /** Extension, only in answer to a subscribe with `since`: the relay's epoch. */
    epoch?: string;
    /** Extension: the channel's latest offset when the subscription began. */
    offset?: number;
    /** Extension: true when every message after `since` was replayed (nothing was missed). */
    recovered?: boolean;
  };
}

/**
 * Extension: the relay's receipt for a publish, sent only to connections that asked for
 * receipts at the upgrade (header `x-weather-relay-features: ack`). Its type starts with
 * "@", which no channel name can, so it can never be mistaken for a channel message.
 */
export interface AckMessage {
  type: '@ack';
  payload: { id: string | null; channel: string; offset: number; epoch: string };
}

export interface UnsubscribedMessage {
  type: 'unsubscribed';
  payload: { channel: string; message: 'unsubscribed' };
}

export interface ErrorMessage {
  type: 'error';
  /**
   * Extensions (seed clients ignore them): `id`, the refused publish's `payload.id`; `action`,
   * what a `forbidden` refused (a subscribe, or a publish on the channel).
   */
  payload: { message: string; code: ErrorCode; channel?: string; id?: string; action?: RefusedAction };
}

/** What a `forbidden` error refused. */
export type RefusedAction = 'subscribe' | 'publish';

/** Sent by clients to the relay. */
export type ClientMessage = SubscribeMessage | UnsubscribeMessage | ChannelMessage;
/** Sent by the relay to clients. */
export type RelayReply = SubscribedMessage | UnsubscribedMessage | ErrorMessage | AckMessage;
export type WireMessage = ClientMessage | RelayReply;

/**
 * Machine-readable reasons carried by `error` replies. The text next to a code
 * says precisely what was wrong; the code lets programs react without parsing it.
 */
export const ERROR_CODES = [
  'invalid_json',
  'invalid_message',
  'invalid_channel',
  'reserved_type',
  'binary_not_supported',
  'message_too_large',
  'rate_limited',
  'too_many_subscriptions',
  'internal_error',
  'unavailable',
  'forbidden',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * Codes that never refuse a subscription for good (they answer a published message, or say
 * "try again later"): a client waiting for `subscribed` ignores them.
 */
const PUBLISH_ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'invalid_json',
  'invalid_message',
  'binary_not_supported',
  'message_too_large',
  'rate_limited',
  'unavailable',
]);

export function isPublishErrorCode(code: string): boolean {
  return PUBLISH_ERROR_CODES.has(code);
}
