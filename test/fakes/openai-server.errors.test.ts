// HTTP-level behaviour of the fake: OpenAI's error answers as the SDK types them, the
// raw SSE wire format, scenario plumbing, and the fake's own refusal to go off-spec.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import OpenAI from 'openai';
import {
  modelNotFound,
  rateLimited,
  startFakeOpenAI,
  textReply,
  toolCallReply,
  unauthorized,
  type FakeOpenAI,
  type FakeOpenAIOptions,
} from './openai-server';

async function setup(t: TestContext, options?: FakeOpenAIOptions): Promise<FakeOpenAI> {
  const fake = await startFakeOpenAI(options);
  t.after(() => fake.close());
  return fake;
}

const clientFor = (fake: FakeOpenAI, options: { apiKey?: string; maxRetries?: number } = {}) =>
  new OpenAI({ apiKey: options.apiKey ?? 'test', baseURL: fake.baseUrl, maxRetries: options.maxRetries ?? 0, timeout: 5_000 });

async function responseText(client: OpenAI, model = 'gpt-4.1-mini'): Promise<string> {
  return (await client.responses.stream({ model, input: 'hi' }).finalResponse()).output_text;
}

async function post(fake: FakeOpenAI, path: string, body: unknown): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${fake.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer test' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('fake OpenAI: errors, wire format, scenarios', { timeout: 15_000 }, () => {
  test('429 with retry-after: the SDK waits as told, retries, and succeeds', async (t) => {
    const fake = await setup(t);
    fake.enqueue(rateLimited(1), textReply('Sunny.'));
    assert.equal(await responseText(clientFor(fake, { maxRetries: 1 })), 'Sunny.');
    assert.equal(fake.requests.length, 2);
    const waited = fake.requests[1].receivedAt - fake.requests[0].receivedAt;
    assert.ok(waited >= 950 && waited < 3_000, `retried after ${waited} ms`);
  });

  test('429 without retries left surfaces as RateLimitError with OpenAI’s body and headers', async (t) => {
    const fake = await setup(t);
    fake.enqueue(rateLimited(7));
    await assert.rejects(clientFor(fake).chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }), (e: unknown) => {
      assert.ok(e instanceof OpenAI.RateLimitError);
      assert.equal(e.status, 429);
      assert.equal(e.code, 'rate_limit_exceeded');
      assert.equal(e.type, 'tokens');
      assert.equal(e.headers?.get('retry-after'), '7');
      assert.match(e.requestID ?? '', /^req_/);
      assert.match(e.message, /^429 Rate limit reached/);
      return true;
    });
  });

  test('401 surfaces as AuthenticationError, scripted or from a wrong key', async (t) => {
    const scripted = await setup(t);
    scripted.enqueue(unauthorized('sk-proj-abcdefghijklmnop'));
    await assert.rejects(responseText(clientFor(scripted)), (e: unknown) => {
      assert.ok(e instanceof OpenAI.AuthenticationError);
      assert.equal(e.code, 'invalid_api_key');
      assert.match(e.message, /Incorrect API key provided: sk-\*+mnop\./);
      return true;
    });

    const keyed = await setup(t, { apiKey: 'sk-right' });
    keyed.enqueue(textReply('only for the right key'));
    await assert.rejects(responseText(clientFor(keyed, { apiKey: 'sk-wrong', maxRetries: 2 })), OpenAI.AuthenticationError);
    assert.equal(keyed.requests.length, 1, 'a 401 is not retried');
    assert.match(keyed.requests[0].rejected ?? '', /Incorrect API key/);
    assert.equal(await responseText(clientFor(keyed, { apiKey: 'sk-right' })), 'only for the right key');
  });

  test('404 for an unknown model surfaces as NotFoundError', async (t) => {
    const fake = await setup(t);
    fake.enqueue(modelNotFound('gpt-nope'), modelNotFound('gpt-nope'));
    for (const attempt of [
      () => responseText(clientFor(fake), 'gpt-nope'),
      () => clientFor(fake).chat.completions.create({ model: 'gpt-nope', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    ]) {
      await assert.rejects(attempt(), (e: unknown) => {
        assert.ok(e instanceof OpenAI.NotFoundError);
        assert.equal(e.code, 'model_not_found');
        assert.match(e.message, /The model `gpt-nope` does not exist/);
        return true;
      });
    }
  });

  test('Responses wire format: named SSE events, no [DONE]', async (t) => {
    const fake = await setup(t);
    fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }));
    const res = await post(fake, '/responses', { model: 'gpt-4.1-mini', input: 'hi', stream: true });
    assert.equal(res.status, 200);
    assert.match(res.type ?? '', /^text\/event-stream/);
    const blocks = res.text.split('\n\n');
    assert.equal(blocks.pop(), '', 'the stream ends with a blank line');
    for (const block of blocks) {
      const match = /^event: ([a-z_.]+)\ndata: (\{.*\})$/.exec(block);
      assert.ok(match, `malformed block ${JSON.stringify(block)}`);
      assert.equal(JSON.parse(match[2]).type, match[1]);
    }
    assert.match(blocks.at(-1)!, /^event: response\.completed\n/);
    assert.doesNotMatch(res.text, /\[DONE\]/);
  });

  test('Chat wire format: data-only SSE ending in [DONE]', async (t) => {
    const fake = await setup(t);
    fake.enqueue(textReply('Sunny.'));
    const res = await post(fake, '/chat/completions', { model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const blocks = res.text.split('\n\n');
    assert.equal(blocks.pop(), '');
    assert.equal(blocks.pop(), 'data: [DONE]');
    for (const block of blocks) assert.equal(JSON.parse(/^data: (\{.*\})$/.exec(block)![1]).object, 'chat.completion.chunk');
  });

  test('unknown paths get OpenAI’s invalid-URL 404', async (t) => {
    const fake = await setup(t);
    const res = await post(fake, '/completions', { model: 'x', prompt: 'hi' });
    assert.equal(res.status, 404);
    assert.deepEqual(JSON.parse(res.text), { error: { message: 'Invalid URL (POST /v1/completions)', type: 'invalid_request_error', param: null, code: null } });
  });

  test('scenario functions see the request; the fallback answers when the queue is empty', async (t) => {
    const fake = await setup(t, { fallback: textReply('fallback') });
    fake.enqueue((request) => textReply(`you said ${request.body.input} as request #${request.index}`));
    const client = clientFor(fake);
    assert.equal(await responseText(client), 'you said hi as request #0');
    assert.equal(await responseText(client), 'fallback');
  });

  test('an empty queue is a violation, answered 500 without SDK retries', async () => {
    const fake = await startFakeOpenAI({ logViolations: false });
    await assert.rejects(responseText(clientFor(fake, { maxRetries: 2 })), OpenAI.InternalServerError);
    assert.equal(fake.requests.length, 1);
    assert.match(fake.violations.join(), /no scenario queued/);
    await assert.rejects(fake.close(), /1 violation/);
  });

  test('non-streaming requests are a violation: the fake only implements stream: true', async () => {
    const fake = await startFakeOpenAI({ logViolations: false });
    fake.enqueue(textReply('x'));
    await assert.rejects(clientFor(fake).responses.create({ model: 'gpt-4.1-mini', input: 'hi' }), OpenAI.BadRequestError);
    await assert.rejects(fake.close(), /only stream: true/);
  });

  test('an event that would break the spec is never sent: the stream is dropped and close() throws', async () => {
    const fake = await startFakeOpenAI({ logViolations: false });
    fake.enqueue(textReply('never'));
    // The fake echoes `instructions` into response.created; the spec wants a string there.
    const res = await fetch(`${fake.baseUrl}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1-mini', input: 'hi', instructions: 42, stream: true }),
      signal: AbortSignal.timeout(5_000),
    });
    assert.equal(res.status, 200);
    await assert.rejects(res.text(), 'the connection must be dropped, not ended cleanly');
    assert.equal(fake.violations.length, 1);
    assert.match(fake.violations[0], /event response\.created #0 does not match the OpenAI spec/);
    assert.match(fake.violations[0], /\/response\/instructions must be string, got 42/);
    await assert.rejects(fake.close(), /violation/);
  });
});
