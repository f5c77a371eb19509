import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, readSettings } from '../../src/extension/settings';

const reader = (values: Record<string, unknown>) => (key: string) => values[key];

test('unset settings give the documented defaults and no problems', () => {
  assert.deepEqual(readSettings(reader({})), { settings: DEFAULT_SETTINGS, problems: [] });
});

test('valid values are taken, trimmed', () => {
  const { settings, problems } = readSettings(
    reader({
      'server.uri': ' wss://relay.example.org/ws ',
      'server.channel': 'team:weather',
      'server.autoStart': false,
      api: 'chat',
      baseUrl: 'http://localhost:11434/v1',
      model: 'llama3.2',
      'weather.provider': 'openweathermap',
      'weather.units': 'imperial',
      'weather.forecastUrl': 'http://127.0.0.1:8080/forecast',
      'panel.maxThreads': 5,
    }),
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(settings.server, { uri: 'wss://relay.example.org/ws', channel: 'team:weather', autoStart: false });
  assert.deepEqual(settings.model, { api: 'chat', baseUrl: 'http://localhost:11434/v1', model: 'llama3.2' });
  assert.equal(settings.weather.units, 'imperial');
  assert.equal(settings.panel.maxThreads, 5);
});

test('every bad value is named, explained and replaced by its default', () => {
  const { settings, problems } = readSettings(
    reader({
      'server.uri': 'http://localhost:4000',
      'server.channel': 'subscribe',
      'server.autoStart': 'yes',
      api: 'assistants',
      baseUrl: 'localhost:11434',
      'weather.units': 'kelvin',
      'weather.geocodingUrl': 'ftp://x',
      'panel.maxThreads': 0,
      model: 42,
    }),
  );
  assert.deepEqual(settings.server, DEFAULT_SETTINGS.server);
  assert.equal(settings.model.api, 'responses');
  assert.equal(settings.model.baseUrl, '');
  assert.equal(settings.weather.units, 'metric');
  assert.equal(settings.panel.maxThreads, 50);
  const expected = [
    /^weatherAssistant\.server\.uri: relay URI must use ws:\/\/ or wss:\/\/, not http:\/\/ \(try ws:\/\/localhost:4000\); using "ws:\/\/localhost:4000"$/,
    /^weatherAssistant\.server\.channel: "subscribe" is a reserved message type/,
    /^weatherAssistant\.server\.autoStart must be true or false/,
    /^weatherAssistant\.api: must be one of responses, chat, got "assistants"/,
    /^weatherAssistant\.baseUrl: must be an http\(s\) URL or empty/,
    /^weatherAssistant\.weather\.units: must be one of metric, imperial, got "kelvin"/,
    /^weatherAssistant\.weather\.geocodingUrl: must be an http\(s\) URL or empty/,
    /^weatherAssistant\.panel\.maxThreads must be a whole number from 1 to 1000/,
    /^weatherAssistant\.model must be a string/,
  ];
  assert.equal(problems.length, expected.length, problems.join('\n'));
  for (const pattern of expected) assert.ok(problems.some((problem) => pattern.test(problem)), `${pattern} in\n${problems.join('\n')}`);
});
