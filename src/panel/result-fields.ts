/**
 * Reading the fields of a tool result that came over the channel. Any publisher can post
 * there, so nothing about a result is taken on trust: each field is checked for its type,
 * numbers must be finite and plausible, texts are cut short, and what is read is only ever
 * used as text.
 */
import { clip } from '../protocol/panel';

export type Fields = Record<string, unknown>;

/** Characters kept of each text field of a result (the card shows nothing longer). */
export const FIELD_LIMITS = { location: 300, condition: 100, unit: 12 } as const;

/** Said wherever a number's unit would stand when the result names none and its system implies none. */
export const UNKNOWN_UNIT = '(unit not given)';

export function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The result as a JSON object, or undefined for anything else (text, arrays, broken JSON). */
export function parseResult(text: string | undefined): Fields | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    return isFields(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** A finite number within `range` (JSON can say 1e999, which parses as Infinity), else undefined. */
export function finite(value: unknown, range: readonly [number, number] = [-Number.MAX_VALUE, Number.MAX_VALUE]): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= range[0] && value <= range[1] ? value : undefined;
}

/** A non-empty string, cut to `max` characters; undefined for anything else. */
export function shortText(value: unknown, max: number): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? clip(value, max) : undefined;
}

/** A number as the card writes it: at most two decimals (as the providers give them), no "-0". */
export function formatNumber(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return (rounded === 0 ? 0 : rounded).toString();
}

/** Units implied by the result's `units.system` when a unit of its own is missing. */
const SYSTEM_UNITS: Record<string, Record<string, string>> = {
  metric: { temperature: '°C', precipitation: 'mm' },
  // Metric wind speeds differ by provider (km/h, m/s): only imperial implies one.
  imperial: { temperature: '°F', precipitation: 'in', wind_speed: 'mph' },
};
const PERCENT_UNITS = new Set(['humidity', 'precipitation_probability']);

/**
 * The unit of each reading: the result's own (`units[key]`, cut short), else the one its
 * system implies, else "%" for percentages, else UNKNOWN_UNIT. A number is never shown bare.
 */
export function unitsOf(data: Fields): (key: string) => string {
  const units = isFields(data.units) ? data.units : {};
  const system = typeof units.system === 'string' ? SYSTEM_UNITS[units.system] : undefined;
  return (key) => shortText(units[key], FIELD_LIMITS.unit) ?? (system && Object.hasOwn(system, key) ? system[key] : undefined) ?? (PERCENT_UNITS.has(key) ? '%' : UNKNOWN_UNIT);
}

/** "31.2 °C", "70%": a number with its unit, a percentage without the space. */
export function withUnit(value: number, unit: string): string {
  return unit === '%' ? `${formatNumber(value)}%` : `${formatNumber(value)} ${unit}`;
}
