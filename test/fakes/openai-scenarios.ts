/**
 * Scripted turns for the fake OpenAI server (openai-server.ts). A scenario says what
 * the "model" does on one request; it is rendered here in whichever protocol the
 * request used (Responses SSE events or Chat Completions chunks), so one script serves
 * both APIs. Tests import the helpers from openai-server.ts, which re-exports them.
 *
 *   fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }, { callId: 'call_1' }),
 *                textReply('It is 31°C and sunny in Makati.'));
 *   fake.enqueue(rateLimited(1), textReply('ok'));        // 429 + retry-after: 1, then success
 *   fake.enqueue(serviceUnavailable(), textReply('ok'));  // 503, then success
 *   startFakeOpenAI({ fallback: rateLimited(1) });        // 429 forever
 *   fake.enqueue(interruptedReply('Partial answer', 'error', { afterDeltas: 2 }));
 *   fake.enqueue((req) => textReply(`turn ${req.index}`)); // decided per request
 *   fake.enqueue(endlessText('la '));                     // a runaway model that never stops
 *   fake.enqueue(endlessSilence());                       // a stream that never says anything
 *   fake.enqueue(textReply('31°C.', { reasoning: ['Let', ' me', ' think'] }));  // a reasoning model
 *   fake.enqueue(endlessReasoning('hmm '));               // a model that never stops thinking
 *   fake.enqueue(refusalReply("I'm sorry, I can't help with that."));  // the model refuses
 */
import { randomBytes } from 'node:crypto';

/** Request bodies are untrusted JSON; tests read them freely. */
export type Json = any;

export interface ToolCallSpec {
  name: string;
  /** JSON text as the model would emit it, or an object to be serialised. */
  arguments: string | Record<string, unknown>;
  /** Fixed call id for assertions; generated (`call_...`) when omitted. */
  callId?: string;
  /** Exact argument deltas; default splitIntoDeltas(arguments). */
  argumentDeltas?: string[];
}

/**
 * How a stream stops early. error: Responses `error` event / Chat `data: {"error":...}`.
 * failed: Responses `response.failed` (Chat: same as error). cut: the connection is
 * destroyed. stall: nothing more is sent until the client gives up or the fake closes.
 */
export type InterruptMode = 'error' | 'failed' | 'cut' | 'stall';

export interface Interrupt {
  mode: InterruptMode;
  /** Stop after this many deltas (text and tool-argument deltas together). */
  afterDeltas: number;
  message?: string;
}

/** A streamed model turn: optional reasoning, then optional text, then optional tool calls. */
export interface ReplyScenario {
  kind: 'reply';
  /**
   * Reasoning deltas streamed before the text, as reasoning models do. Responses: a
   * `reasoning` output item, streamed as `responsesReasoning` says. Chat: chunks whose
   * delta carries `chatReasoningField`, which OpenAI's API never sends (it keeps its
   * reasoning hidden) but the local servers speaking it do.
   */
  reasoning?: string[];
  /** `summary` (default): reasoning_summary_text events, as OpenAI's reasoning models send with summaries on. `text`: reasoning_text events, as gpt-oss servers send. */
  responsesReasoning?: 'summary' | 'text';
  /** `reasoning_content` (default): llama.cpp, LM Studio, vLLM, DeepSeek. `reasoning`: Ollama, newer vLLM. */
  chatReasoningField?: 'reasoning_content' | 'reasoning';
  text?: string;
  /** Exact text deltas; default splitIntoDeltas(text). */
  deltas?: string[];
  /**
   * The text is a refusal, which OpenAI streams apart from answer text. Responses: a
   * `refusal` content part with response.refusal.* events. Chat: `delta.refusal` chunks
   * (with `content: null`).
   */
  refusal?: boolean;
  toolCalls?: ToolCallSpec[];
  interrupt?: Interrupt;
  /** Pause before each SSE event, for cancellation and progress tests. */
  delayMs?: number;
  /** Write each SSE event in two TCP writes split mid-line, to exercise client reassembly. */
  fragment?: boolean;
  /**
   * A runaway model: the reply never finishes, repeating the last delta of its last part
   * (the last tool call's arguments, else the text, else the reasoning) until the client hangs up.
   */
  endless?: boolean;
}

/** OpenAI's JSON error body. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** A non-2xx answer with OpenAI's error body, before any streaming. */
export interface HttpErrorScenario {
  kind: 'http-error';
  status: number;
  body: OpenAIErrorBody;
  headers?: Record<string, string>;
}

export type Scenario = ReplyScenario | HttpErrorScenario;

type ReplyOptions = Omit<ReplyScenario, 'kind' | 'text' | 'toolCalls'>;

export function textReply(text: string, options: ReplyOptions = {}): ReplyScenario {
  return { kind: 'reply', text, ...options };
}

/** The model refuses: `text` streamed as a refusal instead of answer text. */
export function refusalReply(text: string, options: ReplyOptions = {}): ReplyScenario {
  return { kind: 'reply', text, ...options, refusal: true };
}

/** One function call; `options.text` is streamed before it (models sometimes preface). */
export function toolCallReply(
  name: string,
  args: ToolCallSpec['arguments'],
  options: ReplyOptions & { callId?: string; text?: string } = {},
): ReplyScenario {
  const { callId, ...rest } = options;
  return { kind: 'reply', ...rest, toolCalls: [{ name, arguments: args, callId }] };
}

/** Several function calls in one turn (parallel tool calls). */
export function toolCallsReply(calls: ToolCallSpec[], options: ReplyOptions & { text?: string } = {}): ReplyScenario {
  return { kind: 'reply', ...options, toolCalls: calls };
}

/** Streams `piece` as a text delta again and again, never finishing. */
export function endlessText(piece: string): ReplyScenario {
  return { kind: 'reply', deltas: [piece], endless: true };
}

/** Streams empty text deltas, which say nothing, again and again, never finishing. */
export function endlessSilence(): ReplyScenario {
  return { kind: 'reply', deltas: [''], endless: true };
}

/** Streams `piece` as a reasoning delta again and again, never getting to an answer. */
export function endlessReasoning(piece: string): ReplyScenario {
  return { kind: 'reply', reasoning: [piece], endless: true };
}

/** Opens a call to `name` and streams `piece` as its arguments again and again, never finishing. */
export function endlessToolCall(name: string, piece: string): ReplyScenario {
  return { kind: 'reply', toolCalls: [{ name, arguments: piece, argumentDeltas: [piece] }], endless: true };
}

/** Streams `afterDeltas` deltas of `text`, then fails as `mode` says. */
export function interruptedReply(
  text: string,
  mode: InterruptMode,
  options: ReplyOptions & { afterDeltas?: number; message?: string } = {},
): ReplyScenario {
  const { afterDeltas = 2, message, ...rest } = options;
  return { kind: 'reply', text, ...rest, interrupt: { mode, afterDeltas, message } };
}

export function httpError(
  status: number,
  error: OpenAIErrorBody['error'],
  headers?: Record<string, string>,
): HttpErrorScenario {
  return { kind: 'http-error', status, body: { error }, headers };
}

/**
 * OpenAI's 429 for a tokens-per-minute limit, with its retry-after header (whole or
 * fractional seconds); `retryAfterMs` adds the finer retry-after-ms header, which wins.
 */
export function rateLimited(retryAfterSeconds = 1, options: { retryAfterMs?: number } = {}): HttpErrorScenario {
  const scenario = httpError(
    429,
    {
      message:
        'Rate limit reached for gpt-4.1-mini in organization org-fake on tokens per min (TPM): ' +
        `Limit 200000, Used 199800, Requested 900. Please try again in ${retryAfterSeconds}s. ` +
        'Visit https://platform.openai.com/account/rate-limits to learn more.',
      type: 'tokens',
      param: null,
      code: 'rate_limit_exceeded',
    },
    {
      'retry-after': String(retryAfterSeconds),
      'x-ratelimit-limit-tokens': '200000',
      'x-ratelimit-remaining-tokens': '200',
      'x-ratelimit-reset-tokens': `${retryAfterSeconds}s`,
    },
  );
  if (options.retryAfterMs !== undefined) scenario.headers!['retry-after-ms'] = String(options.retryAfterMs);
  return scenario;
}

/** OpenAI's 503 when it is overloaded: no retry-after, so the client backs off on its own. */
export function serviceUnavailable(): HttpErrorScenario {
  return httpError(503, { message: 'The server is overloaded or not ready yet.', type: 'server_error', param: null, code: null });
}

/** OpenAI's 401 for a wrong key; the key is masked as the real API does. */
export function unauthorized(apiKey = 'sk-test'): HttpErrorScenario {
  const masked = apiKey.length > 8 ? `${apiKey.slice(0, 3)}${'*'.repeat(apiKey.length - 7)}${apiKey.slice(-4)}` : apiKey;
  return httpError(401, {
    message: `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
    type: 'invalid_request_error',
    param: null,
    code: 'invalid_api_key',
  });
}

export function modelNotFound(model: string): HttpErrorScenario {
  return httpError(404, {
    message: `The model \`${model}\` does not exist or you do not have access to it.`,
    type: 'invalid_request_error',
    param: null,
    code: 'model_not_found',
  });
}

// Word-ish tokens keeping their leading space, as tokenizers emit them: " Makati", ".".
const TOKEN = /\s*[\p{L}\p{M}]+|\s*\p{N}+|\s*[^\s\p{L}\p{M}\p{N}]|\s+/gu;

/**
 * Splits text into small deltas like a model's tokens: words with their leading space,
 * long words in pieces, punctuation on its own. Concatenating the result gives `text`.
 */
export function splitIntoDeltas(text: string): string[] {
  const deltas: string[] = [];
  for (const token of text.match(TOKEN) ?? []) {
    const chars = Array.from(token); // code points, so no delta splits a surrogate pair
    if (chars.length <= 6) {
      deltas.push(token);
      continue;
    }
    deltas.push(chars.slice(0, 5).join(''));
    for (let i = 5; i < chars.length; i += 4) deltas.push(chars.slice(i, i + 4).join(''));
  }
  return deltas;
}

// ---------------------------------------------------------------------------------------
// Ids shaped like the real ones.

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const base62 = (length: number) => Array.from(randomBytes(length), (b) => BASE62[b % 62]).join('');
export const ids = {
  response: () => `resp_${hex(24)}`,
  message: () => `msg_${hex(24)}`,
  reasoning: () => `rs_${hex(24)}`,
  functionCall: () => `fc_${hex(24)}`,
  callId: () => `call_${base62(24)}`,
  chat: () => `chatcmpl-${base62(29)}`,
  request: () => `req_${hex(16)}`,
};
/** The real API pads stream events with random filler against length side channels. */
const obfuscation = () => base62(4 + (randomBytes(1)[0] % 12));
const nowSeconds = () => Math.floor(Date.now() / 1000);

// ---------------------------------------------------------------------------------------
// Rendering a reply as frames: pure protocol; the server validates and writes them.

export type Frame =
  | { kind: 'response-event'; payload: Json }
  | { kind: 'chat-chunk'; payload: Json }
  /** Sent as is, unvalidated: Chat's mid-stream error object and the [DONE] sentinel. */
  | { kind: 'raw'; data: string }
  | { kind: 'cut' }
  | { kind: 'stall' };

interface PlannedCall {
  itemId: string;
  callId: string;
  name: string;
  arguments: string;
  deltas: string[];
}

interface Plan {
  reasoning?: { itemId: string; text: string; deltas: string[] };
  text?: { itemId: string; text: string; deltas: string[] };
  calls: PlannedCall[];
  outputTokens: number;
  reasoningTokens: number;
}

/** Whether the reasoning is the part an endless reply repeats: the reply says nothing after it. */
const endlessReasoningOf = (scenario: ReplyScenario, p: Plan) => scenario.endless === true && !p.text && p.calls.length === 0;

/** The deltas of one part, repeating the last one forever when the part is the endless one. */
function* deltasOf(deltas: string[], endless: boolean): Generator<string> {
  yield* deltas;
  while (endless && deltas.length > 0) yield deltas.at(-1)!;
}

function plan(scenario: ReplyScenario): Plan {
  const deltas = scenario.deltas ?? (scenario.text !== undefined ? splitIntoDeltas(scenario.text) : undefined);
  const text = deltas && { itemId: ids.message(), text: deltas.join(''), deltas };
  const reasoning = scenario.reasoning && { itemId: ids.reasoning(), text: scenario.reasoning.join(''), deltas: scenario.reasoning };
  const calls = (scenario.toolCalls ?? []).map((call) => {
    const args = typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments);
    return { itemId: ids.functionCall(), callId: call.callId ?? ids.callId(), name: call.name, arguments: args, deltas: call.argumentDeltas ?? splitIntoDeltas(args) };
  });
  const reasoningTokens = reasoning?.deltas.length ?? 0;
  const outputTokens = reasoningTokens + (text?.deltas.length ?? 0) + calls.reduce((n, c) => n + c.deltas.length, 0);
  return { reasoning, text, calls, outputTokens, reasoningTokens };
}

const estimateTokens = (value: unknown) => Math.max(1, Math.ceil((JSON.stringify(value) ?? '').length / 4));

export interface ResponsesContext {
  body: Json;
  responseId: string;
  store: boolean;
  /** Called just before response.completed, so a follow-up can already chain on it. */
  onCompleted(output: Json[]): void;
}

function echoTool(tool: Json): Json {
  // The API echoes function tools with its defaults filled in (strict defaults to true).
  if (tool?.type !== 'function') return tool;
  return { type: 'function', name: tool.name, description: tool.description ?? null, parameters: tool.parameters ?? null, strict: tool.strict ?? true };
}

/** The `response` object as the Responses API reports it while and after streaming. */
function responseObject(ctx: ResponsesContext, createdAt: number): Json {
  const b = ctx.body;
  // `usage` is left out until completion: the real API sends `usage: null` there, but
  // the published schema does not allow null for it.
  return {
    id: ctx.responseId,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    background: false,
    completed_at: null,
    error: null,
    incomplete_details: null,
    instructions: b.instructions ?? null,
    max_output_tokens: b.max_output_tokens ?? null,
    max_tool_calls: b.max_tool_calls ?? null,
    model: b.model,
    output: [],
    parallel_tool_calls: b.parallel_tool_calls ?? true,
    previous_response_id: b.previous_response_id ?? null,
    prompt_cache_key: b.prompt_cache_key ?? null,
    reasoning: { effort: b.reasoning?.effort ?? null, summary: b.reasoning?.summary ?? null },
    safety_identifier: b.safety_identifier ?? null,
    service_tier: 'default',
    store: ctx.store,
    temperature: b.temperature ?? 1,
    text: { format: b.text?.format ?? { type: 'text' }, verbosity: b.text?.verbosity ?? 'medium' },
    tool_choice: b.tool_choice ?? 'auto',
    tools: Array.isArray(b.tools) ? b.tools.map(echoTool) : [],
    top_logprobs: b.top_logprobs ?? 0,
    top_p: b.top_p ?? 1,
    truncation: b.truncation ?? 'disabled',
    metadata: b.metadata ?? {},
  };
}

export function* responsesFrames(scenario: ReplyScenario, ctx: ResponsesContext): Generator<Frame> {
  const p = plan(scenario);
  const createdAt = nowSeconds();
  const output: Json[] = [];
  let seq = 0;
  let deltas = 0;
  const event = (type: string, fields: Json): Frame => ({ kind: 'response-event', payload: { type, sequence_number: seq++, ...fields } });
  const snapshot = (): Json => ({ ...responseObject(ctx, createdAt), output: structuredClone(output) });
  const interrupt = scenario.interrupt;
  const interrupted = () => interrupt !== undefined && deltas >= interrupt.afterDeltas;

  function* fail(): Generator<Frame> {
    const message = interrupt?.message ?? 'The server had an error while processing your request. Sorry about that!';
    switch (interrupt?.mode) {
      case 'error':
        yield event('error', { code: 'server_error', message, param: null });
        return;
      case 'failed':
        yield event('response.failed', { response: { ...snapshot(), status: 'failed', error: { code: 'server_error', message } } });
        return;
      case 'cut':
      case 'stall':
        yield { kind: interrupt.mode };
    }
  }

  yield event('response.created', { response: snapshot() });
  yield event('response.in_progress', { response: snapshot() });

  if (p.reasoning) {
    const { itemId, text } = p.reasoning;
    const at = { item_id: itemId, output_index: output.length };
    const pieces = deltasOf(p.reasoning.deltas, endlessReasoningOf(scenario, p));
    let done: Json;
    if (scenario.responsesReasoning === 'text') {
      // gpt-oss on vLLM and other open-weight servers: the raw reasoning as content parts.
      const part = { type: 'reasoning_text', text: '' };
      yield event('response.output_item.added', { output_index: at.output_index, item: { id: itemId, type: 'reasoning', summary: [], content: [] } });
      yield event('response.content_part.added', { ...at, content_index: 0, part });
      for (const delta of pieces) yield event('response.reasoning_text.delta', { ...at, content_index: 0, delta, obfuscation: obfuscation() });
      yield event('response.reasoning_text.done', { ...at, content_index: 0, text });
      yield event('response.content_part.done', { ...at, content_index: 0, part: { ...part, text } });
      done = { id: itemId, type: 'reasoning', summary: [], content: [{ ...part, text }] };
    } else {
      // OpenAI's reasoning models with `reasoning.summary` set: only a summary is streamed.
      const part = { type: 'summary_text', text: '' };
      yield event('response.output_item.added', { output_index: at.output_index, item: { id: itemId, type: 'reasoning', summary: [] } });
      yield event('response.reasoning_summary_part.added', { ...at, summary_index: 0, part });
      for (const delta of pieces) yield event('response.reasoning_summary_text.delta', { ...at, summary_index: 0, delta, obfuscation: obfuscation() });
      yield event('response.reasoning_summary_text.done', { ...at, summary_index: 0, text });
      yield event('response.reasoning_summary_part.done', { ...at, summary_index: 0, part: { ...part, text } });
      done = { id: itemId, type: 'reasoning', summary: [{ ...part, text }] };
    }
    output.push(done);
    yield event('response.output_item.done', { output_index: at.output_index, item: structuredClone(done) });
  }

  if (p.text) {
    const { itemId, text } = p.text;
    const outputIndex = output.length;
    const at = { item_id: itemId, output_index: outputIndex, content_index: 0 };
    const item = { id: itemId, type: 'message', status: 'in_progress', content: [] as Json[], role: 'assistant' };
    const refusal = scenario.refusal === true;
    const emptyPart = refusal ? { type: 'refusal', refusal: '' } : { type: 'output_text', annotations: [], logprobs: [], text: '' };
    yield event('response.output_item.added', { output_index: outputIndex, item: structuredClone(item) });
    yield event('response.content_part.added', { ...at, part: emptyPart });
    for (const delta of deltasOf(p.text.deltas, scenario.endless === true && p.calls.length === 0)) {
      if (interrupted()) return yield* fail();
      deltas++;
      yield refusal
        ? event('response.refusal.delta', { ...at, delta })
        : event('response.output_text.delta', { ...at, delta, logprobs: [], obfuscation: obfuscation() });
    }
    const part = refusal ? { ...emptyPart, refusal: text } : { ...emptyPart, text };
    yield refusal
      ? event('response.refusal.done', { ...at, refusal: text })
      : event('response.output_text.done', { ...at, text, logprobs: [] });
    yield event('response.content_part.done', { ...at, part });
    const done = { ...item, status: 'completed', content: [part] };
    output.push(done);
    yield event('response.output_item.done', { output_index: outputIndex, item: structuredClone(done) });
  }

  for (const [index, call] of p.calls.entries()) {
    const outputIndex = output.length;
    const item = { id: call.itemId, type: 'function_call', status: 'in_progress', arguments: '', call_id: call.callId, name: call.name };
    yield event('response.output_item.added', { output_index: outputIndex, item });
    for (const delta of deltasOf(call.deltas, scenario.endless === true && index === p.calls.length - 1)) {
      if (interrupted()) return yield* fail();
      deltas++;
      yield event('response.function_call_arguments.delta', { item_id: call.itemId, output_index: outputIndex, delta, obfuscation: obfuscation() });
    }
    yield event('response.function_call_arguments.done', { item_id: call.itemId, output_index: outputIndex, arguments: call.arguments, name: call.name });
    const done = { ...item, status: 'completed', arguments: call.arguments };
    output.push(done);
    yield event('response.output_item.done', { output_index: outputIndex, item: done });
  }

  if (interrupt) return yield* fail(); // afterDeltas beyond the reply: fail instead of completing

  const inputTokens = estimateTokens(ctx.body.input) + estimateTokens(ctx.body.instructions ?? '');
  ctx.onCompleted(output);
  yield event('response.completed', {
    response: {
      ...snapshot(),
      status: 'completed',
      completed_at: nowSeconds(),
      usage: {
        input_tokens: inputTokens,
        input_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
        output_tokens: p.outputTokens,
        output_tokens_details: { reasoning_tokens: p.reasoningTokens },
        total_tokens: inputTokens + p.outputTokens,
      },
    },
  });
}

export function* chatFrames(scenario: ReplyScenario, body: Json): Generator<Frame> {
  const p = plan(scenario);
  const includeUsage = body.stream_options?.include_usage === true;
  const base = { id: ids.chat(), object: 'chat.completion.chunk', created: nowSeconds(), model: body.model, service_tier: 'default', system_fingerprint: `fp_${hex(5)}` };
  const chunk = (delta: Json, finishReason: string | null = null): Frame => ({
    kind: 'chat-chunk',
    payload: {
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(includeUsage ? { usage: null } : {}),
      obfuscation: obfuscation(),
    },
  });
  const interrupt = scenario.interrupt;
  let deltas = 0;
  const interrupted = () => interrupt !== undefined && deltas >= interrupt.afterDeltas;
  function* fail(): Generator<Frame> {
    if (interrupt?.mode === 'cut' || interrupt?.mode === 'stall') {
      yield { kind: interrupt.mode };
      return;
    }
    // What the real API sends when a chat stream fails part-way: an error object, no [DONE].
    const message = interrupt?.message ?? 'The server had an error while processing your request. Sorry about that!';
    const error: OpenAIErrorBody = { error: { message, type: 'server_error', param: null, code: null } };
    yield { kind: 'raw', data: JSON.stringify(error) };
  }

  let roleSent = false;
  if (p.reasoning) {
    yield chunk({ role: 'assistant', content: '', refusal: null });
    roleSent = true;
    // The reasoning field is no part of OpenAI's schema, whose delta does not forbid extra
    // properties: the chunks validate as they are, and mirror llama.cpp's and vLLM's.
    const field = scenario.chatReasoningField ?? 'reasoning_content';
    for (const delta of deltasOf(p.reasoning.deltas, endlessReasoningOf(scenario, p))) yield chunk({ [field]: delta });
  }
  if (p.text) {
    // A refusal comes instead of content: the role chunk opens it with `content: null`.
    const field = scenario.refusal === true ? 'refusal' : 'content';
    if (!roleSent) yield chunk(field === 'refusal' ? { role: 'assistant', content: null, refusal: '' } : { role: 'assistant', content: '', refusal: null });
    roleSent = true;
    for (const delta of deltasOf(p.text.deltas, scenario.endless === true && p.calls.length === 0)) {
      if (interrupted()) return yield* fail();
      deltas++;
      yield chunk({ [field]: delta });
    }
  }
  for (const [index, call] of p.calls.entries()) {
    const head = { index, id: call.callId, type: 'function', function: { name: call.name, arguments: '' } };
    yield chunk(roleSent ? { tool_calls: [head] } : { role: 'assistant', content: null, tool_calls: [head], refusal: null });
    roleSent = true;
    for (const delta of deltasOf(call.deltas, scenario.endless === true && index === p.calls.length - 1)) {
      if (interrupted()) return yield* fail();
      deltas++;
      yield chunk({ tool_calls: [{ index, function: { arguments: delta } }] });
    }
  }
  if (!roleSent) yield chunk({ role: 'assistant', content: '', refusal: null });
  if (interrupt) return yield* fail();
  yield chunk({}, p.calls.length > 0 ? 'tool_calls' : 'stop');
  if (includeUsage) {
    const prompt = estimateTokens(body.messages);
    yield {
      kind: 'chat-chunk',
      payload: {
        ...base,
        choices: [],
        usage: {
          prompt_tokens: prompt,
          completion_tokens: p.outputTokens,
          total_tokens: prompt + p.outputTokens,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: p.reasoningTokens, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
        },
        obfuscation: obfuscation(),
      },
    };
  }
  yield { kind: 'raw', data: '[DONE]' };
}
