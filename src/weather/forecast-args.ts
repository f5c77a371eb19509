/**
 * Validates the arguments a model sends for `get_forecast`: the place and units as for
 * `get_weather` (args.ts), plus how many days and whether to add the next 48 hours.
 * Failures come back as a sentence the model can act on, never as an exception.
 */
import { checkPlaceArgs, describeValue, parseToolArgs, type Units } from './args';

export interface ForecastArgs {
  location: string;
  /** Days of the daily forecast, today first: 1 to MAX_FORECAST_DAYS. */
  days: number;
  /** Add the next 48 hours, hour by hour (3-hour steps with OpenWeatherMap). */
  hourly: boolean;
  /** Absent when the model left the choice to the configured default. */
  units?: Units;
}

export type ForecastArgsResult = { ok: true; args: ForecastArgs } | { ok: false; error: string };

export const DEFAULT_FORECAST_DAYS = 3;
export const MAX_FORECAST_DAYS = 7;
/** How far ahead the hourly forecast reaches when asked for. */
export const FORECAST_HOURS = 48;

const EXAMPLE = '{"location": "Tokyo", "days": 2}';

/** Parses the raw `arguments` JSON string of a `get_forecast` call. */
export function parseForecastArgs(raw: string): ForecastArgsResult {
  return parseToolArgs('get_forecast', raw, validateForecastArgs);
}

/** Checks already-decoded arguments; extra properties are ignored, null means "not given". */
export function validateForecastArgs(data: unknown): ForecastArgsResult {
  const common = checkPlaceArgs('get_forecast', EXAMPLE, data);
  if (!common.ok) return common;
  const { fields, location, units } = common;

  let days = DEFAULT_FORECAST_DAYS;
  if (fields.days !== undefined && fields.days !== null) {
    const value = fields.days;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_FORECAST_DAYS) {
      const got = typeof value === 'string' ? `a string, ${describeValue(value)}` : describeValue(value);
      return { ok: false, error: `"days" must be a whole number from 1 to ${MAX_FORECAST_DAYS} (got ${got}); the forecast reaches ${MAX_FORECAST_DAYS} days ahead at most` };
    }
    days = value;
  }

  let hourly = false;
  if (fields.hourly !== undefined && fields.hourly !== null) {
    if (typeof fields.hourly !== 'boolean') {
      return { ok: false, error: `"hourly" must be true or false (got ${describeValue(fields.hourly)})` };
    }
    hourly = fields.hourly;
  }

  const args: ForecastArgs = { location, days, hourly };
  if (units !== undefined) args.units = units;
  return { ok: true, args };
}
