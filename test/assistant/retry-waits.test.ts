// Retries of a failed model request, seen from outside: before each wait the turn emits
// a `waiting` event whose one-sentence notice the channel gets as a notice payload, then
// the turn goes on as usual. A Stop during a wait ends it at once; retries are bounded.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChannelPublisher, type AssistantEvent } from '../../src/assistant';
import { validateWireMessage, type ChannelPayload } from '../../src/protocol';
import { httpError, rateLimited, serviceUnavailable, splitIntoDeltas, textReply, toolCallReply } from '../fakes/openai-server';
import { APIS, assertFailed, assertOneTerminal, harness, nextAssistantEvent, shape, within } from './helpers';

/** For a whole describe(): the sum of its tests, with room for a busy machine. */
const SUITE_TIMEOUT = { timeout: 120_000 };
const RATE_LIMITED = 'the model server is rate limiting (HTTP 429)';

function recordingPublisher(h: { assistant: { on(name: 'event', listener: (e: AssistantEvent) => void): unknown } }): ChannelPayload[] {
  const sent: ChannelPayload[] = [];
  const publisher = new ChannelPublisher({ send: (payload) => sent.push(payload) });
  h.assistant.on('event', (event) => publisher.handle(event));
  return sent;
}

for (const api of APIS) {
  describe(`retry waits (${api})`, SUITE_TIMEOUT, () => {
    test('429 with retry-after: 1, then success: a waiting event and a notice payload, then the usual sequence', async (t) => {
      const h = await harness(t, api, { model: { maxRetries: 2 } });
      const sent = recordingPublisher(h);
      h.fake.enqueue(rateLimited(1), textReply('Sunny.'));
      const result = await within(h.assistant.ask('Weather?', { threadId: 'thread_wait' }), 8_000);
      assert.equal(result.status, 'completed', result.error);
      assert.equal(result.text, 'Sunny.');
      assert.deepEqual(shape(h.events), ['turn_started', 'waiting', 'delta*', 'completed']);
      assert.deepEqual(h.of('waiting'), [
        {
          type: 'waiting',
          threadId: 'thread_wait',
          attempt: 2,
          maxAttempts: 3,
          delayMs: 1000,
          reason: RATE_LIMITED,
          message: `Waiting 1 s to retry (attempt 2 of 3): ${RATE_LIMITED}.`,
        },
      ]);
      const waited = h.fake.requests[1].receivedAt - h.fake.requests[0].receivedAt;
      assert.ok(waited >= 950, `waited ${waited} ms before retrying`);

      // The channel: the notice first (an empty delta, so seed clients append nothing), then deltas and completed.
      for (const payload of sent) assert.ok(validateWireMessage({ type: 'weather-update', payload }).ok, JSON.stringify(payload));
      const [notice, ...rest] = sent;
      assert.deepEqual(
        { message: notice.message, status: notice.status, type: notice.type, notice: notice.notice, seq: notice.seq, thread: notice.thread_id },
        { message: '', status: undefined, type: 'response', notice: `Waiting 1 s to retry (attempt 2 of 3): ${RATE_LIMITED}.`, seq: 0, thread: 'thread_wait' },
      );
      assert.deepEqual(rest.map((p) => [p.status, p.message, p.notice]), [
        ...splitIntoDeltas('Sunny.').map((d) => [undefined, d, undefined]),
        ['completed', 'Sunny.', undefined],
      ]);
    });

    test('retry-after-ms wins over retry-after, and the follow-up round after a tool call retries too', async (t) => {
      const h = await harness(t, api, { model: { maxRetries: 1 } });
      h.fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }), rateLimited(30, { retryAfterMs: 200 }), textReply('Hot.'));
      const result = await within(h.assistant.ask('Weather in Makati?'), 8_000);
      assert.equal(result.status, 'completed', result.error);
      assert.deepEqual(shape(h.events), ['turn_started', 'tool_started', 'tool_executed', 'waiting', 'delta*', 'completed']);
      const [wait] = h.of('waiting');
      assert.equal(wait.delayMs, 200);
      assert.equal(wait.message, `Waiting 0.2 s to retry (attempt 2 of 2): ${RATE_LIMITED}.`);
      assert.equal(h.fake.requests.length, 3);
      assert.equal(h.fake.requests[2].rejected, undefined, 'the retried follow-up carried the tool output');
    });

    test('503 without retry-after, then success: a jittered backoff of at most 0.5 s, announced', async (t) => {
      const h = await harness(t, api, { model: { maxRetries: 2 } });
      const sent = recordingPublisher(h);
      h.fake.enqueue(serviceUnavailable(), textReply('Clear.'));
      const result = await within(h.assistant.ask('Weather?'), 8_000);
      assert.equal(result.status, 'completed', result.error);
      const [wait] = h.of('waiting');
      assert.equal(wait.reason, 'the model server is unavailable (HTTP 503)');
      assert.ok(wait.delayMs >= 375 && wait.delayMs <= 500, `backoff ${wait.delayMs} ms`);
      assert.match(wait.message, /^Waiting 0\.[45] s to retry \(attempt 2 of 3\): the model server is unavailable \(HTTP 503\)\.$/);
      assert.equal(sent[0].notice, wait.message);
      assert.ok(validateWireMessage({ type: 'weather-update', payload: sent[0] }).ok);
      assert.equal(sent.at(-1)?.status, 'completed');
    });

    test('429 forever: one wait per retry, then the usual clear "rate limited" failure', async (t) => {
      const h = await harness(t, api, { model: { maxRetries: 2 }, fake: { fallback: rateLimited(1, { retryAfterMs: 50 }) } });
      const sent = recordingPublisher(h);
      const result = await within(h.assistant.ask('Weather?'), 8_000);
      assertFailed(result, h.events, /^rate limited by http:\/\/127\.0\.0\.1:\d+\/v1 \(429\), still after 2 retries: Rate limit reached/);
      assert.equal(h.fake.requests.length, 3, 'the first try and two retries');
      assert.deepEqual(h.of('waiting').map((w) => [w.attempt, w.maxAttempts, w.delayMs]), [[2, 3, 50], [3, 3, 50]]);
      assert.deepEqual(sent.map((p) => p.status ?? 'notice'), ['notice', 'notice', 'error']);
    });

    test('cancelled during a 30 s wait: the turn ends promptly as cancelled, with no further request', async (t) => {
      const h = await harness(t, api, { model: { maxRetries: 2 } });
      h.fake.enqueue(rateLimited(30), textReply('never'));
      const controller = new AbortController();
      const waiting = nextAssistantEvent(h.assistant, (e) => e.type === 'waiting');
      const turn = h.assistant.ask('Weather?', { signal: controller.signal });
      const wait = await within(waiting, 5_000, 'the waiting event');
      assert.equal((wait as Extract<AssistantEvent, { type: 'waiting' }>).message, `Waiting 30 s to retry (attempt 2 of 3): ${RATE_LIMITED}.`);
      controller.abort();
      const result = await within(turn, 2_000, 'the cancelled turn');
      assert.equal(result.status, 'cancelled', result.error);
      assertOneTerminal(h.events, 'failed');
      assert.deepEqual(h.events.at(-1), { type: 'failed', threadId: result.threadId, message: 'cancelled', cancelled: true });
      assert.equal(h.fake.requests.length, 1);
      assert.equal(h.fake.pending(), 1);
    });

    test('a server asking to wait longer than a minute: failed at once with a clear sentence, no wait', async (t) => {
      const h = await harness(t, api, { model: { maxRetries: 2 } });
      h.fake.enqueue(rateLimited(3600));
      const result = await within(h.assistant.ask('Weather?'), 3_000);
      assertFailed(result, h.events, /^the model server at http:\/\/127\.0\.0\.1:\d+\/v1 answered 429 and asks to wait 3600 s before trying again, longer than the 60 s the assistant waits: Rate limit reached/);
      assert.equal(h.of('waiting').length, 0);
      assert.equal(h.fake.requests.length, 1);
    });

    test('4xx other than 408/409/429 is not retried (400, 422)', async (t) => {
      const h = await harness(t, api, { model: { maxRetries: 2 } });
      h.fake.enqueue(
        httpError(400, { message: 'Invalid value for temperature.', type: 'invalid_request_error', param: 'temperature', code: null }),
        httpError(422, { message: 'Unprocessable.', type: 'invalid_request_error', param: null, code: null }),
      );
      assertFailed(await within(h.assistant.ask('Weather?'), 3_000), h.events, /answered 400/);
      h.events.length = 0;
      assertFailed(await within(h.assistant.ask('Weather?'), 3_000), h.events, /answered 422/);
      assert.equal(h.fake.requests.length, 2);
      assert.equal(h.of('waiting').length, 0);
    });

    test('408 and 409 are retried, each announced', async (t) => {
      const h = await harness(t, api, { model: { maxRetries: 2 } });
      h.fake.enqueue(
        httpError(408, { message: 'Request timed out.', type: 'server_error', param: null, code: null }, { 'retry-after-ms': '10' }),
        httpError(409, { message: 'Conflict.', type: 'server_error', param: null, code: null }, { 'retry-after-ms': '10' }),
        textReply('Done.'),
      );
      const result = await within(h.assistant.ask('Weather?'), 5_000);
      assert.equal(result.status, 'completed', result.error);
      assert.deepEqual(h.of('waiting').map((w) => w.reason), [
        'the model server timed out the request (HTTP 408)',
        'the model server reported a conflict (HTTP 409)',
      ]);
    });
  });
}
