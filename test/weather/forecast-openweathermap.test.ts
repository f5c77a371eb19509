// get_forecast on OpenWeatherMap's free 5 day / 3 hour forecast: through the fake server
// (real HTTP on 127.0.0.1) on a fixed clock, then on hand-written answers of the real shape
// for the aggregation into local days, and on answers that are not what they should be.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createForecastTool, type ForecastReport, type WeatherConfig } from '../../src/weather';
import { FAKE_FORECAST_NOW, FAKE_OWM_API_KEY } from '../fakes/weather-server';
import { useFakeWeatherServer } from '../support/fake-weather';

const opts = { timeout: 5_000 };
const now = () => FAKE_FORECAST_NOW;

describe('get_forecast on OpenWeatherMap through the fake server', () => {
  const fakeWeather = useFakeWeatherServer({ now });
  const tool = (extra: WeatherConfig = {}) =>
    createForecastTool({ provider: 'openweathermap', forecastUrl: fakeWeather().owmUrl, apiKey: fakeWeather().owmApiKey, cacheTtlMs: 0, now, ...extra });

  test('Tokyo: one request to /data/2.5/forecast beside the configured /weather, 40 steps made into 6 local days', opts, async () => {
    const run = await tool().run('{"location":"Tokyo","days":7}');
    assert.equal(run.error, undefined, run.error);
    assert.deepEqual(run.result, {
      location: 'Tokyo, JP',
      latitude: 35.6895,
      longitude: 139.69171,
      timezone: 'UTC+09:00',
      utc_offset: '+09:00',
      units: { system: 'metric', temperature: '°C', precipitation: 'mm', precipitation_probability: '%', wind_speed: 'm/s' },
      daily: {
        // 06:00 UTC is 15:00 in Tokyo: the first day has 3 steps, the sixth the 5 that are left.
        date: ['2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06'],
        temperature_min: [23.7, 20.7, 21.3, 21.3, 21.3, 21.3],
        temperature_max: [28.2, 27.3, 27.3, 27.3, 27.3, 26.4],
        precipitation_probability: [86, 100, 86, 100, 100, 86],
        precipitation: [3.36, 8.91, 4.33, 11.87, 8.6, 4.07],
        wind_speed_max: [4.8, 5.6, 5.6, 5.6, 5.6, 5.6],
        condition: ['Thunderstorm', 'Thunderstorm', 'Thunderstorm', 'Thunderstorm', 'Thunderstorm', 'Light snow'],
      },
      source: 'openweathermap',
    });
    assert.deepEqual(
      fakeWeather().requests.map(({ path, query }) => ({ path, query })),
      [{ path: '/data/2.5/forecast', query: { q: 'Tokyo', appid: FAKE_OWM_API_KEY, units: 'metric' } }],
    );
  });

  test('days cuts the daily block; hourly gives the 3-hour steps from the next one, 48 hours of them', opts, async () => {
    const report = (await tool().run('{"location":"Tokyo","days":2,"hourly":true}')).result as ForecastReport;
    assert.deepEqual(report.daily.date, ['2026-12-01', '2026-12-02']);
    const hourly = report.hourly!;
    for (const column of Object.values(hourly)) assert.equal(column.length, 16);
    assert.deepEqual([hourly.time[0], hourly.time[1], hourly.time[15]], ['2026-12-01T15:00', '2026-12-01T18:00', '2026-12-03T12:00']);
    assert.deepEqual(
      Object.values(hourly).map((column) => column[2]),
      ['2026-12-01T21:00', 24.3, 86, 3.1, 4.8, 'Moderate rain'],
    );
    assert.deepEqual(Object.keys(report).slice(-2), ['hourly', 'source']);
  });

  test('a place behind UTC, imperial: local dates at -06:00, °F and mph from the service, rain converted from mm to inches', opts, async () => {
    const report = (await tool().run('{"location":"Paris, US","days":7,"units":"imperial"}')).result as ForecastReport;
    assert.equal(report.utc_offset, '-06:00');
    assert.equal(report.timezone, 'UTC-06:00');
    assert.deepEqual(report.units, { system: 'imperial', temperature: '°F', precipitation: 'in', precipitation_probability: '%', wind_speed: 'mph' });
    // 06:00 UTC is midnight in Paris, Texas: five whole local days, nothing invented for a sixth.
    assert.deepEqual(report.daily.date, ['2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05']);
    // Day one: 0.26 + 3.1 + 0.57 mm of rain and 0.4 mm of snow = 4.33 mm = 0.170 in.
    assert.deepEqual(report.daily.precipitation, [0.17, 0.467, 0.339, 0.16, 0.483]);
    assert.equal(report.daily.temperature_max[0], 79.7);
    assert.equal(fakeWeather().requests[0]?.query.units, 'imperial');
  });

  test('its own forecast URL wins; a custom current-weather URL of another form gives no forecast URL, and says so without a request', opts, async () => {
    const own = await tool({ forecastUrl: 'http://127.0.0.1:9/elsewhere/weather', openWeatherMapForecastUrl: `${fakeWeather().owmForecastUrl}?lang=en` }).run('{"location":"Tokyo"}');
    assert.equal(own.error, undefined);
    assert.equal(fakeWeather().requests[0]?.query.lang, 'en');
    fakeWeather().reset();
    const none = await tool({ forecastUrl: `${fakeWeather().url}/owm-current` }).run('{"location":"Tokyo"}');
    assert.deepEqual(none.result, {
      error:
        "OpenWeatherMap's forecast address is not configured: the weather URL is a custom one not ending in /weather, so no forecast URL can be derived from it; set the OpenWeatherMap forecast URL too",
      location: 'Tokyo',
      source: 'openweathermap',
    });
    assert.equal(fakeWeather().requests.length, 0);
  });

  test('no key, a wrong key, an unknown city and a failing service: the same sentences as get_weather', opts, async () => {
    assert.match((await tool({ apiKey: undefined }).run('{"location":"Tokyo"}')).error ?? '', /^OpenWeatherMap needs an API key and none is configured/);
    assert.match((await tool({ apiKey: 'wrong' }).run('{"location":"Tokyo"}')).error ?? '', /^OpenWeatherMap rejected the API key \(HTTP 401\): Invalid API key/);
    assert.equal((await tool().run('{"location":"Atlantis"}')).error, 'No place called "Atlantis" was found');
    fakeWeather().setMode('status500', 'owmForecast');
    assert.equal((await tool().run('{"location":"Tokyo"}')).error, 'OpenWeatherMap failed with HTTP 500');
    fakeWeather().setMode('badRequest', 'owmForecast');
    assert.equal((await tool().run('{"location":"Tokyo"}')).error, 'OpenWeatherMap rejected the request (HTTP 400): wrong units value');
    for (const request of fakeWeather().requests) assert.equal(request.path, '/data/2.5/forecast');
  });
});

/** One 3-hour step in OpenWeatherMap's shape; `extra` adds or replaces fields. */
function step(utc: string, weather: [number, string] | undefined, extra: Record<string, unknown> = {}) {
  const dt = Date.parse(`${utc}Z`) / 1000;
  return {
    dt,
    main: { temp: 10, feels_like: 9, temp_min: 10, temp_max: 10, pressure: 1015, humidity: 70, temp_kf: 0 },
    ...(weather === undefined ? {} : { weather: [{ id: weather[0], main: 'x', description: weather[1], icon: '01d' }] }),
    clouds: { all: 50 },
    wind: { speed: 3, deg: 200 },
    visibility: 10000,
    pop: 0,
    sys: { pod: 'd' },
    dt_txt: utc.replace('T', ' '),
    ...extra,
  };
}

function forecastBody(list: unknown[], timezone: unknown = -18_000): Record<string, unknown> {
  return {
    cod: '200',
    message: 0,
    cnt: list.length,
    list,
    city: { id: 1, name: 'Lima', coord: { lat: 40.74, lon: -84.1 }, country: 'US', population: 1, timezone, sunrise: 0, sunset: 0 },
  };
}

function answering(body: unknown, extra: WeatherConfig = {}) {
  return createForecastTool({
    provider: 'openweathermap',
    apiKey: 'k',
    cacheTtlMs: 0,
    now: () => Date.parse('2026-12-01T07:00:00Z'),
    fetch: async () => new Response(JSON.stringify(body), { status: 200 }),
    ...extra,
  });
}

describe('get_forecast on OpenWeatherMap: aggregation into local days (hand-written answers)', () => {
  // At -05:00: A is 22:00 on 30 November; B to E are 1 December; F and G 2 December. Listed out of order.
  const list = [
    step('2026-12-01T03:00', [800, 'clear sky'], { main: { temp: 10, temp_min: 9.5, temp_max: 10.4 }, wind: { speed: 3 } }),
    step('2026-12-01T15:00', [500, 'light rain'], { main: { temp: 9 }, pop: undefined, rain: { '3h': 0.25 }, wind: { speed: 4.2 } }),
    step('2026-12-01T06:00', [804, 'overcast clouds'], { main: { temp: 8 }, pop: 0.1, wind: undefined }),
    step('2026-12-01T09:00', [500, 'light rain'], { main: { temp: 7.5, temp_min: 7.1, temp_max: 7.9 }, pop: 0.55, rain: { '3h': 0.3 }, wind: { speed: 5.5 } }),
    step('2026-12-01T12:00', [501, 'moderate rain'], { main: { temp: 8.2, temp_min: null, temp_max: 8.6 }, pop: 0.9, rain: { '3h': 2.4 }, wind: { speed: 6.1 } }),
    step('2026-12-02T06:00', [803, 'broken clouds'], { pop: undefined, wind: undefined }),
    step('2026-12-02T09:00', [804, 'overcast clouds'], { pop: undefined, wind: undefined }),
  ];

  test('local dates, lowest and highest of the day (temp where a step has no min or max), highest chance, summed rain, strongest wind', opts, async () => {
    const report = (await answering(forecastBody(list)).run('{"location":"Lima","days":7}')).result as ForecastReport;
    assert.equal(report.utc_offset, '-05:00');
    assert.deepEqual(report.daily, {
      date: ['2026-11-30', '2026-12-01', '2026-12-02'],
      temperature_min: [9.5, 7.1, 10],
      temperature_max: [10.4, 9, 10],
      precipitation_probability: [0, 90, null],
      precipitation: [0, 2.95, 0],
      wind_speed_max: [3, 6.1, null],
      // The day's most severe kind (rain over clouds), its most frequent description; a tie goes to the earliest.
      condition: ['Clear sky', 'Light rain', 'Broken clouds'],
    });
  });

  test('imperial: rain, always millimetres from OpenWeatherMap, becomes inches', opts, async () => {
    const report = (await answering(forecastBody(list)).run('{"location":"Lima","days":2,"units":"imperial"}')).result as ForecastReport;
    assert.deepEqual(report.daily.precipitation, [0, 0.116]);
    assert.equal(report.units.precipitation, 'in');
  });

  test('hourly starts at the step under way (06:00 UTC at 07:00 UTC) and keeps each step\'s own values', opts, async () => {
    const report = (await answering(forecastBody(list)).run('{"location":"Lima","days":1,"hourly":true}')).result as ForecastReport;
    assert.deepEqual(report.hourly, {
      time: ['2026-12-01T01:00', '2026-12-01T04:00', '2026-12-01T07:00', '2026-12-01T10:00', '2026-12-02T01:00', '2026-12-02T04:00'],
      temperature: [8, 7.5, 8.2, 9, 10, 10],
      precipitation_probability: [10, 55, 90, null, null, null],
      precipitation: [0, 0.3, 2.4, 0.25, 0, 0],
      wind_speed: [null, 5.5, 6.1, 4.2, null, null],
      condition: ['Overcast clouds', 'Light rain', 'Moderate rain', 'Light rain', 'Broken clouds', 'Overcast clouds'],
    });
  });

  test('a tornado outranks a thunderstorm; a day without any weather entry has no condition', opts, async () => {
    const stormy = [
      step('2026-12-01T06:00', [211, 'thunderstorm']),
      step('2026-12-01T09:00', [781, 'tornado']),
      step('2026-12-02T06:00', undefined),
    ];
    const report = (await answering(forecastBody(stormy)).run('{"location":"Lima"}')).result as ForecastReport;
    assert.deepEqual(report.daily.condition, ['Tornado', null]);
  });

  test('answers that are not a forecast: one sentence naming what is wrong', opts, async () => {
    const many = Array.from({ length: 201 }, (_, i) => step(new Date(Date.parse('2026-12-01T00:00Z') + i * 3 * 3600_000).toISOString().slice(0, 16), [800, 'clear sky']));
    const cases: Array<[unknown, string]> = [
      [[1, 2], 'the body is not a JSON object'],
      [{ ...forecastBody(list), city: undefined }, 'city is missing'],
      [{ ...forecastBody(list), city: { name: 'Lima', timezone: 0 } }, 'city.coord is missing'],
      [forecastBody(list, '-18000'), 'city.timezone is not an offset from UTC in seconds'],
      [forecastBody(list, 86_400), 'city.timezone is not an offset from UTC in seconds'],
      [forecastBody([]), 'list holds no forecast steps'],
      [{ ...forecastBody(list), list: 'soon' }, 'list holds no forecast steps'],
      [forecastBody(many), 'list holds more than 200 forecast steps'],
      [forecastBody([step('2026-12-01T06:00', [800, 'clear sky'], { dt: '1764568800' })]), 'list[0].dt is not a number'],
      [forecastBody([list[0], step('2026-12-01T06:00', [800, 'x'], { main: { temp_max: '20' } })]), 'list[1].main.temp_max is not a number'],
      [forecastBody([step('2026-12-01T06:00', [800, 'x'], { pop: 42 })]), 'list[0].pop is not a probability from 0 to 1'],
      [forecastBody([step('2026-12-01T06:00', [800, 'x'], { rain: 'lots' })]), 'list[0].rain is not an object'],
      [forecastBody([step('2026-12-01T06:00', [800, 'x'], { snow: { '3h': -1 } })]), 'list[0].rain or .snow is negative'],
      [forecastBody([null]), 'list[0] is not an object'],
    ];
    for (const [body, detail] of cases) {
      const run = await answering(body).run('{"location":"Lima"}');
      assert.equal(run.error, `OpenWeatherMap sent an unexpected response: ${detail}`, detail);
    }
  });
});
