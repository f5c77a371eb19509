import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createWeatherTool,
  DEFAULT_GEOCODING_URL,
  DEFAULT_OPEN_METEO_FORECAST_URL,
  DEFAULT_OPENWEATHERMAP_FORECAST_URL,
  DEFAULT_OPENWEATHERMAP_URL,
  resolveWeatherConfig,
  type ResolvedWeatherConfig,
} from '../../src/weather';

const opts = { timeout: 2_000 };

function resolved(input: unknown): ResolvedWeatherConfig {
  const result = resolveWeatherConfig(input);
  assert.ok(result.ok, result.ok ? '' : result.problems.join('; '));
  return result.config;
}

function problems(input: unknown): string[] {
  const result = resolveWeatherConfig(input);
  assert.equal(result.ok, false);
  return result.ok ? [] : result.problems;
}

test('defaults: Open-Meteo, metric, 8 s, 5 minute cache', opts, () => {
  const config = resolved({});
  assert.equal(config.provider, 'open-meteo');
  assert.equal(config.units, 'metric');
  assert.equal(config.forecastUrl, DEFAULT_OPEN_METEO_FORECAST_URL);
  assert.equal(config.geocodingUrl, DEFAULT_GEOCODING_URL);
  assert.equal(config.timeoutMs, 8_000);
  assert.equal(config.cacheTtlMs, 300_000);
  assert.equal(config.cacheMaxEntries, 100);
  assert.equal(config.apiKey, undefined);
  assert.equal(typeof config.fetch, 'function');
});

test('OpenWeatherMap gets its own default endpoint; empty settings mean "not set"', opts, () => {
  const config = resolved({ provider: 'openweathermap', forecastUrl: '', apiKey: '  ', units: 'imperial' });
  assert.equal(config.forecastUrl, DEFAULT_OPENWEATHERMAP_URL);
  assert.equal(config.apiKey, undefined);
  assert.equal(config.units, 'imperial');
});

test('keeps given endpoints, key and limits', opts, () => {
  const config = resolved({
    forecastUrl: ' http://127.0.0.1:9/v1/forecast ',
    geocodingUrl: 'https://mirror.example/v1/search?lang=en',
    apiKey: 'k',
    timeoutMs: 50,
    cacheTtlMs: 0,
    cacheMaxEntries: 3,
  });
  assert.equal(config.forecastUrl, 'http://127.0.0.1:9/v1/forecast');
  assert.equal(config.geocodingUrl, 'https://mirror.example/v1/search?lang=en');
  assert.equal(config.apiKey, 'k');
  assert.deepEqual([config.timeoutMs, config.cacheTtlMs, config.cacheMaxEntries], [50, 0, 3]);
});

test('OpenWeatherMap\'s forecast URL: its own setting, else beside a custom /weather URL, else the public one; never a guess', opts, () => {
  assert.equal(DEFAULT_OPENWEATHERMAP_FORECAST_URL, 'https://api.openweathermap.org/data/2.5/forecast');
  assert.equal(resolved({ provider: 'openweathermap' }).openWeatherMapForecastUrl, DEFAULT_OPENWEATHERMAP_FORECAST_URL);
  assert.equal(resolved({}).openWeatherMapForecastUrl, DEFAULT_OPENWEATHERMAP_FORECAST_URL);
  // A mirror of the current weather is taken to mirror the forecast too, with its parameters.
  assert.equal(
    resolved({ provider: 'openweathermap', forecastUrl: 'http://127.0.0.1:9/data/2.5/weather?lang=de' }).openWeatherMapForecastUrl,
    'http://127.0.0.1:9/data/2.5/forecast?lang=de',
  );
  assert.equal(resolved({ provider: 'openweathermap', forecastUrl: 'https://proxy.example/owm/weather/' }).openWeatherMapForecastUrl, 'https://proxy.example/owm/forecast');
  // Another form: no address at all rather than the public service (get_forecast then says so).
  assert.equal(resolved({ provider: 'openweathermap', forecastUrl: 'https://proxy.example/current' }).openWeatherMapForecastUrl, undefined);
  assert.equal(
    resolved({ provider: 'openweathermap', forecastUrl: 'https://proxy.example/current', openWeatherMapForecastUrl: ' https://proxy.example/later ' }).openWeatherMapForecastUrl,
    'https://proxy.example/later',
  );
  // Open-Meteo's forecastUrl says nothing about OpenWeatherMap.
  assert.equal(resolved({ forecastUrl: 'http://127.0.0.1:9/v1/forecast' }).openWeatherMapForecastUrl, DEFAULT_OPENWEATHERMAP_FORECAST_URL);
  assert.deepEqual(problems({ openWeatherMapForecastUrl: 'file:///etc/passwd' }), ['weather openWeatherMapForecastUrl must use http or https (got file)']);
});

test('names each problem', opts, () => {
  assert.deepEqual(problems({ provider: 'accuweather' }), [
    'unknown weather provider "accuweather"; use "open-meteo" or "openweathermap"',
  ]);
  assert.deepEqual(problems({ forecastUrl: 'not a url' }), ['weather forecastUrl is not a valid URL: "not a url"']);
  assert.deepEqual(problems({ geocodingUrl: 'ftp://example.com/search' }), [
    'weather geocodingUrl must use http or https (got ftp)',
  ]);
  assert.match(problems({ timeoutMs: 0 })[0] ?? '', /timeoutMs must be between 1 and/);
  assert.match(problems({ timeoutMs: '8000' })[0] ?? '', /timeoutMs must be a number/);
  assert.match(problems({ cacheTtlMs: -1 })[0] ?? '', /cacheTtlMs must be between 0 and/);
  assert.match(problems({ cacheMaxEntries: 1.5 })[0] ?? '', /cacheMaxEntries must be a whole number/);
  assert.match(problems({ units: 'kelvin' })[0] ?? '', /units must be "metric" or "imperial"/);
  assert.match(problems({ fetch: 'yes' })[0] ?? '', /fetch must be a function/);
  assert.deepEqual(problems(null), ['weather configuration must be an object']);
});

test('reports every problem at once, and createWeatherTool refuses to build', opts, () => {
  assert.equal(problems({ provider: 'x', forecastUrl: 'nope', timeoutMs: -5 }).length, 3);
  assert.throws(
    () => createWeatherTool({ provider: 'x' as never, forecastUrl: 'nope' }),
    /^Error: Invalid weather configuration: unknown weather provider "x".*; weather forecastUrl is not a valid URL/,
  );
});
