/**
 * The JSON the model sees, and small readers for the loosely typed JSON that
 * providers send back. Every report has the same keys whichever provider made it,
 * so the model (and the UI) never has to care where the weather came from.
 */
import type { Units } from './args';
import type { WeatherProvider } from './config';

/** Unit labels exactly as they apply to the numbers in the report. */
export interface WeatherUnits {
  /** "metric" or "imperial": what was asked for. */
  system: Units;
  /** "°C" or "°F"; applies to temperature and apparent_temperature. */
  temperature: string;
  /** "km/h" (Open-Meteo metric), "m/s" (OpenWeatherMap metric) or "mph". */
  wind_speed: string;
  /** Always "%": relative humidity. */
  humidity: string;
}

export interface WeatherReport {
  /** Human-readable place that was actually found, e.g. "Makati, Metro Manila, Philippines". */
  location: string;
  latitude: number;
  longitude: number;
  temperature: number;
  /** Feels-like temperature; null when the provider has no value right now. */
  apparent_temperature: number | null;
  humidity: number | null;
  wind_speed: number | null;
  /** Conditions in words, e.g. "Partly cloudy". */
  condition: string;
  units: WeatherUnits;
  /** When the provider observed or modelled these values, ISO 8601 in UTC. */
  observed_at: string;
  source: WeatherProvider;
}

export interface WeatherError {
  /** What went wrong, in words the model can pass on, e.g. `No place called "Atlantis" was found`. */
  error: string;
  /** The place as requested, when the arguments had one. */
  location?: string;
  source: WeatherProvider;
}

export type WeatherResult = WeatherReport | WeatherError;

/** A provider could not answer: `error` is the sentence the model reads. */
export type Failure = { ok: false; error: string };

/** What a provider answers: a report (current weather by default, or a forecast), or a failure. */
export type ProviderOutcome<R = WeatherReport> = { ok: true; report: R } | Failure;

/** One step of a provider's work (geocoding, a request): its value, or the failure that ends the check. */
export type Step<T> = { ok: true; value: T } | { ok: false; outcome: Failure };

export function failure(error: string): Failure {
  return { ok: false, error };
}

export function notFound(location: string): Failure {
  return failure(`No place called ${JSON.stringify(location)} was found`);
}

export function unexpected(service: string, detail: string): Failure {
  return failure(`${service} sent an unexpected response: ${detail}`);
}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A reading that may legitimately be missing: null is kept, anything else non-numeric is not. */
export function isReading(value: unknown): value is number | null {
  return value === null || isNumber(value);
}

/** The longest text from a service that is passed on (a place name, a unit, an explanation). */
const MAX_TEXT_CHARS = 200;

/** Service text is untrusted: what is longer than any real value is cut, so it cannot flood the model or the channel. */
export function clampText(text: string): string {
  return text.length > MAX_TEXT_CHARS ? `${text.slice(0, MAX_TEXT_CHARS - 1)}…` : text;
}

/** Joins name parts, dropping blanks and repeats ("Singapore, Singapore" reads as "Singapore"). */
export function placeLabel(parts: readonly unknown[]): string {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const part of parts) {
    if (typeof part !== 'string' || part.trim() === '') continue;
    const key = part.trim().toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(part.trim());
  }
  return clampText(kept.join(', '));
}
