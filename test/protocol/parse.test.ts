import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { displayUri, parseWireMessage, printable, validateWireMessage } from '../../src/protocol';

const validPayload = { message: 'hi', timestamp: 1234567890, thread_id: 'thread_xyz', type: 'response' };

function failure(text: string) {
  const result = parseWireMessage(text);
  assert.equal(result.ok, false, `expected ${text} to be rejected`);
  return result as Extract<typeof result, { ok: false }>;
}

describe('parseWireMessage accepts every seed message', () => {
  const seed: Array<[string, string]> = [
    ['subscribe', '{"type":"subscribe","payload":{"channel":"weather-update"}}'],
    ['subscribed', '{"type":"subscribed","payload":{"channel":"weather-update","message":"subscribed"}}'],
    ['unsubscribe', '{"type":"unsubscribe","payload":{"channel":"weather-update"}}'],
    [
      'channel',
      '{"type":"weather-update","payload":{"message":"Executing weather check for Makati","timestamp":1234567890,"thread_id":"thread_xyz","status":"started","type":"tool"}}',
    ],
    [
      'channel',
      '{"type":"weather-update","payload":{"message":"{\\"temperature\\": 30.14}","timestamp":1234567890,"thread_id":"thread_xyz","status":"tool_executed","type":"tool"}}',
    ],
    [
      'channel',
      '{"type":"weather-update","payload":{"message":"Current weather in Makati...","timestamp":1234567890,"thread_id":"thread_xyz","type":"response"}}',
    ],
    [
      'channel',
      '{"type":"weather-update","payload":{"message":"Complete response...","timestamp":1234567890,"thread_id":"thread_xyz","status":"completed","type":"response"}}',
    ],
    ['error', '{"type":"error","payload":{"message":"boom","code":"invalid_json"}}'],
    ['unsubscribed', '{"type":"unsubscribed","payload":{"channel":"a","message":"unsubscribed"}}'],
  ];
  for (const [kind, text] of seed) {
    test(`${kind}: ${text.slice(0, 60)}`, () => {
      const result = parseWireMessage(text);
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.kind, kind);
      assert.deepEqual(result.message, JSON.parse(text));
    });
  }

  test('extra payload fields from other publishers pass through untouched', () => {
    const result = parseWireMessage(JSON.stringify({ type: 'c', payload: { ...validPayload, mood: 'sunny', id: 'x', seq: 3 } }));
    assert.ok(result.ok);
    assert.equal((result.message.payload as Record<string, unknown>).mood, 'sunny');
  });

  test('a float timestamp (as Python time.time() gives) is accepted', () => {
    assert.ok(parseWireMessage(JSON.stringify({ type: 'c', payload: { ...validPayload, timestamp: 1732580000.25 } })).ok);
  });
});

describe('parseWireMessage names the exact problem', () => {
  const cases: Array<[string, unknown, string, string]> = [
    ['not JSON', 'not json', 'invalid_json', 'message is not valid JSON'],
    ['an array', '[]', 'invalid_message', 'message must be a JSON object, got an array'],
    ['null', 'null', 'invalid_message', 'message must be a JSON object, got null'],
    ['type missing', { payload: {} }, 'invalid_message', 'type must be a string, got undefined'],
    ['type a number', { type: 5, payload: {} }, 'invalid_message', 'type must be a string, got number'],
    ['payload missing', { type: 'c' }, 'invalid_message', 'payload must be an object, got undefined'],
    ['payload a string', { type: 'c', payload: 'x' }, 'invalid_message', 'payload must be an object, got string'],
    ['thread_id a number', { type: 'c', payload: { ...validPayload, thread_id: 7 } }, 'invalid_message', 'payload.thread_id must be a string, got number'],
    ['message missing', { type: 'c', payload: { ...validPayload, message: undefined } }, 'invalid_message', 'payload.message must be a string, got undefined'],
    ['timestamp a string', { type: 'c', payload: { ...validPayload, timestamp: '1' } }, 'invalid_message', 'payload.timestamp must be a number (Unix seconds), got string'],
    ['payload.type unknown', { type: 'c', payload: { ...validPayload, type: 'chat' } }, 'invalid_message', 'payload.type must be one of "tool", "response", got "chat"'],
    ['status unknown', { type: 'c', payload: { ...validPayload, status: 'done' } }, 'invalid_message', 'payload.status must be one of "started", "tool_executed", "completed", "error", got "done"'],
    ['seq negative', { type: 'c', payload: { ...validPayload, seq: -1 } }, 'invalid_message', 'payload.seq must be a non-negative integer when present'],
    ['id a number', { type: 'c', payload: { ...validPayload, id: 1 } }, 'invalid_message', 'payload.id must be a string when present, got number'],
    ['channel with a space', { type: 'a b', payload: validPayload }, 'invalid_channel', 'type is not a valid channel name: channel "a b" may only contain letters, digits and . _ : -'],
    ['subscribe to nothing', { type: 'subscribe', payload: {} }, 'invalid_channel', 'payload.channel must be a string'],
    ['subscribe to empty', { type: 'subscribe', payload: { channel: '' } }, 'invalid_channel', 'payload.channel must not be empty'],
    ['subscribe to reserved', { type: 'subscribe', payload: { channel: 'error' } }, 'invalid_channel', 'payload."error" is a reserved message type and cannot be a channel'],
    ['subscribe to 129 chars', { type: 'subscribe', payload: { channel: 'x'.repeat(129) } }, 'invalid_channel', 'payload.channel must be at most 128 characters (got 129)'],
    ['error without code', { type: 'error', payload: { message: 'x' } }, 'invalid_message', 'payload.code must be a string, got undefined'],
  ];
  for (const [name, input, code, message] of cases) {
    test(name, () => {
      const result = failure(typeof input === 'string' ? input : JSON.stringify(input));
      assert.equal(result.code, code);
      assert.ok(result.message.startsWith(message), `"${result.message}" should start with "${message}"`);
    });
  }

  test('field errors of a channel message carry the channel', () => {
    assert.equal(failure(JSON.stringify({ type: 'weather-update', payload: { ...validPayload, thread_id: null } })).channel, 'weather-update');
  });

  test('untrusted text in errors is escaped and shortened', () => {
    const result = failure(JSON.stringify({ type: 'subscribe', payload: { channel: `<script>\n${'a'.repeat(100)}` } }));
    assert.ok(!result.message.includes('\n'));
    assert.ok(result.message.length < 200);
  });

  test('deeply nested and huge inputs are rejected, not thrown', () => {
    assert.equal(failure('['.repeat(100_000)).code, 'invalid_json');
    assert.equal(failure(JSON.stringify({ type: 'c', payload: { ...validPayload, thread_id: ['x'.repeat(1e6)] } })).code, 'invalid_message');
    assert.equal(validateWireMessage(undefined).ok, false);
  });
});

test('printable escapes control and bidi characters and shortens, so refusals cannot reorder or flood what they quote', () => {
  assert.equal(printable('a\u202eb\u2066c\u0000d'), 'a\\u202eb\\u2066c\\u0000d');
  assert.equal(printable('x'.repeat(50), 10), `${'x'.repeat(10)}…`);
  assert.equal(printable('\u061c'), '\\u061c');
});

test('displayUri masks credentials and query values, so a token in a relay URI never reaches a log or a status', () => {
  assert.equal(displayUri('ws://127.0.0.1:4000'), 'ws://127.0.0.1:4000');
  assert.equal(displayUri('wss://relay.example/ws?token=s3cret&x=1'), 'wss://relay.example/ws?token=***&x=***');
  assert.equal(displayUri('ws://alice:pw@relay.example:4000/'), 'ws://***@relay.example:4000');
  assert.equal(displayUri('wss://relay.example:443'), 'wss://relay.example:443');
  assert.equal(displayUri('not a uri \u202e'), 'not a uri \\u202e');
});

test('an error reply may name the refused publish by id, which must then be a string', () => {
  const good = parseWireMessage('{"type":"error","payload":{"message":"storage down","code":"unavailable","channel":"c","id":"e1"}}');
  assert.equal(good.ok, true);
  const bad = parseWireMessage('{"type":"error","payload":{"message":"storage down","code":"unavailable","id":7}}');
  assert.deepEqual(bad.ok ? undefined : bad.message, 'payload.id must be a string when present, got number');
});
