// The spec validator must accept what the real API sends and, above all, reject what it
// does not: a validator that passes everything would make the fake's self-checks worthless.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  schemaSource,
  validateAgainst,
  validateChatCompletionChunk,
  validateResponseStreamEvent,
} from '../support/openai-schema';

const textDelta = () => ({
  type: 'response.output_text.delta',
  sequence_number: 4,
  item_id: 'msg_1',
  output_index: 0,
  content_index: 0,
  delta: ' Makati',
  logprobs: [],
});

const chunk = () => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1_750_000_000,
  model: 'gpt-4.1-mini',
  choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
  usage: null,
});

const functionCallItem = () => ({ id: 'fc_1', type: 'function_call', status: 'in_progress', arguments: '', call_id: 'call_1', name: 'get_weather' });

const response = () => ({
  id: 'resp_1',
  object: 'response',
  created_at: 1_750_000_000,
  status: 'completed',
  error: null,
  incomplete_details: null,
  instructions: null,
  model: 'gpt-4.1-mini',
  output: [functionCallItem()],
  parallel_tool_calls: true,
  metadata: {},
  tool_choice: 'auto',
  tools: [],
  temperature: 1,
  top_p: 1,
});

describe('openai-schema validator', { timeout: 20_000 }, () => {
  test('reports the spec it was extracted from', () => {
    assert.match(schemaSource(), /^OpenAI API \d/);
  });

  test('accepts well-formed events and chunks, including nullable fields set to null', () => {
    assert.deepEqual(validateResponseStreamEvent(textDelta()), []);
    assert.deepEqual(validateResponseStreamEvent({ type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: functionCallItem() }), []);
    assert.deepEqual(validateResponseStreamEvent({ type: 'response.completed', sequence_number: 9, response: response() }), []);
    assert.deepEqual(validateResponseStreamEvent({ type: 'error', sequence_number: 3, code: null, message: 'boom', param: null }), []);
    assert.deepEqual(validateChatCompletionChunk(chunk()), []);
    const last = { ...chunk(), choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' }] };
    assert.deepEqual(validateChatCompletionChunk(last), []);
  });

  test('rejects a text delta missing any one required field', () => {
    for (const field of ['type', 'sequence_number', 'item_id', 'output_index', 'content_index', 'delta', 'logprobs']) {
      const event: Record<string, unknown> = textDelta();
      delete event[field];
      const errors = validateResponseStreamEvent(event);
      assert.ok(errors.length > 0, `accepted a delta without ${field}`);
      assert.ok(errors.some((e) => e.includes(field)), `errors do not name ${field}: ${errors.join('; ')}`);
    }
  });

  test('names the problem in one readable line', () => {
    const { delta: _delta, ...event } = textDelta();
    assert.deepEqual(validateResponseStreamEvent(event), ["ResponseStreamEvent: (root) must have required property 'delta'"]);
  });

  test('rejects wrong types, unknown event types and non-objects', () => {
    assert.notDeepEqual(validateResponseStreamEvent({ ...textDelta(), delta: 42 }), []);
    assert.notDeepEqual(validateResponseStreamEvent({ ...textDelta(), sequence_number: '4' }), []);
    assert.notDeepEqual(validateResponseStreamEvent({ ...textDelta(), output_index: 0.5 }), []);
    assert.match(validateResponseStreamEvent({ ...textDelta(), type: 'response.text.delta' }).join(), /got "response.text.delta"/);
    for (const bad of [{}, null, 'response.completed', [textDelta()], 7]) {
      assert.notDeepEqual(validateResponseStreamEvent(bad), [], `accepted ${JSON.stringify(bad)}`);
    }
  });

  test('checks nested unions: output items inside events and responses', () => {
    const { call_id: _callId, ...noCallId } = functionCallItem();
    assert.match(
      validateResponseStreamEvent({ type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: noCallId }).join(),
      /\/item must have required property 'call_id'/,
    );
    assert.match(
      validateResponseStreamEvent({ type: 'response.output_item.added', sequence_number: 2, output_index: 0, item: { ...functionCallItem(), type: 'tool_call' } }).join(),
      /\/item\/type .*got "tool_call"/,
    );
    const { output: _output, ...noOutput } = response();
    assert.match(validateResponseStreamEvent({ type: 'response.completed', sequence_number: 9, response: noOutput }).join(), /'output'/);
    // A union without a discriminator (ToolChoiceParam's oneOf) still rejects non-members.
    assert.match(validateAgainst('Response', { ...response(), tool_choice: 'banana' }).join(), /\/tool_choice .*got "banana"/);
    // The real API sends usage: null while streaming, but the spec does not allow it.
    assert.match(validateAgainst('Response', { ...response(), usage: null }).join(), /\/usage must be object/);
    const badMessage = { id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'hi' }] };
    assert.match(validateAgainst('OutputItem', badMessage).join(), /\/content\/0 must have required property 'annotations'/);
  });

  test('reads OpenAPI nullable as "or null" only where the spec says so', () => {
    // usage and finish_reason are nullable; a null finish_reason must not widen to any value.
    assert.deepEqual(validateChatCompletionChunk({ ...chunk(), usage: null }), []);
    assert.notDeepEqual(validateChatCompletionChunk({ ...chunk(), choices: [{ index: 0, delta: {}, finish_reason: 'done' }] }), []);
    assert.notDeepEqual(validateChatCompletionChunk({ ...chunk(), model: null }), []);
    assert.notDeepEqual(validateChatCompletionChunk({ ...chunk(), id: null }), []);
  });

  test("admits the reasoning fields local servers add to a chat delta: OpenAI's delta schema does not forbid extra properties", () => {
    for (const delta of [{ reasoning_content: 'Hmm' }, { reasoning: 'Hmm' }]) {
      assert.deepEqual(validateChatCompletionChunk({ ...chunk(), choices: [{ index: 0, delta, logprobs: null, finish_reason: null }] }), []);
    }
  });

  test('rejects malformed chat chunks', () => {
    assert.match(validateChatCompletionChunk({ ...chunk(), object: 'chat.completion' }).join(), /\/object .*got "chat.completion"/);
    const { choices: _choices, ...noChoices } = chunk();
    assert.match(validateChatCompletionChunk(noChoices).join(), /'choices'/);
    const noFinish = { ...chunk(), choices: [{ index: 0, delta: { content: 'hi' } }] };
    assert.match(validateChatCompletionChunk(noFinish).join(), /'finish_reason'/);
    const toolCallWithoutIndex = { ...chunk(), choices: [{ index: 0, delta: { tool_calls: [{ id: 'call_1', type: 'function' }] }, finish_reason: null }] };
    assert.match(validateChatCompletionChunk(toolCallWithoutIndex).join(), /'index'/);
    const wrongToolType = { ...chunk(), choices: [{ index: 0, delta: { tool_calls: [{ index: 0, type: 'custom' }] }, finish_reason: null }] };
    assert.notDeepEqual(validateChatCompletionChunk(wrongToolType), []);
    assert.notDeepEqual(validateChatCompletionChunk({ ...chunk(), created: '2025-01-01' }), []);
  });

  test('the fixture is self-contained: every $ref resolves inside it', () => {
    const path = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'openai', 'stream-schemas.json');
    const fixture = JSON.parse(readFileSync(path, 'utf8')) as { header: { roots: string[] }; schemas: Record<string, unknown> };
    const refs = [...JSON.stringify(fixture.schemas).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    assert.ok(refs.length > 100);
    for (const name of [...refs, ...fixture.header.roots]) assert.ok(name in fixture.schemas, `${name} missing`);
  });

  test('unknown schema names are an error, not a silent pass', () => {
    assert.throws(() => validateAgainst('NoSuchSchema', {}), /NoSuchSchema/);
  });
});
