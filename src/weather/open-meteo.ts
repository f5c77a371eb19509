/**
 * Current weather from Open-Meteo (no key): geocode the name, then ask the
 * forecast API for the current values at those coordinates. The geocoding, the
 * request and the unit labels are exported for the forecast (open-meteo-forecast.ts).
 * https://open-meteo.com/en/docs/geocoding-api, https://open-meteo.com/en/docs
 */
import type { Units } from './args';
import type { ResolvedWeatherConfig } from './config';
import { describeHttpError, describeTransportFailure, getJson, isSuccess, type CallContext } from './http';
import {
  clampText,
  failure,
  isNumber,
  isObject,
  isReading,
  notFound,
  placeLabel,
  unexpected,
  type JsonObject,
  type ProviderOutcome,
  type Step,
  type WeatherUnits,
} from './result';
import { describeWmoCode } from './wmo';

const GEOCODING = 'Open-Meteo geocoding';
const FORECAST = 'Open-Meteo forecast';
export const OPEN_METEO_CURRENT = 'temperature_2m,apparent_temperature,relative_humidity_2m,wind_speed_10m,weather_code';
/** Enough candidates to find "Paris, Texas" among the Parises, sorted by population. */
const QUALIFIED_CANDIDATES = 10;

export interface Place {
  label: string;
  latitude: number;
  longitude: number;
}

export async function openMeteoCurrent(
  config: ResolvedWeatherConfig,
  context: CallContext,
  location: string,
  units: Units,
): Promise<ProviderOutcome> {
  const place = await geocode(config, context, location);
  if (!place.ok) return place.outcome;
  return currentWeather(config, context, place.value, units);
}

/** Reads a JSON answer, turning transport failures and HTTP errors into words. */
export async function fetchObject(context: CallContext, service: string, url: URL): Promise<Step<JsonObject>> {
  const outcome = await getJson(context, url);
  if (outcome.kind !== 'json') return { ok: false, outcome: failure(describeTransportFailure(service, outcome, context.timeoutMs)) };
  const { status, body } = outcome;
  if (!isSuccess(status)) {
    // Open-Meteo explains a rejected request as {"error": true, "reason": "..."}.
    const reason = isObject(body) && typeof body.reason === 'string' ? body.reason : undefined;
    return { ok: false, outcome: failure(describeHttpError(service, status, reason)) };
  }
  if (!isObject(body)) return { ok: false, outcome: unexpected(service, 'the body is not a JSON object') };
  return { ok: true, value: body };
}

export function withKey(config: ResolvedWeatherConfig, base: string, params: Record<string, string>): URL {
  const url = new URL(base);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  if (config.apiKey !== undefined) url.searchParams.set('apikey', config.apiKey);
  return url;
}

export async function geocode(config: ResolvedWeatherConfig, context: CallContext, location: string): Promise<Step<Place>> {
  // The geocoder matches the name only: "Makati, Philippines" finds nothing
  // (open-meteo/open-meteo#125). So search the part before the first comma and
  // use the rest to choose among the candidates.
  const [head = '', ...rest] = location.split(',').map((part) => part.trim());
  const qualifiers = rest.filter((part) => part !== '');
  const name = head === '' ? location : head;
  const count = qualifiers.length > 0 ? QUALIFIED_CANDIDATES : 1;
  const url = withKey(config, config.geocodingUrl, { name, count: String(count) });

  const answer = await fetchObject(context, GEOCODING, url);
  if (!answer.ok) return answer;
  const { results } = answer.value;
  // Open-Meteo leaves `results` out entirely when nothing matches.
  if (results === undefined || (Array.isArray(results) && results.length === 0)) {
    return { ok: false, outcome: notFound(location) };
  }
  if (!Array.isArray(results)) return { ok: false, outcome: unexpected(GEOCODING, '"results" is not a list') };

  const chosen = bestMatch(results, qualifiers);
  if (!isObject(chosen) || typeof chosen.name !== 'string' || !isNumber(chosen.latitude) || !isNumber(chosen.longitude)) {
    return { ok: false, outcome: unexpected(GEOCODING, 'a result lacks name, latitude or longitude') };
  }
  return {
    ok: true,
    value: {
      label: placeLabel([chosen.name, chosen.admin1, chosen.country]),
      latitude: chosen.latitude,
      longitude: chosen.longitude,
    },
  };
}

/** The candidate matching the most qualifiers; ties keep the API's (population) order. */
function bestMatch(results: unknown[], qualifiers: string[]): unknown {
  if (qualifiers.length === 0) return results[0];
  const wanted = qualifiers.map(normalise);
  let best: unknown = results[0];
  let bestScore = 0;
  for (const result of results) {
    if (!isObject(result)) continue;
    const names = new Set(
      [result.admin1, result.admin2, result.admin3, result.country, result.country_code]
        .filter((value): value is string => typeof value === 'string')
        .map(normalise),
    );
    const score = wanted.filter((part) => names.has(part)).length;
    if (score > bestScore) {
      best = result;
      bestScore = score;
    }
  }
  return best;
}

function normalise(text: string): string {
  return text.trim().toLowerCase().replace(/\./g, '');
}

async function currentWeather(
  config: ResolvedWeatherConfig,
  context: CallContext,
  place: Place,
  units: Units,
): Promise<ProviderOutcome> {
  const params: Record<string, string> = {
    latitude: String(place.latitude),
    longitude: String(place.longitude),
    current: OPEN_METEO_CURRENT,
  };
  // Metric is Open-Meteo's default (°C, km/h), so only imperial needs parameters.
  if (units === 'imperial') Object.assign(params, { temperature_unit: 'fahrenheit', wind_speed_unit: 'mph' });

  const answer = await fetchObject(context, FORECAST, withKey(config, config.forecastUrl, params));
  if (!answer.ok) return answer.outcome;
  const body = answer.value;
  const current = body.current;
  if (!isObject(current)) return unexpected(FORECAST, '"current" is missing');
  if (!isNumber(current.temperature_2m)) return unexpected(FORECAST, 'current.temperature_2m is not a number');
  for (const key of ['apparent_temperature', 'relative_humidity_2m', 'wind_speed_10m', 'weather_code'] as const) {
    if (!isReading(current[key])) return unexpected(FORECAST, `current.${key} is not a number`);
  }
  const observedAt = observedAtUtc(current.time, body.utc_offset_seconds);
  if (observedAt === undefined) return unexpected(FORECAST, 'current.time is not a date and time');

  const code = current.weather_code as number | null;
  return {
    ok: true,
    report: {
      location: place.label,
      latitude: place.latitude,
      longitude: place.longitude,
      temperature: current.temperature_2m,
      apparent_temperature: current.apparent_temperature as number | null,
      humidity: current.relative_humidity_2m as number | null,
      wind_speed: current.wind_speed_10m as number | null,
      condition: code === null ? 'Unknown conditions' : describeWmoCode(code),
      units: unitLabels(body.current_units, units),
      observed_at: observedAt,
      source: 'open-meteo',
    },
  };
}

/** Open-Meteo spells miles per hour "mp/h" and inches "inch"; the model and the UI expect "mph" and "in". */
const UNIT_SPELLINGS: Record<string, string> = { 'mp/h': 'mph', inch: 'in' };

/**
 * Reads unit labels from Open-Meteo's `…_units` object: `label(key, fallback)` prefers the
 * label the API says it used (a mirror may ignore a unit parameter), else what was asked for.
 */
export function unitReader(reported: unknown): (key: string, fallback: string) => string {
  const labels = isObject(reported) ? reported : {};
  return (key, fallback) => {
    const value = labels[key];
    return typeof value === 'string' && value !== '' ? (UNIT_SPELLINGS[value] ?? clampText(value)) : fallback;
  };
}

function unitLabels(reported: unknown, units: Units): WeatherUnits {
  const label = unitReader(reported);
  return {
    system: units,
    temperature: label('temperature_2m', units === 'imperial' ? '°F' : '°C'),
    wind_speed: label('wind_speed_10m', units === 'imperial' ? 'mph' : 'km/h'),
    humidity: label('relative_humidity_2m', '%'),
  };
}

/**
 * Open-Meteo writes local wall-clock time without a zone ("2025-06-01T04:15"),
 * local to the `timezone` parameter (GMT unless set) and offset by
 * `utc_offset_seconds`; an explicit zone, if a mirror sends one, wins.
 */
function observedAtUtc(time: unknown, offsetSeconds: unknown): string | undefined {
  if (typeof time !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(time)) return undefined;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(time);
  const offsetMs = !hasZone && isNumber(offsetSeconds) ? offsetSeconds * 1000 : 0;
  const millis = Date.parse(hasZone ? time : `${time}Z`) - offsetMs;
  return Number.isNaN(millis) ? undefined : new Date(millis).toISOString();
}
