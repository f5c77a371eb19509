import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createWeatherTool, type WeatherConfig, type WeatherReport } from '../../src/weather';
import { useFakeWeatherServer } from '../support/fake-weather';

const opts = { timeout: 5_000 };

describe('OpenWeatherMap through the fake server', () => {
  const fakeWeather = useFakeWeatherServer();

  const tool = (extra: WeatherConfig = {}) =>
    createWeatherTool({
      provider: 'openweathermap',
      forecastUrl: fakeWeather().owmUrl,
      apiKey: fakeWeather().owmApiKey,
      cacheTtlMs: 0,
      ...extra,
    });

  const makatiMetric: WeatherReport = {
    location: 'Makati, PH',
    latitude: 14.55027,
    longitude: 121.03269,
    temperature: 31.2,
    apparent_temperature: 37.4,
    humidity: 70,
    wind_speed: 3.5,
    condition: 'Scattered clouds',
    units: { system: 'metric', temperature: '°C', wind_speed: 'm/s', humidity: '%' },
    observed_at: '2025-06-01T04:15:00.000Z',
    source: 'openweathermap',
  };

  test('metric Makati in one request with q, appid and units', opts, async () => {
    const run = await tool().run('{"location":"Makati"}');
    assert.deepEqual(run.result, makatiMetric);
    assert.deepEqual(JSON.parse(run.resultJson), makatiMetric);
    assert.deepEqual(
      fakeWeather().requests.map(({ path, query }) => ({ path, query })),
      [{ path: '/data/2.5/weather', query: { q: 'Makati', appid: fakeWeather().owmApiKey, units: 'metric' } }],
    );
  });

  test('imperial Makati: °F and mph', opts, async () => {
    const run = await tool().run('{"location":"Makati","units":"imperial"}');
    assert.deepEqual(run.result, {
      ...makatiMetric,
      temperature: 88.2,
      apparent_temperature: 99.3,
      wind_speed: 7.8,
      units: { system: 'imperial', temperature: '°F', wind_speed: 'mph', humidity: '%' },
    });
    assert.equal(fakeWeather().requests[0]?.query.units, 'imperial');
  });

  test('the location goes to OpenWeatherMap as written, qualifiers included', opts, async () => {
    const run = await tool().run('{"location":"Paris, US"}');
    assert.equal(fakeWeather().requests[0]?.query.q, 'Paris, US');
    assert.equal((run.result as WeatherReport).location, 'Paris, US');
    assert.equal((run.result as WeatherReport).latitude, 33.66094);
  });

  test('no API key: a clear error result and no request', opts, async () => {
    const run = await tool({ apiKey: '' }).run('{"location":"Makati"}');
    assert.match(run.error ?? '', /^OpenWeatherMap needs an API key and none is configured/);
    assert.equal(run.result.source, 'openweathermap');
    assert.equal(fakeWeather().requests.length, 0);
  });

  test('a wrong key: OpenWeatherMap\'s 401 explanation, without the key', opts, async () => {
    const run = await tool({ apiKey: 'secret-but-wrong' }).run('{"location":"Makati"}');
    assert.equal(
      run.error,
      'OpenWeatherMap rejected the API key (HTTP 401): Invalid API key. Please see https://openweathermap.org/faq#error401 for more info.',
    );
    assert.doesNotMatch(run.resultJson, /secret-but-wrong/);
  });

  test('city not found (404) reads like any unknown place', opts, async () => {
    const run = await tool().run('{"location":"Atlantis"}');
    assert.deepEqual(run.result, { error: 'No place called "Atlantis" was found', location: 'Atlantis', source: 'openweathermap' });
  });

  test('HTTP errors, malformed JSON and silence become error results', opts, async () => {
    fakeWeather().setMode('status500');
    assert.equal((await tool().run('{"location":"Makati"}')).error, 'OpenWeatherMap failed with HTTP 500');
    fakeWeather().setMode('badRequest');
    assert.equal((await tool().run('{"location":"Makati"}')).error, 'OpenWeatherMap rejected the request (HTTP 400): wrong units value');
    fakeWeather().setMode('malformed');
    assert.equal((await tool().run('{"location":"Makati"}')).error, 'OpenWeatherMap sent a response that is not valid JSON (HTTP 200)');
    fakeWeather().setMode('hang');
    const started = Date.now();
    assert.equal((await tool({ timeoutMs: 100 }).run('{"location":"Makati"}')).error, 'OpenWeatherMap did not answer within 100 ms; try again later');
    assert.ok(Date.now() - started < 2_000);
  });
});

describe('OpenWeatherMap response shapes (injected fetch, no network)', () => {
  const good = {
    coord: { lon: 121.03, lat: 14.55 },
    weather: [{ id: 802, main: 'Clouds', description: 'scattered clouds', icon: '03d' }],
    main: { temp: 30, feels_like: 33, humidity: 60 },
    wind: { speed: 2 },
    dt: 1748751300,
    name: '',
    sys: {},
    cod: 200,
  };
  const answering = (body: unknown) =>
    createWeatherTool({ provider: 'openweathermap', apiKey: 'k', cacheTtlMs: 0, fetch: async () => new Response(JSON.stringify(body)) });

  test('a blank name falls back to the requested place; a missing description to "main"', opts, async () => {
    const run = await answering({ ...good, weather: [{ main: 'Clouds' }] }).run('{"location":"14.55,121.03"}');
    const report = run.result as WeatherReport;
    assert.equal(report.location, '14.55,121.03');
    assert.equal(report.condition, 'Clouds');
    assert.equal(report.observed_at, '2025-06-01T04:15:00.000Z');
  });

  test('unexpected shapes say what is wrong', opts, async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...good, coord: undefined }, 'coord is missing'],
      [{ ...good, main: { ...good.main, temp: 'hot' } }, 'main.temp is not a number'],
      [{ ...good, wind: {} }, 'wind.speed is not a number'],
      [{ ...good, dt: '2025-06-01' }, 'dt is not a number'],
    ];
    for (const [body, detail] of cases) {
      assert.equal((await answering(body).run('{"location":"Makati"}')).error, `OpenWeatherMap sent an unexpected response: ${detail}`);
    }
  });
});
