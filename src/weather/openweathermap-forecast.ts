/**
 * The forecast from OpenWeatherMap's free 5 day / 3 hour endpoint (`/data/2.5/forecast`,
 * key required; https://openweathermap.org/forecast5): one request by place name, up to
 * 40 steps of 3 hours in UTC (`dt`), and the place's offset from UTC (`city.timezone`).
 *
 * Days are the place's local dates. Each day aggregates the steps that fall on it:
 *   temperature_min / max        lowest main.temp_min / highest main.temp_max (main.temp
 *                                for a step without them)
 *   precipitation_probability    highest pop, as a percentage
 *   precipitation                sum of rain.3h and snow.3h (left out when none fell: 0);
 *                                OpenWeatherMap gives them in mm whatever the units, so
 *                                imperial converts them to inches
 *   wind_speed_max               highest wind.speed (m/s metric, mph imperial)
 *   condition                    the most severe kind of weather of the day (tornado,
 *                                thunderstorm, snow, rain, drizzle, fog/haze/dust, clouds,
 *                                clear, by the group of `weather[0].id`), and of that kind
 *                                the description seen most often (ties: the earliest), so a
 *                                dry morning does not hide an afternoon of rain, as
 *                                Open-Meteo's daily weather_code is the day's most severe
 * The first and last days may hold only part of the day: only what the 5 days cover.
 * Hourly values are the 3-hour steps themselves, from the one under way, for 48 hours.
 */
import type { Units } from './args';
import type { ResolvedWeatherConfig } from './config';
import { FORECAST_HOURS, type ForecastArgs } from './forecast-args';
import { formatUtcOffset, isUtcOffset, localDateTime, roundTo, type DailyForecast, type ForecastReport, type HourlyForecast, type Reading } from './forecast-result';
import type { CallContext } from './http';
import { describeOwmWeather, OPENWEATHERMAP, requestOpenWeatherMap } from './openweathermap';
import { failure, isNumber, isObject, placeLabel, unexpected, type Failure, type JsonObject, type ProviderOutcome } from './result';

const SERVICE = OPENWEATHERMAP;
const STEP_MS = 3 * 3600_000;
/** The free tier sends 40 steps (5 days); a list far longer is not a forecast of this API. */
const MAX_STEPS = 200;
const MM_PER_INCH = 25.4;

/** One 3-hour step, checked; readings the step leaves out are null. */
interface ForecastStep {
  /** Start of the step, Unix milliseconds. */
  at: number;
  temperature: Reading;
  temperatureMin: Reading;
  temperatureMax: Reading;
  /** 0–100. */
  probability: Reading;
  /** rain.3h + snow.3h, in the result's unit (mm or in). */
  precipitation: number;
  wind: Reading;
  condition: string | null;
  severity: number;
}

export async function openWeatherMapForecast(
  config: ResolvedWeatherConfig,
  context: CallContext,
  args: ForecastArgs,
  units: Units,
): Promise<ProviderOutcome<ForecastReport>> {
  if (config.openWeatherMapForecastUrl === undefined) {
    return failure(
      `${SERVICE}'s forecast address is not configured: the weather URL is a custom one not ending in /weather, so no forecast URL can be derived from it; set the OpenWeatherMap forecast URL too`,
    );
  }
  const answer = await requestOpenWeatherMap(config, context, config.openWeatherMapForecastUrl, args.location, units);
  if (!answer.ok) return answer.outcome;
  const body = answer.value;

  const { city, list } = body;
  if (!isObject(city)) return unexpected(SERVICE, 'city is missing');
  const { coord } = city;
  if (!isObject(coord) || !isNumber(coord.lat) || !isNumber(coord.lon)) return unexpected(SERVICE, 'city.coord is missing');
  if (!isUtcOffset(city.timezone)) return unexpected(SERVICE, 'city.timezone is not an offset from UTC in seconds');
  const offset = city.timezone;
  if (!Array.isArray(list) || list.length === 0) return unexpected(SERVICE, 'list holds no forecast steps');
  if (list.length > MAX_STEPS) return unexpected(SERVICE, `list holds more than ${MAX_STEPS} forecast steps`);

  const steps: ForecastStep[] = [];
  for (const [index, raw] of list.entries()) {
    const read = readStep(raw, `list[${index}]`, units);
    if (!read.ok) return read;
    steps.push(read.step);
  }
  steps.sort((a, b) => a.at - b.at);

  const imperial = units === 'imperial';
  const hourly = args.hourly ? hourlyOf(steps, config.now(), offset) : undefined;
  return {
    ok: true,
    report: {
      // `name` can be blank for places OpenWeatherMap only knows by coordinates.
      location: placeLabel([city.name, city.country]) || args.location,
      latitude: coord.lat,
      longitude: coord.lon,
      timezone: `UTC${formatUtcOffset(offset)}`,
      utc_offset: formatUtcOffset(offset),
      units: {
        system: units,
        temperature: imperial ? '°F' : '°C',
        precipitation: imperial ? 'in' : 'mm',
        precipitation_probability: '%',
        // OpenWeatherMap's metric wind speed is metres per second, not km/h.
        wind_speed: imperial ? 'mph' : 'm/s',
      },
      daily: dailyOf(steps, offset, args.days, imperial ? 3 : 2),
      ...(hourly === undefined ? {} : { hourly }),
      source: 'openweathermap',
    },
  };
}

/** Checks one entry of `list`; a reading of the wrong type is refused, a missing one is null. */
function readStep(raw: unknown, path: string, units: Units): { ok: true; step: ForecastStep } | Failure {
  if (!isObject(raw)) return unexpected(SERVICE, `${path} is not an object`);
  if (!isNumber(raw.dt)) return unexpected(SERVICE, `${path}.dt is not a number`);
  let problem: string | undefined;
  const part = (key: string): JsonObject | undefined => {
    const value = raw[key];
    if (isObject(value)) return value;
    if (value !== undefined && value !== null) problem ??= `${path}.${key} is not an object`;
    return undefined;
  };
  const reading = (object: JsonObject | undefined, key: string, name: string): Reading => {
    const value = object?.[key];
    if (isNumber(value)) return value;
    if (value !== undefined && value !== null) problem ??= `${path}.${name} is not a number`;
    return null;
  };
  const main = part('main');
  const temperature = reading(main, 'temp', 'main.temp');
  const temperatureMin = reading(main, 'temp_min', 'main.temp_min');
  const temperatureMax = reading(main, 'temp_max', 'main.temp_max');
  const pop = reading(raw, 'pop', 'pop');
  const wind = reading(part('wind'), 'speed', 'wind.speed');
  const rain = reading(part('rain'), '3h', 'rain.3h') ?? 0;
  const snow = reading(part('snow'), '3h', 'snow.3h') ?? 0;
  if (pop !== null && (pop < 0 || pop > 1)) problem ??= `${path}.pop is not a probability from 0 to 1`;
  if (rain < 0 || snow < 0) problem ??= `${path}.rain or .snow is negative`;
  if (problem !== undefined) return unexpected(SERVICE, problem);

  const weather = Array.isArray(raw.weather) && isObject(raw.weather[0]) ? raw.weather[0] : {};
  return {
    ok: true,
    step: {
      at: raw.dt * 1000,
      temperature,
      temperatureMin,
      temperatureMax,
      probability: pop === null ? null : Math.round(pop * 100),
      precipitation: units === 'imperial' ? (rain + snow) / MM_PER_INCH : rain + snow,
      wind,
      condition: describeOwmWeather(weather) ?? null,
      severity: severity(weather.id),
    },
  };
}

/**
 * How severe a condition group is, from OpenWeatherMap's condition id
 * (https://openweathermap.org/weather-conditions): 2xx thunderstorm, 3xx drizzle, 5xx rain,
 * 6xx snow, 7xx atmosphere (781 is a tornado), 800 clear, 80x clouds. 0: no id.
 */
function severity(id: unknown): number {
  if (!isNumber(id)) return 0;
  if (id === 781) return 9;
  const ranks: Record<number, number> = { 2: 8, 6: 7, 5: 6, 3: 5, 7: 4 };
  const group = Math.floor(id / 100);
  if (group === 8) return id === 800 ? 1 : 2;
  return ranks[group] ?? 0;
}

function dailyOf(steps: ForecastStep[], offset: number, days: number, digits: number): DailyForecast {
  const byDate = new Map<string, ForecastStep[]>();
  for (const step of steps) {
    const date = localDateTime(step.at, offset).slice(0, 10);
    const day = byDate.get(date);
    if (day !== undefined) day.push(step);
    else if (byDate.size < days) byDate.set(date, [step]);
  }
  const daily: DailyForecast = {
    date: [],
    temperature_min: [],
    temperature_max: [],
    precipitation_probability: [],
    precipitation: [],
    wind_speed_max: [],
    condition: [],
  };
  for (const [date, day] of byDate) {
    daily.date.push(date);
    daily.temperature_min.push(extreme(day.map((s) => s.temperatureMin ?? s.temperature), Math.min));
    daily.temperature_max.push(extreme(day.map((s) => s.temperatureMax ?? s.temperature), Math.max));
    daily.precipitation_probability.push(extreme(day.map((s) => s.probability), Math.max));
    daily.precipitation.push(roundTo(day.reduce((sum, s) => sum + s.precipitation, 0), digits));
    daily.wind_speed_max.push(extreme(day.map((s) => s.wind), Math.max));
    daily.condition.push(dayCondition(day));
  }
  return daily;
}

/** The lowest or highest of the readings there are; null when the day has none. */
function extreme(values: Reading[], pick: (...values: number[]) => number): Reading {
  const known = values.filter((value): value is number => value !== null);
  return known.length === 0 ? null : pick(...known);
}

/** Of the most severe group seen during the day, the description seen most often (ties: the earliest). */
function dayCondition(day: ForecastStep[]): string | null {
  const worst = Math.max(...day.map((step) => (step.condition === null ? -1 : step.severity)));
  const counts = new Map<string, number>();
  for (const step of day) {
    if (step.condition !== null && step.severity === worst) counts.set(step.condition, (counts.get(step.condition) ?? 0) + 1);
  }
  let best: string | null = null;
  let most = 0;
  for (const [condition, count] of counts) {
    if (count > most) [best, most] = [condition, count];
  }
  return best;
}

/** The steps from the one under way now, for FORECAST_HOURS hours. */
function hourlyOf(steps: ForecastStep[], now: number, offset: number): HourlyForecast {
  const kept = steps.filter((step) => step.at + STEP_MS > now && step.at < now + FORECAST_HOURS * 3600_000).slice(0, FORECAST_HOURS / 3);
  return {
    time: kept.map((step) => localDateTime(step.at, offset)),
    temperature: kept.map((step) => step.temperature),
    precipitation_probability: kept.map((step) => step.probability),
    precipitation: kept.map((step) => roundTo(step.precipitation, 3)),
    wind_speed: kept.map((step) => step.wind),
    condition: kept.map((step) => step.condition),
  };
}
