// When a model refuses, OpenAI streams the refusal apart from answer text (Responses
// `response.refusal.delta`, Chat `delta.refusal`). The refusal is what the model said:
// it is the answer, streamed and completed like any other, bounded like any other, and
// remembered as the model's turn in the thread.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { refusalReply, splitIntoDeltas, textReply, toolCallReply } from '../fakes/openai-server';
import { waitUntil } from '../support/wait';
import { APIS, assertFailed, assertOneTerminal, bodyOf, harness, rawChunk, rawEvent, rawStreamAssistant, shape, within } from './helpers';

/** For a whole describe(): the sum of its tests, with room for a busy machine. */
const SUITE_TIMEOUT = { timeout: 120_000 };
const REFUSAL = "I'm sorry, but I can't help with that request.";

for (const api of APIS) {
  describe(`refusals (${api})`, SUITE_TIMEOUT, () => {
    test('a refusal-only turn completes with the refusal as its answer; the thread goes on', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(refusalReply(REFUSAL), textReply('Sunny.'));

      const result = await within(h.assistant.ask('Something harmful?', { threadId: 'thread_refused' }), 5_000);

      assert.deepEqual(result, { threadId: 'thread_refused', status: 'completed', text: REFUSAL });
      assert.deepEqual(shape(h.events), ['turn_started', 'delta*', 'completed']);
      assert.deepEqual(h.of('delta').map((d) => d.text), splitIntoDeltas(REFUSAL), 'every refusal delta, in order');
      assert.equal(h.of('completed')[0].text, REFUSAL);
      assertOneTerminal(h.events, 'completed');

      // The next question carries the refusal as the model's turn, and the server accepts it.
      const next = await within(h.assistant.ask('Weather in Makati?', { threadId: 'thread_refused' }), 5_000);
      assert.equal(next.status, 'completed', next.error);
      assert.equal(h.fake.requests[1].rejected, undefined);
      const history = api === 'chat' ? bodyOf(h.fake, 1).messages.slice(1) : bodyOf(h.fake, 1).input;
      assert.deepEqual(history, [
        { role: 'user', content: 'Something harmful?' },
        { role: 'assistant', content: REFUSAL },
        { role: 'user', content: 'Weather in Makati?' },
      ]);
    });

    test('a refusal after a tool call ends the turn as its answer', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }), refusalReply(REFUSAL));
      const result = await within(h.assistant.ask('Weather in Makati, and something harmful?'), 5_000);
      assert.equal(result.status, 'completed', result.error);
      assert.equal(result.text, REFUSAL);
      assert.deepEqual(shape(h.events), ['turn_started', 'tool_started', 'tool_executed', 'delta*', 'completed']);
    });

    test('a refusal without end: stopped once the answer passes 100000 characters, the stream is closed', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue({ ...refusalReply(''), deltas: ['no '.repeat(1_000)], endless: true });
      const result = await within(h.assistant.ask('Something harmful?'), 20_000, 'the runaway turn');
      assertFailed(result, h.events, /^the model's answer passed 100000 characters; stopped the turn$/);
      assert.ok(result.text.length <= 100_000 && result.text.length > 90_000, `${result.text.length} characters kept`);
      await waitUntil(() => h.fake.requests[0].clientDisconnected, 2_000, 'the fake to see the client hang up');
    });

    test('refusal values that are not text are skipped; the refusal text that came is the answer', async (t) => {
      const hostile: unknown[] = [42, null, { toString: 'x' }, ['a', 'b'], true, ''];
      const body =
        api === 'chat'
          ? [...hostile.map((refusal) => rawChunk({ refusal })), rawChunk({ content: null, refusal: 'No.' }), rawChunk({}, 'stop'), 'data: [DONE]\n\n'].join('')
          : [
              ...hostile.map((delta) => rawEvent({ type: 'response.refusal.delta', delta })),
              rawEvent({ type: 'response.refusal.delta' }),
              rawEvent({ type: 'response.refusal.delta', delta: 'No.' }),
              rawEvent({ type: 'response.refusal.done', refusal: 42 }),
              rawEvent({ type: 'response.completed', response: { id: 'resp_raw' } }),
            ].join('');
      const h = await harness(t, api);
      const { assistant, events } = await rawStreamAssistant(t, h, body);
      const result = await within(assistant.ask('Something harmful?'), 5_000);
      assert.equal(result.status, 'completed', result.error);
      assert.equal(result.text, 'No.');
      assert.deepEqual(events.filter((e) => e.type === 'delta').map((e) => e.text), ['No.']);
    });
  });
}
