/**
 * The forecast from Open-Meteo (no key): geocode the name as for current weather, then
 * ask the same forecast endpoint for daily aggregates (and, when asked, the next 48 hours)
 * in the place's own time zone (`timezone=auto`), so dates are local dates there.
 * https://open-meteo.com/en/docs
 *
 * The answer is already columnar ({time: [...], temperature_2m_max: [...]}, null where a
 * model has no value); each column is checked, cut to what was asked for, and renamed.
 */
import type { Units } from './args';
import type { ResolvedWeatherConfig } from './config';
import { FORECAST_HOURS, type ForecastArgs } from './forecast-args';
import {
  formatUtcOffset,
  isUtcOffset,
  localDateTime,
  type ForecastReport,
  type ForecastUnits,
  type Reading,
} from './forecast-result';
import type { CallContext } from './http';
import { fetchObject, geocode, unitReader, withKey } from './open-meteo';
import { clampText, isObject, isReading, unexpected, type Failure, type ProviderOutcome, type Step } from './result';
import { describeWmoCode } from './wmo';

const FORECAST = 'Open-Meteo forecast';

/** Daily variables asked for, in the order of the result's columns. */
const DAILY_VARIABLES = {
  temperature_min: 'temperature_2m_min',
  temperature_max: 'temperature_2m_max',
  precipitation_probability: 'precipitation_probability_max',
  precipitation: 'precipitation_sum',
  wind_speed_max: 'wind_speed_10m_max',
} as const;
const HOURLY_VARIABLES = {
  temperature: 'temperature_2m',
  precipitation_probability: 'precipitation_probability',
  precipitation: 'precipitation',
  wind_speed: 'wind_speed_10m',
} as const;
const CODE = 'weather_code';

export const OPEN_METEO_DAILY = [...Object.values(DAILY_VARIABLES), CODE].join(',');
export const OPEN_METEO_HOURLY = [...Object.values(HOURLY_VARIABLES), CODE].join(',');

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;

export async function openMeteoForecast(
  config: ResolvedWeatherConfig,
  context: CallContext,
  args: ForecastArgs,
  units: Units,
): Promise<ProviderOutcome<ForecastReport>> {
  const place = await geocode(config, context, args.location);
  if (!place.ok) return place.outcome;

  const params: Record<string, string> = {
    latitude: String(place.value.latitude),
    longitude: String(place.value.longitude),
    daily: OPEN_METEO_DAILY,
    timezone: 'auto',
    forecast_days: String(args.days),
  };
  // forecast_hours counts from the current hour, where forecast_days would start at midnight.
  if (args.hourly) Object.assign(params, { hourly: OPEN_METEO_HOURLY, forecast_hours: String(FORECAST_HOURS) });
  // Metric is Open-Meteo's default (°C, km/h, mm), so only imperial needs parameters.
  if (units === 'imperial') Object.assign(params, { temperature_unit: 'fahrenheit', wind_speed_unit: 'mph', precipitation_unit: 'inch' });

  const answer = await fetchObject(context, FORECAST, withKey(config, config.forecastUrl, params));
  if (!answer.ok) return answer.outcome;
  const body = answer.value;
  const offset = body.utc_offset_seconds;
  if (!isUtcOffset(offset)) return unexpected(FORECAST, 'utc_offset_seconds is not a whole number of seconds within 18 hours');

  const daily = readBlock(body.daily, 'daily', DATE, DAILY_VARIABLES, (times) => [0, Math.min(times.length, args.days)]);
  if (!daily.ok) return daily.outcome;
  let hourly: Block | undefined;
  if (args.hourly) {
    // From the current hour where the place is, in case a mirror starts at midnight as forecast_days does.
    const thisHour = `${localDateTime(config.now(), offset).slice(0, 13)}:00`;
    const read = readBlock(body.hourly, 'hourly', DATE_TIME, HOURLY_VARIABLES, (times) => {
      const first = times.findIndex((time) => time >= thisHour);
      return first < 0 ? [times.length, times.length] : [first, Math.min(times.length, first + FORECAST_HOURS)];
    });
    if (!read.ok) return read.outcome;
    hourly = read.value;
  }

  return {
    ok: true,
    report: {
      location: place.value.label,
      latitude: place.value.latitude,
      longitude: place.value.longitude,
      timezone: typeof body.timezone === 'string' && body.timezone !== '' ? clampText(body.timezone) : `UTC${formatUtcOffset(offset)}`,
      utc_offset: formatUtcOffset(offset),
      units: unitLabels(body.daily_units, units),
      daily: { date: daily.value.times, ...(daily.value.columns as Record<keyof typeof DAILY_VARIABLES, Reading[]>), condition: daily.value.condition },
      ...(hourly === undefined
        ? {}
        : { hourly: { time: hourly.times, ...(hourly.columns as Record<keyof typeof HOURLY_VARIABLES, Reading[]>), condition: hourly.condition } }),
      source: 'open-meteo',
    },
  };
}

interface Block {
  times: string[];
  columns: Record<string, Reading[]>;
  condition: (string | null)[];
}

/**
 * Checks one of Open-Meteo's blocks ({time: [...], <variable>: [...]}) and keeps the
 * entries from `range(times)`. A variable the answer leaves out entirely is all null;
 * one of another length than `time`, or holding anything but numbers and null, is refused.
 */
function readBlock(
  raw: unknown,
  name: 'daily' | 'hourly',
  timeFormat: RegExp,
  variables: Record<string, string>,
  range: (times: string[]) => [number, number],
): Step<Block> {
  const bad = (detail: string): { ok: false; outcome: Failure } => ({ ok: false, outcome: unexpected(FORECAST, `${name}${detail}`) });
  if (!isObject(raw)) return bad(' is missing');
  const times = raw.time;
  if (!Array.isArray(times) || !times.every((time): time is string => typeof time === 'string' && timeFormat.test(time))) {
    return bad(`.time is not a list of ${name === 'daily' ? 'dates' : 'dates and times'}`);
  }
  // A forecast has at least today; an hourly block may end before the current hour.
  if (name === 'daily' && times.length === 0) return bad('.time is empty');
  const [from, to] = range(times);
  const column = (variable: string): Step<Reading[]> => {
    const values = raw[variable];
    if (values === undefined || values === null) return { ok: true, value: new Array<Reading>(to - from).fill(null) };
    if (!Array.isArray(values) || values.length !== times.length) return bad(`.${variable} is not a list as long as ${name}.time`);
    const kept = values.slice(from, to);
    const wrong = kept.findIndex((value) => !isReading(value));
    return wrong < 0 ? { ok: true, value: kept as Reading[] } : bad(`.${variable}[${from + wrong}] is not a number`);
  };
  const columns: Record<string, Reading[]> = {};
  for (const [key, variable] of Object.entries(variables)) {
    const values = column(variable);
    if (!values.ok) return values;
    columns[key] = values.value;
  }
  const codes = column(CODE);
  if (!codes.ok) return codes;
  const condition = codes.value.map((code) => (code === null ? null : describeWmoCode(code)));
  return { ok: true, value: { times: times.slice(from, to), columns, condition } };
}

function unitLabels(reported: unknown, units: Units): ForecastUnits {
  const label = unitReader(reported);
  const imperial = units === 'imperial';
  return {
    system: units,
    temperature: label(DAILY_VARIABLES.temperature_max, imperial ? '°F' : '°C'),
    precipitation: label(DAILY_VARIABLES.precipitation, imperial ? 'in' : 'mm'),
    precipitation_probability: label(DAILY_VARIABLES.precipitation_probability, '%'),
    wind_speed: label(DAILY_VARIABLES.wind_speed_max, imperial ? 'mph' : 'km/h'),
  };
}
