// The toolbox the turn loop runs: which tools it offers, how each call's start is worded
// for the channel, and what a model that names another tool hears.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Toolbox, unknownToolMessage, weatherToolbox, type AssistantTool } from '../../src/assistant/toolbox';
import { FORECAST_TOOL_DEFINITION, WEATHER_TOOL_DEFINITION } from '../../src/weather';

test('the weather toolbox offers get_weather then get_forecast, each worded for the channel in its own way', () => {
  const tools = weatherToolbox();
  assert.deepEqual(tools.definitions, [WEATHER_TOOL_DEFINITION, FORECAST_TOOL_DEFINITION]);
  assert.equal(tools.find('get_weather')!.startedMessage('Makati'), 'Executing weather check for Makati');
  assert.equal(tools.find('get_forecast')!.startedMessage('Tokyo'), 'Executing weather forecast for Tokyo');
  assert.equal(tools.find('get_weather')!.startedMessage(''), 'Executing weather check for an unnamed place');
  assert.equal(tools.find('get_forecast')!.startedMessage(''), 'Executing weather forecast for an unnamed place');
  assert.deepEqual(tools.find('get_forecast')!.parseArgs('{"location":"Tokyo","days":2}'), { ok: true, args: { location: 'Tokyo', days: 2, hourly: false } });
  assert.equal(tools.find('get_time'), undefined);
  assert.equal(tools.find('toString'), undefined, 'only offered names are found');
  assert.equal(unknownToolMessage('get_time'), 'Executing get_time');
});

test('a tool nobody offered: the model hears which ones there are', () => {
  const fake = (name: string): AssistantTool => ({
    definition: { ...WEATHER_TOOL_DEFINITION, name },
    parseArgs: () => ({ ok: false, error: 'x' }),
    run: async () => ({ location: '', resultJson: '{}' }),
    startedMessage: (location) => location,
  });
  assert.equal(new Toolbox([fake('a')]).unknownToolError('b'), 'There is no tool called "b"; the only tool is a.');
  assert.equal(weatherToolbox().unknownToolError('b'), 'There is no tool called "b"; the tools are get_weather and get_forecast.');
  assert.equal(new Toolbox([fake('a'), fake('b'), fake('c')]).unknownToolError('d'), 'There is no tool called "d"; the tools are a, b and c.');
});

test('a bad weather setting is named when the toolbox is built', () => {
  assert.throws(() => weatherToolbox({ forecastUrl: 'nope' }), /^Error: Invalid weather configuration: weather forecastUrl is not a valid URL/);
});
