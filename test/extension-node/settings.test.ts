import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SETTINGS, readSettings } from '../../src/extension/settings';
import { seededRandom } from '../support/random';

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
      'weather.openWeatherMapForecastUrl': ' https://owm-mirror.example/data/2.5/forecast ',
      'panel.maxThreads': 5,
    }),
  );
  assert.deepEqual(problems, []);
  assert.deepEqual(settings.server, { uri: 'wss://relay.example.org/ws', channel: 'team:weather', autoStart: false, caFile: '' });
  assert.deepEqual(settings.model, { api: 'chat', baseUrl: 'http://localhost:11434/v1', model: 'llama3.2' });
  assert.equal(settings.weather.units, 'imperial');
  assert.equal(settings.weather.openWeatherMapForecastUrl, 'https://owm-mirror.example/data/2.5/forecast');
  assert.equal(settings.panel.maxThreads, 5);
});

test('bad values that only change how things are done: named, explained, replaced by their default', () => {
  const { settings, problems } = readSettings(
    reader({
      'server.autoStart': 'yes',
      api: 'assistants',
      'weather.units': 'kelvin',
      'panel.maxThreads': 0,
      model: 42,
    }),
  );
  assert.equal(settings.server.autoStart, false, 'a bad autoStart starts nothing');
  assert.equal(settings.server.problem, undefined, 'still connects');
  assert.equal(settings.assistantProblem, undefined, 'still answers');
  assert.equal(settings.model.api, 'responses');
  assert.equal(settings.model.model, '');
  assert.equal(settings.weather.units, 'metric');
  assert.equal(settings.panel.maxThreads, 50);
  assert.deepEqual(problems, [
    'weatherAssistant.server.autoStart must be true or false, got "yes"; using false (nothing is started unasked)',
    'weatherAssistant.api: must be one of responses, chat, got "assistants"; using "responses"',
    'weatherAssistant.model: must be a string, got number 42; using the default model',
    'weatherAssistant.weather.units: must be one of metric, imperial, got "kelvin"; using "metric"',
    'weatherAssistant.panel.maxThreads must be a whole number from 1 to 1000, got 0; using 50',
  ]);
});

test('a bad relay URI or channel is never replaced by the default: the server settings carry the problem', () => {
  const { settings, problems } = readSettings(reader({ 'server.uri': 'http://localhost:4000', 'server.channel': 'subscribe' }));
  const expected = [
    'weatherAssistant.server.uri: relay URI must use ws:// or wss://, not http:// (try ws://localhost:4000); not connecting to any relay until it is fixed',
    'weatherAssistant.server.channel: "subscribe" is a reserved message type and cannot be a channel; not connecting to any relay until it is fixed',
  ];
  assert.deepEqual(problems, expected);
  assert.deepEqual(settings.server, { uri: 'http://localhost:4000', channel: 'subscribe', autoStart: true, caFile: '', problem: expected.join(' ') });
  // a value that is not even a string is not shown, only named
  const typed = readSettings(reader({ 'server.uri': { host: 'x' } })).settings.server;
  assert.deepEqual(typed, { uri: '', channel: 'weather-update', autoStart: true, caFile: '', problem: 'weatherAssistant.server.uri: must be a string, got an object; not connecting to any relay until it is fixed' });
});

test('a bad model URL, weather provider or weather URL is never replaced by a public default: questions are refused', () => {
  for (const [key, value, why] of [
    ['baseUrl', 'localhost:11434', 'must be an http(s) URL or empty, got "localhost:11434"'],
    ['weather.provider', 'openweathermapp', 'must be one of open-meteo, openweathermap, got "openweathermapp"'],
    ['weather.forecastUrl', 'ftp://mirror/forecast', 'must be an http(s) URL or empty, got "ftp://mirror/forecast"'],
    ['weather.geocodingUrl', ['http://x'], 'must be a string, got a list'],
    ['weather.openWeatherMapForecastUrl', 'api.openweathermap.org/data/2.5/forecast', 'must be an http(s) URL or empty, got "api.openweathermap.org/data/2.5/forecast"'],
  ] as const) {
    const { settings, problems } = readSettings(reader({ [key]: value }));
    const sentence = `weatherAssistant.${key}: ${why}; questions are refused until it is fixed`;
    assert.deepEqual(problems, [sentence], key);
    assert.equal(settings.assistantProblem, sentence, key);
    assert.equal(settings.server.problem, undefined, `${key}: the connection is not affected`);
  }
});

test('hostile values: never a throw, problems stay short and printable, results keep their types', () => {
  const random = seededRandom(9);
  const huge = 'x'.repeat(1_000_000);
  const hostile: unknown[] = [
    huge, `ws://${huge}`, `http://${huge}`, '\u0000\n\u202e', ' ', 0, -1, 1.5, NaN, Infinity, 1e300, true, false, {}, [], [1], { toString: () => 'ws://x' }, Symbol('s'), () => 1, 10n,
  ];
  const keys = ['server.uri', 'server.channel', 'server.autoStart', 'api', 'baseUrl', 'model', 'weather.provider', 'weather.units', 'weather.forecastUrl', 'weather.openWeatherMapForecastUrl', 'weather.geocodingUrl', 'panel.maxThreads'];
  for (let round = 0; round < 300; round++) {
    const values = Object.fromEntries(keys.map((key) => [key, hostile[Math.floor(random() * hostile.length)]]));
    const { settings, problems } = readSettings(reader(values));
    for (const problem of problems) {
      assert.ok(problem.length < 400, `round ${round}: a ${problem.length}-character problem`);
      assert.doesNotMatch(problem, /[\u0000-\u001f\u202e]/, `round ${round}: control characters in ${JSON.stringify(problem)}`);
    }
    assert.equal(typeof settings.server.uri, 'string');
    assert.ok(settings.server.uri.length <= 200 && settings.server.channel.length <= 200, `round ${round}: bounded status text`);
    assert.doesNotMatch(`${settings.server.uri} ${settings.server.problem} ${settings.assistantProblem}`, /[\u0000-\u001f\u202e]/, `round ${round}: control characters in the status`);
    assert.equal(typeof settings.server.autoStart, 'boolean');
    assert.ok(Number.isInteger(settings.panel.maxThreads) && settings.panel.maxThreads >= 1 && settings.panel.maxThreads <= 1000);
    assert.ok(settings.model.model!.length <= 256 && settings.model.baseUrl!.length <= 2048);
  }
  // a 1 MB relay URI that would otherwise parse is refused by its length
  assert.match(readSettings(reader({ 'server.uri': `ws://${huge}` })).problems[0], /^weatherAssistant\.server\.uri: relay URI must be at most 2048 characters \(got 1000005\)/);
});
