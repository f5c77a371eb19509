/**
 * The JSON the model sees for `get_forecast`, the same keys whichever provider made it,
 * and the small helpers both providers use to build it. Columnar, like Open-Meteo's own
 * answer: one array per reading, so 48 hours do not repeat every key 48 times (the model
 * pays per token). Within a block every array has one entry per date or time, and any
 * reading may be null when the provider has no value for it.
 */
import type { Units } from './args';
import type { WeatherProvider } from './config';
import type { WeatherError } from './result';

/** A reading the provider may not have: null, never a guess. */
export type Reading = number | null;

export interface ForecastUnits {
  /** "metric" or "imperial": what was asked for. */
  system: Units;
  /** "°C" or "°F": temperature_min, temperature_max, temperature. */
  temperature: string;
  /** "mm" or "in": precipitation amounts. */
  precipitation: string;
  /** Always "%": chance of precipitation. */
  precipitation_probability: string;
  /** "km/h" (Open-Meteo metric), "m/s" (OpenWeatherMap metric) or "mph". */
  wind_speed: string;
}

/** One entry per local date at the place, today first. */
export interface DailyForecast {
  /** "2026-12-01": the date where the place is. */
  date: string[];
  temperature_min: Reading[];
  temperature_max: Reading[];
  /** Highest chance of precipitation during the day, in %. */
  precipitation_probability: Reading[];
  /** Precipitation over the day (rain, showers and snow as water). */
  precipitation: Reading[];
  /** Strongest wind speed during the day. */
  wind_speed_max: Reading[];
  /** The most severe conditions of the day, in words ("Moderate rain"); never a code. */
  condition: (string | null)[];
}

/** One entry per hour (per 3-hour step with OpenWeatherMap) from the current one. */
export interface HourlyForecast {
  /** "2026-12-01T15:00": local time at the place, without offset (see utc_offset). */
  time: string[];
  temperature: Reading[];
  precipitation_probability: Reading[];
  /** Precipitation during the hour (during the 3-hour step with OpenWeatherMap). */
  precipitation: Reading[];
  wind_speed: Reading[];
  condition: (string | null)[];
}

export interface ForecastReport {
  /** Human-readable place that was actually found, e.g. "Tokyo, Japan". */
  location: string;
  latitude: number;
  longitude: number;
  /** IANA name when the provider gives one ("Asia/Tokyo"), else "UTC+09:00". */
  timezone: string;
  /** The place's offset from UTC, "+09:00" or "-05:00": dates and times are local there. */
  utc_offset: string;
  units: ForecastUnits;
  daily: DailyForecast;
  /** Only when the hourly forecast was asked for. */
  hourly?: HourlyForecast;
  source: WeatherProvider;
}

export type ForecastResult = ForecastReport | WeatherError;

/** The furthest any place is from UTC, with room to spare (real zones span -12:00 to +14:00). */
const MAX_UTC_OFFSET_SECONDS = 18 * 3600;

/** A UTC offset in whole seconds, as both providers send it. */
export function isUtcOffset(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && Math.abs(value) <= MAX_UTC_OFFSET_SECONDS;
}

/** 32400 → "+09:00", -18000 → "-05:00", 20700 → "+05:45". */
export function formatUtcOffset(seconds: number): string {
  const minutes = Math.round(Math.abs(seconds) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${seconds < 0 ? '-' : '+'}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}

/** Unix time in milliseconds as local wall-clock time at `offsetSeconds`: "2026-12-01T15:00". */
export function localDateTime(epochMs: number, offsetSeconds: number): string {
  return new Date(epochMs + offsetSeconds * 1000).toISOString().slice(0, 16);
}

/** Rounds away floating-point noise from sums and conversions (0.26 + 0.57 → 0.83). */
export function roundTo(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
