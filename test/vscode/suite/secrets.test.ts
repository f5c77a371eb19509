// Issue 4: API keys live in SecretStorage (Set API Key), with OPENAI_API_KEY as the fallback,
// and never in settings or logs. Proved on the wire: the fake OpenAI server is told to accept
// only the expected key, and records the Authorization header it got.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import { textReply } from '../../fakes/openai-scenarios';
import { api, connectedTo, extensionLogFile, fakes, requireFixture, setApiKey, userDataDir, type ExtensionApi, type Fixture } from './fixture';

const SECRET = `sk-proj-vscodeSecretTEST${randomBytes(12).toString('hex')}`;

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
    for (const [name, text] of places) {
      assert.ok(!text.includes(SECRET), `the key appears in ${name}`);
      assert.ok(!text.includes(SECRET.slice(-12)), `the key's tail appears in ${name}`);
    }
  });

  test('an empty key removes the stored one; OPENAI_API_KEY is used again', async () => {
    await setApiKey(ext, SECRET, SECRET);
    await setApiKey(ext, '', fx.envApiKey);
    await fakes.requireApiKey(fx.envApiKey);
    const request = await ask('Which key now?', 'The one from the environment.');
    assert.equal(request.headers.authorization, `Bearer ${fx.envApiKey}`);
  });
});
