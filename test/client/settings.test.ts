/**
 * Options may come from user settings: every bad value is refused in the constructor with
 * one sentence naming it, instead of a busy retry loop, a timer that fires at once, or a
 * window that never forgets.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WebSocketManager, type WebSocketManagerOptions } from '../../src/client';
import { CHANNEL } from './helpers';

const URI = 'ws://127.0.0.1:9';

test('bad numeric options are refused with a sentence naming the option', () => {
  const cases: Array<[WebSocketManagerOptions, string]> = [
    [{ maxQueue: 0 }, 'maxQueue must be a whole number of at least 1, got 0'],
    [{ maxQueue: 1.5 }, 'maxQueue must be a whole number of at least 1, got 1.5'],
    [{ subscribeTimeoutMs: Number.NaN }, 'subscribeTimeoutMs must be a whole number of at least 1, got NaN'],
    [{ subscribeTimeoutMs: 3_000_000_000 }, 'subscribeTimeoutMs must be at most 2147483647, got 3000000000'],
    [{ connectTimeoutMs: 0 }, 'connectTimeoutMs must be a whole number of at least 1, got 0'],
    [{ heartbeatIntervalMs: -1 }, 'heartbeatIntervalMs must be a whole number of at least 0, got -1'],
    [{ maxPayloadBytes: Number.POSITIVE_INFINITY }, 'maxPayloadBytes must be a whole number of at least 1, got Infinity'],
    [{ resendWindow: Number.NaN }, 'resendWindow must be a whole number of at least 0, got NaN'],
    [{ dedupeWindow: -5 }, 'dedupeWindow must be a whole number of at least 0, got -5'],
    [{ reconnect: { initialDelayMs: Number.NaN } }, 'reconnect.initialDelayMs must be a whole number of at least 0, got NaN'],
    [{ reconnect: { maxDelayMs: 1e12 } }, 'reconnect.maxDelayMs must be at most 2147483647, got 1000000000000'],
    [{ reconnect: { factor: 0.5 } }, 'reconnect.factor must be a finite number of at least 1, got 0.5'],
    [{ subscribeTimeoutMs: '5000' as never }, 'subscribeTimeoutMs must be a whole number of at least 1, got "5000"'],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => new WebSocketManager(URI, CHANNEL, options), { name: 'RangeError', message }, JSON.stringify(options));
  }
  assert.throws(() => new WebSocketManager(URI, CHANNEL, { reconnect: 'yes' as never }), {
    name: 'TypeError',
    message: 'reconnect must be true, false or backoff options, got string',
  });
});

test('the documented edges are accepted: 0 turns the heartbeat and the windows off', () => {
  const manager = new WebSocketManager(URI, CHANNEL, {
    heartbeatIntervalMs: 0,
    resendWindow: 0,
    dedupeWindow: 0,
    subscribeTimeoutMs: 2_147_483_647,
    reconnect: { initialDelayMs: 0, minDelayMs: 0, maxDelayMs: 10, factor: 1 },
  });
  assert.equal(manager.state, 'idle');
  assert.throws(() => new WebSocketManager(URI, CHANNEL, { reliable: false, dedupeWindow: Number.NaN }), /dedupeWindow must be/);
});
