import assert from 'node:assert/strict';
import { test } from 'node:test';
import Ajv from 'ajv';
import {
  parseWeatherArgs,
  toChatCompletionsTool,
  toResponsesTool,
  WEATHER_TOOL_DEFINITION,
  WEATHER_TOOL_NAME,
} from '../../src/weather';

const opts = { timeout: 2_000 };

test('the neutral definition names the tool and its parameters', opts, () => {
  assert.equal(WEATHER_TOOL_NAME, 'get_weather');
  assert.equal(WEATHER_TOOL_DEFINITION.name, 'get_weather');
  assert.ok(WEATHER_TOOL_DEFINITION.description.length > 20);
  const { parameters } = WEATHER_TOOL_DEFINITION;
  assert.deepEqual(parameters.required, ['location']);
  assert.deepEqual(Object.keys(parameters.properties), ['location', 'units']);
  assert.deepEqual(parameters.properties.units?.enum, ['metric', 'imperial']);
  assert.equal(parameters.additionalProperties, false);
  assert.ok(Object.isFrozen(parameters.properties.units), 'shared definition must not be editable');
});

test('Responses API form: function fields beside type, strict by default with every property required', opts, () => {
  const tool = toResponsesTool();
  assert.equal(tool.type, 'function');
  assert.equal(tool.name, 'get_weather');
  assert.equal(tool.strict, true);
  assert.deepEqual(tool.parameters.required, ['location', 'units']);
  assert.deepEqual(tool.parameters.properties.units, {
    ...WEATHER_TOOL_DEFINITION.parameters.properties.units,
    type: ['string', 'null'],
    enum: ['metric', 'imperial', null],
  });
  assert.deepEqual(tool.parameters.properties.location, WEATHER_TOOL_DEFINITION.parameters.properties.location);
});

test('non-strict forms keep the neutral schema unchanged', opts, () => {
  const responses = toResponsesTool(WEATHER_TOOL_DEFINITION, { strict: false });
  assert.deepEqual(responses, { type: 'function', ...WEATHER_TOOL_DEFINITION, strict: false });
  const chat = toChatCompletionsTool(WEATHER_TOOL_DEFINITION, { strict: false });
  assert.deepEqual(chat, { type: 'function', function: { ...WEATHER_TOOL_DEFINITION, strict: false } });
});

test('Chat Completions form nests the function under "function"', opts, () => {
  const chat = toChatCompletionsTool();
  assert.deepEqual(Object.keys(chat), ['type', 'function']);
  assert.equal(chat.function.name, 'get_weather');
  assert.equal(chat.function.strict, true);
  assert.deepEqual(chat.function.parameters, toResponsesTool().parameters);
});

test('both schema forms are valid JSON Schema and agree with the argument parser', opts, () => {
  const ajv = new Ajv({ strict: false });
  const cases: Array<[string, boolean]> = [
    ['{"location":"Makati"}', true],
    ['{"location":"Makati","units":"imperial"}', true],
    ['{"location":"Makati","units":"kelvin"}', false],
    ['{"units":"metric"}', false],
  ];
  const neutral = ajv.compile(WEATHER_TOOL_DEFINITION.parameters);
  const strict = ajv.compile(toResponsesTool().parameters);
  for (const [raw, valid] of cases) {
    assert.equal(neutral(JSON.parse(raw)), valid, raw);
    assert.equal(parseWeatherArgs(raw).ok, valid, raw);
  }
  // What a strict-mode model sends when it leaves units out:
  assert.equal(strict({ location: 'Makati', units: null }), true);
  assert.equal(strict({ location: 'Makati' }), false);
  assert.equal(parseWeatherArgs('{"location":"Makati","units":null}').ok, true);
});
