/** Unit tests for the client's error wording, and for what the constructor and send() refuse. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocketManager } from '../../src/client';
import { describeClose, describeConnectionError, describeHttpRefusal, RelayConnectionError } from '../../src/client/errors';
import { CLOSE_CODES } from '../../src/protocol';
import { CHANNEL, samplePayload } from './helpers';

const URI = 'ws://127.0.0.1:4000';

function errno(code: string, message = `${code} happened`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

test('RelayConnectionError carries a name, the cause and retryable (default true)', () => {
  const cause = new Error('low level');
  const error = new RelayConnectionError('high level', { cause });
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'RelayConnectionError');
  assert.equal(error.message, 'high level');
  assert.equal(error.cause, cause);
  assert.equal(error.retryable, true);
  assert.equal(new RelayConnectionError('x', { retryable: false }).retryable, false);
});

test('describeConnectionError: one clear sentence per socket failure, retryable unless retrying cannot help', () => {
  const cases: Array<[NodeJS.ErrnoException, string, boolean]> = [
    [errno('ECONNREFUSED'), `cannot connect to ${URI}: connection refused (is the relay running?)`, true],
    [errno('ENOTFOUND'), `cannot connect to ${URI}: host "127.0.0.1" not found`, true],
    [errno('EAI_AGAIN'), `cannot connect to ${URI}: host "127.0.0.1" not found`, true],
    [errno('ETIMEDOUT'), `cannot connect to ${URI}: timed out waiting for the relay`, true],
    [new Error('Opening handshake has timed out'), `cannot connect to ${URI}: timed out waiting for the relay`, true],
    [errno('ECONNRESET'), `connection to ${URI} was reset by the peer`, true],
    [errno('EHOSTUNREACH'), `cannot connect to ${URI}: network unreachable`, true],
    [errno('ENETUNREACH'), `cannot connect to ${URI}: network unreachable`, true],
    [errno('EPROTO', 'write EPROTO ...:wrong version number'), `${URI} does not speak TLS: use ws:// instead of wss://`, false],
    [new Error('socket hang up'), `${URI} did not answer as a WebSocket relay (if it uses TLS, use wss://): socket hang up`, true],
    [errno('EWHATEVER', 'something odd'), `connection to ${URI} failed: something odd`, true],
  ];
  for (const [input, message, retryable] of cases) {
    const error = describeConnectionError(input, URI);
    assert.ok(error instanceof RelayConnectionError);
    assert.equal(error.message, message, `for ${input.code ?? input.message}`);
    assert.equal(error.retryable, retryable, `retryable for ${input.code ?? input.message}`);
    assert.equal(error.cause, input);
  }
});

test('describeConnectionError: host name in "not found" is the URI host', () => {
  const error = describeConnectionError(errno('ENOTFOUND'), 'ws://no-such-host.invalid:4000');
  assert.equal(error.message, 'cannot connect to ws://no-such-host.invalid:4000: host "no-such-host.invalid" not found');
});

test('describeConnectionError: happy-eyeballs AggregateError (localhost on v4 and v6) still reads "connection refused"', () => {
  const aggregate = Object.assign(
    new AggregateError([errno('ECONNREFUSED', 'connect ECONNREFUSED ::1:4000'), errno('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:4000')], ''),
    { code: 'ECONNREFUSED' },
  );
  assert.match(describeConnectionError(aggregate, 'ws://localhost:4000').message, /connection refused/);
});

test('describeConnectionError: untrusted certificates are not retried', () => {
  const cases: Array<[string, RegExp]> = [
    ['DEPTH_ZERO_SELF_SIGNED_CERT', /self-signed or from an unknown authority/],
    ['SELF_SIGNED_CERT_IN_CHAIN', /self-signed or from an unknown authority/],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', /self-signed or from an unknown authority/],
    ['CERT_HAS_EXPIRED', /its certificate has expired/],
    ['ERR_TLS_CERT_ALTNAME_INVALID', /its certificate is not valid for "relay\.example"/],
  ];
  for (const [code, pattern] of cases) {
    const error = describeConnectionError(errno(code), 'wss://relay.example:443');
    assert.match(error.message, /^refusing the TLS connection to wss:\/\/relay\.example:443: /);
    assert.match(error.message, pattern);
    assert.equal(error.retryable, false, code);
  }
});

test('describeConnectionError never throws on odd inputs', () => {
  assert.equal(describeConnectionError('boom', URI).message, `connection to ${URI} failed: boom`);
  assert.equal(describeConnectionError(undefined, URI).message, `connection to ${URI} failed: undefined`);
  assert.match(describeConnectionError(errno('ECONNREFUSED'), 'not a uri').message, /connection refused/);
});

test('describeHttpRefusal: 401/403 point at the token and are final; 5xx and 429 are retried', () => {
  const e401 = describeHttpRefusal(401, 'Unauthorized', URI);
  assert.equal(e401.message, `relay at ${URI} refused the token (HTTP 401 Unauthorized): check the access token`);
  assert.equal(e401.retryable, false);
  assert.equal(describeHttpRefusal(403, undefined, URI).message, `relay at ${URI} refused the connection (HTTP 403): check the access token and origin`);
  assert.equal(describeHttpRefusal(403, 'Forbidden', URI).retryable, false);
  const e404 = describeHttpRefusal(404, 'Not Found', URI);
  assert.equal(e404.message, `relay at ${URI} answered HTTP 404 Not Found instead of a WebSocket upgrade`);
  assert.equal(e404.retryable, false);
  for (const status of [429, 500, 502, 503]) assert.equal(describeHttpRefusal(status, '', URI).retryable, true, `${status}`);
});

test('constructor: a bad relay URI throws a TypeError that says what to use instead', () => {
  const cases: Array<[unknown, RegExp]> = [
    ['http://localhost:4000', /^relay URI must use ws:\/\/ or wss:\/\/, not http:\/\/ \(try ws:\/\/localhost:4000\)$/],
    ['https://relay.example/live', /^relay URI must use ws:\/\/ or wss:\/\/, not https:\/\/ \(try wss:\/\/relay\.example\/live\)$/],
    ['ftp://localhost:4000', /^relay URI must use ws:\/\/ or wss:\/\/, got "ftp:"$/],
    ['not a uri', /^"not a uri" is not a valid URI; expected something like ws:\/\/localhost:4000$/],
    ['', /^relay URI must be a non-empty string such as ws:\/\/localhost:4000$/],
    ['   ', /non-empty string/],
    [undefined, /non-empty string/],
    [42, /non-empty string/],
    ['ws://localhost:4000/#frag', /must not contain a #fragment/],
  ];
  for (const [uri, message] of cases) {
    assert.throws(() => new WebSocketManager(uri as string, CHANNEL), { name: 'TypeError', message }, String(uri));
  }
});

test('constructor: a bad channel throws a TypeError naming the problem', () => {
  const cases: Array<[unknown, RegExp]> = [
    ['', /^channel must not be empty$/],
    ['subscribe', /^"subscribe" is a reserved message type and cannot be a channel$/],
    ['subscribed', /reserved message type/],
    ['unsubscribe', /reserved message type/],
    ['unsubscribed', /reserved message type/],
    ['error', /reserved message type/],
    ['weather update', /^channel "weather update" may only contain letters, digits and \. _ : -$/],
    ['a'.repeat(129), /^channel must be at most 128 characters \(got 129\)$/],
    ['naïve', /may only contain/],
    [undefined, /^channel must be a string$/],
  ];
  for (const [channel, message] of cases) {
    assert.throws(() => new WebSocketManager(URI, channel as string), { name: 'TypeError', message }, String(channel));
  }
});

test('constructor: valid URIs and channels are accepted, including a 128-character channel', () => {
  for (const uri of ['ws://localhost:4000', 'wss://relay.example/path?x=1', 'ws://[::1]:4000', 'ws://127.0.0.1']) {
    const manager = new WebSocketManager(uri, CHANNEL);
    assert.equal(manager.uri, uri);
    assert.equal(manager.state, 'idle');
    assert.equal(manager.isSubscribed, false);
    assert.equal(manager.isConnected, false);
  }
  const long = 'a'.repeat(128);
  assert.equal(new WebSocketManager(URI, long).channel, long);
  assert.equal(new WebSocketManager(URI, 'Team.A_b:c-1').channel, 'Team.A_b:c-1');
});

test('constructor: maxQueue must be at least 1', () => {
  assert.throws(() => new WebSocketManager(URI, CHANNEL, { maxQueue: 0 }), { name: 'RangeError', message: /at least 1, got 0/ });
});

test('send(): an invalid payload throws a TypeError naming the field, and nothing is queued', () => {
  const manager = new WebSocketManager(URI, CHANNEL);
  const valid = samplePayload(1);
  const cases: Array<[unknown, RegExp]> = [
    [{ ...valid, thread_id: undefined }, /^cannot send this message: payload\.thread_id must be a string, got undefined$/],
    [{ ...valid, thread_id: 7 }, /payload\.thread_id must be a string, got number/],
    [{ ...valid, type: 'banana' }, /^cannot send this message: payload\.type must be one of "tool", "response", got "banana"$/],
    [{ ...valid, type: undefined }, /payload\.type must be one of "tool", "response", got undefined/],
    [{ ...valid, message: null }, /payload\.message must be a string, got null/],
    [{ ...valid, timestamp: '1234567890' }, /payload\.timestamp must be a number \(Unix seconds\), got string/],
    [{ ...valid, timestamp: Number.NaN }, /payload\.timestamp must be a number/],
    [{ ...valid, status: 'done' }, /payload\.status must be one of "started", "tool_executed", "completed", "error", got "done"/],
    [{ ...valid, id: 5 }, /payload\.id must be a string when present/],
    [{ ...valid, seq: -1 }, /payload\.seq must be a non-negative integer/],
    ['just text', /payload must be an object, got string/],
    [null, /payload must be an object, got null/],
    [[valid], /payload must be an object, got an array/],
  ];
  for (const [payload, message] of cases) {
    assert.throws(() => manager.send(payload as never), { name: 'TypeError', message }, JSON.stringify(payload));
  }
  assert.equal(manager.queuedCount, 0);
  // A valid payload with extra fields from another publisher is fine (and queued, since we are offline).
  assert.equal(manager.send({ ...valid, source: 'other-tool' }), 'queued');
  assert.equal(manager.queuedCount, 1);
});

test('refusals say why in the relay\'s own words when it gives them; an expired token is final and named', () => {
  assert.equal(describeHttpRefusal(401, 'Unauthorized', URI, 'the token expired\n').message, `relay at ${URI} refused the token (HTTP 401 Unauthorized): the token expired`);
  assert.equal(describeHttpRefusal(403, 'Forbidden', URI, 'origin "https://evil.example" is not allowed\n').message, `relay at ${URI} refused the connection (HTTP 403 Forbidden): origin "https://evil.example" is not allowed`);
  // Another server's HTML or JSON body is not a sentence: left out.
  assert.equal(describeHttpRefusal(401, 'Unauthorized', URI, '<html><body>401</body></html>').message, `relay at ${URI} refused the token (HTTP 401 Unauthorized): check the access token`);
  assert.equal(describeHttpRefusal(503, 'Service Unavailable', URI, 'the relay is shutting down').message, `relay at ${URI} answered HTTP 503 Service Unavailable instead of a WebSocket upgrade (the relay is shutting down)`);
  const expired = describeClose(CLOSE_CODES.tokenExpired, 'token expired', URI);
  assert.equal(expired.message, `connection to ${URI} closed (code 4501: token expired); set a new relay token to reconnect`);
  assert.equal(expired.retryable, false);
});
