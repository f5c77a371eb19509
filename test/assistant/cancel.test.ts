// Cancellation through an AbortSignal at any point of a turn: before it starts,
// mid-stream (slow or stalled), mid-tool (the weather service hangs), and between
// rounds. Each ends promptly with status "cancelled" and one `failed` event marked
// cancelled, and the model is not asked anything further.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AssistantEvent } from '../../src/assistant';
import { interruptedReply, textReply, toolCallReply } from '../fakes/openai-server';
import { delay, waitUntil } from '../support/wait';
import { APIS, assertOneTerminal, harness, nextAssistantEvent, within } from './helpers';

/** For a whole describe(): the sum of its tests, with room for a busy machine. */
const SUITE_TIMEOUT = { timeout: 120_000 };
const PROMPT_MS = 2_000;
const LONG_ANSWER = 'It is warm and partly cloudy in Makati today, with a light breeze and high humidity all afternoon.';

function assertCancelled(result: { status: string; error?: string }, events: AssistantEvent[]): void {
  assert.equal(result.status, 'cancelled', `expected cancelled, got ${result.status}: ${result.error}`);
  assert.equal(result.error, 'cancelled');
  assertOneTerminal(events, 'failed');
  assert.deepEqual(events.at(-1), { type: 'failed', threadId: events[0].threadId, message: 'cancelled', cancelled: true });
}

for (const api of APIS) {
  describe(`cancellation (${api})`, SUITE_TIMEOUT, () => {
    test('mid-stream (slow stream): cancelled promptly, partial text kept, connection closed', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(textReply(LONG_ANSWER, { delayMs: 100 }));
      const controller = new AbortController();
      const secondDelta = (async () => {
        await nextAssistantEvent(h.assistant, (e) => e.type === 'delta');
        await nextAssistantEvent(h.assistant, (e) => e.type === 'delta');
      })();
      const turn = h.assistant.ask('Weather?', { signal: controller.signal });
      await within(secondDelta, 5_000, 'the first two deltas');
      const abortedAt = Date.now();
      controller.abort();
      const result = await within(turn, PROMPT_MS, 'the cancelled turn');
      assert.ok(Date.now() - abortedAt < PROMPT_MS);
      assertCancelled(result, h.events);
      const deltas = h.of('delta');
      assert.ok(deltas.length >= 2 && deltas.length < 10, `${deltas.length} deltas`);
      assert.equal(result.text, deltas.map((d) => d.text).join(''));
      assert.equal(h.of('completed').length, 0);
      await waitUntil(() => h.fake.requests[0].clientDisconnected, 2_000, 'the fake to see the client hang up');
      // Nothing more arrives after the turn ended.
      const count = h.events.length;
      await delay(250);
      assert.equal(h.events.length, count);
    });

    test('mid-stream (stalled stream): cancelled promptly', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(interruptedReply(LONG_ANSWER, 'stall', { afterDeltas: 3 }));
      const controller = new AbortController();
      const turn = h.assistant.ask('Weather?', { signal: controller.signal });
      await within(waitUntil(() => h.of('delta').length === 3, 5_000, 'three deltas'), 5_000);
      await delay(100); // well into the stall
      controller.abort();
      const result = await within(turn, PROMPT_MS, 'the cancelled turn');
      assertCancelled(result, h.events);
      assert.equal(h.of('delta').length, 3);
    });

    test('mid-tool (weather service hangs): cancelled promptly, no follow-up request to the model', async (t) => {
      const h = await harness(t, api);
      h.weather.setMode('hang');
      h.fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }, { callId: 'call_hang' }), textReply('never'));
      const controller = new AbortController();
      const started = nextAssistantEvent(h.assistant, (e) => e.type === 'tool_started');
      const turn = h.assistant.ask('Weather in Makati?', { signal: controller.signal });
      await within(started, 5_000, 'tool_started');
      await within(waitUntil(() => h.weather.requests.length > 0, 2_000, 'the weather request'), 2_000);
      await delay(50);
      const abortedAt = Date.now();
      controller.abort();
      const result = await within(turn, PROMPT_MS, 'the cancelled turn');
      assert.ok(Date.now() - abortedAt < PROMPT_MS);
      assertCancelled(result, h.events);
      assert.equal(h.of('tool_executed').length, 0, 'a cancelled tool reports no result');
      assert.equal(h.fake.requests.length, 1, 'no tool output was sent');
      assert.equal(h.fake.pending(), 1);
    });

    test('already aborted before asking: cancelled without any request', async (t) => {
      const h = await harness(t, api);
      const controller = new AbortController();
      controller.abort();
      const result = await within(h.assistant.ask('Weather?', { signal: controller.signal }), PROMPT_MS);
      assertCancelled(result, h.events);
      assert.equal(h.fake.requests.length, 0);
    });

    test('aborted while the tool result is being handed back (between rounds): cancelled', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }), textReply(LONG_ANSWER, { delayMs: 150 }));
      const controller = new AbortController();
      // Abort as soon as the tool result is reported: the follow-up round has started or is about to.
      h.assistant.on('event', (e) => e.type === 'tool_executed' && controller.abort());
      const result = await within(h.assistant.ask('Weather?', { signal: controller.signal }), PROMPT_MS + 1_000);
      assertCancelled(result, h.events);
      assert.equal(h.of('completed').length, 0);
    });

    test('a cancelled turn does not disturb the next one on another thread', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(textReply(LONG_ANSWER, { delayMs: 100 }), textReply('Fine.'));
      const controller = new AbortController();
      const turn = h.assistant.ask('First?', { signal: controller.signal, threadId: 'thread_a' });
      await within(nextAssistantEvent(h.assistant, (e) => e.type === 'delta'), 5_000);
      controller.abort();
      assert.equal((await within(turn, PROMPT_MS)).status, 'cancelled');
      const second = await within(h.assistant.ask('Second?', { threadId: 'thread_b' }), 5_000);
      assert.equal(second.status, 'completed', second.error);
      assert.equal(second.text, 'Fine.');
    });
  });
}
