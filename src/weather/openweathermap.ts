/**
 * Current weather from OpenWeatherMap (key required). One request: the service
 * geocodes `q` itself. https://openweathermap.org/current
 */
import type { Units } from './args';
import type { ResolvedWeatherConfig } from './config';
import { describeHttpError, describeTransportFailure, getJson, isSuccess, type CallContext } from './http';
import { clampText, failure, isNumber, isObject, isReading, notFound, placeLabel, unexpected, type ProviderOutcome } from './result';

const SERVICE = 'OpenWeatherMap';

export async function openWeatherMapCurrent(
  config: ResolvedWeatherConfig,
  context: CallContext,
  location: string,
  units: Units,
): Promise<ProviderOutcome> {
  if (config.apiKey === undefined) {
    return failure(`${SERVICE} needs an API key and none is configured; set one, or switch the weather provider to open-meteo, which needs none`);
  }
  const url = new URL(config.forecastUrl);
  url.searchParams.set('q', location);
  url.searchParams.set('appid', config.apiKey);
  url.searchParams.set('units', units);

  const outcome = await getJson(context, url);
  if (outcome.kind !== 'json') return failure(describeTransportFailure(SERVICE, outcome, context.timeoutMs));
  const { status, body } = outcome;
  if (!isSuccess(status)) {
    // Errors read {"cod": 401 | "404", "message": "..."}; never echo the URL, it holds the key.
    const message = isObject(body) && typeof body.message === 'string' ? body.message : undefined;
    if (status === 404) return notFound(location);
    if (status === 401) return failure(`${SERVICE} rejected the API key (HTTP 401)${message === undefined ? '' : `: ${clampText(message)}`}`);
    return failure(describeHttpError(SERVICE, status, message));
  }

  if (!isObject(body)) return unexpected(SERVICE, 'the body is not a JSON object');
  const { coord, main, wind, weather, sys } = body;
  if (!isObject(coord) || !isNumber(coord.lat) || !isNumber(coord.lon)) return unexpected(SERVICE, 'coord is missing');
  if (!isObject(main) || !isNumber(main.temp)) return unexpected(SERVICE, 'main.temp is not a number');
  if (!isReading(main.feels_like) || !isReading(main.humidity)) {
    return unexpected(SERVICE, 'main.feels_like or main.humidity is not a number');
  }
  if (!isObject(wind) || !isReading(wind.speed)) return unexpected(SERVICE, 'wind.speed is not a number');
  if (!isNumber(body.dt)) return unexpected(SERVICE, 'dt is not a number');
  const first = Array.isArray(weather) && isObject(weather[0]) ? weather[0] : {};
  const description = [first.description, first.main].find((text) => typeof text === 'string' && text !== '') as
    | string
    | undefined;

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
      condition: description === undefined ? 'Unknown conditions' : clampText(capitalise(description)),
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

/** OpenWeatherMap writes "scattered clouds"; the WMO words read "Partly cloudy". */
function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
