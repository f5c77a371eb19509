// A runaway or hostile model server: text or empty events without end, tool-call
// arguments without end or far too big, too many tool calls at once, absurd tool names,
// values of the wrong type. Each ends the turn with one clear sentence (or, for arguments
// that are merely wrong, goes back to the model as a tool error), in bounded time and memory.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  endlessSilence,
  endlessText,
  endlessToolCall,
  textReply,
  toolCallReply,
  toolCallsReply,
  toolOutputsOf,
} from '../fakes/openai-server';
import { waitUntil } from '../support/wait';
import { APIS, assertFailed, harness, rawChunk, rawEvent, rawStreamAssistant, within } from './helpers';

/** For a whole describe(): the sum of its tests, with room for a busy machine. */
const SUITE_TIMEOUT = { timeout: 120_000 };

for (const api of APIS) {
  describe(`hostile model output (${api})`, SUITE_TIMEOUT, () => {
    test('endless text: stopped once the answer passes 100000 characters, the stream is closed', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(endlessText('la '.repeat(1_000)));
      const result = await within(h.assistant.ask('Sing?'), 20_000, 'the runaway turn');
      assertFailed(result, h.events, /^the model's answer passed 100000 characters; stopped the turn$/);
      assert.ok(result.text.length <= 100_000 && result.text.length > 90_000, `${result.text.length} characters kept`);
      await waitUntil(() => h.fake.requests[0].clientDisconnected, 2_000, 'the fake to see the client hang up');
    });

    test('an endless stream of events that say nothing: stopped after 10000 of them', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(endlessSilence());
      const result = await within(h.assistant.ask('Weather?'), 30_000, 'the runaway turn');
      assertFailed(result, h.events, /^the model server sent more than 10000 stream events without text or a tool call; stopped the turn$/);
      await waitUntil(() => h.fake.requests[0].clientDisconnected, 2_000, 'the fake to see the client hang up');
    });

    test('endless tool-call arguments: stopped past 8192 characters, nothing run', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(endlessToolCall('get_weather', 'x'.repeat(500)));
      const result = await within(h.assistant.ask('Weather?'), 20_000, 'the runaway turn');
      assertFailed(result, h.events, /^the model sent tool-call arguments longer than 8192 characters; stopped the turn$/);
      assert.equal(h.of('tool_started').length, 0);
      assert.equal(h.weather.requests.length, 0);
      await waitUntil(() => h.fake.requests[0].clientDisconnected, 2_000, 'the fake to see the client hang up');
    });

    test('one complete but huge tool call (20 kB of arguments): refused, nothing run', async (t) => {
      const h = await harness(t, api);
      const args = JSON.stringify({ location: 'Makati'.padEnd(20_000, '!') });
      h.fake.enqueue(toolCallsReply([{ name: 'get_weather', arguments: args, argumentDeltas: [args] }]));
      const result = await within(h.assistant.ask('Weather?'), 10_000);
      assertFailed(result, h.events, /tool-call arguments longer than 8192 characters/);
      assert.equal(h.weather.requests.length, 0);
    });

    test('17 tool calls at once: refused before any runs (16 is the most)', async (t) => {
      const h = await harness(t, api);
      const calls = Array.from({ length: 17 }, (_, i) => ({ name: 'get_weather', arguments: { location: 'Makati' }, callId: `call_${i}` }));
      h.fake.enqueue(toolCallsReply(calls));
      const result = await within(h.assistant.ask('Weather everywhere?'), 10_000);
      assertFailed(result, h.events, /^the model asked for more than 16 tool calls at once; stopped the turn$/);
      assert.equal(h.of('tool_started').length, 0);
      assert.equal(h.weather.requests.length, 0);
    });

    test('16 tool calls at once are still answered', async (t) => {
      const h = await harness(t, api);
      const calls = Array.from({ length: 16 }, (_, i) => ({ name: 'get_weather', arguments: { location: 'Makati' }, callId: `call_${i}` }));
      h.fake.enqueue(toolCallsReply(calls), textReply('Hot everywhere.'));
      const result = await within(h.assistant.ask('Weather everywhere?'), 10_000);
      assert.equal(result.status, 'completed', result.error);
      assert.equal(toolOutputsOf(h.fake.requests[1]).length, 16);
    });

    test('a tool name longer than 64 characters: refused, and never echoed to the channel', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(toolCallReply(`get_weather_${'x'.repeat(100)}`, { location: 'Makati' }));
      const result = await within(h.assistant.ask('Weather?'), 10_000);
      assertFailed(result, h.events, /^the model sent a tool name longer than 64 characters; stopped the turn$/);
      assert.equal(h.of('tool_started').length, 0);
    });

    test('malformed JSON arguments: the model hears so as a tool error, and the turn goes on', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(toolCallReply('get_weather', '{"location": "Makati"', { callId: 'call_broken' }), textReply('Sorry.'));
      const result = await within(h.assistant.ask('Weather?'), 10_000);
      assert.equal(result.status, 'completed', result.error);
      const [output] = toolOutputsOf(h.fake.requests[1]);
      assert.match(JSON.parse(output.output).error, /^get_weather arguments are not valid JSON: /);
      assert.equal(h.weather.requests.length, 0);
    });

    test('text deltas that are not text (a number): skipped, the answer is the text that came', async (t) => {
      const h = await harness(t, api);
      const { assistant, events } = await rawStreamAssistant(
        t,
        h,
        api === 'chat'
          ? rawChunk({ content: 42 }) + rawChunk({ content: 'Fine.' }) + rawChunk({}, 'stop') + 'data: [DONE]\n\n'
          : rawEvent({ type: 'response.output_text.delta', delta: 42 }) +
              rawEvent({ type: 'response.output_text.delta', delta: 'Fine.' }) +
              rawEvent({ type: 'response.completed', response: { id: 'resp_raw' } }),
      );
      const result = await within(assistant.ask('Weather?'), 5_000);
      assert.equal(result.status, 'completed', result.error);
      assert.equal(result.text, 'Fine.');
      assert.deepEqual(events.filter((e) => e.type === 'delta').map((e) => e.text), ['Fine.']);
    });
  });
}
