// createForecastTool around its provider: the cache (per place, units, days and hourly),
// one deadline, cancellation, and copies that callers cannot spoil; as createWeatherTool.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createForecastTool, createWeatherTool, FORECAST_TOOL_DEFINITION, type ForecastReport, type WeatherConfig } from '../../src/weather';
import { FAKE_FORECAST_NOW } from '../fakes/weather-server';
import { useFakeWeatherServer } from '../support/fake-weather';
import { waitUntil } from '../support/wait';

const opts = { timeout: 5_000 };

describe('createForecastTool', () => {
  const fakeWeather = useFakeWeatherServer({ now: () => FAKE_FORECAST_NOW });
  const tool = (extra: WeatherConfig = {}) =>
    createForecastTool({ geocodingUrl: fakeWeather().geocodingUrl, forecastUrl: fakeWeather().forecastUrl, now: () => FAKE_FORECAST_NOW, ...extra });
  const forecasts = () => fakeWeather().requests.filter((r) => r.endpoint === 'forecast').length;

  test('exposes its definition, the provider and the argument parser', opts, () => {
    const forecast = tool({ provider: 'openweathermap' });
    assert.equal(forecast.definition, FORECAST_TOOL_DEFINITION);
    assert.equal(forecast.provider, 'openweathermap');
    assert.deepEqual(forecast.parseArgs('{"location":"Tokyo","days":2}'), { ok: true, args: { location: 'Tokyo', days: 2, hourly: false } });
  });

  test('a repeated question is answered from the cache; days, hourly and units are part of the key', opts, async () => {
    const forecast = tool();
    const first = await forecast.run('{"location":"Tokyo","days":2}');
    const again = await forecast.run('{"location":"  tokyo ","days":2}');
    assert.equal(again.cached, true);
    assert.equal(again.resultJson, first.resultJson);
    assert.equal(forecasts(), 1);
    for (const raw of ['{"location":"Tokyo","days":3}', '{"location":"Tokyo","days":2,"hourly":true}', '{"location":"Tokyo","days":2,"units":"imperial"}']) {
      assert.equal((await forecast.run(raw)).cached, false, raw);
    }
    assert.equal(forecasts(), 4);
    assert.equal(((await forecast.run('{"location":"Tokyo","days":2,"hourly":true}')).result as ForecastReport).hourly?.time.length, 48);
    assert.equal(forecasts(), 4);
  });

  test('its cache is its own: a current-weather check does not answer a forecast', opts, async () => {
    const config = { geocodingUrl: fakeWeather().geocodingUrl, forecastUrl: fakeWeather().forecastUrl };
    await createWeatherTool(config).run('{"location":"Tokyo"}');
    const run = await createForecastTool(config).run('{"location":"Tokyo"}');
    assert.equal(run.cached, false);
    assert.ok('daily' in run.result);
  });

  test('entries expire after cacheTtlMs; errors are never cached; clearCache() empties it', opts, async () => {
    let clock = FAKE_FORECAST_NOW;
    const forecast = tool({ cacheTtlMs: 60_000, now: () => clock });
    await forecast.run('{"location":"Tokyo"}');
    clock += 59_999;
    assert.equal((await forecast.run('{"location":"Tokyo"}')).cached, true);
    clock += 1;
    assert.equal((await forecast.run('{"location":"Tokyo"}')).cached, false);
    forecast.clearCache();
    fakeWeather().setMode('status500', 'forecast');
    assert.equal((await forecast.run('{"location":"Tokyo"}')).error, 'Open-Meteo forecast failed with HTTP 500');
    fakeWeather().setMode('normal');
    const retry = await forecast.run('{"location":"Tokyo"}');
    assert.equal(retry.cached, false);
    assert.equal(retry.error, undefined);
  });

  test('editing a returned forecast does not change what the cache hands out next', opts, async () => {
    const forecast = tool();
    const fresh = (await forecast.run('{"location":"Tokyo"}')).result as ForecastReport;
    fresh.daily.temperature_max[0] = -99;
    fresh.units.temperature = 'K';
    const cached = (await forecast.run('{"location":"Tokyo"}')).result as ForecastReport;
    assert.equal(cached.daily.temperature_max[0], 25.8);
    assert.equal(cached.units.temperature, '°C');
  });

  test('accepts already-parsed arguments', opts, async () => {
    const run = await tool().run({ location: 'Berlin', days: 1, hourly: false });
    assert.equal((run.result as ForecastReport).location, 'Berlin, Land Berlin, Germany');
    assert.equal((run.result as ForecastReport).timezone, 'Europe/Berlin');
    assert.equal((run.result as ForecastReport).utc_offset, '+01:00');
  });

  test('cancellation rejects with an AbortError, promptly, even while the server hangs; nothing after an early abort', opts, async () => {
    fakeWeather().setMode('hang', 'forecast');
    const controller = new AbortController();
    const pending = tool({ timeoutMs: 30_000 }).run('{"location":"Tokyo"}', controller.signal);
    await waitUntil(() => forecasts() === 1, 5_000, 'the hanging forecast request');
    const abortedAt = Date.now();
    controller.abort();
    await assert.rejects(pending, { name: 'AbortError' });
    assert.ok(Date.now() - abortedAt < 2_000, `took ${Date.now() - abortedAt} ms after the abort`);

    fakeWeather().reset();
    const reason = new Error('user stopped the turn');
    const early = new AbortController();
    early.abort(reason);
    await assert.rejects(tool().run('{"location":"Tokyo"}', early.signal), (error) => error === reason);
    assert.equal(fakeWeather().requests.length, 0);
  });

  test('one deadline covers geocoding and forecast; a fetch that ignores the signal cannot outlive it', opts, async () => {
    fakeWeather().setMode('hang', 'forecast');
    let started = Date.now();
    assert.equal((await tool({ timeoutMs: 300 }).run('{"location":"Tokyo"}')).error, 'Open-Meteo forecast did not answer within 300 ms; try again later');
    assert.ok(Date.now() - started < 2_000);
    started = Date.now();
    const stuck = createForecastTool({ timeoutMs: 100, fetch: () => new Promise<Response>(() => {}) });
    assert.equal((await stuck.run('{"location":"Tokyo"}')).error, 'Open-Meteo geocoding did not answer within 100 ms; try again later');
    assert.ok(Date.now() - started < 2_000);
  });

  test('a fetch replacement that throws is a failure to reach the service, not an exception', opts, async () => {
    const broken = createForecastTool({ fetch: () => { throw new TypeError('boom'); } });
    assert.equal((await broken.run('{"location":"Tokyo"}')).error, 'Could not reach Open-Meteo geocoding: boom');
  });
});
