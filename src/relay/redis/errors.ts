/**
 * The one error the Redis channel store rejects with when Redis cannot do what was asked:
 * unreachable, reconnecting, too slow, or refusing the command. The relay answers it with
 * the retryable `unavailable` error; publishers keep the message and resend it.
 */
import {
  ClientClosedError,
  ClientOfflineError,
  ConnectionTimeoutError,
  DisconnectsClientError,
  ErrorReply,
  SocketClosedUnexpectedlyError,
  SocketTimeoutError,
  TimeoutError,
} from '@redis/client';

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  readonly code = 'unavailable';
  readonly retryable = true;
}

/**
 * Settles like `promise`, or rejects with a TimeoutError after `ms`. node-redis's own
 * command timeout stops counting once a command is written, so a Redis that hangs after
 * reading it would hold the caller until the connection is found silent.
 */
export function beforeDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  // A reply arriving after the deadline is dropped, and so is a late failure.
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError()), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Turns whatever the client threw into one sentence saying what failed and why;
 * `connectionError` is the last error of the connection, shown when it is down.
 */
export function unavailable(operation: string, cause: unknown, connectionError?: unknown): RedisUnavailableError {
  if (cause instanceof RedisUnavailableError) return cause;
  return new RedisUnavailableError(`Redis could not ${operation}: ${failureReason(cause, connectionError)}.`, { cause });
}

/** Why a Redis operation failed, as a lowercase clause without a final period. */
export function failureReason(cause: unknown, connectionError?: unknown): string {
  if (cause instanceof ClientOfflineError) {
    const last = connectionError === undefined ? '' : ` (last error: ${failureReason(connectionError)})`;
    return `the connection is down and reconnecting${last}`;
  }
  if (cause instanceof ClientClosedError || cause instanceof DisconnectsClientError) return 'the channel store is closed';
  if (cause instanceof SocketClosedUnexpectedlyError) return 'the connection closed while waiting for the reply';
  if (cause instanceof ConnectionTimeoutError) return 'connecting timed out';
  if (cause instanceof SocketTimeoutError) return 'the connection went silent and is being re-made';
  if (cause instanceof TimeoutError) return 'no reply in time';
  // node-redis's words when commandsQueueMaxLength is reached.
  if (cause instanceof Error && cause.message === 'The queue is full') return 'too many commands are already waiting for it';
  if (cause instanceof ErrorReply) return `Redis refused the command (${oneLine(cause.message)})`;
  // An AggregateError (connecting to every address of a host failed) has no message of its own.
  if (cause instanceof AggregateError && cause.errors.length > 0) return failureReason(cause.errors[0]);
  if (cause instanceof Error) return oneLine(cause.message) || cause.name;
  return oneLine(String(cause));
}

/** Errors from sockets and Redis replies may span lines or run long; a refusal stays one short sentence. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
