// The fake speaks streaming Chat Completions well enough for the official SDK: raw chunk
// iteration and the ChatCompletionStream helper that assembles tool calls.
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
} from './openai-server';

type Chunk = OpenAI.Chat.Completions.ChatCompletionChunk;
type Message = OpenAI.Chat.Completions.ChatCompletionMessageParam;

const WEATHER_TOOL: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } },
};

async function setup(t: TestContext): Promise<{ fake: FakeOpenAI; client: OpenAI }> {
  const fake = await startFakeOpenAI();
  t.after(() => fake.close());
  return { fake, client: new OpenAI({ apiKey: 'test', baseURL: fake.baseUrl, maxRetries: 0, timeout: 5_000 }) };
}

async function chunks(client: OpenAI, messages: Message[], extra: Partial<OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming> = {}): Promise<Chunk[]> {
  const out: Chunk[] = [];
  for await (const c of await client.chat.completions.create({ model: 'gpt-4.1-mini', messages, tools: [WEATHER_TOOL], stream: true, ...extra })) out.push(c);
  return out;
}

describe('fake OpenAI: Chat Completions API', { timeout: 15_000 }, () => {
  test('streams text: role first, small content deltas, finish_reason only on the last chunk', async (t) => {
    const { fake, client } = await setup(t);
    const text = 'It is 31°C and sunny in Makati, with a light breeze.';
    fake.enqueue(textReply(text));
    const got = await chunks(client, [{ role: 'user', content: 'Weather in Makati?' }]);

    assert.equal(got[0].choices[0].delta.role, 'assistant');
    assert.ok(got.length > 10);
    assert.equal(got.map((c) => c.choices[0]?.delta.content ?? '').join(''), text);
    assert.deepEqual(got.map((c) => c.choices[0].finish_reason), [...got.slice(1).map(() => null), 'stop']);
    assert.equal(new Set(got.map((c) => c.id)).size, 1);
    assert.match(got[0].id, /^chatcmpl-/);
    assert.ok(got.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-4.1-mini'));
    assert.equal(fake.requests[0].path, '/v1/chat/completions');
  });

  test("a reasoning model on a local server: reasoning deltas in the server's field, then the content", async (t) => {
    const { fake, client } = await setup(t);
    const reasoning = ['The', ' user', ' wants', ' Makati', '.'];
    fake.enqueue(textReply('Sunny.', { reasoning }), textReply('Sunny.', { reasoning, chatReasoningField: 'reasoning' }));
    for (const field of ['reasoning_content', 'reasoning']) {
      const got = await chunks(client, [{ role: 'user', content: 'Weather?' }], { stream_options: { include_usage: true } });
      const deltas = got.map((c) => c.choices[0]?.delta as Record<string, unknown> | undefined);
      assert.equal(deltas[0]?.role, 'assistant');
      const thinking = deltas.filter((d) => d && field in d);
      assert.deepEqual(thinking.map((d) => d![field]), reasoning);
      // Reasoning chunks carry nothing else; the answer follows them.
      assert.ok(thinking.every((d) => Object.keys(d!).length === 1));
      const firstContent = deltas.findIndex((d) => typeof d?.content === 'string' && d.content !== '');
      assert.ok(firstContent > deltas.indexOf(thinking.at(-1)));
      assert.equal(got.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Sunny.');
      assert.equal(got.at(-1)?.usage?.completion_tokens_details?.reasoning_tokens, reasoning.length);
    }
    assert.deepEqual(fake.violations, []);
  });

  test('a refusal streams in delta.refusal after a role chunk with content: null, and finishes with stop', async (t) => {
    const { fake, client } = await setup(t);
    const refusal = "I'm sorry, but I can't help with that request.";
    fake.enqueue(refusalReply(refusal), refusalReply(refusal));
    const got = await chunks(client, [{ role: 'user', content: 'Something harmful?' }]);
    assert.deepEqual(got[0].choices[0].delta, { role: 'assistant', content: null, refusal: '' });
    assert.deepEqual(got.slice(1, -1).map((c) => c.choices[0].delta.refusal), splitIntoDeltas(refusal));
    assert.ok(got.every((c) => !c.choices[0].delta.content), 'no answer text');
    assert.equal(got.at(-1)?.choices[0].finish_reason, 'stop');

    // The SDK's helper assembles it into the message's refusal.
    const final = await client.chat.completions.stream({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Something harmful?' }] }).finalChatCompletion();
    assert.equal(final.choices[0].message.refusal, refusal);
    assert.equal(final.choices[0].message.content, null);
    assert.deepEqual(fake.violations, []);
  });

  test('a tool call split across chunks, then the answer to the tool message', async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }), textReply('31°C in Makati.'));
    const messages: Message[] = [{ role: 'user', content: 'Weather in Makati?' }];
    const first = await chunks(client, messages);

    const calls = first.flatMap((c) => c.choices[0].delta.tool_calls ?? []);
    const head = calls[0];
    assert.equal(head.index, 0);
    assert.equal(head.type, 'function');
    assert.match(head.id ?? '', /^call_/);
    assert.deepEqual(head.function, { name: 'get_weather', arguments: '' });
    assert.ok(calls.length > 3, 'arguments should arrive in several pieces');
    assert.ok(calls.slice(1).every((c) => c.index === 0 && c.id === undefined));
    assert.equal(calls.map((c) => c.function?.arguments ?? '').join(''), '{"location":"Makati"}');
    assert.equal(first.at(-1)?.choices[0].finish_reason, 'tool_calls');

    messages.push(
      { role: 'assistant', content: null, tool_calls: [{ id: head.id!, type: 'function', function: { name: 'get_weather', arguments: '{"location":"Makati"}' } }] },
      { role: 'tool', tool_call_id: head.id!, content: '{"temperature_c":31}' },
    );
    const second = await chunks(client, messages);
    assert.equal(second.map((c) => c.choices[0]?.delta.content ?? '').join(''), '31°C in Makati.');
    assert.deepEqual(toolOutputsOf(fake.requests[1]), [{ callId: head.id, output: '{"temperature_c":31}' }]);
  });

  test("the SDK's ChatCompletionStream assembles parallel tool calls", async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(toolCallsReply([
      { name: 'get_weather', arguments: { location: 'Makati' }, callId: 'call_makati' },
      { name: 'get_weather', arguments: { location: 'Cebu' }, callId: 'call_cebu' },
    ]));
    const final = await client.chat.completions
      .stream({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'Makati and Cebu?' }], tools: [WEATHER_TOOL] })
      .finalChatCompletion();
    const choice = final.choices[0];
    assert.equal(choice.finish_reason, 'tool_calls');
    assert.deepEqual(
      choice.message.tool_calls?.map((c) => (c.type === 'function' ? [c.id, c.function.name, c.function.arguments] : c.type)),
      [['call_makati', 'get_weather', '{"location":"Makati"}'], ['call_cebu', 'get_weather', '{"location":"Cebu"}']],
    );
  });

  test('with include_usage, a final choiceless chunk carries usage', async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(textReply('Sunny.'));
    const got = await chunks(client, [{ role: 'user', content: 'hi' }], { stream_options: { include_usage: true } });
    const last = got.at(-1)!;
    assert.deepEqual(last.choices, []);
    assert.ok(last.usage && last.usage.completion_tokens > 0 && last.usage.total_tokens > last.usage.completion_tokens);
    assert.ok(got.slice(0, -1).every((c) => c.usage === null));
  });

  test('rejects tool messages that answer no tool call, and unanswered tool calls', async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(textReply('never sent'));
    await assert.rejects(chunks(client, [{ role: 'user', content: 'hi' }, { role: 'tool', tool_call_id: 'call_x', content: '{}' }]), (e: unknown) => {
      assert.ok(e instanceof OpenAI.BadRequestError);
      assert.match(e.message, /messages with role 'tool' must be a response to a preceeding message with 'tool_calls'/);
      return true;
    });
    const asked: Message = { role: 'assistant', tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{}' } }] };
    await assert.rejects(chunks(client, [{ role: 'user', content: 'hi' }, asked, { role: 'user', content: 'well?' }]), /did not have response messages: call_a/);
    await assert.rejects(chunks(client, [asked, { role: 'tool', tool_call_id: 'call_b', content: '{}' }]), /'call_b' not found/);
    assert.equal(fake.pending(), 1);
  });

  test('an error mid-stream surfaces as an APIError', async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(interruptedReply('Partly cloudy with rain later.', 'error', { afterDeltas: 2 }));
    const seen: Chunk[] = [];
    await assert.rejects(async () => {
      for await (const c of await client.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }], stream: true })) seen.push(c);
    }, (e: unknown) => e instanceof OpenAI.APIError && /server had an error/.test(e.message));
    assert.equal(seen.length, 3); // the role chunk and two content deltas
  });

  test('a cut connection makes the SDK stream throw', async (t) => {
    const { fake, client } = await setup(t);
    fake.enqueue(interruptedReply('Partly cloudy with rain later.', 'cut', { afterDeltas: 2 }));
    await assert.rejects(chunks(client, [{ role: 'user', content: 'hi' }]));
  });
});
