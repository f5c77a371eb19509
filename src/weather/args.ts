/**
 * Validates the arguments a model sends for `get_weather`. Failures come back as
 * a sentence the model can act on ("location must be ..."), never as an exception,
 * because the model is the one who has to fix the call.
 */

export type Units = 'metric' | 'imperial';

export interface WeatherArgs {
  location: string;
  /** Absent when the model left the choice to the configured default. */
  units?: Units;
}

export type ArgsResult = { ok: true; args: WeatherArgs } | { ok: false; error: string };

/** Longer than any real place name; stops a runaway model from sending pages of text. */
export const MAX_LOCATION_LENGTH = 200;

export function isUnits(value: unknown): value is Units {
  return value === 'metric' || value === 'imperial';
}

/** Parses the raw `arguments` JSON string of a function call. */
export function parseWeatherArgs(raw: string): ArgsResult {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, error: `get_weather arguments are not valid JSON: ${snippet(raw)}` };
  }
  return validateWeatherArgs(data);
}

/** Checks already-decoded arguments; extra properties are ignored. */
export function validateWeatherArgs(data: unknown): ArgsResult {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, error: 'get_weather arguments must be a JSON object like {"location": "Makati"}' };
  }
  const { location, units } = data as Record<string, unknown>;
  if (location === undefined || location === null) {
    return { ok: false, error: 'get_weather needs a "location", e.g. {"location": "Makati"}' };
  }
  if (typeof location !== 'string') {
    return { ok: false, error: `"location" must be a string (got ${typeof location})` };
  }
  const place = location.trim();
  if (place === '') return { ok: false, error: '"location" must not be empty' };
  if (place.length > MAX_LOCATION_LENGTH) {
    return { ok: false, error: `"location" must be at most ${MAX_LOCATION_LENGTH} characters (got ${place.length})` };
  }
  // null is how a strict-mode schema says "not given" (see toStrictSchema).
  if (units === undefined || units === null) return { ok: true, args: { location: place } };
  if (!isUnits(units)) {
    return { ok: false, error: `"units" must be "metric" or "imperial" (got ${JSON.stringify(units)})` };
  }
  return { ok: true, args: { location: place, units } };
}

function snippet(text: string, max = 60): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
