// A reasoning model streams its thoughts as many small deltas before it answers. That is
// progress, not silence: it must not be stopped as "saying nothing", must never reach the
// answer or the events, and is still bounded by its own budget per turn.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { endlessReasoning, textReply, toolCallReply } from '../fakes/openai-server';
import { waitUntil } from '../support/wait';
import { APIS, assertFailed, harness, rawChunk, rawEvent, rawStreamAssistant, within } from './helpers';

/** Far more events than the 10000 quiet ones allowed, in small pieces as real models stream them. */
const THOUGHTS = Array.from({ length: 20_000 }, (_, i) => (i % 7 === 0 ? ' hmm' : ' so'));
const BUDGET_SENTENCE = /^the model's reasoning passed 1000000 characters; stopped the turn$/;

for (const api of APIS) {
  describe(`reasoning models (${api})`, { timeout: 120_000 }, () => {
    test('20000 reasoning deltas then the answer: the turn completes, the reasoning is not published', async (t) => {
      const h = await harness(t, api);
      const answer = 'It is 31°C and sunny in Makati.';
      h.fake.enqueue(textReply(answer, { reasoning: THOUGHTS }));
      const result = await within(h.assistant.ask('Weather in Makati?'), 60_000, 'the reasoning turn');
      assert.equal(result.status, 'completed', result.error);
      assert.equal(result.text, answer);
      assert.equal(h.of('delta').map((e) => e.text).join(''), answer);
      assert.doesNotMatch(JSON.stringify(h.events), /hmm/);
    });

    // In the other wire format of each API (the fake's default is reasoning_content, and
    // summaries): Ollama's `reasoning` field, and gpt-oss's raw reasoning_text events.
    test('reasoning without end: stopped once it passes 1000000 characters, the stream is closed', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue({ ...endlessReasoning('x'.repeat(10_000)), chatReasoningField: 'reasoning', responsesReasoning: 'text' });
      const result = await within(h.assistant.ask('Weather?'), 30_000, 'the runaway turn');
      assertFailed(result, h.events, BUDGET_SENTENCE);
      assert.equal(h.of('delta').length, 0);
      await waitUntil(() => h.fake.requests[0].clientDisconnected, 2_000, 'the fake to see the client hang up');
    });

    test('the budget is per turn: 600000 characters before a tool call and 600000 after it are too many', async (t) => {
      const h = await harness(t, api);
      const thoughts = Array.from({ length: 60 }, () => 'y'.repeat(10_000));
      h.fake.enqueue(
        toolCallReply('get_weather', { location: 'Makati' }, { reasoning: thoughts }),
        textReply('Hot.', { reasoning: thoughts }),
      );
      const result = await within(h.assistant.ask('Weather?'), 30_000, 'the long-thinking turn');
      assertFailed(result, h.events, BUDGET_SENTENCE);
      assert.equal(h.of('tool_executed').length, 1, 'the first round, within budget, ran its tool');
      assert.equal(h.fake.requests.length, 2);
    });

    test('empty reasoning deltas without end say nothing: stopped after 10000 of them, as before', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(endlessReasoning(''));
      const result = await within(h.assistant.ask('Weather?'), 30_000, 'the runaway turn');
      assertFailed(result, h.events, /^the model server sent more than 10000 stream events without text or a tool call; stopped the turn$/);
      await waitUntil(() => h.fake.requests[0].clientDisconnected, 2_000, 'the fake to see the client hang up');
    });

    test('reasoning that keeps coming keeps the idle watchdog from firing', async (t) => {
      const h = await harness(t, api, { model: { timeoutMs: 400 } });
      // 15 pauses of 40 ms: the stream outlasts the idle timeout, but is never idle that long.
      h.fake.enqueue(textReply('Sunny.', { reasoning: Array.from({ length: 15 }, () => ' hmm'), delayMs: 40 }));
      const result = await within(h.assistant.ask('Weather?'), 10_000, 'the slow-thinking turn');
      assert.equal(result.status, 'completed', result.error);
      assert.equal(result.text, 'Sunny.');
    });

    test('reasoning fields that are not text are skipped; a single huge one is stopped with the budget sentence', async (t) => {
      const hostile: unknown[] = [42, null, { toString: 'x' }, ['a', 'b'], true];
      const stream = (end: string) =>
        api === 'chat'
          ? [...hostile.map((value) => rawChunk({ reasoning_content: value })), ...hostile.map((value) => rawChunk({ reasoning: value })), end].join('')
          : [
              ...hostile.map((delta) => rawEvent({ type: 'response.reasoning_summary_text.delta', delta })),
              ...hostile.map((delta) => rawEvent({ type: 'response.reasoning_text.delta', delta })),
              rawEvent({ type: 'response.reasoning_text.delta' }),
              end,
            ].join('');
      const finish =
        api === 'chat'
          ? rawChunk({ content: 'Fine.' }) + rawChunk({}, 'stop') + 'data: [DONE]\n\n'
          : rawEvent({ type: 'response.output_text.delta', delta: 'Fine.' }) + rawEvent({ type: 'response.completed', response: { id: 'resp_raw' } });
      const huge = 'z'.repeat(1_000_001);
      const flood = api === 'chat' ? rawChunk({ reasoning: huge }) + finish : rawEvent({ type: 'response.reasoning_summary_text.delta', delta: huge }) + finish;

      const h = await harness(t, api);
      const skipped = await rawStreamAssistant(t, h, stream(finish));
      const result = await within(skipped.assistant.ask('Weather?'), 5_000);
      assert.equal(result.status, 'completed', result.error);
      assert.equal(result.text, 'Fine.');

      const flooded = await rawStreamAssistant(t, h, stream(flood));
      assertFailed(await within(flooded.assistant.ask('Weather?'), 10_000), flooded.events, BUDGET_SENTENCE);
    });
  });
}
