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
  TimeoutError,
} from '@redis/client';

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  readonly code = 'unavailable';
  readonly retryable = true;
}

/** Turns whatever the client threw into one sentence saying what failed and why. */
export function unavailable(operation: string, cause: unknown): RedisUnavailableError {
  if (cause instanceof RedisUnavailableError) return cause;
  return new RedisUnavailableError(`Redis could not ${operation}: ${reason(cause)}.`, { cause });
}

function reason(cause: unknown): string {
  if (cause instanceof ClientOfflineError) return 'the connection is down and reconnecting';
  if (cause instanceof ClientClosedError || cause instanceof DisconnectsClientError) return 'the channel store is closed';
  if (cause instanceof SocketClosedUnexpectedlyError) return 'the connection closed while waiting for the reply';
  if (cause instanceof ConnectionTimeoutError) return 'connecting timed out';
  if (cause instanceof TimeoutError) return 'no reply in time';
  if (cause instanceof ErrorReply) return `Redis refused the command (${oneLine(cause.message)})`;
  if (cause instanceof Error) return oneLine(cause.message) || cause.name;
  return oneLine(String(cause));
}

/** Errors from sockets and Redis replies may span lines or run long; a refusal stays one short sentence. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim().replace(/\.$/, '');
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
