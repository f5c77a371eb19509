// Failures of a turn, each ending in one `failed` event with a clear sentence and a
// failed TurnResult, never a throw or a hang: mid-stream errors, HTTP errors (with the
// engine's retries), an unreachable server, the tool-round cap, and bad settings.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WeatherAssistant, type AssistantEvent } from '../../src/assistant';
import {
  httpError,
  interruptedReply,
  modelNotFound,
  rateLimited,
  splitIntoDeltas,
  textReply,
  toolCallReply,
  unauthorized,
} from '../fakes/openai-server';
import { APIS, assertFailed, harness, rawChunk, rawStreamAssistant, unusedPort, within } from './helpers';

/** For a whole describe(): the sum of its tests, with room for a busy machine. */
const SUITE_TIMEOUT = { timeout: 120_000 };

for (const api of APIS) {
  describe(`engine failures (${api})`, SUITE_TIMEOUT, () => {
    test('error mid-stream: failed with the server’s message, partial text kept, no hang', async (t) => {
      const h = await harness(t, api);
      const text = 'It is thirty one degrees in Makati today.';
      h.fake.enqueue(interruptedReply(text, 'error', { afterDeltas: 3, message: 'The engine overheated.' }));
      const result = await within(h.assistant.ask('Weather?'), 5_000);
      const message = assertFailed(result, h.events, /mid-stream.*The engine overheated\./);
      assert.equal(result.text, splitIntoDeltas(text).slice(0, 3).join(''), 'the three deltas that did arrive');
      assert.equal(h.of('delta').length, 3);
      assert.doesNotMatch(message, /\d{3}/, 'no bogus HTTP status');
    });

    test('connection cut mid-stream: failed, not hung', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(interruptedReply('It is thirty one degrees in Makati today.', 'cut', { afterDeltas: 2 }));
      const result = await within(h.assistant.ask('Weather?'), 5_000);
      assertFailed(result, h.events, /^the model server at http:\/\/127\.0\.0\.1:\d+\/v1 dropped the connection mid-stream/);
      assert.equal(h.of('delta').length, 2);
    });

    if (api === 'responses') {
      test('response.failed mid-stream: failed with the server’s reason', async (t) => {
        const h = await harness(t, api);
        h.fake.enqueue(interruptedReply('It is thirty one degrees.', 'failed', { afterDeltas: 1, message: 'Model crashed.' }));
        const result = await within(h.assistant.ask('Weather?'), 5_000);
        assertFailed(result, h.events, /failed to answer \(server_error\): Model crashed\./);
      });
    }

    test('error mid-stream in the follow-up after a tool call: failed, tool events still emitted once', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(
        toolCallReply('get_weather', { location: 'Makati' }, { callId: 'call_1' }),
        interruptedReply('In Makati it is hot.', 'error', { afterDeltas: 1 }),
      );
      const result = await within(h.assistant.ask('Weather?'), 5_000);
      assertFailed(result, h.events, /mid-stream/);
      assert.equal(h.of('tool_started').length, 1);
      assert.equal(h.of('tool_executed').length, 1);
    });

    test('429 with retry-after, then success: retry-after is honoured and the turn completes', async (t) => {
      const h = await harness(t, api, { model: { maxRetries: 1 } });
      h.fake.enqueue(rateLimited(1), textReply('Sunny.'));
      const result = await within(h.assistant.ask('Weather?'), 8_000);
      assert.equal(result.status, 'completed', result.error);
      assert.equal(result.text, 'Sunny.');
      assert.equal(h.fake.requests.length, 2);
      const waited = h.fake.requests[1].receivedAt - h.fake.requests[0].receivedAt;
      // The engine's own backoff for a first retry is at most 500 ms: 1 s means retry-after was used.
      assert.ok(waited >= 950 && waited < 3_000, `waited ${waited} ms before retrying`);
      assert.equal(h.of('failed').length, 0);
    });

    test('429 beyond maxRetries: a clear "rate limited" message', async (t) => {
      const h = await harness(t, api, { model: { maxRetries: 1 } });
      h.fake.enqueue(rateLimited(0.05), rateLimited(0.05), textReply('never sent'));
      const result = await within(h.assistant.ask('Weather?'), 5_000);
      assertFailed(result, h.events, /^rate limited by http:\/\/127\.0\.0\.1:\d+\/v1 \(429\), still after 1 retry: Rate limit reached/);
      assert.equal(h.fake.requests.length, 2, 'the first try and one retry');
      assert.equal(h.fake.pending(), 1);
    });

    test('429 with maxRetries 0: no retry at all', async (t) => {
      const h = await harness(t, api, { model: { maxRetries: 0 } });
      h.fake.enqueue(rateLimited(0.05));
      const result = await within(h.assistant.ask('Weather?'), 5_000);
      assertFailed(result, h.events, /rate limited.*after 0 retries/);
      assert.equal(h.fake.requests.length, 1);
    });

    test('401 from a server that checks the key: the message says the API key was rejected', async (t) => {
      const h = await harness(t, api, { fake: { apiKey: 'sk-the-right-key-1234' }, model: { apiKey: 'sk-wrong-key-5678' } });
      const result = await within(h.assistant.ask('Weather?'), 5_000);
      const message = assertFailed(result, h.events, /rejected the API key \(401\)/);
      assert.match(message, /Incorrect API key provided/);
      assert.doesNotMatch(message, /sk-wrong-key-5678/, 'the key itself is never echoed in full');
      assert.equal(h.fake.requests.length, 1, '401 is not retried');
    });

    test('401 scripted (unauthorized scenario) even with retries allowed: one request, clear message', async (t) => {
      const h = await harness(t, api, { model: { maxRetries: 2 } });
      h.fake.enqueue(unauthorized('sk-abcdefghijklmnop'));
      const result = await within(h.assistant.ask('Weather?'), 5_000);
      assertFailed(result, h.events, /rejected the API key/);
      assert.equal(h.fake.requests.length, 1);
    });

    test('404 for the model: the message names the model', async (t) => {
      const h = await harness(t, api, { model: { model: 'gpt-nonexistent-9' } });
      h.fake.enqueue(modelNotFound('gpt-nonexistent-9'));
      const result = await within(h.assistant.ask('Weather?'), 5_000);
      assertFailed(result, h.events, /^model "gpt-nonexistent-9" was not found at http:\/\/127\.0\.0\.1:\d+\/v1 \(404\)/);
      assert.equal(result.reason, 'model-not-found', 'marked, so the extension can offer the models the server has');
    });

    test('another HTTP error (400): status and the server’s words', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(httpError(400, { message: 'Invalid value for temperature.', type: 'invalid_request_error', param: 'temperature', code: null }));
      const result = await within(h.assistant.ask('Weather?'), 5_000);
      assertFailed(result, h.events, /answered 400: Invalid value for temperature\./);
      assert.equal(result.reason, undefined);
    });

    test('a 100 kB error text from the server, before or during the stream: the message is cut to 500 characters', async (t) => {
      const h = await harness(t, api);
      const huge = `Overloaded. ${'blah '.repeat(20_000)}`;
      h.fake.enqueue(
        httpError(400, { message: huge, type: 'invalid_request_error', param: null, code: null }),
        interruptedReply('It is warm.', 'error', { afterDeltas: 1, message: huge }),
      );
      for (const expected of [/^the model server at .* answered 400: Overloaded\. blah/, /mid-stream.*Overloaded\. blah/]) {
        h.events.length = 0;
        const message = assertFailed(await within(h.assistant.ask('Weather?'), 5_000), h.events, expected);
        assert.equal(message.length, 500);
        assert.ok(message.endsWith('…'));
      }
    });

    test('network down (closed port): "cannot reach the model server … connection refused"', async (t) => {
      const h = await harness(t, api);
      const port = await unusedPort();
      const assistant = h.makeAssistant({ baseUrl: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
      const events: AssistantEvent[] = [];
      assistant.on('event', (e) => events.push(e));
      const result = await within(assistant.ask('Weather?'), 5_000);
      assertFailed(result, events, new RegExp(`^cannot reach the model server at http://127\\.0\\.0\\.1:${port}/v1: connection refused`));
    });

    test('network down with retries allowed: still fails clearly, bounded in time', async (t) => {
      const h = await harness(t, api);
      const port = await unusedPort();
      const assistant = h.makeAssistant({ baseUrl: `http://127.0.0.1:${port}/v1`, maxRetries: 1 });
      const events: AssistantEvent[] = [];
      assistant.on('event', (e) => events.push(e));
      const result = await within(assistant.ask('Weather?'), 5_000);
      assertFailed(result, events, /cannot reach the model server.*connection refused/);
      // The one retry's wait was announced, with the reason.
      const waits = events.filter((e) => e.type === 'waiting');
      assert.deepEqual(waits.map((w) => [w.attempt, w.maxAttempts, w.reason]), [
        [2, 2, 'the model server is unreachable: connection refused (is the server running?)'],
      ]);
    });

    test('tool-round cap: a model that always calls tools is stopped after maxToolRounds with a clear message', async (t) => {
      const h = await harness(t, api, {
        model: { maxToolRounds: 3 },
        fake: { fallback: () => toolCallReply('get_weather', { location: 'Makati' }) },
      });
      const result = await within(h.assistant.ask('Weather forever?'), 8_000);
      assertFailed(result, h.events, /still calling tools after 3 rounds/);
      assert.equal(h.fake.requests.length, 3, 'exactly maxToolRounds model requests');
      assert.ok(h.fake.requests.every((r) => r.rejected === undefined), 'every follow-up was well formed');
      // Rounds 1 and 2 ran their tool; round 3's call is refused, not run.
      assert.equal(h.of('tool_executed').length, 2);
    });

    test('maxToolRounds 1: a single tool call already exceeds it', async (t) => {
      const h = await harness(t, api, { model: { maxToolRounds: 1 } });
      h.fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }));
      const result = await within(h.assistant.ask('Weather?'), 5_000);
      assertFailed(result, h.events, /after 1 rounds?/);
      assert.equal(h.fake.requests.length, 1);
    });

    test('malformed stream (not JSON): failed with "malformed stream", no hang', async (t) => {
      const h = await harness(t, api);
      const { assistant, events } = await rawStreamAssistant(
        t,
        h,
        api === 'responses' ? 'event: response.created\ndata: {"type":"response.created", oops\n\n' : 'data: {"id": "chatcmpl-1", oops\n\n',
      );
      // The SDK logs the unparsable chunk at level error; keep the test output quiet.
      const previousLog = process.env.OPENAI_LOG;
      process.env.OPENAI_LOG = 'off';
      t.after(() => {
        if (previousLog === undefined) delete process.env.OPENAI_LOG;
        else process.env.OPENAI_LOG = previousLog;
      });
      const result = await within(assistant.ask('Weather?'), 5_000);
      assertFailed(result, events, /malformed stream/);
    });

    test('a stream that ends without completing: failed, not completed', async (t) => {
      const h = await harness(t, api);
      // A well-formed start and then a clean end of the body, with no completion.
      const { assistant, events } = await rawStreamAssistant(
        t,
        h,
        api === 'responses'
          ? ''
          : rawChunk({ content: 'Hi' }),
      );
      const result = await within(assistant.ask('Weather?'), 5_000);
      assertFailed(result, events, /ended before/);
    });

    test('an empty question fails at once without a request', async (t) => {
      const h = await harness(t, api);
      const result = await within(h.assistant.ask('   '), 2_000);
      assertFailed(result, h.events, /question is empty/);
      assert.equal(h.fake.requests.length, 0);
    });
  });
}

describe('settings', SUITE_TIMEOUT, () => {
  for (const api of APIS) {
    test(`${api}: no API key with OpenAI's base URL: clear message and no request at all`, async () => {
      // Any request would be a bug (and a non-loopback connection): the stub refuses and records it.
      const realFetch = globalThis.fetch;
      const calls: string[] = [];
      globalThis.fetch = (async (input: any) => {
        calls.push(String(input?.url ?? input));
        throw new Error('network disabled in this test');
      }) as typeof fetch;
      try {
        for (const apiKey of [undefined, '', '   ']) {
          const assistant = new WeatherAssistant({
            model: { api, apiKey, maxRetries: 0 },
            weather: { forecastUrl: 'http://127.0.0.1:9/v1/forecast', geocodingUrl: 'http://127.0.0.1:9/v1/search' },
          });
          assert.equal(assistant.config.isOpenAI, true);
          const events: AssistantEvent[] = [];
          assistant.on('event', (e) => events.push(e));
          const result = await within(assistant.ask("What's the weather in Makati?", { threadId: 'thread_nokey' }), 2_000);
          assertFailed(result, events, /^no API key for https:\/\/api\.openai\.com\/v1: set OPENAI_API_KEY/);
          assert.deepEqual(events.map((e) => e.type), ['turn_started', 'failed']);
          assert.equal(result.threadId, 'thread_nokey');
        }
      } finally {
        globalThis.fetch = realFetch;
      }
      assert.deepEqual(calls, [], 'no request was made');
    });
  }

  test('a local base URL needs no key', () => {
    const assistant = new WeatherAssistant({ model: { baseUrl: 'http://127.0.0.1:11434/v1' } });
    assert.equal(assistant.config.isOpenAI, false);
    assert.equal(assistant.config.apiKey, undefined);
    assert.equal(assistant.config.conversationState, 'client');
  });

  test('bad settings: the constructor throws naming each problem', () => {
    assert.throws(() => new WeatherAssistant({ model: { api: 'foo' as never } }), /api must be "responses" or "chat", got "foo"/);
    assert.throws(() => new WeatherAssistant({ model: { baseUrl: 'nope' } }), /baseUrl is not a valid URL: "nope"/);
    assert.throws(() => new WeatherAssistant({ model: { baseUrl: 'ftp://127.0.0.1/v1' } }), /baseUrl must be an http\(s\) URL/);
    assert.throws(() => new WeatherAssistant({ model: { maxToolRounds: 0 } }), /maxToolRounds must be a whole number from 1 to 50, got 0/);
    assert.throws(() => new WeatherAssistant({ model: { maxRetries: 1.5 } }), /maxRetries must be a whole number/);
    assert.throws(() => new WeatherAssistant({ model: { conversationState: 'cloud' as never } }), /conversationState must be auto, server or client/);
    // Every problem at once, in one message.
    assert.throws(
      () => new WeatherAssistant({ model: { api: 'foo' as never, baseUrl: 'nope' } }),
      (error: Error) => /^Invalid model settings: /.test(error.message) && /api must be/.test(error.message) && /baseUrl is not a valid URL/.test(error.message),
    );
    assert.throws(
      () => new WeatherAssistant({ model: { baseUrl: 'http://127.0.0.1:1/v1' }, weather: { forecastUrl: 'nope' } }),
      /Invalid weather configuration: weather forecastUrl is not a valid URL/,
    );
  });
});
