// The session's part of issue 9: a bad setting that says where a question or a weather
// lookup goes refuses the question (nothing is contacted), and the OpenWeatherMap key comes
// from the session's configuration (SecretStorage in the extension), not straight from the
// environment. Real engine, fake OpenAI and weather servers on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ActivityStore } from '../../src/activity';
import { AssistantSession } from '../../src/extension/assistant-session';
import { readSettings } from '../../src/extension/settings';
import type { ChannelPayload } from '../../src/protocol';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server';
import { rateLimited, textReply, toolCallReply } from '../fakes/openai-scenarios';
import { FAKE_OWM_API_KEY } from '../fakes/weather-server';
import { useFakeWeatherServer } from '../support/fake-weather';
import { failOnUnhandledRejections } from '../support/unhandled';

failOnUnhandledRejections();
const weather = useFakeWeatherServer();
let openai: FakeOpenAI;
before(async () => {
  openai = await startFakeOpenAI();
});
after(() => openai.close());

function session() {
  const store = new ActivityStore();
  const published: ChannelPayload[] = [];
  const lines: string[] = [];
  const assistant = new AssistantSession({ store, publish: (payload) => published.push(payload), log: (level, line) => lines.push(`${level} ${line}`) });
  return { assistant, store, published, lines };
}

test('a bad weather URL: the question is refused with the setting named, and nobody is asked', async () => {
  openai.reset();
  const { settings } = readSettings((key) => ({ baseUrl: openai.baseUrl, 'weather.forecastUrl': 'ftp://mirror.example/forecast' })[key]);
  const { assistant, store, published } = session();
  assistant.configure(settings, { apiKey: 'sk-test' });
  openai.enqueue(textReply('This must not be asked for.'));
  const result = await assistant.ask('Weather in Tokyo?');
  const sentence = 'weatherAssistant.weather.forecastUrl: must be an http(s) URL or empty, got "ftp://mirror.example/forecast"; questions are refused until it is fixed';
  assert.deepEqual({ status: result.status, error: result.error }, { status: 'failed', error: sentence });
  assert.equal(openai.requests.length, 0, 'the model server was not asked');
  assert.equal(weather().requests.length, 0);
  const turn = store.snapshot()[0]?.turns.at(-1);
  assert.equal(turn?.status, 'error');
  assert.equal(turn?.error, sentence, 'the panel shows the sentence');
  assert.ok(published.some((payload) => payload.status === 'error' && payload.message === sentence), 'watchers on the channel are told');
});

test('the OpenWeatherMap key given to configure() is the one sent to OpenWeatherMap', async () => {
  openai.reset();
  const { settings, problems } = readSettings(
    (key) => ({ baseUrl: openai.baseUrl, 'weather.provider': 'openweathermap', 'weather.forecastUrl': weather().owmUrl })[key],
  );
  assert.deepEqual(problems, []);
  const { assistant } = session();
  assistant.configure(settings, { apiKey: 'sk-test', weatherApiKey: FAKE_OWM_API_KEY });
  openai.enqueue(toolCallReply('get_weather', { location: 'Tokyo' }), textReply('Mild in Tokyo.'));
  const result = await assistant.ask('Weather in Tokyo?');
  assert.equal(result.status, 'completed', JSON.stringify(result));
  const owm = weather().requests.filter((request) => request.endpoint === 'owm');
  assert.equal(owm.length, 1, JSON.stringify(weather().requests));
  assert.equal(owm[0].query.appid, FAKE_OWM_API_KEY);
});

test('a question longer than 4000 characters is refused before anything is asked or published', async () => {
  openai.reset();
  const { settings } = readSettings((key) => ({ baseUrl: openai.baseUrl })[key]);
  const { assistant, published, store } = session();
  assistant.configure(settings, { apiKey: 'sk-test' });
  openai.enqueue(textReply('This must not be asked for.'));
  const result = await assistant.ask(`Weather in ${'x'.repeat(100_000)}?`);
  assert.deepEqual({ status: result.status, error: result.error }, { status: 'failed', error: 'a question may have at most 4000 characters (this one has 100012)' });
  assert.equal(openai.requests.length, 0);
  assert.deepEqual(published, []);
  assert.deepEqual(store.snapshot(), []);
  assert.equal(assistant.busy, false);
  // the longest allowed one goes through
  const longest = await assistant.ask(`Weather in ${'x'.repeat(4000 - 'Weather in ?'.length)}?`);
  assert.equal(longest.status, 'completed', JSON.stringify(longest));
});

test('the progress notification follows the turn: a retry wait in words, the weather check, then the answer', async () => {
  openai.reset();
  const { settings } = readSettings((key) => ({ baseUrl: openai.baseUrl, api: 'chat' })[key]);
  const { assistant, published } = session();
  assistant.configure(settings, { apiKey: 'sk-test' });
  openai.enqueue(rateLimited(0, { retryAfterMs: 50 }), toolCallReply('get_weather', { location: 'Makati' }), textReply('Warm in Makati.'));
  const progress: string[] = [];
  const result = await assistant.ask('Weather in Makati?', undefined, (message) => progress.push(message));
  assert.equal(result.status, 'completed', JSON.stringify(result));
  const waiting = published.find((payload) => payload.notice !== undefined);
  assert.ok(waiting, 'the wait is published as a notice');
  assert.match(progress[0], /^Waiting 0(\.1)? s to retry \(attempt 2 of \d\): .*HTTP 429/);
  assert.equal(progress[0], waiting.notice);
  assert.deepEqual(progress.slice(1, 2), ['Checking the weather for Makati…']);
  assert.equal(progress.at(-1), 'Answering…');

  // A forecast says so.
  openai.enqueue(toolCallReply('get_forecast', { location: 'Tokyo', days: 2 }), textReply('Rain on Tuesday.'));
  const forecastProgress: string[] = [];
  const forecast = await assistant.ask('Rain in Tokyo this week?', undefined, (message) => forecastProgress.push(message));
  assert.equal(forecast.status, 'completed', JSON.stringify(forecast));
  assert.deepEqual(forecastProgress.slice(0, 1), ['Checking the forecast for Tokyo…']);
});
