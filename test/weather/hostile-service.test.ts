// A weather service (or a proxy in front of it) that answers far too much: a body of
// megabytes is not read past the limit, and service text longer than any real value is
// cut, so neither can flood the model's context, the channel or memory.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createWeatherTool, type WeatherConfig, type WeatherReport } from '../../src/weather';
import { useFakeWeatherServer } from '../support/fake-weather';

const opts = { timeout: 10_000 };
/** Every string the verbose fake sends is 5000 characters; what is passed on is at most 200. */
const MAX_TEXT = 200;

describe('a hostile weather service', () => {
  const fakeWeather = useFakeWeatherServer();
  const openMeteo = (extra: WeatherConfig = {}) =>
    createWeatherTool({ geocodingUrl: fakeWeather().geocodingUrl, forecastUrl: fakeWeather().forecastUrl, cacheTtlMs: 0, ...extra });
  const owm = (extra: WeatherConfig = {}) =>
    createWeatherTool({ provider: 'openweathermap', forecastUrl: fakeWeather().owmUrl, apiKey: fakeWeather().owmApiKey, cacheTtlMs: 0, ...extra });

  test('a 2.5 MB answer is not read past 256 kB: an error result naming the limit', opts, async () => {
    for (const [endpoint, tool, service] of [
      ['geocoding', openMeteo, 'Open-Meteo geocoding'],
      ['forecast', openMeteo, 'Open-Meteo forecast'],
      ['owm', owm, 'OpenWeatherMap'],
    ] as const) {
      fakeWeather().reset();
      fakeWeather().setMode('oversized', endpoint);
      const run = await tool().run('{"location":"Makati"}');
      assert.equal(run.error, `${service} sent an answer larger than 256 kB (HTTP 200); it was not read`, endpoint);
    }
  });

  test('Open-Meteo: 5000-character place names and unit labels are cut to 200 characters', opts, async () => {
    fakeWeather().setMode('verbose');
    const run = await openMeteo().run('{"location":"Makati"}');
    assert.equal(run.error, undefined);
    const report = run.result as WeatherReport;
    assert.equal(report.location.length, MAX_TEXT);
    assert.ok(report.location.startsWith('Makati~~~') && report.location.endsWith('…'), report.location.slice(0, 20));
    for (const label of [report.units.temperature, report.units.wind_speed, report.units.humidity]) assert.equal(label.length, MAX_TEXT);
    assert.ok(run.resultJson.length < 2_000, `${run.resultJson.length} characters of result`);
  });

  test('OpenWeatherMap: a 5000-character name and description are cut to 200 characters', opts, async () => {
    fakeWeather().setMode('verbose');
    const run = await owm().run('{"location":"Makati"}');
    assert.equal(run.error, undefined);
    const report = run.result as WeatherReport;
    assert.ok(report.location.length <= MAX_TEXT, `${report.location.length}`);
    assert.equal(report.condition.length, MAX_TEXT);
    assert.ok(run.resultJson.length < 2_000, `${run.resultJson.length} characters of result`);
  });

  test('5000-character error explanations are cut to 200 characters', opts, async () => {
    fakeWeather().setMode('verboseBadRequest');
    const openMeteoError = (await openMeteo().run('{"location":"Makati"}')).error ?? '';
    assert.match(openMeteoError, /^Open-Meteo geocoding rejected the request \(HTTP 400\): Latitude must be in range/);
    assert.equal(openMeteoError.length, 'Open-Meteo geocoding rejected the request (HTTP 400): '.length + MAX_TEXT);
    const owmError = (await owm().run('{"location":"Makati"}')).error ?? '';
    assert.equal(owmError.length, 'OpenWeatherMap rejected the request (HTTP 400): '.length + MAX_TEXT);
    fakeWeather().setMode('verbose');
    const wrongKey = (await owm({ apiKey: 'wrong' }).run('{"location":"Makati"}')).error ?? '';
    assert.match(wrongKey, /^OpenWeatherMap rejected the API key \(HTTP 401\): Invalid API key/);
    assert.equal(wrongKey.length, 'OpenWeatherMap rejected the API key (HTTP 401): '.length + MAX_TEXT);
  });
});
