// get_forecast against a weather service (or a proxy in front of it) that answers far too
// much or not what it should: bodies past 256 kB are not read, service text is cut to 200
// characters, and a malformed forecast is one sentence for the model, never an exception.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createForecastTool, type ForecastReport, type WeatherConfig } from '../../src/weather';
import { FAKE_FORECAST_NOW } from '../fakes/weather-server';
import { useFakeWeatherServer } from '../support/fake-weather';

const opts = { timeout: 10_000 };
/** Every string the verbose fake sends is 5000 characters; what is passed on is at most 200. */
const MAX_TEXT = 200;
const now = () => FAKE_FORECAST_NOW;

describe('get_forecast against a hostile weather service', () => {
  const fakeWeather = useFakeWeatherServer({ now });
  const openMeteo = (extra: WeatherConfig = {}) =>
    createForecastTool({ geocodingUrl: fakeWeather().geocodingUrl, forecastUrl: fakeWeather().forecastUrl, cacheTtlMs: 0, now, ...extra });
  const owm = (extra: WeatherConfig = {}) =>
    createForecastTool({ provider: 'openweathermap', forecastUrl: fakeWeather().owmUrl, apiKey: fakeWeather().owmApiKey, cacheTtlMs: 0, now, ...extra });

  test('a 2.5 MB answer is not read past 256 kB; a truncated one is not JSON', opts, async () => {
    for (const [endpoint, tool, service] of [
      ['forecast', openMeteo, 'Open-Meteo forecast'],
      ['owmForecast', owm, 'OpenWeatherMap'],
    ] as const) {
      fakeWeather().reset();
      fakeWeather().setMode('oversized', endpoint);
      assert.equal((await tool().run('{"location":"Tokyo","hourly":true}')).error, `${service} sent an answer larger than 256 kB (HTTP 200); it was not read`, endpoint);
      fakeWeather().setMode('malformed', endpoint);
      assert.equal((await tool().run('{"location":"Tokyo"}')).error, `${service} sent a response that is not valid JSON (HTTP 200)`, endpoint);
    }
  });

  test('Open-Meteo: 5000-character place, zone and unit labels are cut to 200 characters; the readings are untouched', opts, async () => {
    fakeWeather().setMode('verbose');
    const run = await openMeteo().run('{"location":"Tokyo","days":7,"hourly":true}');
    assert.equal(run.error, undefined, run.error);
    const report = run.result as ForecastReport;
    for (const text of [report.location, report.timezone, report.units.temperature, report.units.precipitation, report.units.wind_speed]) {
      assert.equal(text.length, MAX_TEXT);
    }
    assert.equal(report.daily.temperature_max[0], 25.8);
    assert.equal(report.hourly?.time[0], '2026-12-01T12:00');
    assert.ok(run.resultJson.length < 6_000, `${run.resultJson.length} characters of result`);
  });

  test('OpenWeatherMap: 40 steps of 5000-character strings pass 256 kB and are not read', opts, async () => {
    fakeWeather().setMode('verbose', 'owmForecast');
    assert.equal((await owm().run('{"location":"Tokyo"}')).error, 'OpenWeatherMap sent an answer larger than 256 kB (HTTP 200); it was not read');
  });

  test('OpenWeatherMap: a 5000-character city name and descriptions are cut to 200 characters', opts, async () => {
    const long = (text: string) => text.padEnd(5_000, '~');
    const body = {
      cod: '200',
      cnt: 2,
      list: [0, 1].map((k) => ({
        dt: FAKE_FORECAST_NOW / 1000 + k * 10_800,
        main: { temp: 20, temp_min: 19, temp_max: 21 },
        weather: [{ id: 500, main: long('Rain'), description: long('light rain'), icon: long('10d') }],
        wind: { speed: 3 },
        pop: 0.5,
        dt_txt: long('2026-12-01 03:00:00'),
      })),
      city: { name: long('Tokyo'), country: long('JP'), coord: { lat: 35.7, lon: 139.7 }, timezone: 32_400 },
    };
    const tool = owm({ fetch: async () => new Response(JSON.stringify(body), { status: 200 }) });
    const run = await tool.run('{"location":"Tokyo","hourly":true}');
    assert.equal(run.error, undefined, run.error);
    const report = run.result as ForecastReport;
    assert.ok(report.location.length <= MAX_TEXT, `${report.location.length}`);
    for (const condition of [...report.daily.condition, ...report.hourly!.condition]) assert.equal(condition?.length, MAX_TEXT);
    assert.ok(run.resultJson.length < 2_000, `${run.resultJson.length} characters of result`);
  });

  test('5000-character error explanations are cut to 200 characters', opts, async () => {
    fakeWeather().setMode('verboseBadRequest', 'forecast');
    const openMeteoError = (await openMeteo().run('{"location":"Tokyo"}')).error ?? '';
    assert.equal(openMeteoError.length, 'Open-Meteo forecast rejected the request (HTTP 400): '.length + MAX_TEXT);
    fakeWeather().setMode('verboseBadRequest', 'owmForecast');
    const owmError = (await owm().run('{"location":"Tokyo"}')).error ?? '';
    assert.equal(owmError.length, 'OpenWeatherMap rejected the request (HTTP 400): '.length + MAX_TEXT);
  });
});

describe('get_forecast on malformed Open-Meteo answers (injected fetch, no network)', () => {
  const geocoding = { results: [{ name: 'Tokyo', latitude: 35.6895, longitude: 139.69171, country: 'Japan' }] };
  const daily = {
    time: ['2026-12-01', '2026-12-02'],
    temperature_2m_max: [25.8, 26.7],
    temperature_2m_min: [18.5, null],
    precipitation_probability_max: [20, 80],
    precipitation_sum: [0, 5.2],
    wind_speed_10m_max: [15, 18.4],
    weather_code: [95, 63],
  };
  const body = { utc_offset_seconds: 32_400, timezone: 'Asia/Tokyo', daily_units: { temperature_2m_max: '°C' }, daily };

  function answering(forecast: unknown) {
    return createForecastTool({
      cacheTtlMs: 0,
      now,
      fetch: async (url) => new Response(JSON.stringify(new URL(url).pathname.endsWith('/search') ? geocoding : forecast), { status: 200 }),
    });
  }

  test('a well-formed answer: a variable left out is all null; a zone without a name is named by its offset', opts, async () => {
    const { weather_code: _code, ...withoutCodes } = daily;
    const report = (await answering({ ...body, timezone: undefined, daily: withoutCodes }).run('{"location":"Tokyo","days":2}')).result as ForecastReport;
    assert.deepEqual(report.daily.condition, [null, null]);
    assert.deepEqual(report.daily.temperature_min, [18.5, null]);
    assert.equal(report.timezone, 'UTC+09:00');
    assert.equal(report.utc_offset, '+09:00');
    // Labels the answer leaves out fall back to what was asked for.
    assert.deepEqual(report.units, { system: 'metric', temperature: '°C', precipitation: 'mm', precipitation_probability: '%', wind_speed: 'km/h' });
  });

  test('more days than asked for are cut; a half-hour zone and a negative one read as offsets', opts, async () => {
    const report = (await answering({ ...body, utc_offset_seconds: -12_600 }).run('{"location":"Tokyo","days":1}')).result as ForecastReport;
    assert.deepEqual(report.daily.date, ['2026-12-01']);
    assert.equal(report.utc_offset, '-03:30');
  });

  test('an hourly block that starts at midnight is cut to start at the current local hour', opts, async () => {
    const times = Array.from({ length: 72 }, (_, h) => `2026-12-0${1 + Math.floor(h / 24)}T${String(h % 24).padStart(2, '0')}:00`);
    const hourly = { time: times, temperature_2m: times.map((_, h) => h), weather_code: times.map(() => 0) };
    const report = (await answering({ ...body, hourly }).run('{"location":"Tokyo","days":2,"hourly":true}')).result as ForecastReport;
    // 03:30 UTC is 12:30 in Tokyo: from 12:00, 48 hours.
    assert.equal(report.hourly?.time[0], '2026-12-01T12:00');
    assert.equal(report.hourly?.time.length, 48);
    assert.equal(report.hourly?.temperature[0], 12);
    assert.deepEqual(report.hourly?.precipitation.slice(0, 2), [null, null]);
  });

  test('shapes that are not a forecast: one sentence naming what is wrong', opts, async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...body, utc_offset_seconds: undefined }, 'utc_offset_seconds is not a whole number of seconds within 18 hours'],
      [{ ...body, utc_offset_seconds: 1e9 }, 'utc_offset_seconds is not a whole number of seconds within 18 hours'],
      [{ ...body, daily: undefined }, 'daily is missing'],
      [{ ...body, daily: { ...daily, time: [] } }, 'daily.time is empty'],
      [{ ...body, daily: { ...daily, time: ['tomorrow', 'later'] } }, 'daily.time is not a list of dates'],
      [{ ...body, daily: { ...daily, time: '2026-12-01' } }, 'daily.time is not a list of dates'],
      [{ ...body, daily: { ...daily, temperature_2m_max: [25.8] } }, 'daily.temperature_2m_max is not a list as long as daily.time'],
      [{ ...body, daily: { ...daily, precipitation_sum: [0, '5.2'] } }, 'daily.precipitation_sum[1] is not a number'],
      [{ ...body, daily: { ...daily, weather_code: { 0: 95 } } }, 'daily.weather_code is not a list as long as daily.time'],
    ];
    for (const [forecast, detail] of cases) {
      assert.equal((await answering(forecast).run('{"location":"Tokyo","days":2}')).error, `Open-Meteo forecast sent an unexpected response: ${detail}`, detail);
    }
    const hourly = { time: ['2026-12-01T12:00', 'noon'] };
    assert.equal(
      (await answering({ ...body, hourly }).run('{"location":"Tokyo","hourly":true}')).error,
      'Open-Meteo forecast sent an unexpected response: hourly.time is not a list of dates and times',
    );
    assert.equal(
      (await answering(body).run('{"location":"Tokyo","hourly":true}')).error,
      'Open-Meteo forecast sent an unexpected response: hourly is missing',
    );
  });
});
