// The fake speaks the Responses API well enough for the official SDK: its raw event
// iterator and its accumulating ResponseStream helper both read the fake's streams.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import OpenAI from 'openai';
import {
  interruptedReply,
  refusalReply,
  splitIntoDeltas,
  startFakeOpenAI,
  textReply,
  toolCallReply,
  toolCallsReply,
  toolOutputsOf,
  type FakeOpenAI,
  type FakeOpenAIOptions,
} from './openai-server';

const TIMEOUT = { timeout: 15_000 };
const WEATHER_TOOL = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Current weather for a place',
  parameters: { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] },
  strict: false,
};

async function setup(t: TestContext, options?: FakeOpenAIOptions): Promise<{ fake: FakeOpenAI; client: OpenAI }> {
  const fake = await startFakeOpenAI(options);
  t.after(() => fake.close());
  return { fake, client: new OpenAI({ apiKey: 'test', baseURL: fake.baseUrl, maxRetries: 0, timeout: 5_000 }) };
}

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

type Event = OpenAI.Responses.ResponseStreamEvent;
const ofType = <K extends Event['type']>(events: Event[], type: K) => events.filter((e): e is Extract<Event, { type: K }> => e.type === type);

describe('fake OpenAI: Responses API', TIMEOUT, () => {
  test('streams text as the real event sequence, in small deltas', async (t) => {
    const { fake, client } = await setup(t);
    const text = 'It is 31°C and sunny in Makati, with a light breeze from the west.';
    fake.enqueue(textReply(text));

    const events = await collect(await client.responses.create({ model: 'gpt-4.1-mini', input: 'Weather in Makati?', stream: true }));

    const deltas = ofType(events, 'response.output_text.delta');
    assert.deepEqual(
      [...new Set(events.map((e) => e.type))],
      ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
        'response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed'],
    );
    assert.deepEqual(events.map((e) => e.sequence_number), events.map((_, i) => i));
    assert.ok(deltas.length >= 12, `only ${deltas.length} deltas`);
    assert.equal(deltas.map((d) => d.delta).join(''), text);
    const messageId = ofType(events, 'response.output_item.added')[0].item.id;
    assert.match(messageId ?? '', /^msg_/);
    for (const d of deltas) assert.deepEqual([d.item_id, d.output_index, d.content_index, d.logprobs], [messageId, 0, 0, []]);
    assert.equal(ofType(events, 'response.output_text.done')[0].text, text);

    const completed = ofType(events, 'response.completed')[0].response;
    assert.equal(completed.status, 'completed');
    assert.match(completed.id, /^resp_/);
    assert.equal(completed.id, fake.requests[0].responseId);
    assert.deepEqual(completed.output.map((o) => o.type), ['message']);
    assert.ok(completed.usage && completed.usage.output_tokens === deltas.length);
    assert.equal(fake.requests[0].headers.authorization, 'Bearer test');
    assert.deepEqual(fake.violations, []);
  });

  test('a reasoning model: its reasoning item streams first, as a summary or as raw text, then the answer', async (t) => {
    const { fake, client } = await setup(t);
    const reasoning = ['The', ' user', ' wants', ' Makati', '.'];
    fake.enqueue(textReply('Sunny.', { reasoning }), textReply('Sunny.', { reasoning, responsesReasoning: 'text' }));
    const expected = {
      summary: ['response.reasoning_summary_part.added', 'response.reasoning_summary_text.delta', 'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done'],
      text: ['response.content_part.added', 'response.reasoning_text.delta', 'response.reasoning_text.done', 'response.content_part.done'],
    } as const;
    for (const [format, types] of Object.entries(expected)) {
      const events = await collect(await client.responses.create({ model: 'gpt-5-mini', input: 'Weather?', stream: true }));
      assert.deepEqual([...new Set(events.map((e) => e.type))].slice(2, 7), ['response.output_item.added', ...types], format);
      const item = ofType(events, 'response.output_item.added')[0].item;
      assert.equal(item.type, 'reasoning');
      assert.match(item.id ?? '', /^rs_/);
      const deltas = events.filter((e) => e.type === types[1]) as { delta: string; item_id: string }[];
      assert.deepEqual(deltas.map((d) => d.delta), reasoning);
      assert.ok(deltas.every((d) => d.item_id === item.id));
      const completed = ofType(events, 'response.completed')[0].response;
      assert.deepEqual(completed.output.map((o) => o.type), ['reasoning', 'message']);
      assert.equal(ofType(events, 'response.output_text.done')[0].text, 'Sunny.');
      assert.equal(completed.usage?.output_tokens_details.reasoning_tokens, reasoning.length);
    }
    assert.deepEqual(fake.violations, []);
  });

  test('a refusal streams as a refusal content part with response.refusal.* events, apart from answer text', async (t) => {
    const { fake, client } = await setup(t);
    const refusal = "I'm sorry, but I can't help with that request.";
    fake.enqueue(refusalReply(refusal), refusalReply(refusal));
    const events = await collect(await client.responses.create({ model: 'gpt-4.1-mini', input: 'Something harmful?', stream: true }));
    assert.deepEqual(
      [...new Set(events.map((e) => e.type))],
      ['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added',
        'response.refusal.delta', 'response.refusal.done', 'response.content_part.done', 'response.output_item.done', 'response.completed'],
    );
    const deltas = ofType(events, 'response.refusal.delta');
    assert.deepEqual(deltas.map((d) => d.delta), splitIntoDeltas(refusal));
    assert.equal(ofType(events, 'response.refusal.done')[0].refusal, refusal);
    assert.deepEqual(ofType(events, 'response.content_part.added')[0].part, { type: 'refusal', refusal: '' });
    assert.deepEqual(ofType(events, 'response.content_part.done')[0].part, { type: 'refusal', refusal });

    // The SDK's helper reassembles it as a refusal, not as output text.
    const final = await client.responses.stream({ model: 'gpt-4.1-mini', input: 'Something harmful?' }).finalResponse();
    const message = final.output[0];
    assert.ok(message.type === 'message');
    assert.deepEqual(message.content.map((part) => [part.type, part.type === 'refusal' ? part.refusal : part.text]), [['refusal', refusal]]);
    assert.equal(final.output_text, '');
    assert.deepEqual(fake.violations, []);
  });

  test("the SDK's accumulating stream helper reassembles the response", async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(textReply('Rain is likely in Quezon City after 3 pm.'));
    const final = await client.responses.stream({ model: 'gpt-4.1-mini', input: 'Rain?' }).finalResponse();
    assert.equal(final.output_text, 'Rain is likely in Quezon City after 3 pm.');
  });

  test('a tool call, then the tool output chained with previous_response_id, then the answer', async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }), textReply('It is 31°C in Makati.'));

    const first = await collect(await client.responses.create({ model: 'gpt-4.1-mini', input: 'Weather in Makati?', tools: [WEATHER_TOOL], stream: true }));
    const added = ofType(first, 'response.output_item.added')[0].item;
    assert.ok(added.type === 'function_call');
    assert.deepEqual({ ...added, id: undefined, call_id: undefined }, { id: undefined, type: 'function_call', status: 'in_progress', arguments: '', call_id: undefined, name: 'get_weather' });
    assert.match(added.id ?? '', /^fc_/);
    assert.match(added.call_id, /^call_/);
    const argDeltas = ofType(first, 'response.function_call_arguments.delta');
    assert.ok(argDeltas.length > 2);
    assert.equal(argDeltas.map((d) => d.delta).join(''), '{"location":"Makati"}');
    assert.equal(ofType(first, 'response.function_call_arguments.done')[0].arguments, '{"location":"Makati"}');
    const done = ofType(first, 'response.output_item.done')[0].item;
    assert.ok(done.type === 'function_call' && done.status === 'completed' && done.arguments === '{"location":"Makati"}');
    const firstResponse = ofType(first, 'response.completed')[0].response;
    assert.deepEqual(firstResponse.output, [done]);
    assert.equal(firstResponse.tools[0].type, 'function');

    const second = await collect(await client.responses.create({
      model: 'gpt-4.1-mini',
      previous_response_id: firstResponse.id,
      input: [{ type: 'function_call_output', call_id: added.call_id, output: '{"temperature_c":31}' }],
      tools: [WEATHER_TOOL],
      stream: true,
    }));
    assert.equal(ofType(second, 'response.output_text.done')[0].text, 'It is 31°C in Makati.');
    assert.equal(ofType(second, 'response.completed')[0].response.previous_response_id, firstResponse.id);
    assert.equal(fake.requests[1].body.previous_response_id, fake.requests[0].responseId);
    assert.deepEqual(toolOutputsOf(fake.requests[1]), [{ callId: added.call_id, output: '{"temperature_c":31}' }]);
  });

  test('two parallel tool calls, each its own output item', async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(toolCallsReply([
      { name: 'get_weather', arguments: { location: 'Makati' }, callId: 'call_makati' },
      { name: 'get_weather', arguments: { location: 'Cebu' }, callId: 'call_cebu' },
    ]));
    const events = await collect(await client.responses.create({ model: 'gpt-4.1-mini', input: 'Makati and Cebu?', tools: [WEATHER_TOOL], stream: true }));
    const output = ofType(events, 'response.completed')[0].response.output;
    assert.deepEqual(output.map((o) => (o.type === 'function_call' ? [o.call_id, o.arguments] : o.type)), [
      ['call_makati', '{"location":"Makati"}'],
      ['call_cebu', '{"location":"Cebu"}'],
    ]);
    assert.deepEqual(ofType(events, 'response.function_call_arguments.done').map((e) => e.output_index), [0, 1]);
    const idsByIndex = new Map(ofType(events, 'response.output_item.added').map((e) => [e.output_index, e.item.id]));
    for (const d of ofType(events, 'response.function_call_arguments.delta')) assert.equal(d.item_id, idsByIndex.get(d.output_index));
  });

  test('rejects tool outputs the way the real API does, without using up the scenario', async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }, { callId: 'call_1' }), textReply('done'));
    const first = await collect(await client.responses.create({ model: 'gpt-4.1-mini', input: 'Makati?', stream: true }));
    const id = ofType(first, 'response.completed')[0].response.id;

    const follow = (input: OpenAI.Responses.ResponseInput, previous: string | undefined = id) =>
      client.responses.create({ model: 'gpt-4.1-mini', previous_response_id: previous, input, stream: true });
    await assert.rejects(follow([{ type: 'function_call_output', call_id: 'call_other', output: '{}' }]), (e: unknown) => {
      assert.ok(e instanceof OpenAI.BadRequestError);
      assert.match(e.message, /No tool call found for function call output with call_id call_other/);
      return true;
    });
    await assert.rejects(follow([{ role: 'user', content: 'and?' }]), /No tool output found for function call call_1/);
    await assert.rejects(follow([{ role: 'user', content: 'hi' }], 'resp_unknown'), /Previous response with id 'resp_unknown' not found/);
    assert.equal(fake.pending(), 1);
    assert.ok(fake.requests.slice(1).every((r) => r.rejected !== undefined));

    await collect(await follow([{ type: 'function_call_output', call_id: 'call_1', output: '{}' }]));
    assert.equal(fake.pending(), 0);
  });

  test('stateless mode keeps nothing: the client must resend the whole conversation', async (t) => {
    const { fake, client } = await setup(t, { stateless: true });
    fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }, { callId: 'call_1' }), textReply('31°C.'));
    const first = await collect(await client.responses.create({ model: 'llama3.1', input: 'Makati?', stream: true }));
    const firstResponse = ofType(first, 'response.completed')[0].response;
    // The real API reports `store` on responses; the SDK's type does not declare it.
    assert.equal((firstResponse as unknown as { store: boolean }).store, false);

    await assert.rejects(
      client.responses.create({ model: 'llama3.1', previous_response_id: firstResponse.id, input: [{ type: 'function_call_output', call_id: 'call_1', output: '{}' }], stream: true }),
      OpenAI.BadRequestError,
    );
    const call = firstResponse.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    const second = await collect(await client.responses.create({
      model: 'llama3.1',
      input: [
        { role: 'user', content: 'Makati?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: 'call_1', output: '{"temperature_c":31}' },
      ],
      stream: true,
    }));
    assert.equal(ofType(second, 'response.output_text.done')[0].text, '31°C.');
  });

  test('store: false responses cannot be chained', async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(textReply('one'));
    const first = await collect(await client.responses.create({ model: 'gpt-4.1-mini', input: 'hi', store: false, stream: true }));
    const id = ofType(first, 'response.completed')[0].response.id;
    await assert.rejects(client.responses.create({ model: 'gpt-4.1-mini', previous_response_id: id, input: 'again', stream: true }), /not found/);
  });

  test('an error event mid-stream surfaces as an APIError after the partial text', async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(interruptedReply('Partly cloudy with a chance of rain.', 'error', { afterDeltas: 3, message: 'Upstream overloaded' }));
    const seen: Event[] = [];
    await assert.rejects(
      (async () => {
        for await (const e of await client.responses.create({ model: 'gpt-4.1-mini', input: 'hi', stream: true })) seen.push(e);
      })(),
      (e: unknown) => e instanceof OpenAI.APIError && /Upstream overloaded/.test(e.message),
    );
    assert.equal(ofType(seen, 'response.output_text.delta').length, 3);
    assert.equal(ofType(seen, 'response.completed').length, 0);
  });

  test('response.failed ends the stream with a failed response', async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(interruptedReply('Partly cloudy.', 'failed', { afterDeltas: 1 }));
    const events = await collect(await client.responses.create({ model: 'gpt-4.1-mini', input: 'hi', stream: true }));
    const last = events.at(-1);
    assert.ok(last?.type === 'response.failed');
    assert.equal(last.response.status, 'failed');
    assert.equal(last.response.error?.code, 'server_error');
  });

  test('a cut connection makes the SDK stream throw', async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(interruptedReply('Partly cloudy with a chance of rain.', 'cut', { afterDeltas: 2 }));
    let deltas = 0;
    await assert.rejects(async () => {
      for await (const e of await client.responses.create({ model: 'gpt-4.1-mini', input: 'hi', stream: true })) {
        if (e.type === 'response.output_text.delta') deltas++;
      }
    });
    assert.equal(deltas, 2);
    assert.equal(fake.requests[0].clientDisconnected, false, 'the fake hung up, not the client');
  });

  test('events split mid-UTF-8 across TCP writes still decode', async (t) => {
    const { fake, client } = await setup(t);
    const text = 'Grüße aus Makati — 31°C ☀️, 東京は雨。';
    fake.enqueue(textReply(text, { fragment: true }));
    const final = await client.responses.stream({ model: 'gpt-4.1-mini', input: 'hi' }).finalResponse();
    assert.equal(final.output_text, text);
  });

  test('records a client that goes away mid-stream', async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(textReply('one two three four five six seven eight nine ten', { delayMs: 20 }));
    for await (const e of await client.responses.create({ model: 'gpt-4.1-mini', input: 'hi', stream: true })) {
      if (e.type === 'response.output_text.delta') break; // the SDK aborts the request
    }
    for (let i = 0; i < 100 && !fake.requests[0].clientDisconnected; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(fake.requests[0].clientDisconnected, true);
  });

  test('a stalled stream holds until the client aborts, and close() still returns', async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(interruptedReply('Waiting for the forecast.', 'stall', { afterDeltas: 1 }));
    const abort = new AbortController();
    const stream = await client.responses.create({ model: 'gpt-4.1-mini', input: 'hi', stream: true }, { signal: abort.signal });
    const types: string[] = [];
    const started = Date.now();
    const timer = setTimeout(() => abort.abort(), 300);
    for await (const e of stream) types.push(e.type); // the SDK ends the iteration quietly on abort
    clearTimeout(timer);
    assert.ok(Date.now() - started >= 250);
    assert.equal(types.at(-1), 'response.output_text.delta');
  });
});
