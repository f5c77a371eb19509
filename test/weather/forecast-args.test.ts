// get_forecast's arguments and definition: what a model may send, what it hears back
// when a call is wrong, and a schema that agrees with the parser in both forms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Ajv from 'ajv';
import {
  DEFAULT_FORECAST_DAYS,
  FORECAST_TOOL_DEFINITION,
  FORECAST_TOOL_NAME,
  MAX_FORECAST_DAYS,
  parseForecastArgs,
  toChatCompletionsTool,
  toResponsesTool,
  validateForecastArgs,
  WEATHER_TOOL_DEFINITION,
} from '../../src/weather';

const opts = { timeout: 2_000 };

function errorOf(raw: string): string {
  const parsed = parseForecastArgs(raw);
  assert.equal(parsed.ok, false, `expected ${raw} to be rejected`);
  return parsed.ok ? '' : parsed.error;
}

test('a location alone: 3 days, no hourly, units left to the default', opts, () => {
  assert.equal(DEFAULT_FORECAST_DAYS, 3);
  assert.deepEqual(parseForecastArgs('{"location":"  Tokyo "}'), { ok: true, args: { location: 'Tokyo', days: 3, hourly: false } });
});

test('every argument given, and null (strict mode\'s "not given") for each optional one', opts, () => {
  assert.deepEqual(parseForecastArgs('{"location":"Tokyo","days":7,"hourly":true,"units":"imperial"}'), {
    ok: true,
    args: { location: 'Tokyo', days: 7, hourly: true, units: 'imperial' },
  });
  assert.deepEqual(parseForecastArgs('{"location":"Tokyo","days":1,"hourly":false}'), { ok: true, args: { location: 'Tokyo', days: 1, hourly: false } });
  assert.deepEqual(parseForecastArgs('{"location":"Tokyo","days":null,"hourly":null,"units":null,"extra":1}'), {
    ok: true,
    args: { location: 'Tokyo', days: 3, hourly: false },
  });
});

test('days 0, 30, 2.5, "3", -1 or NaN-like values: one sentence naming the range', opts, () => {
  const range = `"days" must be a whole number from 1 to ${MAX_FORECAST_DAYS}`;
  const ahead = 'the forecast reaches 7 days ahead at most';
  assert.equal(errorOf('{"location":"Tokyo","days":0}'), `${range} (got 0); ${ahead}`);
  assert.equal(errorOf('{"location":"Tokyo","days":30}'), `${range} (got 30); ${ahead}`);
  assert.equal(errorOf('{"location":"Tokyo","days":2.5}'), `${range} (got 2.5); ${ahead}`);
  assert.equal(errorOf('{"location":"Tokyo","days":"3"}'), `${range} (got a string, "3"); ${ahead}`);
  assert.equal(errorOf('{"location":"Tokyo","days":-1}'), `${range} (got -1); ${ahead}`);
  assert.equal(errorOf('{"location":"Tokyo","days":[3]}'), `${range} (got [3]); ${ahead}`);
  assert.equal(errorOf('{"location":"Tokyo","days":1e400}'), `${range} (got Infinity); ${ahead}`);
});

test('hourly must be a boolean; units metric or imperial', opts, () => {
  assert.equal(errorOf('{"location":"Tokyo","hourly":"yes"}'), '"hourly" must be true or false (got "yes")');
  assert.equal(errorOf('{"location":"Tokyo","hourly":1}'), '"hourly" must be true or false (got 1)');
  assert.equal(errorOf('{"location":"Tokyo","units":"kelvin"}'), '"units" must be "metric" or "imperial" (got "kelvin")');
});

test('the location and the object itself are checked as for get_weather, in get_forecast\'s words', opts, () => {
  assert.equal(errorOf('{"days":2}'), 'get_forecast needs a "location", e.g. {"location": "Tokyo", "days": 2}');
  assert.equal(errorOf('[]'), 'get_forecast arguments must be a JSON object like {"location": "Tokyo", "days": 2}');
  assert.equal(errorOf('{"location": "Tok'), 'get_forecast arguments are not valid JSON: "{\\"location\\": \\"Tok"');
  assert.equal(errorOf('{"location":"  "}'), '"location" must not be empty');
  assert.match(errorOf(JSON.stringify({ location: 'x'.repeat(201) })), /at most 200 characters/);
  // A value quoted back is cut, so a runaway argument cannot flood the model.
  assert.ok(errorOf(JSON.stringify({ location: 'Tokyo', hourly: 'y'.repeat(10_000) })).length < 120);
  assert.equal(validateForecastArgs(undefined).ok, false);
});

test('the definition: its own name, the place described as for get_weather, and words that divide the work by time', opts, () => {
  assert.equal(FORECAST_TOOL_NAME, 'get_forecast');
  assert.equal(FORECAST_TOOL_DEFINITION.name, 'get_forecast');
  const { parameters, description } = FORECAST_TOOL_DEFINITION;
  assert.deepEqual(Object.keys(parameters.properties), ['location', 'days', 'hourly', 'units']);
  assert.deepEqual(parameters.required, ['location']);
  assert.equal(parameters.additionalProperties, false);
  assert.deepEqual(parameters.properties.location, WEATHER_TOOL_DEFINITION.parameters.properties.location);
  assert.equal(parameters.properties.days?.type, 'integer');
  assert.equal(parameters.properties.hourly?.type, 'boolean');
  for (const words of ['tomorrow', 'weekend', 'Will it rain', 'get_weather']) assert.ok(description.includes(words), `mentions ${words}`);
  assert.ok(WEATHER_TOOL_DEFINITION.description.includes('get_forecast'), 'get_weather points to get_forecast for later');
  assert.ok(Object.isFrozen(parameters.properties.days), 'shared definition must not be editable');
});

test('both schema forms are valid JSON Schema; strict mode makes every optional argument nullable', opts, () => {
  const strict = toResponsesTool(FORECAST_TOOL_DEFINITION);
  assert.deepEqual(strict.parameters.required, ['location', 'days', 'hourly', 'units']);
  assert.deepEqual(strict.parameters.properties.days?.type, ['integer', 'null']);
  assert.deepEqual(strict.parameters.properties.hourly?.type, ['boolean', 'null']);
  assert.deepEqual(toChatCompletionsTool(FORECAST_TOOL_DEFINITION).function.parameters, strict.parameters);

  const ajv = new Ajv({ strict: false });
  const neutral = ajv.compile(FORECAST_TOOL_DEFINITION.parameters);
  const strictSchema = ajv.compile(strict.parameters);
  for (const [raw, valid] of [
    ['{"location":"Tokyo"}', true],
    ['{"location":"Tokyo","days":2,"hourly":true,"units":"metric"}', true],
    ['{"location":"Tokyo","hourly":"yes"}', false],
    ['{"location":"Tokyo","days":"3"}', false],
    ['{"days":2}', false],
  ] as const) {
    assert.equal(neutral(JSON.parse(raw)), valid, raw);
    assert.equal(parseForecastArgs(raw).ok, valid, raw);
  }
  const allNull = { location: 'Tokyo', days: null, hourly: null, units: null };
  assert.equal(strictSchema(allNull), true);
  assert.equal(validateForecastArgs(allNull).ok, true);
});
