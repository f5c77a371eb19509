/**
 * Forecast cards (issue 15): the reading of get_forecast results in Node, hostile shapes
 * included; then the real panel in Chromium drawing 1, 3 and 7 days, 48 hours (Open-Meteo)
 * and 16 three-hour steps (OpenWeatherMap), with gaps, in Dark Modern, Light Modern and both
 * high-contrast themes: the chart's marks, its text alternative and its table checked against
 * the JSON, the Data toggle by keyboard, axe-core clean, and a screenshot of each card in
 * test-output/forecast-<case>-<theme>.png.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseForecast, parseLocalTime, MAX_DAILY_POINTS, MAX_HOURLY_POINTS, type Forecast } from '../../src/panel/forecast-data';
import { describeBlock } from '../../src/panel/forecast-text';
import { FIELD_LIMITS, UNKNOWN_UNIT, parseResult } from '../../src/panel/result-fields';
import type { Page } from 'playwright-core';
import { createForecastTool } from '../../src/weather';
import { FAKE_FORECAST_NOW } from '../fakes/weather-server';
import { useFakeWeatherServer } from '../support/fake-weather';
import { axeViolations } from './axe';
import { PanelHost, THEMES, ensureOutputDir, seedPayload as seed, usePanels, type PanelPage, type ThemeName } from './harness';

const TIMEOUT = 60_000;

type Json = Record<string, unknown>;
type Series = Array<number | null>;

const METRIC = { system: 'metric', temperature: '°C', precipitation: 'mm', precipitation_probability: '%', wind_speed: 'km/h' };
const IMPERIAL = { system: 'imperial', temperature: '°F', precipitation: 'in', precipitation_probability: '%', wind_speed: 'mph' };

/** The contract's own example. */
const TOKYO: Json = {
  location: 'Tokyo, Japan',
  latitude: 35.69,
  longitude: 139.69,
  timezone: 'Asia/Tokyo',
  utc_offset: '+09:00',
  units: METRIC,
  daily: {
    date: ['2026-12-01', '2026-12-02', '2026-12-03'],
    temperature_min: [3.1, 4.0, null],
    temperature_max: [8.4, 9.9, 7.0],
    precipitation_probability: [80, 20, null],
    precipitation: [5.2, 0, 0.4],
    wind_speed_max: [18, 11, 9],
    condition: ['Rain', 'Partly cloudy', 'Overcast'],
  },
  source: 'open-meteo',
};

const REYKJAVIK: Json = {
  location: 'Reykjavík, Iceland',
  timezone: 'Atlantic/Reykjavik',
  utc_offset: '+00:00',
  units: METRIC,
  daily: {
    date: ['2026-12-01'],
    temperature_min: [-2.5],
    temperature_max: [1.8],
    precipitation_probability: [65],
    precipitation: [3.4],
    wind_speed_max: [31],
    condition: ['Slight snow fall'],
  },
  source: 'open-meteo',
};

const CHICAGO: Json = {
  location: 'Chicago, Illinois, United States',
  timezone: 'America/Chicago',
  utc_offset: '-06:00',
  units: IMPERIAL,
  daily: {
    date: ['2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06', '2026-12-07'],
    temperature_max: [41, 38.5, null, 35.2, 44.1, 47, 39.9],
    temperature_min: [28.4, 27, 25.3, null, 30.2, 33.8, 29],
    precipitation_probability: [10, 40, 90, null, 0, 5, 60],
    precipitation: [0, 0.12, 0.85, null, 0, 0, 0.3],
    wind_speed_max: [12, 15.5, 22, 9, 7, 10, 18],
    condition: ['Clear sky', 'Overcast', 'Moderate rain', 'Fog', 'Mainly clear', 'Partly cloudy', 'Thunderstorm'],
  },
  source: 'open-meteo',
};

/** Local times from `start` ("YYYY-MM-DDTHH:MM"), `stepHours` apart, formatted as the contract writes them. */
function localTimes(start: string, stepHours: number, count: number): string[] {
  const first = Date.parse(`${start}:00Z`);
  return Array.from({ length: count }, (_, index) => new Date(first + index * stepHours * 3_600_000).toISOString().slice(0, 16));
}

const tenths = (value: number) => Math.round(value * 10) / 10;
const withGaps = (values: Series, gaps: number[]) => values.map((value, index) => (gaps.includes(index) ? null : value));
const CONDITIONS = ['Overcast', 'Light drizzle', 'Moderate rain', 'Partly cloudy', 'Fog', 'Slight snow fall'];

/** 48 hours from Open-Meteo: a gap of two hours in the temperature, one lone reading between gaps, missing figures. */
const BERGEN: Json = {
  location: 'Bergen, Vestland, Norway',
  timezone: 'Europe/Oslo',
  utc_offset: '+01:00',
  units: METRIC,
  daily: {
    date: ['2026-12-01', '2026-12-02', '2026-12-03'],
    temperature_min: [3.2, 2.1, 4.4],
    temperature_max: [7.9, 6.5, 8.8],
    precipitation_probability: [85, 60, 95],
    precipitation: [12.4, 3.1, 18.2],
    wind_speed_max: [28, 19, 35],
    condition: ['Moderate rain', 'Light drizzle', 'Heavy rain'],
  },
  hourly: {
    time: localTimes('2026-12-01T15:00', 1, 48),
    temperature: withGaps(Array.from({ length: 48 }, (_, i) => tenths(6 + 3 * Math.sin(i / 4))), [10, 11, 29, 31]),
    precipitation_probability: withGaps(Array.from({ length: 48 }, (_, i) => (i === 33 ? 97 : (i * 7) % 90)), [20]),
    precipitation: withGaps(Array.from({ length: 48 }, (_, i) => (i % 5 === 0 ? tenths(0.4 + (i % 3) * 0.3) : 0)), [21]),
    wind_speed: Array.from({ length: 48 }, (_, i) => 10 + (i % 7)),
    condition: Array.from({ length: 48 }, (_, i) => CONDITIONS[i % CONDITIONS.length]),
  },
  source: 'open-meteo',
};

/** OpenWeatherMap's free forecast: 3-hour steps, metric wind in m/s, 16 entries for 48 hours. */
const NAIROBI: Json = {
  location: 'Nairobi, Kenya',
  timezone: 'UTC+03:00',
  utc_offset: '+03:00',
  units: { ...METRIC, wind_speed: 'm/s' },
  daily: {
    date: ['2026-12-01', '2026-12-02', '2026-12-03'],
    temperature_min: [14.2, 13.8, 14.9],
    temperature_max: [24.6, 25.3, 23.1],
    precipitation_probability: [40, 75, 30],
    precipitation: [1.2, 6.8, 0],
    wind_speed_max: [4.6, 5.2, 3.9],
    condition: ['Scattered clouds', 'Light rain', 'Broken clouds'],
  },
  hourly: {
    time: localTimes('2026-12-01T15:00', 3, 16),
    temperature: withGaps([24.1, 21.5, 17.9, 15.2, 14.3, 18.8, 23.9, 24.8, 21.7, 18.3, 15.1, 13.9, 19.2, 24.5, 25.1, 22.3], [5]),
    precipitation_probability: [20, 35, 10, 0, 0, 15, 45, 75, 60, 20, 5, 0, 10, 40, 30, 25],
    precipitation: withGaps([0, 0.3, 0, 0, 0, 0, 1.4, 3.9, 1.5, 0.2, 0, 0, 0, 0.8, 0.4, 0], [9]),
    wind_speed: [4.1, 3.2, 2.0, 1.6, 1.8, 2.9, 4.6, 5.2, 3.3, 2.1, 1.7, 1.5, 2.8, 4.4, 3.9, 3.0],
    condition: ['Scattered clouds', 'Light rain', 'Clear sky', 'Clear sky', 'Few clouds', 'Broken clouds', 'Light rain', 'Moderate rain', 'Light rain', 'Overcast clouds', 'Clear sky', 'Clear sky', 'Few clouds', 'Light rain', 'Scattered clouds', 'Overcast clouds'],
  },
  source: 'openweathermap',
};

interface Case {
  name: string;
  result: Json;
  /** The summary sentences, daily then hourly, written out by hand from the JSON. */
  sentences?: string[];
}

const CASES: Case[] = [
  {
    name: '1-day',
    result: REYKJAVIK,
    sentences: ['Reykjavík, Iceland, Tue 1 Dec: high 1.8 °C, low -2.5 °C; precipitation 65%, 3.4 mm.'],
  },
  {
    name: '3-days',
    result: TOKYO,
    sentences: ['Tokyo, Japan, 3 days (Tue 1 Dec to Thu 3 Dec): highs 7 to 9.9 °C, lows 3.1 to 4 °C; precipitation most likely Tue 1 Dec (80%, 5.2 mm). 2 readings are missing.'],
  },
  {
    name: '7-days',
    result: CHICAGO,
    sentences: [
      'Chicago, Illinois, United States, 7 days (Tue 1 Dec to Mon 7 Dec): highs 35.2 to 47 °F, lows 25.3 to 33.8 °F; precipitation most likely Thu 3 Dec (90%, 0.85 in). 4 readings are missing.',
    ],
  },
  { name: '48-hours', result: BERGEN },
  {
    name: '3-hourly',
    result: NAIROBI,
    sentences: [
      'Nairobi, Kenya, 3 days (Tue 1 Dec to Thu 3 Dec): highs 23.1 to 25.3 °C, lows 13.8 to 14.9 °C; precipitation most likely Wed 2 Dec (75%, 6.8 mm).',
      'Nairobi, Kenya, every 3 hours from Tue 1 Dec 15:00 to Thu 3 Dec 12:00: temperature 13.9 to 25.1 °C; precipitation most likely Wed 2 Dec 12:00 (75%, 3.9 mm). 2 readings are missing.',
    ],
  },
];

const forecastOf = (result: Json): Forecast | undefined => parseForecast(parseResult(JSON.stringify(result))!);
const clone = (value: Json): Json => JSON.parse(JSON.stringify(value)) as Json;
const daily = (result: Json) => result.daily as Json;

describe('get_forecast results read into a forecast (pure, hostile shapes)', () => {
  test('the contract example: dates, both temperature lines, gaps kept as null, units', () => {
    const forecast = forecastOf(TOKYO)!;
    assert.equal(forecast.location, 'Tokyo, Japan');
    assert.deepEqual(forecast.units, { temperature: '°C', precipitation: 'mm', probability: '%', wind: 'km/h' });
    assert.equal(forecast.hourly, undefined);
    assert.equal(forecast.hourlyUnreadable, false);
    const { daily: block } = forecast;
    assert.deepEqual(
      block.times.map((time) => [time.year, time.month, time.day, time.weekday, time.hour]),
      [
        [2026, 12, 1, 2, undefined],
        [2026, 12, 2, 3, undefined],
        [2026, 12, 3, 4, undefined],
      ],
    );
    assert.deepEqual(block.temperature, [
      { name: 'High', values: [8.4, 9.9, 7] },
      { name: 'Low', values: [3.1, 4, null] },
    ]);
    assert.deepEqual(block.probability, [80, 20, null]);
    assert.deepEqual(block.precipitation, [5.2, 0, 0.4]);
    assert.deepEqual(block.wind, [18, 11, 9]);
    assert.deepEqual(block.condition, ['Rain', 'Partly cloudy', 'Overcast']);
    assert.equal(block.total, 3);
  });

  test('recognised by shape only: a `daily` object with real dates and something to draw', () => {
    assert.ok(forecastOf({ ...TOKYO, location: undefined }), 'no location: still a forecast');
    assert.equal(forecastOf({ ...TOKYO, location: undefined })!.location, 'Forecast');
    for (const [why, result] of [
      ['no daily', { ...TOKYO, daily: undefined }],
      ['daily null', { ...TOKYO, daily: null }],
      ['daily an array', { ...TOKYO, daily: [daily(TOKYO)] }],
      ['daily a string', { ...TOKYO, daily: 'sunny' }],
      ['a current-weather result', { location: 'Makati', temperature: 31.2, units: METRIC }],
      ['a forecast error', { error: 'Days must be 1 to 7.', location: 'Tokyo', source: 'open-meteo' }],
      ['no dates', { ...TOKYO, daily: { ...daily(TOKYO), date: undefined } }],
      ['no dates at all', { ...TOKYO, daily: { ...daily(TOKYO), date: [] } }],
      ['dates not an array', { ...TOKYO, daily: { ...daily(TOKYO), date: '2026-12-01' } }],
      ['dates only', { ...TOKYO, daily: { date: ['2026-12-01'] } }],
      ['every reading missing', { ...TOKYO, daily: { ...daily(TOKYO), temperature_min: [null, null, null], temperature_max: [null, null, null], precipitation: [null, null, null] } }],
    ] as const) {
      assert.equal(forecastOf(result as Json), undefined, why);
    }
  });

  test('arrays of unequal length make the block unreadable; a bad hourly block leaves the days', () => {
    for (const key of ['temperature_min', 'temperature_max', 'precipitation_probability', 'precipitation', 'wind_speed_max', 'condition']) {
      const short = clone(TOKYO);
      (daily(short)[key] as unknown[]).pop();
      assert.equal(forecastOf(short), undefined, `${key} one short`);
      const long = clone(TOKYO);
      (daily(long)[key] as unknown[]).push(1);
      assert.equal(forecastOf(long), undefined, `${key} one long`);
      const notArray = clone(TOKYO);
      daily(notArray)[key] = { 0: 1, 1: 2, 2: 3, length: 3 };
      assert.equal(forecastOf(notArray), undefined, `${key} an array-like object`);
    }
    const badHours = clone(BERGEN);
    (badHours.hourly as Json).temperature = [1, 2, 3];
    const forecast = forecastOf(badHours)!;
    assert.equal(forecast.hourly, undefined);
    assert.equal(forecast.hourlyUnreadable, true);
    assert.equal(forecast.daily.times.length, 3);
  });

  test('a missing column is all gaps; strings, booleans, objects, Infinity and implausible numbers are gaps too', () => {
    const missing = clone(TOKYO);
    delete daily(missing).wind_speed_max;
    delete daily(missing).condition;
    assert.deepEqual(forecastOf(missing)!.daily.wind, [null, null, null]);
    assert.deepEqual(forecastOf(missing)!.daily.condition, [null, null, null]);

    const hostile = clone(TOKYO);
    daily(hostile).temperature_max = ['8.4', true, { value: 7 }];
    daily(hostile).temperature_min = [-1e6, 1e6, 3];
    daily(hostile).precipitation_probability = [-5, 101, 50];
    daily(hostile).precipitation = [-0.1, 5000, 2];
    daily(hostile).condition = [42, '', 'Rain'];
    const block = forecastOf(hostile)!.daily;
    assert.deepEqual(block.temperature[0].values, [null, null, null]);
    assert.deepEqual(block.temperature[1].values, [null, null, 3]);
    assert.deepEqual(block.probability, [null, null, 50]);
    assert.deepEqual(block.precipitation, [null, null, 2]);
    assert.deepEqual(block.condition, [null, null, 'Rain']);

    // JSON has no NaN, but 1e999 parses as Infinity; and a caller may hand over NaN itself.
    const infinite = parseResult(JSON.stringify(TOKYO).replace('"temperature_max":[8.4', '"temperature_max":[1e999'))!;
    assert.equal((daily(infinite).temperature_max as number[])[0], Infinity);
    assert.deepEqual(parseForecast(infinite)!.daily.temperature[0].values, [null, 9.9, 7]);
    const nan = clone(TOKYO);
    daily(nan).precipitation = [NaN, -Infinity, 1];
    assert.deepEqual(parseForecast(nan)!.daily.precipitation, [null, null, 1]);
  });

  test('10,000 days or hours: only the first 7 days and 48 times are read, and the sentence says so', () => {
    const count = 10_000;
    const many = clone(BERGEN);
    daily(many).date = Array.from({ length: count }, (_, index) => new Date(Date.UTC(2026, 0, 1 + index)).toISOString().slice(0, 10));
    for (const key of ['temperature_min', 'temperature_max', 'precipitation_probability', 'precipitation', 'wind_speed_max']) daily(many)[key] = Array.from({ length: count }, (_, index) => index % 30);
    daily(many).condition = new Array(count).fill('Fog');
    const hourly = many.hourly as Json;
    hourly.time = localTimes('2026-01-01T00:00', 1, count);
    for (const key of ['temperature', 'precipitation_probability', 'precipitation', 'wind_speed']) hourly[key] = Array.from({ length: count }, (_, index) => index % 20);
    hourly.condition = new Array(count).fill('Fog');
    const forecast = forecastOf(many)!;
    assert.equal(forecast.daily.times.length, MAX_DAILY_POINTS);
    assert.equal(forecast.daily.total, count);
    assert.equal(forecast.hourly!.times.length, MAX_HOURLY_POINTS);
    assert.equal(forecast.hourly!.total, count);
    for (const column of [forecast.daily.probability, forecast.daily.wind, forecast.daily.condition, forecast.hourly!.precipitation]) {
      assert.ok(column.length <= MAX_HOURLY_POINTS);
    }
    assert.match(describeBlock(forecast, forecast.daily), / Only the first 7 of 10000 days are shown\.$/);
    assert.match(describeBlock(forecast, forecast.hourly!), / Only the first 48 of 10000 times are shown\.$/);
    // Unequal lengths are still caught past the cut-off.
    (hourly.wind_speed as number[]).push(1);
    assert.equal(forecastOf(many)!.hourly, undefined);
  });

  test('huge strings are cut short: location, conditions, units', () => {
    const huge = 'x'.repeat(1_000_000);
    const result = clone(TOKYO);
    result.location = huge;
    daily(result).condition = [huge, 'Rain', huge];
    result.units = { ...METRIC, temperature: huge };
    const forecast = forecastOf(result)!;
    assert.equal(forecast.location.length, FIELD_LIMITS.location + 1);
    assert.ok(forecast.location.endsWith('…'));
    assert.equal(forecast.daily.condition[0]!.length, FIELD_LIMITS.condition + 1);
    assert.equal(forecast.units.temperature, `${'x'.repeat(FIELD_LIMITS.unit)}…`);
    assert.ok(describeBlock(forecast, forecast.daily).length < 1_000);
  });

  test('dates and times: real local calendar dates, increasing, never converted between time zones', () => {
    assert.deepEqual(parseLocalTime('2026-12-01T15:00', true), { year: 2026, month: 12, day: 1, weekday: 2, hour: 15, minute: 0, minutes: Date.UTC(2026, 11, 1, 15) / 60_000 });
    assert.equal(parseLocalTime('2028-02-29', false)?.weekday, 2, 'a leap day');
    for (const bad of ['2026-02-30', '2027-02-29', '2026-13-01', '2026-12-01T24:00', '2026-12-01T12:60', '2026-12-1', '2026-12-01T15:00Z', '2026-12-01T15:00+09:00', ' 2026-12-01', 20261201, null]) {
      assert.equal(parseLocalTime(bad, typeof bad === 'string' && bad.includes('T')), undefined, String(bad));
    }
    assert.equal(parseLocalTime('2026-12-01', true), undefined, 'an hourly time needs its time');
    assert.equal(parseLocalTime('2026-12-01T15:00', false), undefined, 'a date is only a date');
    for (const dates of [
      ['2026-12-02', '2026-12-01', '2026-12-03'],
      ['2026-12-01', '2026-12-01', '2026-12-03'],
      ['2026-12-01', 'tomorrow', '2026-12-03'],
    ]) {
      assert.equal(forecastOf({ ...TOKYO, daily: { ...daily(TOKYO), date: dates } }), undefined, dates.join());
    }
    // Hours at irregular steps are fine: the axis places them by their time.
    const irregular = clone(NAIROBI);
    (irregular.hourly as Json).time = [...localTimes('2026-12-01T15:00', 3, 8), ...localTimes('2026-12-02T15:00', 1, 8)];
    assert.equal(forecastOf(irregular)!.hourly!.times.length, 16);
    assert.match(describeBlock(forecastOf(irregular)!, forecastOf(irregular)!.hourly!), /, at 16 times from Tue 1 Dec 15:00 to Wed 2 Dec 22:00:/);
  });

  test('units: the result\'s own, else its system\'s, else said to be missing; a number is never bare', () => {
    const imperial = forecastOf({ ...TOKYO, units: { system: 'imperial' } })!;
    assert.deepEqual(imperial.units, { temperature: '°F', precipitation: 'in', probability: '%', wind: 'mph' });
    const metric = forecastOf({ ...TOKYO, units: { system: 'metric' } })!;
    assert.deepEqual(metric.units, { temperature: '°C', precipitation: 'mm', probability: '%', wind: UNKNOWN_UNIT }, 'metric wind is km/h or m/s by provider');
    const none = forecastOf({ ...TOKYO, units: 'metric' })!;
    assert.deepEqual(none.units, { temperature: UNKNOWN_UNIT, precipitation: UNKNOWN_UNIT, probability: '%', wind: UNKNOWN_UNIT });
    assert.match(describeBlock(none, none.daily), /highs 7 to 9\.9 \(unit not given\)/);
    const prototype = forecastOf({ ...TOKYO, units: { system: 'imperial', toString: 'x' } })!;
    assert.equal(prototype.units.temperature, '°F');
    assert.equal(forecastOf({ ...TOKYO, units: { system: 'constructor' } })!.units.temperature, UNKNOWN_UNIT, 'no prototype keys taken for a system');
  });

  test('the sentences state the JSON\'s figures: written out by hand for each case', () => {
    for (const { name, result, sentences } of CASES) {
      if (!sentences) continue;
      const forecast = forecastOf(result)!;
      const said = [forecast.daily, ...(forecast.hourly ? [forecast.hourly] : [])].map((block) => describeBlock(forecast, block));
      assert.deepEqual(said, sentences, name);
    }
    const dry = clone(TOKYO);
    daily(dry).precipitation_probability = [0, 0, 0];
    daily(dry).precipitation = [0, 0, 0];
    assert.match(describeBlock(forecastOf(dry)!, forecastOf(dry)!.daily), /; no precipitation expected\./);
    const noFigures = clone(TOKYO);
    daily(noFigures).precipitation_probability = [null, null, null];
    daily(noFigures).precipitation = [null, null, null];
    assert.match(describeBlock(forecastOf(noFigures)!, forecastOf(noFigures)!.daily), /; no precipitation figures\./);
  });
});

describe("the engine's own get_forecast results (through the fake providers) are read whole", () => {
  const fakeWeather = useFakeWeatherServer({ now: () => FAKE_FORECAST_NOW });
  const configs = () => ({
    'open-meteo': { geocodingUrl: fakeWeather().geocodingUrl, forecastUrl: fakeWeather().forecastUrl, now: () => FAKE_FORECAST_NOW },
    openweathermap: {
      provider: 'openweathermap' as const,
      apiKey: fakeWeather().owmApiKey,
      forecastUrl: fakeWeather().owmUrl,
      openWeatherMapForecastUrl: fakeWeather().owmForecastUrl,
      geocodingUrl: fakeWeather().geocodingUrl,
      now: () => FAKE_FORECAST_NOW,
    },
  });

  for (const provider of ['open-meteo', 'openweathermap'] as const) {
    test(`${provider}: days and hours, every figure as the result has it`, { timeout: 10_000 }, async () => {
      const tool = createForecastTool(configs()[provider]);
      for (const args of ['{"location":"Tokyo","days":1}', '{"location":"Tokyo","days":7,"hourly":true,"units":"imperial"}']) {
        const run = await tool.run(args);
        assert.equal(run.error, undefined, `${args}: ${run.error}`);
        const json = JSON.parse(run.resultJson) as Json;
        const forecast = forecastOf(json);
        assert.ok(forecast, `${provider} ${args}: a forecast`);
        assert.equal(forecast.hourlyUnreadable, false);
        const blocks: Array<[Json, NonNullable<Forecast['hourly']>, string]> = [[daily(json), forecast.daily, 'wind_speed_max']];
        if (json.hourly) blocks.push([json.hourly as Json, forecast.hourly!, 'wind_speed']);
        assert.equal(blocks.length, args.includes('hourly') ? 2 : 1);
        for (const [raw, block, wind] of blocks) {
          assert.equal(block.total, block.times.length, 'nothing beyond the caps');
          const temperatures = block.kind === 'daily' ? [raw.temperature_max, raw.temperature_min] : [raw.temperature];
          assert.deepEqual(block.temperature.map((line) => line.values), temperatures);
          assert.deepEqual([block.probability, block.precipitation, block.wind, block.condition], [raw.precipitation_probability, raw.precipitation, raw[wind], raw.condition]);
          assert.match(describeBlock(forecast, block), /^Tokyo, /);
        }
      }
    });
  }
});

/** What the panel shows of one forecast card, read in the page. */
interface ShownBlock {
  kind: string;
  summary: string;
  chartLabel: string | null;
  role: string | null;
  legend: string[];
  caption: string;
  headers: string[];
  rows: string[][];
  polylines: Record<string, number>;
  markers: Record<string, number>;
  bands: number;
  bars: number;
  ticks: number;
  tickXs: number[];
  labels: string[];
  dayIcons: string[];
}

function readCard(panel: PanelPage, threadId: string): Promise<{ title: string; blocks: ShownBlock[] }> {
  return panel.page.evaluate((threadId) => {
    const article = [...document.querySelectorAll('article.thread')].find((element) => element.getAttribute('aria-label') === `Thread ${threadId}`)!;
    const card = article.querySelector('.forecast')!;
    const count = (root: Element, selector: string) => root.querySelectorAll(selector).length;
    const texts = (root: Element, selector: string) => Array.from(root.querySelectorAll(selector), (element) => element.textContent ?? '');
    return {
      title: card.querySelector('.forecast-title')!.textContent ?? '',
      blocks: Array.from(card.querySelectorAll('.forecast-block'), (block) => {
        const chart = block.querySelector('svg.forecast-chart')!;
        const labelledBy = chart.getAttribute('aria-labelledby');
        return {
          kind: block.classList.contains('daily') ? 'daily' : 'hourly',
          summary: block.querySelector('.forecast-summary')!.textContent ?? '',
          chartLabel: labelledBy ? (document.getElementById(labelledBy)?.textContent ?? null) : null,
          role: chart.getAttribute('role'),
          legend: texts(block, '.forecast-legend li'),
          caption: block.querySelector('caption')!.textContent ?? '',
          headers: texts(block, 'thead th'),
          rows: Array.from(block.querySelectorAll('tbody tr'), (row) => Array.from(row.children, (cell) => cell.textContent ?? '')),
          polylines: { high: count(chart, 'polyline.high'), low: count(chart, 'polyline.low'), temperature: count(chart, 'polyline.temperature') },
          markers: { high: count(chart, 'circle.high'), low: count(chart, 'circle.low'), temperature: count(chart, 'circle.temperature') },
          bands: count(chart, '.fc-band polygon'),
          bars: count(chart, 'rect.fc-bar'),
          ticks: count(chart, 'line.fc-tick'),
          tickXs: Array.from(chart.querySelectorAll('line.fc-tick'), (line) => Number(line.getAttribute('x1'))),
          labels: texts(chart, '.fc-days text, .fc-times text'),
          dayIcons: Array.from(chart.querySelectorAll('.fc-days g.weather-icon'), (icon) => icon.getAttribute('class') ?? ''),
        };
      }),
    };
  }, threadId);
}

/** Runs of consecutive non-null readings (where both columns have one, given two). */
function runsOf(...columns: Series[]): number[] {
  const lengths: number[] = [];
  let run = 0;
  for (let index = 0; index <= columns[0].length; index++) {
    if (index < columns[0].length && columns.every((values) => values[index] !== null)) run++;
    else if (run > 0) {
      lengths.push(run);
      run = 0;
    }
  }
  return lengths;
}

const cellOf = (value: number | null) => (value === null ? '–no value' : String(value));
const threadOf = (name: string) => `forecast-${name}`;
const article = (page: Page, name: string) => page.getByRole('article', { name: `Thread ${threadOf(name)}`, exact: true });
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** "Tue 1 Dec" (and " 15:00"), from the JSON's own text: the fixtures are all in December. */
function rowHeader(local: string): string {
  const [date, time] = local.split('T');
  const weekday = WEEKDAYS[new Date(`${date}T00:00:00Z`).getUTCDay()];
  assert.equal(date.slice(5, 7), '12');
  return `${weekday} ${Number(date.slice(8))} Dec${time ? ` ${time}` : ''}`;
}

/** Checks one block of a card against its JSON: table, sentence figures, marks of the chart. */
function checkBlock(name: string, result: Json, shown: ShownBlock, kind: 'daily' | 'hourly'): void {
  const units = result.units as Record<string, string>;
  const json = result[kind] as Json;
  const times = (kind === 'daily' ? json.date : json.time) as string[];
  const lines: Array<[string, Series]> =
    kind === 'daily'
      ? [
          ['High', json.temperature_max as Series],
          ['Low', json.temperature_min as Series],
        ]
      : [['Temperature', json.temperature as Series]];
  const probability = json.precipitation_probability as Series;
  const precipitation = json.precipitation as Series;
  const wind = (kind === 'daily' ? json.wind_speed_max : json.wind_speed) as Series;
  const where = `${name} ${kind}`;

  assert.equal(shown.role, 'img', `${where}: the chart is an image`);
  assert.equal(shown.chartLabel, shown.summary, `${where}: labelled by the summary sentence`);
  assert.deepEqual(shown.legend, [...lines.map(([line]) => `${line} (${units.temperature})`), `Precipitation (${units.precipitation})`], `${where}: legend`);
  // The table holds the JSON's numbers, one row per time, with the units in the headers.
  assert.deepEqual(shown.headers, [
    kind === 'daily' ? 'Day' : 'Time',
    'Conditions',
    ...lines.map(([line]) => `${line} (${units.temperature})`),
    `Chance of precipitation (${units.precipitation_probability})`,
    `Precipitation (${units.precipitation})`,
    `Wind (${units.wind_speed})`,
  ]);
  assert.deepEqual(
    shown.rows,
    times.map((time, index) => [
      rowHeader(time),
      (json.condition as string[])[index],
      ...lines.map(([, values]) => cellOf(values[index])),
      cellOf(probability[index]),
      cellOf(precipitation[index]),
      cellOf(wind[index]),
    ]),
    `${where}: the table's numbers are the JSON's`,
  );
  // The sentence states the extremes and the wettest time, as the JSON has them.
  for (const [line, values] of lines) {
    const known = values.filter((value): value is number => value !== null);
    const words = line === 'Temperature' ? 'temperature' : `${line.toLowerCase()}${times.length > 1 ? 's' : ''}`;
    const low = Math.min(...known);
    const high = Math.max(...known);
    const figures = low === high ? `${low} ${units.temperature}` : `${low} to ${high} ${units.temperature}`;
    assert.ok(shown.summary.includes(`${words} ${figures}`), `${where}: "${words} ${figures}" in ${JSON.stringify(shown.summary)}`);
  }
  const chance = Math.max(...probability.filter((value): value is number => value !== null));
  const wettest = probability.indexOf(chance);
  assert.equal(probability.indexOf(chance, wettest + 1), -1, 'the fixtures have one wettest time');
  const wettestFigures = `${chance}%, ${precipitation[wettest]} ${units.precipitation}`;
  const wettestWords = times.length === 1 ? `precipitation ${wettestFigures}` : `precipitation most likely ${rowHeader(times[wettest])} (${wettestFigures})`;
  assert.ok(shown.summary.includes(wettestWords), `${where}: ${wettestWords} in ${shown.summary}`);
  const gaps = [...lines.map(([, values]) => values), probability, precipitation, wind].flat().filter((value) => value === null).length;
  if (gaps > 0) assert.ok(shown.summary.endsWith(` ${gaps} reading${gaps === 1 ? ' is' : 's are'} missing.`), `${where}: gaps counted`);
  else assert.ok(!shown.summary.includes('missing'));
  // The marks: a line for each run between gaps (a lone reading is a marker), no bar for a gap or a dry time.
  for (const [line, values] of lines) {
    const key = line.toLowerCase();
    const lineRuns = runsOf(values);
    assert.equal(shown.polylines[key], lineRuns.filter((run) => run > 1).length, `${where}: ${line} lines between the gaps`);
    const markers = kind === 'daily' ? values.filter((value) => value !== null).length : lineRuns.filter((run) => run === 1).length;
    assert.equal(shown.markers[key], markers, `${where}: ${line} markers`);
  }
  if (kind === 'daily') assert.equal(shown.bands, runsOf(lines[0][1], lines[1][1]).filter((run) => run > 1).length, `${where}: bands where both are known`);
  assert.equal(shown.bars, precipitation.filter((value) => value !== null && value > 0).length, `${where}: bars`);
  if (kind === 'daily') {
    assert.deepEqual(shown.labels, times.map((time) => rowHeader(time).replace(/ Dec$/, '')), `${where}: each day named`);
    assert.equal(shown.dayIcons.length, times.length, `${where}: an icon per day`);
  } else {
    // A tick at every given time, placed by its time: equal steps give equal gaps.
    assert.equal(shown.ticks, times.length, `${where}: a tick per time`);
    const steps = times.slice(1).map((time, index) => Date.parse(`${time}Z`) - Date.parse(`${times[index]}Z`));
    const gapsX = shown.tickXs.slice(1).map((x, index) => x - shown.tickXs[index]);
    gapsX.forEach((gap, index) => assert.ok(Math.abs(gap / steps[index] / (gapsX[0] / steps[0]) - 1) < 0.05, `${where}: tick ${index + 1} placed by its time`));
    // Every clock label is one of the times given.
    const given = new Set(times.map((time) => time.slice(11)));
    const clocks = shown.labels.filter((text) => /^\d\d:\d\d$/.test(text));
    assert.ok(clocks.length >= 4 && clocks.every((clock) => given.has(clock)), `${where}: clock labels ${clocks.join(', ')}`);
  }
}

const THEME_NAMES = Object.keys(THEMES) as ThemeName[];

describe('forecast cards in Chromium', () => {
  const panels = usePanels();

  async function showCases(theme: ThemeName, cases = CASES, width = 460): Promise<{ panel: PanelPage; host: PanelHost }> {
    const panel = await panels.newPanel({ theme, viewport: { width, height: 900 } });
    const host = new PanelHost(panel);
    await host.connect();
    for (const { name, result } of cases) {
      const where = (result.location as string).split(',')[0];
      host.store.ingest(seed(threadOf(name), 'tool', `Executing weather forecast for ${where}`, 'started'), 'channel');
      host.store.ingest(seed(threadOf(name), 'tool', JSON.stringify(result), 'tool_executed'), 'channel');
    }
    await host.settle();
    return { panel, host };
  }

  function assertHealthy(panel: PanelPage) {
    assert.deepEqual(panel.pageErrors, [], 'no uncaught errors in the page');
    assert.deepEqual(panel.cspConsoleErrors(), [], 'no CSP errors');
    assert.deepEqual(panel.requestUrls.filter((url) => !url.startsWith(`${panels.server.origin}/`)), [], 'nothing fetched from elsewhere');
  }

  for (const theme of THEME_NAMES) {
    test(`${theme}: 1, 3 and 7 days, 48 hours and 3-hour steps: chart, sentence and table as the JSON says, axe clean, screenshots`, { timeout: TIMEOUT }, async () => {
      const { panel } = await showCases(theme);
      const { page } = panel;
      const output = ensureOutputDir();
      for (const { name, result, sentences } of CASES) {
        const shown = await readCard(panel, threadOf(name));
        assert.equal(shown.title, result.location);
        const kinds = result.hourly ? (['daily', 'hourly'] as const) : (['daily'] as const);
        assert.deepEqual(shown.blocks.map((block) => block.kind), kinds, `${name}: blocks`);
        kinds.forEach((kind, index) => checkBlock(name, result, shown.blocks[index], kind));
        if (sentences) assert.deepEqual(shown.blocks.map((block) => block.summary), sentences, `${name}: sentences`);
        const card = article(page, name).locator('details.tool');
        assert.equal(await card.evaluate((element) => (element as HTMLDetailsElement).open), true, `${name}: the card opens by itself`);
        assert.equal(await card.locator('.forecast-data').first().isVisible(), false, `${name}: the table waits behind Data`);
        await card.screenshot({ path: join(output, `forecast-${name}-${theme}.png`) });
      }
      // The marks follow the theme's chart colours, and differ in shape: solid vs dashed lines, hollow low markers, bars.
      const marks = await page.evaluate(() => {
        const style = (selector: string) => getComputedStyle(document.querySelector(selector)!);
        const colour = (name: string) => {
          const probe = document.createElement('span');
          probe.style.color = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
          document.body.append(probe);
          const value = getComputedStyle(probe).color;
          probe.remove();
          return value;
        };
        return {
          red: colour('--vscode-charts-red'),
          blue: colour('--vscode-charts-blue'),
          highStroke: style('polyline.fc-line.high').stroke,
          highDash: style('polyline.fc-line.high').strokeDasharray,
          lowStroke: style('polyline.fc-line.low').stroke,
          lowDash: style('polyline.fc-line.low').strokeDasharray,
          highFill: style('circle.fc-marker.high').fill,
          lowFill: style('circle.fc-marker.low').fill,
          barFill: style('rect.fc-bar').fill,
          barStroke: style('rect.fc-bar').stroke,
        };
      });
      assert.equal(marks.highStroke, marks.red);
      assert.equal(marks.lowStroke, marks.red);
      assert.equal(marks.barFill, marks.blue);
      assert.equal(marks.barStroke, marks.blue);
      assert.equal(marks.highDash, 'none');
      assert.notEqual(marks.lowDash, 'none');
      assert.notEqual(marks.lowFill, marks.highFill);

      assert.deepEqual(await axeViolations(page), [], `${theme}: axe, tables closed`);
      // Every table open, by keyboard: the same figures, and still no violations.
      const toggles = page.getByRole('button', { name: /^Data/ });
      assert.equal(await toggles.count(), 7);
      for (let index = 0; index < 7; index++) {
        await toggles.nth(index).focus();
        await page.keyboard.press('Enter');
      }
      assert.equal(await page.locator('.forecast-data:visible').count(), 7);
      assert.deepEqual(await axeViolations(page), [], `${theme}: axe, tables open`);
      await article(page, '3-days').locator('details.tool').screenshot({ path: join(output, `forecast-3-days-data-${theme}.png`) });
      assertHealthy(panel);
      assert.deepEqual(await panel.violations(), []);
    });
  }

  test('the Data toggle, by keyboard: Tab reaches it, Enter and Space open and close the table it controls', { timeout: TIMEOUT }, async () => {
    const { panel } = await showCases('dark-modern', [CASES[1]]);
    const { page } = panel;
    const card = article(page, '3-days').locator('details.tool');
    await card.locator('summary').first().focus();
    await page.keyboard.press('Tab');
    const focused = () => page.evaluate(() => ({ text: document.activeElement?.textContent, expanded: document.activeElement?.getAttribute('aria-expanded'), controls: document.activeElement?.getAttribute('aria-controls') }));
    const first = await focused();
    assert.equal(first.text, 'Data', 'Tab goes from the card straight to Data: nothing in the chart takes focus');
    assert.equal(first.expanded, 'false');
    const table = page.locator(`#${first.controls}`);
    assert.equal(await table.isVisible(), false);
    await page.keyboard.press('Enter');
    assert.equal((await focused()).expanded, 'true');
    assert.equal(await table.isVisible(), true);
    assert.equal(await table.locator('caption').textContent(), 'Tokyo, Japan, 3 days (Tue 1 Dec to Thu 3 Dec)');
    assert.equal(await page.getByRole('table', { name: 'Tokyo, Japan, 3 days (Tue 1 Dec to Thu 3 Dec)' }).count(), 1, 'the caption names the table');
    assert.equal(await page.getByRole('rowheader', { name: 'Thu 3 Dec' }).count(), 1);
    assert.equal(await page.getByRole('columnheader', { name: 'Low (°C)' }).count(), 1);
    await page.keyboard.press('Space');
    assert.equal((await focused()).expanded, 'false');
    assert.equal(await table.isVisible(), false);
    await page.keyboard.press('Space');
    assert.equal(await table.isVisible(), true);
    // Tab goes on into the table's scroll region (reachable when it is wider than the side bar), then the raw JSON.
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('forecast-data')), true);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Raw result');
    assertHealthy(panel);
  });

  test('unrecognised or broken shapes fall back to the plain tool card; a bad hourly part is said, the days still drawn', { timeout: TIMEOUT }, async () => {
    const panel = await panels.newPanel();
    const host = new PanelHost(panel);
    await host.connect();
    const unequal = clone(TOKYO);
    (daily(unequal).precipitation as unknown[]).pop();
    const badHours = clone(NAIROBI);
    (badHours.hourly as Json).time = ['2026-12-01T15:00', 'soon'];
    const cases: Array<[string, unknown]> = [
      ['unequal', unequal],
      ['daily-array', { ...TOKYO, daily: [daily(TOKYO)] }],
      ['bad-dates', { ...TOKYO, daily: { ...daily(TOKYO), date: ['<img src=x>', '2026-12-02', '2026-12-03'] } }],
      ['bad-hours', badHours],
    ];
    for (const [name, result] of cases) {
      host.store.ingest(seed(threadOf(name), 'tool', 'Executing weather forecast', 'started'), 'channel');
      host.store.ingest(seed(threadOf(name), 'tool', JSON.stringify(result), 'tool_executed'), 'channel');
    }
    await host.settle();
    const thread = (name: string) => article(panel.page, name);
    for (const name of ['unequal', 'daily-array', 'bad-dates']) {
      assert.equal(await thread(name).locator('.forecast, .weather, svg').count(), 0, `${name}: no chart, no summary`);
      assert.equal(await thread(name).locator('details.raw pre').count(), 1, `${name}: the raw JSON is there`);
      assert.equal(await thread(name).locator('details.tool').evaluate((element) => (element as HTMLDetailsElement).open), false, `${name}: a plain card stays closed`);
    }
    const shown = await readCard(panel, threadOf('bad-hours'));
    assert.deepEqual(shown.blocks.map((block) => block.kind), ['daily']);
    assert.equal(await thread('bad-hours').locator('.forecast-note').textContent(), 'The hourly part of this result could not be read, so it is not shown.');
    assertHealthy(panel);
  });

  test('hours at uneven steps are placed by their time, and labelled with the times given', { timeout: TIMEOUT }, async () => {
    const irregular = clone(NAIROBI);
    const times = [...localTimes('2026-12-01T15:00', 3, 8), ...localTimes('2026-12-02T15:00', 1, 8)];
    (irregular.hourly as Json).time = times;
    const { panel } = await showCases('dark-modern', [{ name: 'uneven', result: irregular }]);
    const [, hourly] = (await readCard(panel, threadOf('uneven'))).blocks;
    const gaps = hourly.tickXs.slice(1).map((x, index) => x - hourly.tickXs[index]);
    // Eight 3-hour steps (the last from 12:00 to 15:00 on the 2nd), then seven 1-hour steps.
    const expected = times.slice(1).map((time, index) => (Date.parse(`${time}Z`) - Date.parse(`${times[index]}Z`)) / 3_600_000);
    assert.deepEqual(expected, [3, 3, 3, 3, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1]);
    gaps.forEach((gap, index) => assert.ok(Math.abs(gap / expected[index] / gaps[0] * 3 - 1) < 0.05, `gap ${index}: ${gap}`));
    const clocks = hourly.labels.filter((text) => /^\d\d:\d\d$/.test(text));
    assert.deepEqual(clocks, ['15:00', '00:00', '09:00', '16:00', '19:00', '22:00']);
    assert.match(hourly.summary, /, at 16 times from Tue 1 Dec 15:00 to Wed 2 Dec 22:00:/);
    assertHealthy(panel);
  });

  test('the chart is built once per result: streaming the answer leaves it in place', { timeout: TIMEOUT }, async () => {
    const { panel, host } = await showCases('dark-modern', [CASES[3]]);
    const { page } = panel;
    await page.evaluate(() => {
      (window as unknown as { __charts: Element[] }).__charts = [...document.querySelectorAll('svg.forecast-chart')];
    });
    const t = threadOf('48-hours');
    for (let index = 0; index < 40; index++) {
      host.store.ingest(seed(t, 'response', `Rain in Bergen, part ${index}. `), 'channel');
      if (index % 8 === 0) await host.settle();
    }
    host.store.ingest(seed(t, 'response', 'Rain all week in Bergen.', 'completed'), 'channel');
    await host.settle();
    const same = await page.evaluate(() => {
      const before = (window as unknown as { __charts: Element[] }).__charts;
      const now = [...document.querySelectorAll('svg.forecast-chart')];
      return before.length === 2 && now.length === 2 && now.every((chart, index) => chart === before[index] && chart.isConnected);
    });
    assert.equal(same, true, 'the same two chart elements, still in the page');
    // The search reads the sentences: a filter finds the thread by a figure in them.
    await page.getByRole('searchbox', { name: 'Filter threads by text' }).fill('every hour from Tue 1 Dec 15:00');
    assert.equal(await article(page, '48-hours').isVisible(), true);
    assertHealthy(panel);
  });

  test('the current-weather card: a unit beside every number, an icon beside the condition in words', { timeout: TIMEOUT }, async () => {
    const panel = await panels.newPanel();
    const host = new PanelHost(panel);
    await host.connect();
    const results: Array<[string, Json, string]> = [
      [
        'metric',
        { location: 'Makati', temperature: 31.2, apparent_temperature: 36.4, humidity: 70, wind_speed: 12.3, condition: 'Partly cloudy', units: { system: 'metric', temperature: '°C', wind_speed: 'km/h', humidity: '%' } },
        '31.2 °C, feels like 36.4 °C · Partly cloudy · humidity 70% · wind 12.3 km/h',
      ],
      ['imperial, units left out', { location: 'Chicago', temperature: 41, humidity: 55, wind_speed: 12, condition: 'Thunderstorm', units: { system: 'imperial' } }, '41 °F · Thunderstorm · humidity 55% · wind 12 mph'],
      ['no units at all', { location: 'Nowhere', temperature: 20, wind_speed: 3, condition: 'Fog' }, `20 ${UNKNOWN_UNIT} · Fog · wind 3 ${UNKNOWN_UNIT}`],
    ];
    for (const [name, result] of results) {
      host.store.ingest(seed(threadOf(name), 'tool', 'Executing weather check', 'started'), 'channel');
      host.store.ingest(seed(threadOf(name), 'tool', JSON.stringify(result), 'tool_executed'), 'channel');
    }
    await host.settle();
    for (const [name, result, line] of results) {
      const weather = article(panel.page, name).locator('.weather');
      assert.equal(await weather.textContent(), `${result.location}${line}`, name);
      const icon = await weather.locator('svg.weather-icon').evaluate((svg) => ({
        hidden: svg.getAttribute('aria-hidden'),
        next: svg.nextSibling?.textContent,
        paths: svg.querySelectorAll('path').length,
        width: svg.getBoundingClientRect().width,
      }));
      assert.deepEqual({ ...icon, width: icon.width > 10 }, { hidden: 'true', next: result.condition, paths: icon.paths, width: true }, `${name}: the icon, then the words`);
      assert.ok(icon.paths > 0);
    }
    const kinds = await panel.page.evaluate(() => Array.from(document.querySelectorAll('.weather svg.weather-icon'), (svg) => svg.getAttribute('class')));
    assert.deepEqual(kinds, ['weather-icon partly', 'weather-icon thunder', 'weather-icon fog']);
    assert.deepEqual(await axeViolations(panel.page), []);
    assertHealthy(panel);
  });
});
