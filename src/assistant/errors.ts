/**
 * Model failures as one clear sentence each: which server, what went wrong, and what
 * to do about it, instead of an SDK class name or a stack trace.
 */
import OpenAI from 'openai';
import type { ResolvedAssistantConfig } from './config';
import { networkReason } from './network-reason';

export { networkReason };

/** Failures a user interface can do something about beyond showing the sentence. */
export type FailureReason = 'model-not-found';

export class AssistantError extends Error {
  readonly reason?: FailureReason;
  constructor(message: string, readonly cancelled = false, options?: { cause?: unknown; reason?: FailureReason }) {
    super(message, options);
    this.name = 'AssistantError';
    if (options?.reason) this.reason = options.reason;
  }
}

function isCancellation(error: unknown, signal?: AbortSignal): boolean {
  return (
    signal?.aborted === true ||
    error instanceof OpenAI.APIUserAbortError ||
    (error instanceof AssistantError && error.cancelled) ||
    (error as Error)?.name === 'AbortError'
  );
}

/** Longer than any useful explanation; a server's error text beyond it would only flood the channel. */
const MAX_MESSAGE_CHARS = 500;

export function describeModelError(error: unknown, config: ResolvedAssistantConfig, signal?: AbortSignal): AssistantError {
  const described = describe(error, config, signal);
  if (described.message.length <= MAX_MESSAGE_CHARS) return described;
  return new AssistantError(`${described.message.slice(0, MAX_MESSAGE_CHARS - 1)}…`, described.cancelled, { cause: error, reason: described.reason });
}

function describe(error: unknown, config: ResolvedAssistantConfig, signal?: AbortSignal): AssistantError {
  // An aborted stream just ends early, so the abort must be recognised before anything else.
  if (isCancellation(error, signal)) return new AssistantError('cancelled', true, { cause: error });
  if (error instanceof AssistantError) return error;
  const where = config.baseUrl;
  const detail = (e: { message: string }) => apiMessage(e);
  if (error instanceof OpenAI.AuthenticationError) {
    return new AssistantError(`the model server at ${where} rejected the API key (401): ${detail(error)}`, false, { cause: error });
  }
  if (error instanceof OpenAI.PermissionDeniedError) {
    return new AssistantError(`the model server at ${where} refused access (403): ${detail(error)}`, false, { cause: error });
  }
  if (error instanceof OpenAI.NotFoundError) {
    return new AssistantError(`model "${config.model}" was not found at ${where} (404): ${detail(error)}`, false, { cause: error, reason: 'model-not-found' });
  }
  if (error instanceof OpenAI.RateLimitError) {
    return new AssistantError(
      `rate limited by ${where} (429), still after ${config.maxRetries} retr${config.maxRetries === 1 ? 'y' : 'ies'}: ${detail(error)}`,
      false,
      { cause: error },
    );
  }
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return new AssistantError(`the model server at ${where} did not answer within ${config.timeoutMs / 1000} s`, false, { cause: error });
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return new AssistantError(`cannot reach the model server at ${where}: ${networkReason(error)}`, false, { cause: error });
  }
  if (error instanceof OpenAI.APIError) {
    if (error.status === undefined) {
      return new AssistantError(`the model reported an error mid-stream: ${detail(error)}`, false, { cause: error });
    }
    return new AssistantError(`the model server at ${where} answered ${error.status}: ${detail(error)}`, false, { cause: error });
  }
  if (error instanceof TypeError && error.message === 'terminated') {
    // fetch's body stream failing after the headers: the server or the network dropped the connection.
    const reason = (error.cause as Error | undefined)?.message;
    return new AssistantError(`the model server at ${where} dropped the connection mid-stream${reason ? ` (${reason})` : ''}`, false, { cause: error });
  }
  if (error instanceof SyntaxError) {
    return new AssistantError(`the model server at ${where} sent a malformed stream: ${error.message}`, false, { cause: error });
  }
  return new AssistantError(`the model request failed: ${(error as Error)?.message ?? String(error)}`, false, { cause: error });
}

/** The server's own words, without the SDK's "401 " status prefix. */
export function apiMessage(error: { message: string }): string {
  return error.message.replace(/^\d{3}\s+/, '').replace(/^(status code|\(no body\))\s*/i, '') || 'no details given';
}
