// get_forecast on Open-Meteo through the fake server (real HTTP on 127.0.0.1, real fetch),
// on a fixed clock shared by the fake and the tool: the daily and hourly parameters it
// sends, the columns it reads back in the place's own time zone, and Open-Meteo's gaps.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createForecastTool, type ForecastReport, type WeatherConfig } from '../../src/weather';
import { OPEN_METEO_DAILY, OPEN_METEO_HOURLY } from '../../src/weather/open-meteo-forecast';
import { FAKE_FORECAST_NOW } from '../fakes/weather-server';
import { useFakeWeatherServer } from '../support/fake-weather';

const opts = { timeout: 5_000 };
const now = () => FAKE_FORECAST_NOW;

describe('get_forecast on Open-Meteo through the fake server', () => {
  const fakeWeather = useFakeWeatherServer({ now });
  const tool = (extra: WeatherConfig = {}) =>
    createForecastTool({ geocodingUrl: fakeWeather().geocodingUrl, forecastUrl: fakeWeather().forecastUrl, cacheTtlMs: 0, now, ...extra });

  /** Tokyo's first three days as the fake forecasts them around its current 24.3 °C, 11.5 km/h, code 95. */
  const tokyoThreeDays: ForecastReport = {
    location: 'Tokyo, Japan',
    latitude: 35.6895,
    longitude: 139.69171,
    timezone: 'Asia/Tokyo',
    utc_offset: '+09:00',
    units: { system: 'metric', temperature: '°C', precipitation: 'mm', precipitation_probability: '%', wind_speed: 'km/h' },
    daily: {
      date: ['2026-12-01', '2026-12-02', '2026-12-03'],
      temperature_min: [18.5, 20.6, null],
      temperature_max: [25.8, 26.7, 23.5],
      precipitation_probability: [20, 80, 45],
      precipitation: [0, 5.2, 0.4],
      wind_speed_max: [15, 18.4, 12.7],
      condition: ['Thunderstorm', 'Moderate rain', null],
    },
    source: 'open-meteo',
  };

  test('"Will it rain in Tokyo tomorrow?": geocodes, asks for 3 local days, and answers in columns with the gaps kept as null', opts, async () => {
    const run = await tool().run('{"location":"Tokyo"}');
    assert.equal(run.error, undefined, run.error);
    assert.deepEqual(run.result, tokyoThreeDays);
    assert.equal(run.resultJson, JSON.stringify(tokyoThreeDays), 'the JSON keeps the documented key order');
    assert.equal(run.location, 'Tokyo');
    assert.deepEqual(
      fakeWeather().requests.map(({ endpoint, query }) => ({ endpoint, query })),
      [
        { endpoint: 'geocoding', query: { name: 'Tokyo', count: '1' } },
        {
          endpoint: 'forecast',
          query: { latitude: '35.6895', longitude: '139.69171', daily: OPEN_METEO_DAILY, timezone: 'auto', forecast_days: '3' },
        },
      ],
    );
    assert.equal(OPEN_METEO_DAILY, 'temperature_2m_min,temperature_2m_max,precipitation_probability_max,precipitation_sum,wind_speed_10m_max,weather_code');
  });

  test('7 days: every day asked for, and no chance of rain where the model gives none', opts, async () => {
    const report = (await tool().run('{"location":"Tokyo","days":7}')).result as ForecastReport;
    assert.deepEqual(report.daily.date, ['2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06', '2026-12-07']);
    assert.deepEqual(report.daily.precipitation_probability, [20, 80, 45, 10, 65, null, null]);
    assert.deepEqual(report.daily.condition, ['Thunderstorm', 'Moderate rain', null, 'Mainly clear', 'Slight rain', 'Partly cloudy', 'Clear sky']);
    for (const column of Object.values(report.daily)) assert.equal(column.length, 7);
    assert.equal(report.hourly, undefined, 'no hourly block unless asked');
    assert.equal(fakeWeather().requests[1]?.query.forecast_days, '7');
  });

  test('hourly: 48 hours from the current local hour (12:00 in Tokyo), with a missing hour as null', opts, async () => {
    const run = await tool().run('{"location":"Tokyo","days":1,"hourly":true}');
    const report = run.result as ForecastReport;
    const query = fakeWeather().requests[1]?.query;
    assert.equal(query?.hourly, OPEN_METEO_HOURLY);
    assert.equal(query?.forecast_hours, '48');
    assert.deepEqual(Object.keys(report), ['location', 'latitude', 'longitude', 'timezone', 'utc_offset', 'units', 'daily', 'hourly', 'source']);
    const hourly = report.hourly!;
    assert.deepEqual(Object.keys(hourly), ['time', 'temperature', 'precipitation_probability', 'precipitation', 'wind_speed', 'condition']);
    for (const column of Object.values(hourly)) assert.equal(column.length, 48);
    assert.equal(hourly.time[0], '2026-12-01T12:00');
    assert.equal(hourly.time[47], '2026-12-03T11:00');
    assert.deepEqual(
      Object.values(hourly).map((column) => column[4]),
      ['2026-12-01T16:00', 27.2, 60, 1.2, 12.7, 'Slight rain'],
    );
    // 20:00 has no values at all.
    assert.deepEqual(Object.values(hourly).map((column) => column[8]), ['2026-12-01T20:00', null, null, null, null, null]);
    assert.deepEqual(report.daily.date, ['2026-12-01']);
  });

  test('a place behind UTC: local dates in Paris, Texas start on 30 November while it is 1 December in UTC; imperial asks for °F, inches and mph', opts, async () => {
    const run = await tool().run('{"location":"Paris, Texas","days":2,"units":"imperial"}');
    assert.deepEqual(run.result, {
      location: 'Paris, Texas, United States',
      latitude: 33.66094,
      longitude: -95.55551,
      timezone: 'America/Chicago',
      utc_offset: '-06:00',
      units: { system: 'imperial', temperature: '°F', precipitation: 'in', precipitation_probability: '%', wind_speed: 'mph' },
      daily: {
        date: ['2026-11-30', '2026-12-01'],
        temperature_min: [62.2, 66],
        temperature_max: [75.4, 77],
        precipitation_probability: [20, 80],
        precipitation: [0, 0.205],
        wind_speed_max: [3.5, 4.3],
        condition: ['Fog', 'Moderate rain'],
      },
      source: 'open-meteo',
    });
    const query = fakeWeather().requests.find((r) => r.endpoint === 'forecast')?.query;
    assert.deepEqual([query?.temperature_unit, query?.wind_speed_unit, query?.precipitation_unit], ['fahrenheit', 'mph', 'inch']);
  });

  test('the configured units apply when the model names none', opts, async () => {
    const report = (await tool({ units: 'imperial' }).run('{"location":"Tokyo","days":1}')).result as ForecastReport;
    assert.equal(report.units.system, 'imperial');
    assert.equal(report.daily.temperature_max[0], 78.4);
  });

  test('unknown place, HTTP errors and a hanging service: error results in get_weather\'s words', opts, async () => {
    assert.deepEqual((await tool().run('{"location":"Atlantis"}')).result, {
      error: 'No place called "Atlantis" was found',
      location: 'Atlantis',
      source: 'open-meteo',
    });
    fakeWeather().setMode('status500', 'forecast');
    assert.equal((await tool().run('{"location":"Tokyo"}')).error, 'Open-Meteo forecast failed with HTTP 500');
    fakeWeather().setMode('badRequest', 'forecast');
    assert.match((await tool().run('{"location":"Tokyo"}')).error ?? '', /^Open-Meteo forecast rejected the request \(HTTP 400\): Latitude must be/);
    fakeWeather().setMode('hang', 'forecast');
    const started = Date.now();
    assert.equal((await tool({ timeoutMs: 200 }).run('{"location":"Tokyo"}')).error, 'Open-Meteo forecast did not answer within 200 ms; try again later');
    assert.ok(Date.now() - started < 2_000);
  });

  test('bad arguments: an error result, and no request at all', opts, async () => {
    for (const [raw, error] of [
      ['{"location":"Tokyo","days":0}', '"days" must be a whole number from 1 to 7 (got 0); the forecast reaches 7 days ahead at most'],
      ['{"location":"Tokyo","days":30}', '"days" must be a whole number from 1 to 7 (got 30); the forecast reaches 7 days ahead at most'],
      ['{"location":"Tokyo","days":"3"}', '"days" must be a whole number from 1 to 7 (got a string, "3"); the forecast reaches 7 days ahead at most'],
    ]) {
      const run = await tool().run(raw!);
      assert.deepEqual(run.result, { error, source: 'open-meteo' }, raw);
      assert.equal(run.location, '');
    }
    assert.equal(fakeWeather().requests.length, 0);
  });
});
