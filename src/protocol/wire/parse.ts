/**
 * Turns any incoming text into a typed wire message or a precise error that
 * names the offending field ("payload.thread_id must be a string"), so whoever
 * sent it can fix it. Never throws.
 */
import { channelNameProblem, isReservedType, printable } from './channel';
import {
  EVENT_STATUSES,
  PAYLOAD_TYPES,
  type AckMessage,
  type ChannelMessage,
  type ErrorCode,
  type ErrorMessage,
  type SubscribeMessage,
  type SubscribedMessage,
  type UnsubscribeMessage,
  type UnsubscribedMessage,
} from './messages';

export interface ParseFailure {
  ok: false;
  code: ErrorCode;
  message: string;
  /** The channel the message was about, when that much could be read. */
  channel?: string;
}
/** A parsed message, tagged with its kind so that a switch narrows it. */
export type ParsedMessage =
  | { ok: true; kind: 'subscribe'; message: SubscribeMessage }
  | { ok: true; kind: 'unsubscribe'; message: UnsubscribeMessage }
  | { ok: true; kind: 'subscribed'; message: SubscribedMessage }
  | { ok: true; kind: 'unsubscribed'; message: UnsubscribedMessage }
  | { ok: true; kind: 'error'; message: ErrorMessage }
  | { ok: true; kind: 'ack'; message: AckMessage }
  | { ok: true; kind: 'channel'; message: ChannelMessage };
export type ParseResult = ParsedMessage | ParseFailure;

type Json = Record<string, unknown>;

function fail(code: ErrorCode, message: string, channel?: string): ParseFailure {
  return channel === undefined ? { ok: false, code, message } : { ok: false, code, message, channel };
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value}`;
}

export function parseWireMessage(text: string): ParseResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return fail('invalid_json', `message is not valid JSON: ${(error as Error).message}`);
  }
  return validateWireMessage(data);
}

/** Validates an already-decoded value as a wire message. */
export function validateWireMessage(data: unknown): ParseResult {
  if (!isObject(data)) return fail('invalid_message', `message must be a JSON object, got ${describe(data)}`);
  const { type, payload } = data;
  if (typeof type !== 'string') return fail('invalid_message', `type must be a string, got ${describe(type)}`);
  if (!isObject(payload)) {
    const channel = isReservedType(type) || channelNameProblem(type) ? undefined : type;
    return fail('invalid_message', `payload must be an object, got ${describe(payload)}`, channel);
  }
  switch (type) {
    case 'subscribe':
      return channelFieldProblem(payload) ?? resumeFieldsProblem(payload) ?? ok(type, data);
    case 'unsubscribe':
      return channelFieldProblem(payload) ?? ok(type, data);
    case '@ack':
      return validateAck(payload, data);
    case 'subscribed':
    case 'unsubscribed':
      return channelFieldProblem(payload) ?? stringField(payload, 'message', payload.channel as string) ?? ok(type, data);
    case 'error':
      return validateError(data, payload);
    default:
      return validateChannelMessage(type, payload, data);
  }
}

function ok(kind: ParsedMessage['kind'], data: Json): ParsedMessage {
  return { ok: true, kind, message: data } as unknown as ParsedMessage;
}

function channelFieldProblem(payload: Json): ParseFailure | undefined {
  const problem = channelNameProblem(payload.channel);
  return problem ? fail('invalid_channel', `payload.${problem}`) : undefined;
}

function resumeFieldsProblem(payload: Json): ParseFailure | undefined {
  const channel = payload.channel as string;
  return optionalCount(payload, 'since', channel) ?? optionalString(payload, 'epoch', channel);
}

function validateAck(payload: Json, data: Json): ParseResult {
  if (payload.id !== null && typeof payload.id !== 'string') {
    return fail('invalid_message', `payload.id must be a string or null, got ${describe(payload.id)}`);
  }
  return (
    stringField(payload, 'channel') ??
    optionalCount(payload, 'offset', payload.channel as string) ??
    stringField(payload, 'epoch') ??
    ok('ack', data)
  );
}

function stringField(payload: Json, field: string, channel?: string): ParseFailure | undefined {
  if (typeof payload[field] === 'string') return undefined;
  return fail('invalid_message', `payload.${field} must be a string, got ${describe(payload[field])}`, channel);
}

function validateError(data: Json, payload: Json): ParseResult {
  const problem = stringField(payload, 'message') ?? stringField(payload, 'code');
  if (problem) return problem;
  for (const field of ['channel', 'id']) {
    if (payload[field] !== undefined && typeof payload[field] !== 'string') {
      return fail('invalid_message', `payload.${field} must be a string when present, got ${describe(payload[field])}`);
    }
  }
  if (payload.action !== undefined && payload.action !== 'subscribe' && payload.action !== 'publish') {
    return fail('invalid_message', `payload.action must be "subscribe" or "publish" when present, got ${describe(payload.action)}`);
  }
  return ok('error', data);
}

function validateChannelMessage(channel: string, payload: Json, data: Json): ParseResult {
  const problem = channelNameProblem(channel);
  if (problem) return fail('invalid_channel', `type is not a valid channel name: ${problem}`);
  const fieldProblem =
    stringField(payload, 'message', channel) ??
    numberField(payload, 'timestamp', channel) ??
    stringField(payload, 'thread_id', channel) ??
    oneOf(payload, 'type', PAYLOAD_TYPES, channel, true) ??
    oneOf(payload, 'status', EVENT_STATUSES, channel, false) ??
    optionalString(payload, 'id', channel) ??
    optionalString(payload, 'tool_call_id', channel) ??
    optionalString(payload, 'notice', channel) ??
    optionalCount(payload, 'seq', channel) ??
    optionalCount(payload, 'offset', channel);
  return fieldProblem ?? ok('channel', data);
}

function numberField(payload: Json, field: string, channel: string): ParseFailure | undefined {
  const value = payload[field];
  if (typeof value === 'number' && Number.isFinite(value)) return undefined;
  return fail('invalid_message', `payload.${field} must be a number (Unix seconds), got ${describe(value)}`, channel);
}

function oneOf(
  payload: Json,
  field: string,
  allowed: readonly string[],
  channel: string,
  required: boolean,
): ParseFailure | undefined {
  const value = payload[field];
  if (value === undefined && !required) return undefined;
  if (typeof value === 'string' && allowed.includes(value)) return undefined;
  const got = typeof value === 'string' ? `"${printable(value)}"` : describe(value);
  const list = allowed.map((item) => `"${item}"`).join(', ');
  return fail('invalid_message', `payload.${field} must be one of ${list}, got ${got}`, channel);
}

function optionalString(payload: Json, field: string, channel: string): ParseFailure | undefined {
  const value = payload[field];
  if (value === undefined || typeof value === 'string') return undefined;
  return fail('invalid_message', `payload.${field} must be a string when present, got ${describe(value)}`, channel);
}

function optionalCount(payload: Json, field: string, channel: string): ParseFailure | undefined {
  const value = payload[field];
  if (value === undefined || (Number.isSafeInteger(value) && (value as number) >= 0)) return undefined;
  return fail('invalid_message', `payload.${field} must be a non-negative integer when present`, channel);
}
