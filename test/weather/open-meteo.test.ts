import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createWeatherTool, type WeatherConfig, type WeatherReport } from '../../src/weather';
import { OPEN_METEO_CURRENT } from '../../src/weather/open-meteo';
import { startFakeWeatherServer } from '../fakes/weather-server';
import { useFakeWeatherServer } from '../support/fake-weather';

const opts = { timeout: 5_000 };

describe('Open-Meteo through the fake server', () => {
  const fakeWeather = useFakeWeatherServer();

  const tool = (extra: WeatherConfig = {}) =>
    createWeatherTool({ geocodingUrl: fakeWeather().geocodingUrl, forecastUrl: fakeWeather().forecastUrl, cacheTtlMs: 0, ...extra });

  const makatiMetric: WeatherReport = {
    location: 'Makati, Metro Manila, Philippines',
    latitude: 14.55027,
    longitude: 121.03269,
    temperature: 31.2,
    apparent_temperature: 37.4,
    humidity: 70,
    wind_speed: 12.6,
    condition: 'Partly cloudy',
    units: { system: 'metric', temperature: '°C', wind_speed: 'km/h', humidity: '%' },
    observed_at: '2025-06-01T04:15:00.000Z',
    source: 'open-meteo',
  };

  test('metric Makati: geocodes, then asks for current values with default units', opts, async () => {
    const run = await tool().run('{"location":"Makati"}');
    assert.deepEqual(run.result, makatiMetric);
    assert.deepEqual(JSON.parse(run.resultJson), makatiMetric);
    assert.equal(run.location, 'Makati');
    assert.equal(run.error, undefined);
    assert.equal(run.cached, false);
    assert.deepEqual(
      fakeWeather().requests.map(({ endpoint, method, query }) => ({ endpoint, method, query })),
      [
        { endpoint: 'geocoding', method: 'GET', query: { name: 'Makati', count: '1' } },
        {
          endpoint: 'forecast',
          method: 'GET',
          query: { latitude: '14.55027', longitude: '121.03269', current: OPEN_METEO_CURRENT },
        },
      ],
    );
    assert.equal(OPEN_METEO_CURRENT, 'temperature_2m,apparent_temperature,relative_humidity_2m,wind_speed_10m,weather_code');
  });

  test('imperial Makati: asks for fahrenheit and mph, and labels them', opts, async () => {
    const run = await tool().run('{"location":"Makati","units":"imperial"}');
    assert.deepEqual(run.result, {
      ...makatiMetric,
      temperature: 88.2,
      apparent_temperature: 99.3,
      wind_speed: 7.8,
      units: { system: 'imperial', temperature: '°F', wind_speed: 'mph', humidity: '%' },
    });
    const forecast = fakeWeather().requests.find((r) => r.endpoint === 'forecast');
    assert.equal(forecast?.query.temperature_unit, 'fahrenheit');
    assert.equal(forecast?.query.wind_speed_unit, 'mph');
  });

  test('configured default units apply when the model names none, and the model can override them', opts, async () => {
    const imperial = tool({ units: 'imperial' });
    assert.equal(((await imperial.run('{"location":"Makati"}')).result as WeatherReport).units.system, 'imperial');
    const metric = await imperial.run('{"location":"Makati","units":"metric"}');
    assert.equal((metric.result as WeatherReport).temperature, 31.2);
    const lastForecast = fakeWeather().requests.filter((r) => r.endpoint === 'forecast').at(-1);
    assert.equal(lastForecast?.query.temperature_unit, undefined);
  });

  test('a place without a region is not named twice', opts, async () => {
    const run = await tool().run('{"location":"Singapore"}');
    assert.equal((run.result as WeatherReport).location, 'Singapore');
    assert.equal((run.result as WeatherReport).condition, 'Slight rain showers');
  });

  test('"name, region" searches the name and picks the candidate in that region', opts, async () => {
    const texas = await tool().run('{"location":"Paris, Texas"}');
    assert.equal((texas.result as WeatherReport).location, 'Paris, Texas, United States');
    assert.equal((texas.result as WeatherReport).condition, 'Fog');
    assert.deepEqual(fakeWeather().requests[0]?.query, { name: 'Paris', count: '10' });
    assert.equal(fakeWeather().requests[1]?.query.latitude, '33.66094');

    const france = await tool().run('{"location":"Paris"}');
    assert.equal((france.result as WeatherReport).location, 'Paris, Île-de-France, France');
    const makati = await tool().run('{"location":"Makati, Philippines"}');
    assert.equal((makati.result as WeatherReport).location, 'Makati, Metro Manila, Philippines');
  });

  test('unknown place: an error result, and no forecast request', opts, async () => {
    const run = await tool().run('{"location":"Atlantis"}');
    assert.deepEqual(run.result, { error: 'No place called "Atlantis" was found', location: 'Atlantis', source: 'open-meteo' });
    assert.equal(run.error, 'No place called "Atlantis" was found');
    assert.deepEqual(JSON.parse(run.resultJson), run.result);
    assert.deepEqual(fakeWeather().requests.map((r) => r.endpoint), ['geocoding']);
  });

  test('HTTP 500 from either step becomes an error result', opts, async () => {
    fakeWeather().setMode('status500', 'geocoding');
    assert.equal((await tool().run('{"location":"Makati"}')).error, 'Open-Meteo geocoding failed with HTTP 500');
    fakeWeather().reset();
    fakeWeather().setMode('status500', 'forecast');
    assert.equal((await tool().run('{"location":"Makati"}')).error, 'Open-Meteo forecast failed with HTTP 500');
    assert.deepEqual(fakeWeather().requests.map((r) => r.endpoint), ['geocoding', 'forecast']);
  });

  test('a 400 passes on Open-Meteo\'s reason', opts, async () => {
    fakeWeather().setMode('badRequest', 'forecast');
    const run = await tool().run('{"location":"Makati"}');
    assert.equal(run.error, 'Open-Meteo forecast rejected the request (HTTP 400): Latitude must be in range of -90 to 90°. Given: 91.0.');
  });

  test('a server that never answers times out quickly with an error result', opts, async () => {
    fakeWeather().setMode('hang');
    const started = Date.now();
    const run = await tool({ timeoutMs: 150 }).run('{"location":"Makati"}');
    assert.equal(run.error, 'Open-Meteo geocoding did not answer within 150 ms; try again later');
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
  });

  test('one deadline covers both steps', opts, async () => {
    fakeWeather().setMode('hang', 'forecast');
    const started = Date.now();
    const run = await tool({ timeoutMs: 300 }).run('{"location":"Makati"}');
    assert.equal(run.error, 'Open-Meteo forecast did not answer within 300 ms; try again later');
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
  });

  test('malformed JSON becomes an error result', opts, async () => {
    fakeWeather().setMode('malformed', 'geocoding');
    const run = await tool().run('{"location":"Makati"}');
    assert.equal(run.error, 'Open-Meteo geocoding sent a response that is not valid JSON (HTTP 200)');
  });

  test('a refused connection becomes an error result', opts, async () => {
    const gone = await startFakeWeatherServer();
    await gone.close();
    const run = await tool({ geocodingUrl: gone.geocodingUrl }).run('{"location":"Makati"}');
    assert.match(run.error ?? '', /^Could not reach Open-Meteo geocoding: .*ECONNREFUSED/);
  });

  test('an API key goes to both endpoints as apikey; a mirror URL keeps its own parameters', opts, async () => {
    await tool({ apiKey: 'customer-key', geocodingUrl: `${fakeWeather().geocodingUrl}?language=en` }).run('{"location":"Makati"}');
    const [geocoding, forecast] = fakeWeather().requests;
    assert.deepEqual(geocoding?.query, { language: 'en', name: 'Makati', count: '1', apikey: 'customer-key' });
    assert.equal(forecast?.query.apikey, 'customer-key');
  });
});

describe('Open-Meteo response shapes (injected fetch, no network)', () => {
  const geocodingBody = { results: [{ name: 'Makati', latitude: 14.55027, longitude: 121.03269, country: 'Philippines', admin1: 'Metro Manila' }] };
  const forecastBody = {
    utc_offset_seconds: 0,
    current_units: { temperature_2m: '°C' },
    current: {
      time: '2025-06-01T04:15',
      temperature_2m: 30,
      apparent_temperature: 33,
      relative_humidity_2m: 60,
      wind_speed_10m: 5,
      weather_code: 1,
    },
  };

  function toolAnswering(geocoding: unknown, forecast: unknown) {
    return createWeatherTool({
      cacheTtlMs: 0,
      fetch: async (url) =>
        new Response(JSON.stringify(new URL(url).pathname.endsWith('/search') ? geocoding : forecast), { status: 200 }),
    });
  }

  test('local time is converted to UTC with utc_offset_seconds', opts, async () => {
    const body = { ...forecastBody, utc_offset_seconds: 28_800, current: { ...forecastBody.current, time: '2025-06-01T12:15' } };
    const run = await toolAnswering(geocodingBody, body).run('{"location":"Makati"}');
    assert.equal((run.result as WeatherReport).observed_at, '2025-06-01T04:15:00.000Z');
    assert.equal((run.result as WeatherReport).condition, 'Mainly clear');
  });

  test('readings the service leaves null stay null', opts, async () => {
    const body = { ...forecastBody, current: { ...forecastBody.current, apparent_temperature: null, weather_code: null } };
    const report = (await toolAnswering(geocodingBody, body).run('{"location":"Makati"}')).result as WeatherReport;
    assert.equal(report.apparent_temperature, null);
    assert.equal(report.condition, 'Unknown conditions');
    assert.equal(report.temperature, 30);
  });

  test('unexpected shapes become error results that say what is wrong', opts, async () => {
    const cases: Array<[unknown, unknown, string]> = [
      [[1], forecastBody, 'Open-Meteo geocoding sent an unexpected response: the body is not a JSON object'],
      [{ results: 'Makati' }, forecastBody, 'Open-Meteo geocoding sent an unexpected response: "results" is not a list'],
      [{ results: [{ name: 'Makati' }] }, forecastBody, 'Open-Meteo geocoding sent an unexpected response: a result lacks name, latitude or longitude'],
      [geocodingBody, {}, 'Open-Meteo forecast sent an unexpected response: "current" is missing'],
      [geocodingBody, { current: { ...forecastBody.current, temperature_2m: '30' } }, 'Open-Meteo forecast sent an unexpected response: current.temperature_2m is not a number'],
      [geocodingBody, { current: { ...forecastBody.current, wind_speed_10m: undefined } }, 'Open-Meteo forecast sent an unexpected response: current.wind_speed_10m is not a number'],
      [geocodingBody, { current: { ...forecastBody.current, time: 'yesterday' } }, 'Open-Meteo forecast sent an unexpected response: current.time is not a date and time'],
    ];
    for (const [geocoding, forecast, expected] of cases) {
      const run = await toolAnswering(geocoding, forecast).run('{"location":"Makati"}');
      assert.equal(run.error, expected);
    }
  });
});
