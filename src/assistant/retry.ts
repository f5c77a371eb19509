/**
 * Retries a model request that failed before any of the answer arrived (429, 408, 409,
 * 5xx, a dropped or timed-out connection), and says before each wait how long and why.
 * The SDK's own retries are turned off (maxRetries: 0) because they wait silently, out
 * of reach: nobody could tell the user, and a Stop during the wait was only noticed later.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import OpenAI from 'openai';
import type { ResolvedAssistantConfig } from './config';
import { AssistantError, apiMessage, networkReason } from './errors';

/** The longest wait a server may ask for; asking for more (a used-up daily quota, say) ends the turn at once. */
const MAX_RETRY_WAIT_MS = 60_000;
/** Exponential backoff when the server names no wait: 0.5 s, 1 s, 2 s … up to 8 s, less up to a quarter of jitter. */
const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 8_000;

export interface RetryWait {
  /** The attempt that follows the wait, from 2. */
  attempt: number;
  maxAttempts: number;
  delayMs: number;
  /** Why, in words: "the model server is rate limiting (HTTP 429)". */
  reason: string;
}

interface RetryOptions {
  config: Pick<ResolvedAssistantConfig, 'baseUrl' | 'maxRetries' | 'timeoutMs'>;
  /** Ends a wait at once (Stop, cancel). */
  signal: AbortSignal;
  /** Called just before each wait. */
  onWait: (wait: RetryWait) => void;
}

export async function withRetries<T>(request: () => Promise<T>, options: RetryOptions): Promise<T> {
  const { config, signal, onWait } = options;
  const maxAttempts = config.maxRetries + 1;
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (signal.aborted || attempt >= maxAttempts) throw error;
      const plan = retryPlan(error, attempt, config);
      if (plan === undefined) throw error;
      const delayMs = Math.round(plan.delayMs);
      onWait({ attempt: attempt + 1, maxAttempts, delayMs, reason: plan.reason });
      await sleep(delayMs, undefined, { signal });
    }
  }
}

/** The notice for a wait, one sentence: "Waiting 20 s to retry (attempt 2 of 3): the model server is rate limiting (HTTP 429)." */
export function waitNotice(wait: RetryWait): string {
  const seconds = Number((wait.delayMs / 1000).toFixed(wait.delayMs < 10_000 ? 1 : 0));
  return `Waiting ${seconds} s to retry (attempt ${wait.attempt} of ${wait.maxAttempts}): ${wait.reason}.`;
}

function retryPlan(error: unknown, attempt: number, config: RetryOptions['config']): { delayMs: number; reason: string } | undefined {
  const backoff = () => Math.min(FIRST_BACKOFF_MS * 2 ** (attempt - 1), MAX_BACKOFF_MS) * (1 - Math.random() * 0.25);
  if (error instanceof OpenAI.APIUserAbortError) return undefined;
  if (error instanceof OpenAI.APIConnectionTimeoutError) {
    return { delayMs: backoff(), reason: `the model server did not answer within ${config.timeoutMs / 1000} s` };
  }
  if (error instanceof OpenAI.APIConnectionError) {
    return { delayMs: backoff(), reason: `the model server is unreachable: ${networkReason(error)}` };
  }
  if (!(error instanceof OpenAI.APIError) || error.status === undefined) return undefined;
  const { status, headers } = error;
  const told = headers?.get('x-should-retry');
  if (told === 'false') return undefined;
  const reason = statusReason(status);
  if (reason === undefined && told !== 'true') return undefined;
  const asked = requestedWaitMs(headers);
  if (asked !== undefined && asked > MAX_RETRY_WAIT_MS) {
    throw new AssistantError(
      `the model server at ${config.baseUrl} answered ${status} and asks to wait ${Math.ceil(asked / 1000)} s before trying again, ` +
        `longer than the ${MAX_RETRY_WAIT_MS / 1000} s the assistant waits: ${apiMessage(error)}`,
      false,
      { cause: error },
    );
  }
  return { delayMs: asked ?? backoff(), reason: reason ?? `the model server asked for a retry (HTTP ${status})` };
}

function statusReason(status: number): string | undefined {
  if (status === 429) return 'the model server is rate limiting (HTTP 429)';
  if (status === 408) return 'the model server timed out the request (HTTP 408)';
  if (status === 409) return 'the model server reported a conflict (HTTP 409)';
  if (status === 502 || status === 503 || status === 504) return `the model server is unavailable (HTTP ${status})`;
  if (status >= 500) return `the model server failed (HTTP ${status})`;
  return undefined;
}

/** retry-after-ms (OpenAI's), else retry-after in seconds or as an HTTP date; undefined when absent or unreadable. */
function requestedWaitMs(headers: Headers | undefined): number | undefined {
  const millis = Number.parseFloat(headers?.get('retry-after-ms') ?? '');
  if (Number.isFinite(millis) && millis >= 0) return millis;
  const value = headers?.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
