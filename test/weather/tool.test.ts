import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createWeatherTool, WEATHER_TOOL_DEFINITION, type WeatherConfig, type WeatherReport } from '../../src/weather';
import { useFakeWeatherServer } from '../support/fake-weather';
import { waitUntil } from '../support/wait';

const opts = { timeout: 5_000 };

describe('createWeatherTool', () => {
  const fakeWeather = useFakeWeatherServer();

  const tool = (extra: WeatherConfig = {}) =>
    createWeatherTool({ geocodingUrl: fakeWeather().geocodingUrl, forecastUrl: fakeWeather().forecastUrl, ...extra });

  test('exposes the definition, the provider and the argument parser', opts, () => {
    const weather = tool();
    assert.equal(weather.definition, WEATHER_TOOL_DEFINITION);
    assert.equal(weather.provider, 'open-meteo');
    assert.deepEqual(weather.parseArgs('{"location":"Makati"}'), { ok: true, args: { location: 'Makati' } });
  });

  test('a repeated question is answered from the cache without any request', opts, async () => {
    const weather = tool();
    const first = await weather.run('{"location":"Makati"}');
    assert.equal(fakeWeather().requests.length, 2);
    const second = await weather.run('{"location":"  makati "}');
    assert.equal(fakeWeather().requests.length, 2, 'no new request');
    assert.equal(second.cached, true);
    assert.equal(second.location, 'makati');
    assert.deepEqual(second.result, first.result);
    assert.equal(second.resultJson, first.resultJson);
  });

  test('units are part of the cache key', opts, async () => {
    const weather = tool();
    await weather.run('{"location":"Makati"}');
    const imperial = await weather.run('{"location":"Makati","units":"imperial"}');
    assert.equal(imperial.cached, false);
    assert.equal(fakeWeather().requests.length, 4);
    assert.equal((imperial.result as WeatherReport).units.temperature, '°F');
  });

  test('cached entries expire after cacheTtlMs', opts, async () => {
    let now = 0;
    const weather = tool({ cacheTtlMs: 60_000, now: () => now });
    await weather.run('{"location":"Makati"}');
    now = 59_999;
    assert.equal((await weather.run('{"location":"Makati"}')).cached, true);
    now = 60_000;
    assert.equal((await weather.run('{"location":"Makati"}')).cached, false);
    assert.equal(fakeWeather().requests.length, 4);
  });

  test('cacheTtlMs 0 turns the cache off; clearCache() empties it', opts, async () => {
    const off = tool({ cacheTtlMs: 0 });
    await off.run('{"location":"Makati"}');
    assert.equal((await off.run('{"location":"Makati"}')).cached, false);
    const on = tool();
    await on.run('{"location":"Makati"}');
    on.clearCache();
    assert.equal((await on.run('{"location":"Makati"}')).cached, false);
    assert.equal(fakeWeather().requests.length, 8);
  });

  test('errors are not cached: the next ask tries again', opts, async () => {
    const weather = tool();
    fakeWeather().setMode('status500', 'forecast');
    assert.equal((await weather.run('{"location":"Makati"}')).error, 'Open-Meteo forecast failed with HTTP 500');
    fakeWeather().setMode('normal');
    const retry = await weather.run('{"location":"Makati"}');
    assert.equal(retry.error, undefined);
    assert.equal(retry.cached, false);
    await weather.run('{"location":"Atlantis"}');
    await weather.run('{"location":"Atlantis"}');
    assert.equal(fakeWeather().requests.filter((r) => r.query.name === 'Atlantis').length, 2);
  });

  test('editing a returned result does not change what the cache hands out next', opts, async () => {
    const weather = tool();
    const fresh = await weather.run('{"location":"Makati"}');
    (fresh.result as WeatherReport).temperature = -99;
    const cached = await weather.run('{"location":"Makati"}');
    assert.equal((cached.result as WeatherReport).temperature, 31.2);
    (cached.result as WeatherReport).units.temperature = 'K';
    const again = await weather.run('{"location":"Makati"}');
    assert.equal(again.cached, true);
    assert.equal((again.result as WeatherReport).units.temperature, '°C');
  });

  test('bad arguments: an error result for the model, and no request', opts, async () => {
    const run = await tool().run('{"units":"kelvin"}');
    assert.deepEqual(run.result, {
      error: 'get_weather needs a "location", e.g. {"location": "Makati"}',
      source: 'open-meteo',
    });
    assert.equal(run.location, '');
    assert.equal(run.error, run.result.error);
    assert.equal(JSON.parse(run.resultJson).error, run.error);
    assert.equal((await tool().run('not json')).error, 'get_weather arguments are not valid JSON: "not json"');
    assert.equal(fakeWeather().requests.length, 0);
  });

  test('accepts already-parsed arguments', opts, async () => {
    const run = await tool().run({ location: 'Berlin', units: 'metric' });
    assert.equal((run.result as WeatherReport).location, 'Berlin, Land Berlin, Germany');
    assert.equal((run.result as WeatherReport).condition, 'Slight rain');
  });

  test('cancellation rejects with an AbortError, promptly, even while the server hangs', opts, async () => {
    fakeWeather().setMode('hang');
    const controller = new AbortController();
    const pending = tool({ timeoutMs: 30_000 }).run('{"location":"Makati"}', controller.signal);
    // Abort once the request is hanging at the server (a fixed delay races a busy machine).
    await waitUntil(() => fakeWeather().requests.length === 1, 5_000, 'the hanging request');
    const abortedAt = Date.now();
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    assert.ok(Date.now() - abortedAt < 2_000, `took ${Date.now() - abortedAt} ms after the abort`);
    assert.equal(fakeWeather().requests.length, 1);
  });

  test('cancellation passes on the caller\'s own reason', opts, async () => {
    fakeWeather().setMode('hang', 'forecast');
    const controller = new AbortController();
    const reason = new Error('user stopped the turn');
    const pending = tool({ timeoutMs: 30_000 }).run('{"location":"Makati"}', controller.signal);
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(pending, (error) => error === reason);
  });

  test('an already aborted signal rejects before any request', opts, async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(tool().run('{"location":"Makati"}', controller.signal), { name: 'AbortError' });
    assert.equal(fakeWeather().requests.length, 0);
    // Not even a cached answer: the caller has stopped listening.
    const weather = tool();
    await weather.run('{"location":"Makati"}');
    await assert.rejects(weather.run('{"location":"Makati"}', controller.signal), { name: 'AbortError' });
  });

  test('a signal that never aborts changes nothing', opts, async () => {
    const run = await tool().run('{"location":"Makati"}', new AbortController().signal);
    assert.equal((run.result as WeatherReport).temperature, 31.2);
  });

  test('a fetch replacement that ignores the signal still cannot outlive the deadline', opts, async () => {
    const weather = createWeatherTool({ timeoutMs: 100, fetch: () => new Promise<Response>(() => {}) });
    const started = Date.now();
    assert.equal((await weather.run('{"location":"Makati"}')).error, 'Open-Meteo geocoding did not answer within 100 ms; try again later');
    assert.ok(Date.now() - started < 2_000);
  });
});
