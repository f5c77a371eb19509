// Issue 4: API keys live in SecretStorage (Set API Key), with OPENAI_API_KEY as the fallback,
// and never in settings or logs. Proved on the wire: the fake OpenAI server is told to accept
// only the expected key, and records the Authorization header it got. Issue 9: the same for the
// OpenWeatherMap key (Set OpenWeatherMap Key, OPENWEATHERMAP_API_KEY as the fallback), proved by
// the appid the fake weather server records.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import { textReply, toolCallReply } from '../../fakes/openai-scenarios';
import {
  api,
  connectedTo,
  extensionLogFile,
  fakes,
  rememberSettings,
  requireFixture,
  setApiKey,
  setOpenWeatherMapKey,
  setSetting,
  userDataDir,
  type ExtensionApi,
  type Fixture,
} from './fixture';

const SECRET = `sk-proj-vscodeSecretTEST${randomBytes(12).toString('hex')}`;
const OWM_SECRET = `owmSecretTEST${randomBytes(12).toString('hex')}`;

/** Fails if `secret` (or its tail) is in the settings, settings.json, the store or any log we can read. */
function assertNowhere(ext: ExtensionApi, secret: string): void {
  const places: Array<[string, string]> = [
    ['weatherAssistant settings', JSON.stringify(vscode.workspace.getConfiguration('weatherAssistant'))],
    ['all settings', JSON.stringify(vscode.workspace.getConfiguration())],
    ['the Live Activity store', JSON.stringify(ext.store.snapshot())],
  ];
  const userData = userDataDir();
  const settingsFile = userData && path.join(userData, 'User', 'settings.json');
  if (settingsFile && fs.existsSync(settingsFile)) places.push(['settings.json', fs.readFileSync(settingsFile, 'utf8')]);
  const log = extensionLogFile();
  if (log) places.push(['the Weather Assistant log', fs.readFileSync(log, 'utf8')]);
  const harnessLog = process.env.WEATHER_VSCODE_LOG_FILE;
  if (harnessLog && fs.existsSync(harnessLog)) places.push(['the VS Code log', fs.readFileSync(harnessLog, 'utf8')]);
  assert.ok(places.length >= 5, `looked in: ${places.map(([name]) => name).join(', ')}`);
  for (const [name, content] of places) {
    assert.ok(!content.includes(secret), `the key appears in ${name}`);
    assert.ok(!content.includes(secret.slice(-12)), `the key's tail appears in ${name}`);
  }
}

suite('API key in SecretStorage', () => {
  let fx: Fixture;
  let ext: ExtensionApi;

  suiteSetup(async function () {
    fx = requireFixture(this);
    ext = await api();
    await connectedTo(ext, fx.relayA);
  });

  teardown(async () => {
    await setApiKey(ext, '', fx.envApiKey);
    await fakes.requireApiKey(null);
  });

  const ask = async (question: string, answer: string) => {
    await fakes.resetOpenAI();
    await fakes.enqueue(textReply(answer));
    const result = await vscode.commands.executeCommand<{ status: string; text: string; error?: string }>('weatherAssistant.ask', question);
    assert.equal(result?.status, 'completed', JSON.stringify(result));
    assert.equal(result.text, answer);
    const requests = await fakes.openaiRequests();
    assert.equal(requests.length, 1);
    return requests[0];
  };

  test('Set API Key stores the key; the next Ask sends it as the Bearer token', async () => {
    await setApiKey(ext, SECRET, SECRET);
    await fakes.requireApiKey(SECRET); // anything else gets OpenAI's 401
    const request = await ask('Is my key used?', 'Yes, your key works.');
    assert.equal(request.headers.authorization, `Bearer ${SECRET}`);
  });

  test('the key is in neither the settings, settings.json, the store nor any log', async () => {
    await setApiKey(ext, SECRET, SECRET);
    await ask('Still there?', 'Still here.');
    assertNowhere(ext, SECRET);
  });

  test('an empty key removes the stored one; OPENAI_API_KEY is used again', async () => {
    await setApiKey(ext, SECRET, SECRET);
    await setApiKey(ext, '', fx.envApiKey);
    await fakes.requireApiKey(fx.envApiKey);
    const request = await ask('Which key now?', 'The one from the environment.');
    assert.equal(request.headers.authorization, `Bearer ${fx.envApiKey}`);
  });
});

suite('OpenWeatherMap key in SecretStorage', () => {
  let fx: Fixture;
  let ext: ExtensionApi;
  let saved: ReturnType<typeof rememberSettings>;

  suiteSetup(async function () {
    fx = requireFixture(this);
    ext = await api();
    await connectedTo(ext, fx.relayA);
    saved = rememberSettings('weather.provider', 'weather.forecastUrl');
    await setSetting('weather.provider', 'openweathermap');
    await setSetting('weather.forecastUrl', fx.owmUrl);
  });

  suiteTeardown(async () => {
    if (!fx) return;
    await setOpenWeatherMapKey(ext, '', process.env.OPENWEATHERMAP_API_KEY);
    await saved.restore();
  });

  /** Asks a question the model answers with one weather lookup; returns the appid that lookup sent. */
  const lookUp = async () => {
    await fakes.resetOpenAI();
    await fakes.resetWeather();
    await fakes.enqueue(toolCallReply('get_weather', { location: 'Tokyo' }), textReply('Here is the weather.'));
    const result = await vscode.commands.executeCommand<{ status: string }>('weatherAssistant.ask', 'Weather in Tokyo?');
    assert.equal(result?.status, 'completed', JSON.stringify(result));
    const lookups = (await fakes.weatherRequests()).filter((request) => request.endpoint === 'owm');
    assert.equal(lookups.length, 1, JSON.stringify(lookups));
    return lookups[0].query.appid;
  };

  test('Set OpenWeatherMap Key stores the key; the weather lookup sends it', async () => {
    await setOpenWeatherMapKey(ext, OWM_SECRET, OWM_SECRET);
    assert.equal(await lookUp(), OWM_SECRET);
  });

  test('the OpenWeatherMap key is in neither the settings, settings.json, the store nor any log', async () => {
    await setOpenWeatherMapKey(ext, OWM_SECRET, OWM_SECRET);
    await lookUp(); // the fake refuses this key (HTTP 401): the refusal is shown, the key is not
    assertNowhere(ext, OWM_SECRET);
  });

  test('an empty key removes the stored one; OPENWEATHERMAP_API_KEY is used again', async () => {
    const fallback = process.env.OPENWEATHERMAP_API_KEY;
    assert.ok(fallback, 'setup.ts gives the extension host OPENWEATHERMAP_API_KEY');
    await setOpenWeatherMapKey(ext, OWM_SECRET, OWM_SECRET);
    await setOpenWeatherMapKey(ext, '', fallback);
    assert.equal(await lookUp(), fallback);
  });
});
