// get_forecast in real turns, on both model APIs and both weather providers: the model
// calls get_weather, then get_forecast, then answers; every event reaches a raw subscriber
// on a real relay channel in order, in the seed's shapes (a forecast-worded "started",
// then tool_executed with the result JSON); bad arguments come back as error results the
// model can read; both tools are offered in every request.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { ChannelPublisher, type AssistantEvent } from '../../src/assistant';
import { WebSocketManager } from '../../src/client';
import { validateWireMessage } from '../../src/protocol';
import { startRelay } from '../../src/relay';
import type { WeatherConfig } from '../../src/weather';
import { splitIntoDeltas, textReply, toolCallReply, toolCallsReply, toolOutputsOf } from '../fakes/openai-server';
import { WsPeer } from '../support/ws-peer';
import { APIS, harness, shape, within, type Api, type Harness } from './helpers';

/** For a whole describe(): the sum of its tests, with room for a busy machine. */
const SUITE_TIMEOUT = { timeout: 120_000 };
const CHANNEL = 'weather-update';
const PROVIDERS = ['open-meteo', 'openweathermap'] as const;

/** The harness's assistant publishing on a real in-process relay, and a raw subscriber there. */
async function onRelay(t: TestContext, h: Harness): Promise<WsPeer> {
  const relay = await startRelay({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 0 });
  t.after(() => relay.close());
  const peer = await WsPeer.open(relay.url);
  t.after(() => peer.close());
  assert.equal((await peer.subscribe(CHANNEL)).type, 'subscribed');
  const manager = new WebSocketManager(relay.url, CHANNEL, { reconnect: { initialDelayMs: 50, maxDelayMs: 200 } });
  await manager.connect();
  t.after(() => manager.disconnect());
  const publisher = new ChannelPublisher(manager);
  h.assistant.on('event', (event: AssistantEvent) => publisher.handle(event));
  return peer;
}

function weatherFor(provider: (typeof PROVIDERS)[number], h: Harness): WeatherConfig {
  return provider === 'openweathermap' ? { provider, forecastUrl: h.weather.owmUrl, apiKey: h.weather.owmApiKey } : {};
}

async function providerHarness(t: TestContext, api: Api, provider: (typeof PROVIDERS)[number]): Promise<Harness> {
  const base = await harness(t, api);
  if (provider === 'open-meteo') return base;
  // The same fakes, the assistant rebuilt on OpenWeatherMap.
  const assistant = base.makeAssistant({}, weatherFor(provider, base));
  base.events.length = 0;
  assistant.on('event', (event) => base.events.push(event));
  return { ...base, assistant };
}

for (const api of APIS) {
  for (const provider of PROVIDERS) {
    describe(`get_forecast in a turn (${api}, ${provider})`, SUITE_TIMEOUT, () => {
      test('get_weather, then get_forecast, then the answer: each tool\'s events in order on the channel', async (t) => {
        const h = await providerHarness(t, api, provider);
        const peer = await onRelay(t, h);
        const answer = 'Thunder now in Tokyo; tomorrow looks wet.';
        h.fake.enqueue(
          toolCallReply('get_weather', { location: 'Tokyo' }, { callId: 'call_now' }),
          toolCallReply('get_forecast', { location: 'Tokyo', days: 2 }, { callId: 'call_later' }),
          textReply(answer),
        );
        const result = await within(h.assistant.ask('Will it rain in Tokyo tomorrow?', { threadId: 'thread_rain' }), 8_000);
        assert.equal(result.status, 'completed', result.error);
        assert.deepEqual(shape(h.events), ['turn_started', 'tool_started', 'tool_executed', 'tool_started', 'tool_executed', 'delta*', 'completed']);

        // On the channel: the seed's flow twice over, then the answer.
        const deltas = splitIntoDeltas(answer);
        await peer.waitForFrames(1 + 4 + deltas.length + 1);
        await peer.settle(100);
        const payloads = peer.messages.slice(1).map((message) => {
          assert.ok(validateWireMessage(message).ok, JSON.stringify(message).slice(0, 200));
          assert.equal(message.type, CHANNEL);
          return message.payload;
        });
        assert.equal(payloads.length, 4 + deltas.length + 1, 'nothing after completed');
        assert.deepEqual(
          payloads.slice(0, 4).map((p) => [p.status, p.type, p.tool_call_id]),
          [
            ['started', 'tool', 'call_now'],
            ['tool_executed', 'tool', 'call_now'],
            ['started', 'tool', 'call_later'],
            ['tool_executed', 'tool', 'call_later'],
          ],
        );
        assert.equal(payloads[0].message, 'Executing weather check for Tokyo');
        assert.equal(payloads[2].message, 'Executing weather forecast for Tokyo');
        const current = JSON.parse(payloads[1].message);
        const forecast = JSON.parse(payloads[3].message);
        assert.equal(current.temperature, 24.3);
        assert.equal(current.source, provider);
        assert.equal(forecast.source, provider);
        assert.match(forecast.location, /^Tokyo\b/);
        assert.equal(forecast.utc_offset, '+09:00');
        assert.equal(forecast.daily.date.length, 2);
        assert.equal(forecast.daily.precipitation.length, 2);
        assert.equal(forecast.hourly, undefined);
        assert.deepEqual(payloads.slice(4, -1).map((p) => [p.status, p.message]), deltas.map((d) => [undefined, d]));
        assert.deepEqual([payloads.at(-1).status, payloads.at(-1).message], ['completed', answer]);
        assert.deepEqual(payloads.map((p) => p.seq), payloads.map((_, i) => i));
        assert.ok(payloads.every((p) => p.thread_id === 'thread_rain'));

        // The model got each result under its own call id, with both tools offered each time.
        assert.equal(h.fake.requests.length, 3);
        assert.deepEqual(toolOutputsOf(h.fake.requests[1]).at(-1), { callId: 'call_now', output: payloads[1].message });
        assert.deepEqual(toolOutputsOf(h.fake.requests[2]).at(-1), { callId: 'call_later', output: payloads[3].message });
        for (const request of h.fake.requests) {
          assert.equal(request.rejected, undefined, request.rejected);
          const names = request.body.tools.map((tool: any) => (api === 'responses' ? tool.name : tool.function.name));
          assert.deepEqual(names, ['get_weather', 'get_forecast']);
        }
        const endpoints = h.weather.requests.map((r) => r.endpoint);
        assert.deepEqual(endpoints, provider === 'open-meteo' ? ['geocoding', 'forecast', 'geocoding', 'forecast'] : ['owm', 'owmForecast']);
      });
    });
  }

  describe(`get_forecast calls that go wrong (${api})`, SUITE_TIMEOUT, () => {
    test('days 0, 30 and "3", hourly "yes": error results the model reads, no weather request, and the turn goes on', async (t) => {
      const h = await harness(t, api);
      const peer = await onRelay(t, h);
      const calls = [
        { name: 'get_forecast', arguments: { location: 'Tokyo', days: 0 }, callId: 'call_zero' },
        { name: 'get_forecast', arguments: { location: 'Tokyo', days: 30 }, callId: 'call_thirty' },
        { name: 'get_forecast', arguments: { location: 'Tokyo', days: '3' }, callId: 'call_string' },
        { name: 'get_forecast', arguments: { location: 'Tokyo', hourly: 'yes' }, callId: 'call_hourly' },
      ];
      h.fake.enqueue(toolCallsReply(calls), textReply('Let me ask for fewer days.'));
      const result = await within(h.assistant.ask('Weather in Tokyo next month?'), 8_000);
      assert.equal(result.status, 'completed', result.error);

      const outputs = new Map(toolOutputsOf(h.fake.requests[1]).map((o) => [o.callId, JSON.parse(o.output)]));
      const range = '"days" must be a whole number from 1 to 7';
      assert.deepEqual(Object.fromEntries(outputs), {
        call_zero: { error: `${range} (got 0); the forecast reaches 7 days ahead at most`, source: 'open-meteo' },
        call_thirty: { error: `${range} (got 30); the forecast reaches 7 days ahead at most`, source: 'open-meteo' },
        call_string: { error: `${range} (got a string, "3"); the forecast reaches 7 days ahead at most`, source: 'open-meteo' },
        call_hourly: { error: '"hourly" must be true or false (got "yes")', source: 'open-meteo' },
      });
      assert.equal(h.weather.requests.length, 0);
      assert.ok(h.of('tool_executed').every((e) => e.error === outputs.get(e.callId).error));

      // The channel hears each call start and end, with the error result as its JSON.
      await peer.waitForFrames(1 + 8);
      const tools = peer.messages.slice(1, 9).map((m) => m.payload);
      assert.deepEqual(tools.slice(0, 4).map((p) => p.message), Array(4).fill('Executing weather forecast for an unnamed place'));
      assert.deepEqual(new Set(tools.slice(4).map((p) => JSON.parse(p.message).error)), new Set([...outputs.values()].map((o) => o.error)));
    });

    test('in parallel with get_weather: both announced before either result, each in its own words', async (t) => {
      const h = await harness(t, api);
      h.fake.enqueue(
        toolCallsReply([
          { name: 'get_weather', arguments: { location: 'Makati' }, callId: 'call_a' },
          { name: 'get_forecast', arguments: { location: 'Paris, Texas', days: 1, hourly: true, units: 'imperial' }, callId: 'call_b' },
        ]),
        textReply('Done.'),
      );
      assert.equal((await within(h.assistant.ask('Makati now, Paris TX today?'), 8_000)).status, 'completed');
      assert.deepEqual(h.events.filter((e) => e.type.startsWith('tool_')).map((e) => e.type).slice(0, 2), ['tool_started', 'tool_started']);
      assert.deepEqual(
        h.of('tool_started').map((e) => [e.name, e.location, e.message]),
        [
          ['get_weather', 'Makati', 'Executing weather check for Makati'],
          ['get_forecast', 'Paris, Texas', 'Executing weather forecast for Paris, Texas'],
        ],
      );
      const forecast = JSON.parse(h.of('tool_executed').find((e) => e.callId === 'call_b')!.resultJson);
      assert.match(forecast.utc_offset, /^-0[56]:00$/, 'Chicago time, with or without daylight saving');
      assert.equal(forecast.units.system, 'imperial');
      assert.equal(forecast.hourly.time.length, 48);
    });
  });
}
