import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_LOCATION_LENGTH, parseWeatherArgs, validateWeatherArgs } from '../../src/weather';

const opts = { timeout: 2_000 };

test('parses a location alone, trimming it', opts, () => {
  assert.deepEqual(parseWeatherArgs('{"location": "  Makati "}'), { ok: true, args: { location: 'Makati' } });
});

test('parses both units', opts, () => {
  assert.deepEqual(parseWeatherArgs('{"location":"Makati","units":"imperial"}'), {
    ok: true,
    args: { location: 'Makati', units: 'imperial' },
  });
  assert.deepEqual(parseWeatherArgs('{"location":"Makati","units":"metric"}'), {
    ok: true,
    args: { location: 'Makati', units: 'metric' },
  });
});

test('treats null units (strict-mode "not given") as absent, and ignores extra keys', opts, () => {
  assert.deepEqual(parseWeatherArgs('{"location":"Makati","units":null,"extra":1}'), {
    ok: true,
    args: { location: 'Makati' },
  });
});

function errorOf(raw: string): string {
  const parsed = parseWeatherArgs(raw);
  assert.equal(parsed.ok, false, `expected ${raw} to be rejected`);
  return parsed.ok ? '' : parsed.error;
}

test('rejects text that is not JSON, quoting it', opts, () => {
  assert.match(errorOf('{"location": "Makati"'), /not valid JSON: "\{\\"location\\": \\"Makati\\""/);
  assert.match(errorOf(''), /not valid JSON/);
});

test('rejects JSON that is not an object', opts, () => {
  for (const raw of ['"Makati"', '[]', 'null', '42']) assert.match(errorOf(raw), /must be a JSON object/);
});

test('rejects a missing, empty or non-string location', opts, () => {
  assert.match(errorOf('{}'), /needs a "location"/);
  assert.match(errorOf('{"units":"metric"}'), /needs a "location"/);
  assert.match(errorOf('{"location":"   "}'), /"location" must not be empty/);
  assert.match(errorOf('{"location":42}'), /"location" must be a string \(got number\)/);
  assert.match(errorOf(JSON.stringify({ location: 'x'.repeat(MAX_LOCATION_LENGTH + 1) })), /at most 200 characters/);
});

test('rejects units other than metric or imperial, naming them', opts, () => {
  assert.equal(errorOf('{"location":"Makati","units":"kelvin"}'), '"units" must be "metric" or "imperial" (got "kelvin")');
  assert.match(errorOf('{"location":"Makati","units":"Metric"}'), /got "Metric"/);
  assert.match(errorOf('{"location":"Makati","units":1}'), /got 1/);
});

test('validates already-decoded arguments the same way', opts, () => {
  assert.deepEqual(validateWeatherArgs({ location: 'Paris', units: 'imperial' }), {
    ok: true,
    args: { location: 'Paris', units: 'imperial' },
  });
  assert.equal(validateWeatherArgs(undefined).ok, false);
});
