import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  channelMessage,
  errorReply,
  isLoopbackUri,
  relayUriProblem,
  responseCompletedPayload,
  responseDeltaPayload,
  subscribeMessage,
  subscribedReply,
  toolExecutedPayload,
  toolStartedPayload,
  turnFailedPayload,
  unixSeconds,
  unsubscribeMessage,
  unsubscribedReply,
  parseWireMessage,
} from '../../src/protocol';

const now = 1234567890_123;
const seedOptions = { now, id: 'e1' };

describe('builders produce the seed shapes, key for key', () => {
  test('tool start', () => {
    assert.equal(
      JSON.stringify(channelMessage('weather-update', toolStartedPayload('thread_xyz', 'Makati', seedOptions))),
      '{"type":"weather-update","payload":{"message":"Executing weather check for Makati","timestamp":1234567890,"thread_id":"thread_xyz","status":"started","type":"tool","id":"e1"}}',
    );
  });
  test('tool result', () => {
    assert.equal(
      JSON.stringify(toolExecutedPayload('thread_xyz', '{"temperature": 30.14}', seedOptions)),
      '{"message":"{\\"temperature\\": 30.14}","timestamp":1234567890,"thread_id":"thread_xyz","status":"tool_executed","type":"tool","id":"e1"}',
    );
  });
  test('streaming delta has no status', () => {
    const payload = responseDeltaPayload('thread_xyz', 'Current weather', { ...seedOptions, seq: 4 });
    assert.equal(
      JSON.stringify(payload),
      '{"message":"Current weather","timestamp":1234567890,"thread_id":"thread_xyz","type":"response","id":"e1","seq":4}',
    );
    assert.equal('status' in payload, false);
  });
  test('completion and failure', () => {
    assert.equal(responseCompletedPayload('t', 'done', seedOptions).status, 'completed');
    const failed = turnFailedPayload('t', 'the model is unavailable', seedOptions);
    assert.deepEqual([failed.status, failed.type, failed.message], ['error', 'response', 'the model is unavailable']);
  });
  test('ids are unique when not given, and everything built parses', () => {
    const a = toolStartedPayload('t', 'X');
    const b = toolStartedPayload('t', 'X');
    assert.notEqual(a.id, b.id);
    assert.match(a.id!, /^[0-9a-f-]{36}$/);
    for (const message of [channelMessage('c', a), subscribeMessage('c'), unsubscribeMessage('c'), subscribedReply('c'), unsubscribedReply('c'), errorReply('invalid_json', 'x', 'c')]) {
      assert.ok(parseWireMessage(JSON.stringify(message)).ok, JSON.stringify(message));
    }
  });
  test('replies match the issue text byte for byte', () => {
    assert.equal(JSON.stringify(subscribedReply('C')), '{"type":"subscribed","payload":{"channel":"C","message":"subscribed"}}');
    assert.equal(JSON.stringify(unsubscribedReply('C')), '{"type":"unsubscribed","payload":{"channel":"C","message":"unsubscribed"}}');
    assert.equal(JSON.stringify(errorReply('invalid_json', 'm')), '{"type":"error","payload":{"message":"m","code":"invalid_json"}}');
  });
  test('timestamps are whole Unix seconds', () => {
    assert.equal(unixSeconds(1999), 1);
    assert.ok(Math.abs(unixSeconds() - Date.now() / 1000) < 2);
  });
});

describe('relay URIs', () => {
  test('ws and wss are accepted', () => {
    for (const uri of ['ws://localhost:4000', 'wss://relay.example.org/path', 'ws://[::1]:4000', 'ws://127.0.0.1:1']) {
      assert.equal(relayUriProblem(uri), undefined, uri);
    }
  });
  test('everything else says what was expected', () => {
    assert.match(relayUriProblem('http://localhost:4000')!, /must use ws:\/\/ or wss:\/\/, not http:\/\/ \(try ws:\/\/localhost:4000\)/);
    assert.match(relayUriProblem('https://x.org')!, /try wss:\/\/x\.org/);
    assert.match(relayUriProblem('localhost:4000')!, /must use ws:\/\/ or wss:\/\//);
    assert.match(relayUriProblem('not a uri')!, /not a valid URI/);
    assert.match(relayUriProblem('')!, /non-empty/);
    assert.match(relayUriProblem(42)!, /non-empty string/);
    assert.match(relayUriProblem('ws://h/#x')!, /fragment/);
  });
  test('loopback detection', () => {
    assert.equal(isLoopbackUri('ws://localhost:4000'), true);
    assert.equal(isLoopbackUri('ws://127.0.0.2:4000'), true);
    assert.equal(isLoopbackUri('ws://[::1]:4000'), true);
    assert.equal(isLoopbackUri('ws://relay.example.org:4000'), false);
    assert.equal(isLoopbackUri('ws://10.0.0.1:4000'), false);
  });
});
