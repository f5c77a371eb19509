/**
 * A fake OpenAI API on 127.0.0.1 for tests: real HTTP and real SSE, speaking the
 * streaming Responses API (POST /v1/responses) and Chat Completions API
 * (POST /v1/chat/completions) as scripted per request. Every event and chunk it emits
 * is first validated against OpenAI's published OpenAPI schemas
 * (test/support/openai-schema.ts), so the fake cannot drift from the real protocol.
 *
 *   const fake = await startFakeOpenAI();  // options: { apiKey, stateless, fallback, logViolations }
 *   const client = new OpenAI({ apiKey: 'test', baseURL: fake.baseUrl });   // baseUrl ends in /v1
 *   fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }), textReply('31°C, sunny.'));
 *   ... drive the code under test ...
 *   fake.requests[1].body.previous_response_id    // every request: path, headers, parsed body
 *   toolOutputsOf(fake.requests[1])               // [{ callId, output }] from either API
 *   fake.violations                               // off-spec output the fake caught itself
 *   await fake.close();                           // throws if there were violations
 *
 * Scenarios (openai-scenarios.ts, re-exported here) are consumed one per model request,
 * in order; a function scenario is called with the request to decide. With the queue
 * empty, `options.fallback` answers, or else the request is a violation (HTTP 500).
 *
 * Like the real API, the fake answers some client mistakes itself with a 400 (recorded
 * as `rejected`, scenario not consumed): unknown previous_response_id, a tool output
 * whose call id was never issued, a tool call left without its output, a Chat `tool`
 * message not answering the preceding assistant's tool_calls. Responses are stored
 * for previous_response_id unless the request says `store: false` or the fake is
 * `stateless` (an Ollama-like server that keeps nothing). Only `stream: true` is
 * implemented; a non-streaming request is a violation.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { validateAgainst, validateChatCompletionChunk, validateResponseStreamEvent } from '../support/openai-schema';
import {
  chatFrames,
  ids,
  responsesFrames,
  unauthorized,
  type Frame,
  type Json,
  type OpenAIErrorBody,
  type ReplyScenario,
  type Scenario,
} from './openai-scenarios';

export {
  endlessReasoning,
  endlessSilence,
  endlessText,
  endlessToolCall,
  httpError,
  interruptedReply,
  modelNotFound,
  rateLimited,
  refusalReply,
  serviceUnavailable,
  splitIntoDeltas,
  textReply,
  toolCallReply,
  toolCallsReply,
  unauthorized,
  type HttpErrorScenario,
  type Interrupt,
  type InterruptMode,
  type Json,
  type OpenAIErrorBody,
  type ReplyScenario,
  type Scenario,
  type ToolCallSpec,
} from './openai-scenarios';

export type OpenAIApi = 'responses' | 'chat';

export interface RecordedOpenAIRequest {
  /** Position among all requests this fake received, from 0. */
  index: number;
  /** Undefined for paths the fake does not serve (answered 404). */
  api: OpenAIApi | undefined;
  method: string;
  path: string;
  /** Lower-case names, e.g. headers.authorization === 'Bearer test'. */
  headers: Record<string, string>;
  /** Parsed JSON body; undefined when absent or not JSON. */
  body: Json;
  /** Date.now() on arrival. */
  receivedAt: number;
  /** The scenario that answered, if one did. */
  scenario?: Scenario;
  /** The message of the 4xx the fake answered on its own (bad request, wrong key). */
  rejected?: string;
  /** Responses API: id of the response this request created (`resp_...`). */
  responseId?: string;
  /** The client closed the connection before the fake finished answering. */
  clientDisconnected: boolean;
}

export type ScenarioSource = Scenario | ((request: RecordedOpenAIRequest) => Scenario);

export interface FakeOpenAIOptions {
  /** If set, requests must carry `Authorization: Bearer <apiKey>`, else OpenAI's 401. */
  apiKey?: string;
  /** Keep no responses: previous_response_id is always unknown (Ollama-like). */
  stateless?: boolean;
  /** Answers requests when the queue is empty, instead of a violation. */
  fallback?: ScenarioSource;
  /** Print each violation to stderr as it happens (default true); off for tests that provoke them. */
  logViolations?: boolean;
  /** What `GET /v1/models` lists (default: gpt-test-mini and gpt-5-mini), as OpenAI's ListModelsResponse. */
  models?: string[];
}

export interface FakeOpenAI {
  /** http://127.0.0.1:<port>/v1 — pass as the SDK's baseURL. */
  baseUrl: string;
  requests: RecordedOpenAIRequest[];
  /** `GET /v1/models` requests, kept apart from the model requests above. */
  modelListRequests: Array<{ headers: Record<string, string> }>;
  violations: string[];
  enqueue(...scenarios: ScenarioSource[]): void;
  /** Scenarios queued and not yet used. */
  pending(): number;
  /** Forget requests, queue, stored responses and violations. */
  reset(): void;
  /** Stops the server, dropping open streams; throws if any violation was recorded. */
  close(): Promise<void>;
}

/** Tool results the request sends back: Responses `function_call_output` items or Chat `tool` messages. */
export function toolOutputsOf(request: RecordedOpenAIRequest): { callId: string; output: string }[] {
  const body = request.body;
  if (request.api === 'responses' && Array.isArray(body?.input)) {
    return body.input
      .filter((item: Json) => item?.type === 'function_call_output')
      .map((item: Json) => ({ callId: item.call_id, output: typeof item.output === 'string' ? item.output : JSON.stringify(item.output) }));
  }
  if (request.api === 'chat' && Array.isArray(body?.messages)) {
    return body.messages
      .filter((m: Json) => m?.role === 'tool')
      .map((m: Json) => ({ callId: m.tool_call_id, output: typeof m.content === 'string' ? m.content : textOfParts(m.content) }));
  }
  return [];
}

function textOfParts(parts: Json): string {
  return Array.isArray(parts) ? parts.map((p: Json) => (typeof p?.text === 'string' ? p.text : '')).join('') : '';
}

// ---------------------------------------------------------------------------------------
// Request checks the real API performs, answered with its own 400s.

type ApiError = OpenAIErrorBody['error'];

const invalid = (message: string, param: string | null = null, code: string | null = null): ApiError => ({
  message, type: 'invalid_request_error', param, code,
});

interface StoredResponse {
  input: Json[];
  output: Json[];
  previous?: string;
}

function responsesInput(body: Json): Json[] {
  if (typeof body.input === 'string') return [{ type: 'message', role: 'user', content: body.input }];
  return Array.isArray(body.input) ? body.input : [];
}

function checkResponsesRequest(body: Json, stored: Map<string, StoredResponse>): ApiError | undefined {
  if (typeof body.model !== 'string') return invalid("Missing required parameter: 'model'.", 'model', 'missing_required_parameter');
  const input = responsesInput(body);
  const known = new Set<string>();
  const pending = new Set<string>();
  const previousId = body.previous_response_id;
  if (previousId !== undefined && previousId !== null) {
    const previous = stored.get(previousId);
    if (!previous) return invalid(`Previous response with id '${previousId}' not found.`, 'previous_response_id', 'previous_response_not_found');
    for (let r: StoredResponse | undefined = previous; r; r = r.previous ? stored.get(r.previous) : undefined) {
      for (const item of [...r.input, ...r.output]) if (item?.type === 'function_call') known.add(item.call_id);
    }
    // Calls the previous response made must be answered in this request.
    for (const item of previous.output) if (item?.type === 'function_call') pending.add(item.call_id);
  }
  for (const item of input) {
    if (item?.type === 'function_call') {
      known.add(item.call_id);
      pending.add(item.call_id);
    }
  }
  for (const item of input) {
    if (item?.type !== 'function_call_output') continue;
    if (!known.has(item.call_id)) return invalid(`No tool call found for function call output with call_id ${item.call_id}.`, 'input');
    pending.delete(item.call_id);
  }
  const [unanswered] = pending;
  if (unanswered !== undefined) return invalid(`No tool output found for function call ${unanswered}.`, 'input');
  return undefined;
}

function checkChatRequest(body: Json): ApiError | undefined {
  if (typeof body.model !== 'string') return invalid('you must provide a model parameter');
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return invalid("Missing required parameter: 'messages'.", 'messages', 'missing_required_parameter');
  }
  let open: { index: number; ids: Set<string> } | undefined;
  const unanswered = () =>
    invalid(
      "An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. " +
        `The following tool_call_ids did not have response messages: ${[...open!.ids].join(', ')}`,
      `messages.[${open!.index}].role`,
    );
  for (const [index, message] of (body.messages as Json[]).entries()) {
    if (message?.role === 'tool') {
      if (!open) {
        return invalid("Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.", `messages.[${index}].role`);
      }
      if (!open.ids.delete(message.tool_call_id)) {
        return invalid(`Invalid parameter: 'tool_call_id' of '${message.tool_call_id}' not found in 'tool_calls' of previous message.`, `messages.[${index}].tool_call_id`);
      }
      continue;
    }
    if (open && open.ids.size > 0) return unanswered();
    open = undefined;
    if (message?.role === 'assistant' && Array.isArray(message.tool_calls) && message.tool_calls.length > 0) {
      open = { index, ids: new Set(message.tool_calls.map((c: Json) => c?.id)) };
    }
  }
  if (open && open.ids.size > 0) return unanswered();
  return undefined;
}

// ---------------------------------------------------------------------------------------
// The server.

export async function startFakeOpenAI(options: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const requests: RecordedOpenAIRequest[] = [];
  const modelListRequests: FakeOpenAI['modelListRequests'] = [];
  const violations: string[] = [];
  const queue: ScenarioSource[] = [];
  const stored = new Map<string, StoredResponse>();
  const shutdown = new AbortController();
  // Compile the schemas now (about a second, once per process) rather than inside the
  // first request, where it would eat into the client's timeouts.
  validateResponseStreamEvent(null);
  validateChatCompletionChunk(null);

  function violation(request: RecordedOpenAIRequest, problem: string): void {
    const line = `fake OpenAI, request #${request.index} (${request.method} ${request.path}): ${problem}`;
    violations.push(line);
    if (options.logViolations !== false) console.error(line);
  }

  function nextScenario(request: RecordedOpenAIRequest): Scenario | undefined {
    const source = queue.length > 0 ? queue.shift() : options.fallback;
    return typeof source === 'function' ? source(request) : source;
  }

  /** The models list, checked against the spec like every streamed event. */
  function listModels(req: IncomingMessage, res: ServerResponse): void {
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? '']));
    modelListRequests.push({ headers });
    if (options.apiKey !== undefined && headers.authorization !== `Bearer ${options.apiKey}`) {
      sendJson(res, 401, { error: unauthorized((headers.authorization ?? '').replace(/^Bearer /, '')).body.error });
      return;
    }
    const body = {
      object: 'list',
      data: (options.models ?? ['gpt-test-mini', 'gpt-5-mini']).map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'fake-openai' })),
    };
    const problems = validateAgainst('ListModelsResponse', body);
    if (problems.length > 0) {
      violations.push(`fake OpenAI, GET /v1/models: ${problems.join('; ')}`);
      sendJson(res, 500, { error: invalid('fake OpenAI: off-spec models list') });
      return;
    }
    sendJson(res, 200, body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    if (req.method === 'GET' && path === '/v1/models') return listModels(req, res);
    const api: OpenAIApi | undefined =
      req.method === 'POST' && path === '/v1/responses' ? 'responses' : req.method === 'POST' && path === '/v1/chat/completions' ? 'chat' : undefined;
    const request: RecordedOpenAIRequest = {
      index: requests.length,
      api,
      method: req.method ?? '',
      path,
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v ?? ''])),
      body: parseJson(raw),
      receivedAt: Date.now(),
      clientDisconnected: false,
    };
    requests.push(request);
    res.on('close', () => {
      if (!res.writableFinished && !droppedByFake.has(res) && !shutdown.signal.aborted) request.clientDisconnected = true;
    });
    const reject = (status: number, error: ApiError, headers: Record<string, string> = {}) => {
      request.rejected ??= error.message;
      sendJson(res, status, { error }, headers);
    };

    if (!api) return reject(404, invalid(`Invalid URL (${request.method} ${path})`));
    const auth = request.headers.authorization;
    if (options.apiKey !== undefined && !auth?.startsWith('Bearer ')) {
      return reject(401, invalid(
        "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
      ));
    }
    if (options.apiKey !== undefined && auth !== `Bearer ${options.apiKey}`) {
      return reject(401, unauthorized(auth!.slice('Bearer '.length)).body.error);
    }
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return reject(400, invalid(
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      ));
    }
    const problem = api === 'responses' ? checkResponsesRequest(body, options.stateless ? new Map() : stored) : checkChatRequest(body);
    if (problem) return reject(400, problem);
    if (body.stream !== true) {
      violation(request, 'only stream: true is implemented by the fake');
      return reject(400, invalid('fake OpenAI: only stream: true is implemented', 'stream'), { 'x-should-retry': 'false' });
    }

    const scenario = nextScenario(request);
    if (!scenario) {
      violation(request, 'no scenario queued (enqueue one, or pass options.fallback)');
      // x-should-retry: false stops clients (the SDK, the engine) from retrying the 500 and hiding the cause.
      return sendJson(res, 500, { error: { message: 'fake OpenAI: no scenario queued', type: 'server_error', param: null, code: null } }, { 'x-should-retry': 'false' });
    }
    request.scenario = scenario;
    if (scenario.kind === 'http-error') return sendJson(res, scenario.status, scenario.body, scenario.headers);

    let frames: Iterable<Frame>;
    if (api === 'responses') {
      const responseId = ids.response();
      request.responseId = responseId;
      const store = !options.stateless && body.store !== false;
      frames = responsesFrames(scenario, {
        body,
        responseId,
        store,
        onCompleted: (output) => {
          if (store) stored.set(responseId, { input: responsesInput(body), output, previous: body.previous_response_id ?? undefined });
        },
      });
    } else {
      frames = chatFrames(scenario, body);
    }
    await writeStream(res, frames, scenario, (problem) => violation(request, problem), shutdown.signal);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const line = `fake OpenAI crashed on ${req.method} ${req.url}: ${(error as Error)?.stack ?? String(error)}`;
      violations.push(line);
      console.error(line);
      drop(res);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closed = false;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    modelListRequests,
    violations,
    enqueue: (...scenarios) => void queue.push(...scenarios),
    pending: () => queue.length,
    reset() {
      requests.length = 0;
      modelListRequests.length = 0;
      queue.length = 0;
      violations.length = 0;
      stored.clear();
    },
    async close() {
      if (!closed) {
        closed = true;
        shutdown.abort();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      if (violations.length > 0) {
        throw new Error(`fake OpenAI recorded ${violations.length} violation(s):\n${violations.join('\n')}`);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------
// I/O helpers.

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): Json {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function commonHeaders(): Record<string, string> {
  return { 'x-request-id': ids.request(), 'openai-version': '2020-10-01', 'openai-processing-ms': '42' };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...commonHeaders(), 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Connections the fake cut on purpose, so their close is not blamed on the client. */
const droppedByFake = new WeakSet<ServerResponse>();

function drop(res: ServerResponse): void {
  droppedByFake.add(res);
  res.destroy();
}

/** Streams frames as SSE, validating each against the spec before it leaves. */
async function writeStream(
  res: ServerResponse,
  frames: Iterable<Frame>,
  scenario: ReplyScenario,
  violation: (problem: string) => void,
  shutdown: AbortSignal,
): Promise<void> {
  res.writeHead(200, { ...commonHeaders(), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.flushHeaders();
  for (const frame of frames) {
    // A macrotask between events lets the client read, abort or time out mid-stream.
    await (scenario.delayMs ? sleep(scenario.delayMs, shutdown) : new Promise((r) => setImmediate(r)));
    if (res.destroyed || shutdown.aborted) return;
    let text: string;
    switch (frame.kind) {
      case 'cut':
        drop(res);
        return;
      case 'stall':
        await new Promise<void>((resolve) => {
          res.once('close', resolve);
          shutdown.addEventListener('abort', () => resolve(), { once: true });
        });
        return;
      case 'raw':
        text = `data: ${frame.data}\n\n`;
        break;
      case 'response-event':
      case 'chat-chunk': {
        const errors = frame.kind === 'response-event' ? validateResponseStreamEvent(frame.payload) : validateChatCompletionChunk(frame.payload);
        if (errors.length > 0) {
          const what = frame.kind === 'response-event' ? `event ${frame.payload.type} #${frame.payload.sequence_number}` : 'chat chunk';
          violation(`${what} does not match the OpenAI spec:\n  ${errors.join('\n  ')}`);
          drop(res); // never let an off-spec event reach the client
          return;
        }
        const data = `data: ${JSON.stringify(frame.payload)}\n\n`;
        text = frame.kind === 'response-event' ? `event: ${frame.payload.type}\n${data}` : data;
        break;
      }
    }
    if (scenario.fragment) {
      // Split at a byte offset, possibly inside a UTF-8 sequence, as TCP may.
      const bytes = Buffer.from(text);
      const half = Math.floor(bytes.length / 2);
      res.write(bytes.subarray(0, half));
      await new Promise((r) => setImmediate(r));
      if (res.destroyed) return;
      res.write(bytes.subarray(half));
    } else {
      res.write(text);
    }
  }
  res.end();
}
