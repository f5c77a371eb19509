/**
 * Model settings, validated once so that a bad value is a clear sentence before any
 * request is made. `api: "responses"` talks to OpenAI's Responses API; `api: "chat"`
 * to Chat Completions, which local servers (Ollama, LM Studio, vLLM, llama.cpp) speak.
 */

export type ModelApi = 'responses' | 'chat';
export const MODEL_APIS: readonly ModelApi[] = ['responses', 'chat'];
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_MODEL = 'gpt-5-mini';
const DEFAULT_INSTRUCTIONS =
  'You are a concise weather assistant. Use the get_weather tool for any question about the weather ' +
  'now, and the get_forecast tool for later today, tomorrow or the coming days (up to 7); dates and ' +
  'times in a forecast are local to the place. Then answer in a few sentences of Markdown with the ' +
  'figures and their units.';

/**
 * How a Responses conversation continues across turns: `server` sends only what is
 * new with `previous_response_id` (the server stores responses); `client` resends the
 * whole history with `store: false` (stateless servers such as Ollama). `auto` picks
 * `server` for OpenAI itself and `client` elsewhere.
 */
type ConversationState = 'auto' | 'server' | 'client';

export interface AssistantConfig {
  api?: ModelApi;
  /** OpenAI-compatible base URL ending in /v1; OpenAI's own when omitted. */
  baseUrl?: string;
  model?: string;
  apiKey?: string;
  instructions?: string;
  /** Model rounds per turn before the turn is stopped (each tool round is one). */
  maxToolRounds?: number;
  /** Retries of a request that failed before the answer began (408, 409, 429, 5xx, connection); each wait is announced. */
  maxRetries?: number;
  /** How long the model server may take to start answering, and then to send each next piece. */
  timeoutMs?: number;
  conversationState?: ConversationState;
}

export interface ResolvedAssistantConfig {
  api: ModelApi;
  baseUrl: string;
  model: string;
  apiKey: string | undefined;
  instructions: string;
  maxToolRounds: number;
  maxRetries: number;
  timeoutMs: number;
  conversationState: 'server' | 'client';
  /** True when the base URL is OpenAI's, where a key is required. */
  isOpenAI: boolean;
}

type AssistantConfigResult = { ok: true; config: ResolvedAssistantConfig } | { ok: false; problems: string[] };

export function resolveAssistantConfig(input: AssistantConfig = {}): AssistantConfigResult {
  const problems: string[] = [];
  const api = input.api ?? 'responses';
  if (!MODEL_APIS.includes(api)) problems.push(`api must be "responses" or "chat", got ${JSON.stringify(api)}`);

  const baseUrl = (input.baseUrl?.trim() || OPENAI_BASE_URL).replace(/\/+$/, '');
  let isOpenAI = false;
  try {
    const url = new URL(baseUrl);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') problems.push(`baseUrl must be an http(s) URL, got "${baseUrl}"`);
    isOpenAI = url.hostname === 'api.openai.com';
  } catch {
    problems.push(`baseUrl is not a valid URL: "${baseUrl}" (expected e.g. http://localhost:11434/v1)`);
  }
  const model = input.model?.trim() || DEFAULT_MODEL;
  const count = (name: string, value: number | undefined, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
    return value;
  };
  const maxToolRounds = count('maxToolRounds', input.maxToolRounds, 6, 1, 50);
  const maxRetries = count('maxRetries', input.maxRetries, 2, 0, 10);
  const timeoutMs = count('timeoutMs', input.timeoutMs, 120_000, 100, 3_600_000);
  const state = input.conversationState ?? 'auto';
  if (!['auto', 'server', 'client'].includes(state)) problems.push(`conversationState must be auto, server or client, got "${state}"`);
  const apiKey = input.apiKey?.trim() || undefined;
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      api,
      baseUrl,
      model,
      apiKey,
      instructions: input.instructions ?? DEFAULT_INSTRUCTIONS,
      maxToolRounds,
      maxRetries,
      timeoutMs,
      conversationState: state === 'auto' ? (isOpenAI ? 'server' : 'client') : state,
      isOpenAI,
    },
  };
}
