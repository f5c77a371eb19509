// One chat turn end to end against the fake OpenAI server (both APIs) and the fake
// weather server: streamed text, one tool call, parallel tool calls, and what goes
// back to the model.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FORECAST_TOOL_NAME, WEATHER_TOOL_NAME } from '../../src/weather';
import { splitIntoDeltas, textReply, toolCallReply, toolCallsReply, toolOutputsOf } from '../fakes/openai-server';
import { APIS, MAKATI, assertOneTerminal, bodyOf, harness, shape, within } from './helpers';

/** For a whole describe(): the sum of its tests, with room for a busy machine. */
const SUITE_TIMEOUT = { timeout: 120_000 };

for (const api of APIS) {
  describe(`engine turns (${api})`, SUITE_TIMEOUT, () => {
    test('text only: deltas in order, completed text is their join, status completed', async (t) => {
      const h = await harness(t, api);
      const answer = 'Hello! Ask me about the weather anywhere, e.g. “Makati” — I’ll check it. 🌦';
      h.fake.enqueue(textReply(answer));

      const result = await within(h.assistant.ask('  Hi there  ', { threadId: 'thread_text' }), 5_000);

      assert.deepEqual(result, { threadId: 'thread_text', status: 'completed', text: answer });
      assert.deepEqual(shape(h.events), ['turn_started', 'delta*', 'completed']);
      assert.deepEqual(h.events[0], { type: 'turn_started', threadId: 'thread_text', question: 'Hi there' });
      const deltas = h.of('delta');
      assert.deepEqual(deltas.map((d) => d.text), splitIntoDeltas(answer), 'every delta, in the order streamed');
      assert.ok(deltas.length > 5);
      assert.equal(h.of('completed')[0].text, deltas.map((d) => d.text).join(''));
      assert.equal(h.of('completed')[0].text, answer);
      assert.ok(h.events.every((e) => e.threadId === 'thread_text'));
      assertOneTerminal(h.events, 'completed');

      // The request: one streamed call with both tools offered and the question asked.
      assert.equal(h.fake.requests.length, 1);
      const request = h.fake.requests[0];
      assert.equal(request.api, api);
      assert.equal(request.headers.authorization, 'Bearer test');
      const body = bodyOf(h.fake, 0);
      assert.equal(body.model, 'gpt-test');
      assert.equal(body.stream, true);
      if (api === 'responses') {
        assert.deepEqual(body.tools.map((tool: any) => [tool.type, tool.name]), [['function', WEATHER_TOOL_NAME], ['function', FORECAST_TOOL_NAME]]);
        assert.deepEqual(body.input, [{ role: 'user', content: 'Hi there' }]);
        assert.equal(typeof body.instructions, 'string');
      } else {
        assert.deepEqual(body.tools.map((tool: any) => [tool.type, tool.function.name]), [['function', WEATHER_TOOL_NAME], ['function', FORECAST_TOOL_NAME]]);
        assert.deepEqual(body.messages.map((m: any) => m.role), ['system', 'user']);
        assert.equal(body.messages[1].content, 'Hi there');
      }
    });

    test('text in fragmented TCP writes (split mid UTF-8) still arrives intact', async (t) => {
      const h = await harness(t, api);
      const answer = 'Température à Makati : 31 °C — ensoleillé ☀️';
      h.fake.enqueue(textReply(answer, { fragment: true }));
      const result = await within(h.assistant.ask('Météo ?'), 5_000);
      assert.equal(result.status, 'completed');
      assert.equal(result.text, answer);
      assert.deepEqual(h.of('delta').map((d) => d.text), splitIntoDeltas(answer));
    });

    test('one tool call: runs get_weather on the fake weather server, returns the output with its call_id, then answers', async (t) => {
      const h = await harness(t, api);
      const answer = 'In Makati it is 31.2 °C (feels like 37.4 °C), partly cloudy.';
      h.fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }, { callId: 'call_makati_1' }), textReply(answer));

      const result = await within(h.assistant.ask("What's the weather in Makati?", { threadId: 'thread_tool' }), 5_000);

      assert.equal(result.status, 'completed', result.error);
      assert.equal(result.text, answer);
      assert.deepEqual(shape(h.events), ['turn_started', 'tool_started', 'tool_executed', 'delta*', 'completed']);

      const [started] = h.of('tool_started');
      assert.equal(started.location, 'Makati');
      assert.equal(started.name, 'get_weather');
      assert.equal(started.callId, 'call_makati_1');
      assert.deepEqual(JSON.parse(started.arguments), { location: 'Makati' });

      const [executed] = h.of('tool_executed');
      assert.equal(executed.callId, 'call_makati_1');
      assert.equal(executed.location, 'Makati');
      assert.equal(executed.error, undefined);
      assert.ok(Number.isInteger(executed.durationMs) && executed.durationMs >= 0);
      const report = JSON.parse(executed.resultJson);
      assert.match(report.location, /^Makati\b/);
      assert.equal(report.temperature, MAKATI.temperature);
      assert.equal(report.apparent_temperature, MAKATI.apparent);
      assert.equal(report.humidity, MAKATI.humidity);
      assert.equal(report.wind_speed, MAKATI.windKmh);
      assert.equal(report.condition, MAKATI.condition);
      assert.equal(report.source, 'open-meteo');
      assert.equal(report.units.system, 'metric');
      for (const key of ['latitude', 'longitude', 'observed_at']) assert.ok(report[key] !== undefined, `result has ${key}`);

      // The tool really ran against the fake weather service: geocoding, then forecast.
      assert.deepEqual(h.weather.requests.map((r) => r.endpoint), ['geocoding', 'forecast']);
      assert.equal(h.weather.requests[0].query.name, 'Makati');

      // The follow-up request carries exactly that output, under the model's call id.
      assert.equal(h.fake.requests.length, 2);
      assert.equal(h.fake.requests[1].rejected, undefined, h.fake.requests[1].rejected);
      assert.deepEqual(toolOutputsOf(h.fake.requests[1]), [{ callId: 'call_makati_1', output: executed.resultJson }]);
      assert.deepEqual(toolOutputsOf(h.fake.requests[0]), []);

      assert.equal(h.of('completed')[0].text, h.of('delta').map((d) => d.text).join(''));
      assertOneTerminal(h.events, 'completed');
    });

    test('text before a tool call is streamed and kept in the answer', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(
        toolCallReply('get_weather', { location: 'Makati' }, { callId: 'call_pre', text: 'Let me check. ' }),
        textReply('It is 31.2 °C.'),
      );
      const result = await within(h.assistant.ask('Makati?'), 5_000);
      assert.equal(result.status, 'completed', result.error);
      assert.equal(result.text, 'Let me check. It is 31.2 °C.');
      assert.deepEqual(shape(h.events), ['turn_started', 'delta*', 'tool_started', 'tool_executed', 'delta*', 'completed']);
      assert.deepEqual(toolOutputsOf(h.fake.requests[1]).map((o) => o.callId), ['call_pre']);
    });

    test('two parallel tool calls: both run, both outputs go back with their own call_id', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(
        toolCallsReply([
          { name: 'get_weather', arguments: { location: 'Makati' }, callId: 'call_a' },
          { name: 'get_weather', arguments: { location: 'Tokyo', units: 'imperial' }, callId: 'call_b' },
        ]),
        textReply('Makati is warmer than Tokyo.'),
      );

      const result = await within(h.assistant.ask('Compare Makati and Tokyo'), 5_000);

      assert.equal(result.status, 'completed', result.error);
      assert.equal(result.text, 'Makati is warmer than Tokyo.');
      // Both calls announced before either finishes: they run in parallel.
      assert.deepEqual(
        h.events.filter((e) => e.type.startsWith('tool_')).map((e) => e.type),
        ['tool_started', 'tool_started', 'tool_executed', 'tool_executed'],
      );
      assert.deepEqual(h.of('tool_started').map((e) => [e.callId, e.location]), [['call_a', 'Makati'], ['call_b', 'Tokyo']]);
      const executed = new Map(h.of('tool_executed').map((e) => [e.callId, e]));
      assert.deepEqual([...executed.keys()].sort(), ['call_a', 'call_b']);
      const tokyo = JSON.parse(executed.get('call_b')!.resultJson);
      assert.match(tokyo.location, /^Tokyo\b/);
      assert.equal(tokyo.units.system, 'imperial');
      assert.equal(tokyo.temperature, 75.7); // 24.3 °C in °F
      assert.equal(JSON.parse(executed.get('call_a')!.resultJson).temperature, MAKATI.temperature);

      assert.equal(h.fake.requests.length, 2);
      assert.equal(h.fake.requests[1].rejected, undefined, h.fake.requests[1].rejected);
      assert.deepEqual(toolOutputsOf(h.fake.requests[1]), [
        { callId: 'call_a', output: executed.get('call_a')!.resultJson },
        { callId: 'call_b', output: executed.get('call_b')!.resultJson },
      ]);
      assertOneTerminal(h.events, 'completed');
    });

    test('a tool result with an error (unknown place, bad arguments, unknown tool) goes back to the model, the turn continues', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(
        toolCallsReply([
          { name: 'get_weather', arguments: { location: 'Atlantis' }, callId: 'call_nowhere' },
          { name: 'get_weather', arguments: '{"place": "Makati"}', callId: 'call_badargs' },
          { name: 'get_time', arguments: { zone: 'Asia/Manila' }, callId: 'call_unknown' },
        ]),
        textReply('Sorry, I could not find that place.'),
      );
      const result = await within(h.assistant.ask('Weather in Atlantis?'), 5_000);
      assert.equal(result.status, 'completed', result.error);

      const outputs = new Map(toolOutputsOf(h.fake.requests[1]).map((o) => [o.callId, JSON.parse(o.output)]));
      assert.deepEqual([...outputs.keys()], ['call_nowhere', 'call_badargs', 'call_unknown']);
      assert.match(outputs.get('call_nowhere').error, /Atlantis/);
      assert.equal(typeof outputs.get('call_badargs').error, 'string');
      assert.equal(outputs.get('call_unknown').error, 'There is no tool called "get_time"; the tools are get_weather and get_forecast.');
      const executed = h.of('tool_executed');
      assert.equal(executed.length, 3);
      assert.ok(executed.every((e) => typeof e.error === 'string' && e.error.length > 0), 'each carries its error');
    });
  });
}
