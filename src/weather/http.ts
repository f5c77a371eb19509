/**
 * One GET that returns JSON, classified into outcomes a provider can turn into
 * words for the model. Only the caller's own cancellation escapes as an
 * exception; timeouts, refused connections and garbage bodies are outcomes.
 */
import type { FetchLike } from './config';
import { clampText } from './result';

export interface CallContext {
  fetch: FetchLike;
  /** Aborts when the deadline passes or the caller cancels. */
  signal: AbortSignal;
  /** The caller's signal alone, to tell a cancellation from a timeout. */
  cancel?: AbortSignal;
  /** The deadline, for the error message. */
  timeoutMs: number;
}

/** Real answers are a few kilobytes; a service (or a proxy) sending more is not read on. */
const MAX_BODY_BYTES = 256 * 1024;

type JsonOutcome =
  | { kind: 'json'; status: number; body: unknown }
  | { kind: 'unreadable'; status: number }
  | { kind: 'too-large'; status: number }
  | { kind: 'timeout' }
  | { kind: 'network'; detail: string };

/** Builds the context for one weather check: a single deadline covers every request in it. */
export function callContext(fetch: FetchLike, timeoutMs: number, cancel?: AbortSignal): CallContext {
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = cancel === undefined ? deadline : AbortSignal.any([cancel, deadline]);
  return cancel === undefined ? { fetch, signal, timeoutMs } : { fetch, signal, cancel, timeoutMs };
}

export async function getJson(context: CallContext, url: URL): Promise<JsonOutcome> {
  context.cancel?.throwIfAborted();
  let status: number;
  let text: string | undefined;
  try {
    // Raced against the signal so that even a fetch replacement that ignores
    // the signal cannot hold the turn past the deadline.
    [status, text] = await untilAborted(
      context.signal,
      context.fetch(url.toString(), { signal: context.signal }).then(async (r) => [r.status, await readLimited(r, MAX_BODY_BYTES)] as const),
    );
  } catch (error) {
    context.cancel?.throwIfAborted();
    if (context.signal.aborted) return { kind: 'timeout' };
    return { kind: 'network', detail: networkDetail(error) };
  }
  if (text === undefined) return { kind: 'too-large', status };
  try {
    return { kind: 'json', status, body: JSON.parse(text) as unknown };
  } catch {
    return { kind: 'unreadable', status };
  }
}

/** The body as text, or undefined once it passes `maxBytes` (the rest is not downloaded). */
async function readLimited(response: Response, maxBytes: number): Promise<string | undefined> {
  if (Number(response.headers.get('content-length')) > maxBytes) {
    await response.body?.cancel();
    return undefined;
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** Words for an HTTP error status; `detail` is the service's own explanation, if it gave one. */
export function describeHttpError(service: string, status: number, detail?: string): string {
  const what = status >= 500 ? `failed with HTTP ${status}` : `rejected the request (HTTP ${status})`;
  return detail === undefined || detail === '' ? `${service} ${what}` : `${service} ${what}: ${clampText(detail)}`;
}

export function isSuccess(status: number): boolean {
  return status >= 200 && status <= 299;
}

/** Words for the outcomes every provider treats alike. `service` names who failed. */
export function describeTransportFailure(
  service: string,
  outcome: Exclude<JsonOutcome, { kind: 'json' }>,
  timeoutMs: number,
): string {
  switch (outcome.kind) {
    case 'timeout':
      return `${service} did not answer within ${formatDuration(timeoutMs)}; try again later`;
    case 'network':
      return `Could not reach ${service}: ${outcome.detail}`;
    case 'too-large':
      return `${service} sent an answer larger than ${MAX_BODY_BYTES / 1024} kB (HTTP ${outcome.status}); it was not read`;
    case 'unreadable':
      // A failing proxy's HTML error page is an HTTP error first, not a JSON problem.
      return isSuccess(outcome.status)
        ? `${service} sent a response that is not valid JSON (HTTP ${outcome.status})`
        : describeHttpError(service, outcome.status);
  }
}

export function formatDuration(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${ms} ms`;
}

function untilAborted<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** undici reports "fetch failed" and hides the useful part (ECONNREFUSED ...) in `cause`. */
function networkDetail(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && cause.message !== '') return cause.message;
  if (error instanceof Error && error.message !== '') return error.message;
  return String(error);
}
