/**
 * Weather tool settings: defaults, and validation with one sentence per problem.
 * Input is `unknown` because it usually comes straight from user settings, where
 * anything can be typed; an empty string counts as "not set" for the same reason.
 */
import { isUnits, type Units } from './args';

export type WeatherProvider = 'open-meteo' | 'openweathermap';
export const WEATHER_PROVIDERS: readonly WeatherProvider[] = ['open-meteo', 'openweathermap'];

export const DEFAULT_GEOCODING_URL = 'https://geocoding-api.open-meteo.com/v1/search';
export const DEFAULT_OPEN_METEO_FORECAST_URL = 'https://api.open-meteo.com/v1/forecast';
export const DEFAULT_OPENWEATHERMAP_URL = 'https://api.openweathermap.org/data/2.5/weather';
/** OpenWeatherMap's free 5 day / 3 hour forecast, for get_forecast. */
export const DEFAULT_OPENWEATHERMAP_FORECAST_URL = 'https://api.openweathermap.org/data/2.5/forecast';
const DEFAULT_TIMEOUT_MS = 8_000;
const DEFAULT_CACHE_TTL_MS = 5 * 60_000;
const DEFAULT_CACHE_MAX_ENTRIES = 100;
/** setTimeout's ceiling; AbortSignal.timeout cannot wait longer. */
const MAX_TIMER_MS = 2_147_483_647;

export type FetchLike = (input: string, init?: { signal?: AbortSignal }) => Promise<Response>;

export interface WeatherConfig {
  /** Default "open-meteo" (no key needed). */
  provider?: WeatherProvider;
  /** Units when the model does not ask for any. Default "metric". */
  units?: Units;
  /**
   * Current-weather endpoint: Open-Meteo forecast, or OpenWeatherMap `/data/2.5/weather`.
   * Open-Meteo's also serves get_forecast.
   */
  forecastUrl?: string;
  /**
   * OpenWeatherMap's forecast endpoint (`/data/2.5/forecast`), for get_forecast; unused by
   * Open-Meteo. Default: `forecastUrl` with its last segment `weather` made `forecast` when
   * forecastUrl is set (a mirror stays a mirror), else OpenWeatherMap's own.
   */
  openWeatherMapForecastUrl?: string;
  /** Open-Meteo geocoding endpoint; unused by OpenWeatherMap, which geocodes itself. */
  geocodingUrl?: string;
  /** Required for OpenWeatherMap; for Open-Meteo it is sent as `apikey` (commercial plans). */
  apiKey?: string;
  /** Budget for one whole check, geocoding included. Default 8 s. */
  timeoutMs?: number;
  /** How long a successful result is reused. Default 5 minutes; 0 turns caching off. */
  cacheTtlMs?: number;
  /** Most places kept in the cache. Default 100. */
  cacheMaxEntries?: number;
  /** Replaces the global fetch (tests, proxies). */
  fetch?: FetchLike;
  /** Clock in milliseconds, for the cache. Default Date.now. */
  now?: () => number;
}

export interface ResolvedWeatherConfig {
  provider: WeatherProvider;
  units: Units;
  forecastUrl: string;
  /**
   * Undefined when forecastUrl is a custom OpenWeatherMap address that does not end in
   * `/weather`: no forecast address can be derived, and get_forecast says so.
   */
  openWeatherMapForecastUrl?: string;
  geocodingUrl: string;
  apiKey?: string;
  timeoutMs: number;
  cacheTtlMs: number;
  cacheMaxEntries: number;
  fetch: FetchLike;
  now: () => number;
}

type ConfigResult = { ok: true; config: ResolvedWeatherConfig } | { ok: false; problems: string[] };

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function urlProblem(key: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return `weather ${key} must be a URL string (got ${typeof value})`;
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return `weather ${key} is not a valid URL: ${JSON.stringify(value)}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `weather ${key} must use http or https (got ${url.protocol.slice(0, -1)})`;
  }
  return undefined;
}

function numberProblem(key: string, value: unknown, min: number, integer: boolean): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return `weather ${key} must be a number (got ${JSON.stringify(value) ?? typeof value})`;
  }
  if (integer && !Number.isInteger(value)) return `weather ${key} must be a whole number (got ${value})`;
  if (value < min || value > MAX_TIMER_MS) return `weather ${key} must be between ${min} and ${MAX_TIMER_MS} (got ${value})`;
  return undefined;
}

/** Fills in defaults and reports every problem at once, so a user fixes them in one go. */
export function resolveWeatherConfig(input: unknown = {}): ConfigResult {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: ['weather configuration must be an object'] };
  }
  const raw = input as Record<string, unknown>;
  const problems: string[] = [];
  const check = (problem: string | undefined): void => {
    if (problem !== undefined) problems.push(problem);
  };

  let provider: WeatherProvider = 'open-meteo';
  if (isSet(raw.provider)) {
    if (WEATHER_PROVIDERS.includes(raw.provider as WeatherProvider)) provider = raw.provider as WeatherProvider;
    else check(`unknown weather provider ${JSON.stringify(raw.provider)}; use "open-meteo" or "openweathermap"`);
  }

  let units: Units = 'metric';
  if (isSet(raw.units)) {
    if (isUnits(raw.units)) units = raw.units;
    else check(`weather units must be "metric" or "imperial" (got ${JSON.stringify(raw.units)})`);
  }

  for (const key of ['forecastUrl', 'openWeatherMapForecastUrl', 'geocodingUrl'] as const) {
    if (isSet(raw[key])) check(urlProblem(key, raw[key]));
  }
  if (isSet(raw.apiKey) && typeof raw.apiKey !== 'string') check(`weather apiKey must be a string (got ${typeof raw.apiKey})`);
  if (isSet(raw.timeoutMs)) check(numberProblem('timeoutMs', raw.timeoutMs, 1, false));
  if (isSet(raw.cacheTtlMs)) check(numberProblem('cacheTtlMs', raw.cacheTtlMs, 0, false));
  if (isSet(raw.cacheMaxEntries)) check(numberProblem('cacheMaxEntries', raw.cacheMaxEntries, 1, true));
  for (const key of ['fetch', 'now'] as const) {
    if (isSet(raw[key]) && typeof raw[key] !== 'function') check(`weather ${key} must be a function`);
  }
  if (problems.length > 0) return { ok: false, problems };

  const defaultForecastUrl = provider === 'openweathermap' ? DEFAULT_OPENWEATHERMAP_URL : DEFAULT_OPEN_METEO_FORECAST_URL;
  const apiKey = typeof raw.apiKey === 'string' && raw.apiKey.trim() !== '' ? raw.apiKey.trim() : undefined;
  const config: ResolvedWeatherConfig = {
    provider,
    units,
    forecastUrl: isSet(raw.forecastUrl) ? (raw.forecastUrl as string).trim() : defaultForecastUrl,
    geocodingUrl: isSet(raw.geocodingUrl) ? (raw.geocodingUrl as string).trim() : DEFAULT_GEOCODING_URL,
    timeoutMs: isSet(raw.timeoutMs) ? (raw.timeoutMs as number) : DEFAULT_TIMEOUT_MS,
    cacheTtlMs: isSet(raw.cacheTtlMs) ? (raw.cacheTtlMs as number) : DEFAULT_CACHE_TTL_MS,
    cacheMaxEntries: isSet(raw.cacheMaxEntries) ? (raw.cacheMaxEntries as number) : DEFAULT_CACHE_MAX_ENTRIES,
    // Looked up at call time, not captured: tests and polyfills may replace the global later.
    fetch: isSet(raw.fetch) ? (raw.fetch as FetchLike) : (input, init) => globalThis.fetch(input, init),
    now: isSet(raw.now) ? (raw.now as () => number) : Date.now,
  };
  if (apiKey !== undefined) config.apiKey = apiKey;
  const owmForecastUrl = isSet(raw.openWeatherMapForecastUrl)
    ? (raw.openWeatherMapForecastUrl as string).trim()
    : provider === 'openweathermap' && isSet(raw.forecastUrl)
      ? forecastBeside(config.forecastUrl)
      : DEFAULT_OPENWEATHERMAP_FORECAST_URL;
  if (owmForecastUrl !== undefined) config.openWeatherMapForecastUrl = owmForecastUrl;
  return { ok: true, config };
}

/**
 * OpenWeatherMap serves current weather at `…/weather` and its forecast beside it at
 * `…/forecast`; a mirror of one is taken to mirror both (query parameters kept). A custom
 * address of another form gives no forecast address rather than a guess or the public one.
 */
function forecastBeside(currentUrl: string): string | undefined {
  const url = new URL(currentUrl);
  if (!/\/weather\/?$/.test(url.pathname)) return undefined;
  url.pathname = url.pathname.replace(/\/weather\/?$/, '/forecast');
  return url.toString();
}
