/**
 * The models an OpenAI-compatible server offers (`GET {baseUrl}/models`, the shape OpenAI,
 * Ollama, LM Studio, vLLM and llama.cpp's server all answer with). Used to offer model names
 * and to explain a wrong one; plain fetch, so the extension need not load the SDK for it.
 * The answer is untrusted: bounded in bytes and count, every id checked.
 */
import { networkReason } from './network-reason';

/** A models list is a few KiB; anything far larger is not one. */
export const MAX_MODEL_LIST_BYTES = 1024 * 1024;
/** More names than anyone picks from. */
export const MAX_MODELS = 1000;
const MAX_MODEL_ID_LENGTH = 256;
const DEFAULT_TIMEOUT_MS = 5_000;

export interface ListModelsOptions {
  /** Ends in /v1 (trailing slashes ignored). */
  baseUrl: string;
  apiKey?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class ModelListError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ModelListError';
  }
}

/** The model ids the server lists, sorted, without duplicates; a ModelListError says why not in one sentence. */
export async function listModels(options: ListModelsOptions): Promise<string[]> {
  const url = `${options.baseUrl.replace(/\/+$/, '')}/models`;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json', ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}) }, signal, redirect: 'error' });
  } catch (error) {
    if (timeout.aborted) throw new ModelListError(`${url} did not answer within ${(options.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000} s`, { cause: error });
    if (options.signal?.aborted) throw new ModelListError('cancelled', { cause: error });
    throw new ModelListError(`cannot reach ${url}: ${networkReason(error as Error)}`, { cause: error });
  }
  const text = await readBounded(response, url);
  if (!response.ok) {
    const hint = response.status === 401 ? ' (the API key was refused)' : response.status === 404 ? ' (is the base URL the one ending in /v1?)' : '';
    throw new ModelListError(`${url} answered ${response.status}${hint}`);
  }
  return parseModelList(text, url);
}

/** Ids from a `{ object: "list", data: [{ id }] }` body; entries that are not models are skipped. */
export function parseModelList(text: string, url = 'the server'): string[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ModelListError(`${url} did not answer with JSON`);
  }
  const data = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new ModelListError(`${url} did not answer with a list of models`);
  const ids = new Set<string>();
  for (const entry of data.slice(0, MAX_MODELS)) {
    const id = (entry as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && id.trim() !== '' && id.length <= MAX_MODEL_ID_LENGTH && !/[\u0000-\u001f]/.test(id)) ids.add(id);
  }
  return [...ids].sort((a, b) => a.localeCompare(b));
}

async function readBounded(response: Response, url: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_MODEL_LIST_BYTES) {
    await response.body?.cancel();
    throw new ModelListError(`${url} sent ${declared} bytes, more than a list of models (${MAX_MODEL_LIST_BYTES})`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > MAX_MODEL_LIST_BYTES) {
      await response.body?.cancel().catch(() => {});
      throw new ModelListError(`${url} sent more than a list of models (over ${MAX_MODEL_LIST_BYTES} bytes)`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
