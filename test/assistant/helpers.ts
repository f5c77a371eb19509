/**
 * Shared set-up for the engine tests: a fake OpenAI server, a fake weather server and
 * a WeatherAssistant wired to both (loopback only), with every AssistantEvent recorded.
 * Everything is closed by the test's `after` hook, so a failing test still exits.
 */
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { WeatherAssistant } from '../../src/assistant';
import type { AssistantConfig, AssistantEvent, TurnResult } from '../../src/assistant';
import type { WeatherConfig } from '../../src/weather';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../fakes/openai-server';
import { startFakeWeatherServer, type FakeWeatherServer } from '../fakes/weather-server';
export { unusedPort } from '../support/ports';

/** Shared with every suite: see test/support/wait.ts. */
export { within } from '../support/wait';

export const APIS = ['responses', 'chat'] as const;
export type Api = (typeof APIS)[number];

/** What the fake weather server reports for Makati (see FAKE_PLACES). */
export const MAKATI = { temperature: 31.2, apparent: 37.4, humidity: 70, windKmh: 12.6, condition: 'Partly cloudy' };

export interface Harness {
  fake: FakeOpenAI;
  weather: FakeWeatherServer;
  assistant: WeatherAssistant;
  events: AssistantEvent[];
  /** The events of one type, narrowed. */
  of<K extends AssistantEvent['type']>(type: K): Extract<AssistantEvent, { type: K }>[];
  /** A second assistant on the same fakes (for config variants). */
  makeAssistant(model?: AssistantConfig, weather?: WeatherConfig): WeatherAssistant;
}

export interface HarnessOptions {
  model?: AssistantConfig;
  weather?: WeatherConfig;
  fake?: FakeOpenAIOptions;
}

export async function harness(t: TestContext, api: Api, options: HarnessOptions = {}): Promise<Harness> {
  const fake = await startFakeOpenAI(options.fake);
  const weather = await startFakeWeatherServer();
  // fake.close() throws on any protocol violation, failing the test that caused it.
  t.after(() => weather.close());
  t.after(() => fake.close());
  const events: AssistantEvent[] = [];
  const makeAssistant = (model: AssistantConfig = {}, weatherConfig: WeatherConfig = {}) =>
    new WeatherAssistant({
      model: { api, baseUrl: fake.baseUrl, model: 'gpt-test', apiKey: 'test', maxRetries: 0, timeoutMs: 5_000, ...options.model, ...model },
      weather: { forecastUrl: weather.forecastUrl, geocodingUrl: weather.geocodingUrl, timeoutMs: 3_000, ...options.weather, ...weatherConfig },
    });
  const assistant = makeAssistant();
  assistant.on('event', (event) => events.push(event));
  return {
    fake,
    weather,
    assistant,
    events,
    of: <K extends AssistantEvent['type']>(type: K) => events.filter((e): e is Extract<AssistantEvent, { type: K }> => e.type === type),
    makeAssistant,
  };
}

/** Types of the recorded events, with consecutive deltas folded into one "delta*". */
export function shape(events: AssistantEvent[]): string[] {
  const out: string[] = [];
  for (const event of events) {
    const name = event.type === 'delta' ? 'delta*' : event.type;
    if (name === 'delta*' && out.at(-1) === 'delta*') continue;
    out.push(name);
  }
  return out;
}

/** Exactly one terminal event, and it is the last one. */
export function assertOneTerminal(events: AssistantEvent[], expected: 'completed' | 'failed'): void {
  const terminal = events.filter((e) => e.type === 'completed' || e.type === 'failed');
  assert.equal(terminal.length, 1, `expected one terminal event, got ${terminal.map((e) => e.type).join(', ')}`);
  assert.equal(events.at(-1)?.type, expected);
}

/** Asserts a failed (not cancelled) turn whose message matches `pattern`, consistent across result and event. */
export function assertFailed(result: TurnResult, events: AssistantEvent[], pattern: RegExp): string {
  assert.equal(result.status, 'failed', `turn should fail, got ${result.status} (${result.error ?? result.text})`);
  assert.match(result.error ?? '', pattern);
  assertOneTerminal(events, 'failed');
  const failed = events.at(-1) as Extract<AssistantEvent, { type: 'failed' }>;
  assert.equal(failed.message, result.error);
  assert.equal(failed.cancelled, false);
  // A clear sentence, not a stack trace or an SDK class name.
  assert.doesNotMatch(failed.message, /\n\s+at |APIError|undefined/);
  return failed.message;
}

/** Resolves on the first event that passes `filter`. */
export function nextAssistantEvent(assistant: WeatherAssistant, filter: (event: AssistantEvent) => boolean): Promise<AssistantEvent> {
  return new Promise((resolve) => {
    const listener = (event: AssistantEvent) => {
      if (!filter(event)) return;
      assistant.off('event', listener);
      resolve(event);
    };
    assistant.on('event', listener);
  });
}

/** The body of a recorded request as JSON (requests are untrusted JSON). */
export function bodyOf(fake: FakeOpenAI, index: number): any {
  const request = fake.requests[index];
  assert.ok(request, `no request #${index} (got ${fake.requests.length})`);
  return request.body;
}

/**
 * An assistant on a model server that answers every request with `body` as a 200 event
 * stream: for off-spec streams, which the schema-checked fake refuses to send.
 */
export async function rawStreamAssistant(t: TestContext, h: Harness, body: string): Promise<{ assistant: WeatherAssistant; events: AssistantEvent[] }> {
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'text/event-stream' }).end(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const assistant = h.makeAssistant({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` });
  const events: AssistantEvent[] = [];
  assistant.on('event', (e) => events.push(e));
  return { assistant, events };
}

/** One Chat Completions chunk as SSE, with whatever `delta` a test needs (off-spec values too). */
export function rawChunk(delta: unknown, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

/** One Responses API event as SSE, with whatever fields a test needs (off-spec values too). */
export function rawEvent(payload: { type: string; [field: string]: unknown }): string {
  return `event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`;
}
