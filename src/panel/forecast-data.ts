/**
 * A get_forecast result (see the README's "get_forecast" contract) read into a typed model,
 * or undefined when the result is not one. Pure: no DOM, so it is tested in Node.
 *
 * The result comes from any publisher on the channel, so it is read defensively: a forecast
 * is recognised by its shape (a `daily` object), never by the tool's name; the arrays of a
 * block must all have the length of its dates (or times), which must be real local dates
 * and times in increasing order, else the block is not drawn; at most 7 days and 48 times
 * are read, however many were sent; a reading that is not a finite number within a
 * plausible range is a gap, as is null; texts are cut short.
 */
import { FIELD_LIMITS, finite, isFields, shortText, unitsOf, type Fields } from './result-fields';

export const MAX_DAILY_POINTS = 7;
export const MAX_HOURLY_POINTS = 48;

export type Reading = number | null;

/** A local date (and time) at the place, as the result gives it: never converted between time zones. */
export interface LocalTime {
  year: number;
  /** 1–12. */
  month: number;
  day: number;
  /** 0 = Sunday. */
  weekday: number;
  /** Present for hourly times. */
  hour?: number;
  minute?: number;
  /** Minutes since 1970-01-01 00:00 on the place's own clock: for spacing an axis. */
  minutes: number;
}

export interface TemperatureLine {
  /** Daily blocks have a high and a low line; hourly ones a single temperature line. */
  name: 'High' | 'Low' | 'Temperature';
  values: Reading[];
}

export interface ForecastBlock {
  kind: 'daily' | 'hourly';
  times: LocalTime[];
  temperature: TemperatureLine[];
  /** Chance of precipitation, %. */
  probability: Reading[];
  /** Amount of precipitation (a day's sum, or the hour's). */
  precipitation: Reading[];
  wind: Reading[];
  condition: Array<string | null>;
  /** Entries the result held; the first `times.length` of them are read. */
  total: number;
}

export interface ForecastUnits {
  temperature: string;
  precipitation: string;
  probability: string;
  wind: string;
}

export interface Forecast {
  location: string;
  units: ForecastUnits;
  daily: ForecastBlock;
  hourly?: ForecastBlock;
  /** The result had an hourly part that could not be read: said, not drawn. */
  hourlyUnreadable: boolean;
}

/** What a reading can plausibly be, in any unit the contract allows; anything beyond is a gap. */
const RANGES = {
  temperature: [-150, 150],
  probability: [0, 100],
  precipitation: [0, 2_000],
  wind: [0, 1_000],
} as const satisfies Record<string, readonly [number, number]>;

interface BlockSpec {
  kind: ForecastBlock['kind'];
  /** The key of the dates or times. */
  time: string;
  limit: number;
  temperature: Array<[TemperatureLine['name'], string]>;
  wind: string;
}

const DAILY: BlockSpec = {
  kind: 'daily',
  time: 'date',
  limit: MAX_DAILY_POINTS,
  temperature: [
    ['High', 'temperature_max'],
    ['Low', 'temperature_min'],
  ],
  wind: 'wind_speed_max',
};

const HOURLY: BlockSpec = {
  kind: 'hourly',
  time: 'time',
  limit: MAX_HOURLY_POINTS,
  temperature: [['Temperature', 'temperature']],
  wind: 'wind_speed',
};

/** The readings that are there, gaps left out. */
export function present(values: Reading[]): number[] {
  return values.filter((value): value is number => value !== null);
}

export function parseForecast(data: Fields): Forecast | undefined {
  const daily = parseBlock(data.daily, DAILY);
  if (!daily) return undefined;
  const hourly = data.hourly === undefined || data.hourly === null ? undefined : parseBlock(data.hourly, HOURLY);
  const unit = unitsOf(data);
  return {
    location: shortText(data.location, FIELD_LIMITS.location) ?? 'Forecast',
    units: {
      temperature: unit('temperature'),
      precipitation: unit('precipitation'),
      probability: unit('precipitation_probability'),
      wind: unit('wind_speed'),
    },
    daily,
    hourly,
    hourlyUnreadable: data.hourly !== undefined && data.hourly !== null && hourly === undefined,
  };
}

function parseBlock(block: unknown, spec: BlockSpec): ForecastBlock | undefined {
  if (!isFields(block)) return undefined;
  const rawTimes = block[spec.time];
  if (!Array.isArray(rawTimes) || rawTimes.length === 0) return undefined;
  const total = rawTimes.length;
  const shown = Math.min(total, spec.limit);
  const times: LocalTime[] = [];
  for (const raw of rawTimes.slice(0, shown)) {
    const time = parseLocalTime(raw, spec.kind === 'hourly');
    if (!time || (times.length > 0 && time.minutes <= times[times.length - 1].minutes)) return undefined;
    times.push(time);
  }
  /** A column of the block: absent (all gaps), or an array as long as the times; else the block is unreadable. */
  const column = <T>(key: string, read: (value: unknown) => T | null): Array<T | null> | undefined => {
    const raw = block[key];
    if (raw === undefined || raw === null) return new Array<T | null>(shown).fill(null);
    if (!Array.isArray(raw) || raw.length !== total) return undefined;
    return raw.slice(0, shown).map(read);
  };
  const reading = (range: readonly [number, number]) => (value: unknown) => finite(value, range) ?? null;
  const temperature: TemperatureLine[] = [];
  for (const [name, key] of spec.temperature) {
    const values = column(key, reading(RANGES.temperature));
    if (!values) return undefined;
    temperature.push({ name, values });
  }
  const probability = column('precipitation_probability', reading(RANGES.probability));
  const precipitation = column('precipitation', reading(RANGES.precipitation));
  const wind = column(spec.wind, reading(RANGES.wind));
  const condition = column('condition', (value) => shortText(value, FIELD_LIMITS.condition) ?? null);
  if (!probability || !precipitation || !wind || !condition) return undefined;
  // Dates alone are nothing to draw: such a result is shown as a plain tool card.
  const drawn = [...temperature.map((line) => line.values), precipitation];
  if (!drawn.some((values) => values.some((value) => value !== null))) return undefined;
  return { kind: spec.kind, times, temperature, probability, precipitation, wind, condition, total };
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** "2026-12-01" (or, with `withTime`, "2026-12-01T15:00"), a real calendar date and time; else undefined. */
export function parseLocalTime(value: unknown, withTime: boolean): LocalTime | undefined {
  if (typeof value !== 'string' || value.length > 19) return undefined;
  const match = (withTime ? DATE_TIME : DATE).exec(value);
  if (!match) return undefined;
  const [year, month, day, hour = 0, minute = 0, second = 0] = match.slice(1).map((part) => (part === undefined ? 0 : Number(part)));
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  // Calendar arithmetic in UTC is only arithmetic here: the result's times are already local.
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute));
  if (at.getUTCFullYear() !== year || at.getUTCMonth() !== month - 1 || at.getUTCDate() !== day) return undefined;
  return { year, month, day, weekday: at.getUTCDay(), ...(withTime ? { hour, minute } : {}), minutes: at.getTime() / 60_000 };
}
