/**
 * Current weather from OpenWeatherMap (key required). One request: the service
 * geocodes `q` itself. https://openweathermap.org/current
 */
import type { Units } from './args';
import type { ResolvedWeatherConfig } from './config';
import { describeHttpError, describeTransportFailure, getJson, isSuccess, type CallContext } from './http';
import { clampText, failure, isNumber, isObject, isReading, notFound, placeLabel, unexpected, type JsonObject, type ProviderOutcome, type Step } from './result';

export const OPENWEATHERMAP = 'OpenWeatherMap';
const SERVICE = OPENWEATHERMAP;

/**
 * One OpenWeatherMap request for a place by name (`q`, geocoded by the service), at
 * `endpoint` (current weather or forecast): the body as an object, or the failure in words.
 */
export async function requestOpenWeatherMap(
  config: ResolvedWeatherConfig,
  context: CallContext,
  endpoint: string,
  location: string,
  units: Units,
): Promise<Step<JsonObject>> {
  if (config.apiKey === undefined) {
    return { ok: false, outcome: failure(`${SERVICE} needs an API key and none is configured; set one, or switch the weather provider to open-meteo, which needs none`) };
  }
  const url = new URL(endpoint);
  url.searchParams.set('q', location);
  url.searchParams.set('appid', config.apiKey);
  url.searchParams.set('units', units);

  const outcome = await getJson(context, url);
  if (outcome.kind !== 'json') return { ok: false, outcome: failure(describeTransportFailure(SERVICE, outcome, context.timeoutMs)) };
  const { status, body } = outcome;
  if (!isSuccess(status)) {
    // Errors read {"cod": 401 | "404", "message": "..."}; never echo the URL, it holds the key.
    const message = isObject(body) && typeof body.message === 'string' ? body.message : undefined;
    if (status === 404) return { ok: false, outcome: notFound(location) };
    if (status === 401) return { ok: false, outcome: failure(`${SERVICE} rejected the API key (HTTP 401)${message === undefined ? '' : `: ${clampText(message)}`}`) };
    return { ok: false, outcome: failure(describeHttpError(SERVICE, status, message)) };
  }
  if (!isObject(body)) return { ok: false, outcome: unexpected(SERVICE, 'the body is not a JSON object') };
  return { ok: true, value: body };
}

export async function openWeatherMapCurrent(
  config: ResolvedWeatherConfig,
  context: CallContext,
  location: string,
  units: Units,
): Promise<ProviderOutcome> {
  const answer = await requestOpenWeatherMap(config, context, config.forecastUrl, location, units);
  if (!answer.ok) return answer.outcome;
  const body = answer.value;
  const { coord, main, wind, weather, sys } = body;
  if (!isObject(coord) || !isNumber(coord.lat) || !isNumber(coord.lon)) return unexpected(SERVICE, 'coord is missing');
  if (!isObject(main) || !isNumber(main.temp)) return unexpected(SERVICE, 'main.temp is not a number');
  if (!isReading(main.feels_like) || !isReading(main.humidity)) {
    return unexpected(SERVICE, 'main.feels_like or main.humidity is not a number');
  }
  if (!isObject(wind) || !isReading(wind.speed)) return unexpected(SERVICE, 'wind.speed is not a number');
  if (!isNumber(body.dt)) return unexpected(SERVICE, 'dt is not a number');
  const first = Array.isArray(weather) && isObject(weather[0]) ? weather[0] : {};
  const description = describeOwmWeather(first);

  return {
    ok: true,
    report: {
      // `name` can be blank for places OpenWeatherMap only knows by coordinates.
      location: placeLabel([body.name, isObject(sys) ? sys.country : undefined]) || location,
      latitude: coord.lat,
      longitude: coord.lon,
      temperature: main.temp,
      apparent_temperature: main.feels_like,
      humidity: main.humidity,
      wind_speed: wind.speed,
      condition: description ?? 'Unknown conditions',
      units: {
        system: units,
        temperature: units === 'imperial' ? '°F' : '°C',
        // OpenWeatherMap's metric wind speed is metres per second, not km/h.
        wind_speed: units === 'imperial' ? 'mph' : 'm/s',
        humidity: '%',
      },
      observed_at: new Date(body.dt * 1000).toISOString(),
      source: 'openweathermap',
    },
  };
}

/**
 * Conditions in words from one of OpenWeatherMap's `weather` entries ({id, main, description}),
 * or undefined when it has none. OpenWeatherMap writes "scattered clouds"; the WMO words
 * of Open-Meteo read "Partly cloudy", so the first letter is raised.
 */
export function describeOwmWeather(entry: JsonObject): string | undefined {
  const text = [entry.description, entry.main].find((value) => typeof value === 'string' && value !== '') as string | undefined;
  return text === undefined ? undefined : clampText(text.charAt(0).toUpperCase() + text.slice(1));
}
