/**
 * Validates the arguments a model sends for `get_weather`, and the checks every
 * weather tool shares (a JSON object with a location and optional units). Failures
 * come back as a sentence the model can act on ("location must be ..."), never as an
 * exception, because the model is the one who has to fix the call.
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
  return parseToolArgs('get_weather', raw, validateWeatherArgs);
}

/** Checks already-decoded arguments; extra properties are ignored. */
export function validateWeatherArgs(data: unknown): ArgsResult {
  const common = checkPlaceArgs('get_weather', '{"location": "Makati"}', data);
  if (!common.ok) return common;
  const { location, units } = common;
  return { ok: true, args: units === undefined ? { location } : { location, units } };
}

/** Decodes a function call's raw `arguments` string for `tool`, then validates it. */
export function parseToolArgs<R>(tool: string, raw: string, validate: (data: unknown) => R | { ok: false; error: string }): R | { ok: false; error: string } {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return { ok: false, error: `${tool} arguments are not valid JSON: ${snippet(raw)}` };
  }
  return validate(data);
}

type PlaceArgs = { ok: true; fields: Record<string, unknown>; location: string; units?: Units } | { ok: false; error: string };

/**
 * What every weather tool takes: a JSON object with a place and optional units.
 * `example` is a valid call, quoted to the model when the object or the place is missing.
 */
export function checkPlaceArgs(tool: string, example: string, data: unknown): PlaceArgs {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, error: `${tool} arguments must be a JSON object like ${example}` };
  }
  const fields = data as Record<string, unknown>;
  const { location, units } = fields;
  if (location === undefined || location === null) {
    return { ok: false, error: `${tool} needs a "location", e.g. ${example}` };
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
  if (units === undefined || units === null) return { ok: true, fields, location: place };
  if (!isUnits(units)) {
    return { ok: false, error: `"units" must be "metric" or "imperial" (got ${describeValue(units)})` };
  }
  return { ok: true, fields, location: place, units };
}

/** A model's value as it is quoted back: JSON, cut to a readable length. */
export function describeValue(value: unknown): string {
  const text = typeof value === 'number' && !Number.isFinite(value) ? String(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function snippet(text: string, max = 60): string {
  return JSON.stringify(text.length > max ? `${text.slice(0, max)}…` : text);
}
