// Issue 13, "First run": the Get Started walkthrough, one step to a local OpenAI-compatible
// server (it fills api, baseUrl and model from what the server lists), Choose Model, model
// names offered as completions in settings.json, and a wrong model name explained with the
// names the server has. The fake OpenAI server stands in for Ollama & co. (GET /v1/models in
// the spec's ListModelsResponse shape).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { WALKTHROUGH_ID } from '../../../src/extension/commands';
import { modelNotFound } from '../../fakes/openai-scenarios';
import { unusedPort } from '../../support/ports';
import { api, clearNotifications, fakes, globalSetting, notificationMatching, rememberSettings, requireFixture, setSetting, type Fixture } from './fixture';

const WALKTHROUGH = 'weatherAssistant.gettingStarted';

suite('first run: walkthrough, local model server, Choose Model, model completions', () => {
  let fx: Fixture;
  const saved = rememberSettings('api', 'baseUrl', 'model');
  let dir: string;

  suiteSetup(async function () {
    fx = requireFixture(this);
    await api();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weather-first-run-'));
  });

  suiteTeardown(async () => {
    await fakes.offerModels(null);
    await saved.restore();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the walkthrough has the four steps, each button a registered command, each picture a shipped file', async () => {
    const extension = vscode.extensions.all.find((e) => e.packageJSON.contributes?.walkthroughs)!;
    const walkthrough = extension.packageJSON.contributes.walkthroughs.find((w: { id: string }) => w.id === WALKTHROUGH);
    assert.deepEqual(walkthrough.steps.map((s: { id: string }) => s.id), ['chooseModel', 'ask', 'openPanel', 'share']);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const step of walkthrough.steps as Array<{ id: string; description: string; media: { markdown: string }; completionEvents: string[] }>) {
      const commands = [...step.description.matchAll(/\(command:([\w.]+)/g)].map((m) => m[1]);
      assert.ok(commands.length > 0, `${step.id} has a button`);
      assert.deepEqual(commands.filter((id) => !registered.has(id)), [], `${step.id}'s buttons run registered commands`);
      assert.ok(fs.existsSync(path.join(extension.extensionPath, step.media.markdown)), `${step.media.markdown} ships`);
      assert.ok(step.completionEvents.length > 0, `${step.id} can be completed`);
    }
    // The command opens it without an error (the id names this extension's walkthrough).
    assert.equal(`${extension.packageJSON.publisher}.${extension.packageJSON.name}#${WALKTHROUGH}`, WALKTHROUGH_ID);
    await vscode.commands.executeCommand('weatherAssistant.openWalkthrough');
  });

  test('Use a Local Model Server asks the server for its models and fills api, baseUrl and model in one step', async () => {
    await fakes.offerModels(['llama-test:1b']);
    const result = await vscode.commands.executeCommand<{ baseUrl: string; model: string }>('weatherAssistant.useLocalServer', `${fx.openaiUrl}/`);
    assert.deepEqual(result, { baseUrl: fx.openaiUrl, model: 'llama-test:1b' });
    assert.equal(globalSetting('api'), 'chat');
    assert.equal(globalSetting('baseUrl'), fx.openaiUrl);
    assert.equal(globalSetting('model'), 'llama-test:1b');
  });

  test('a server that is not running changes nothing and says so', async () => {
    await setSetting('model', 'kept-model');
    const dead = `http://127.0.0.1:${await unusedPort()}/v1`; // nothing listens: refused at once
    const result = await vscode.commands.executeCommand('weatherAssistant.useLocalServer', dead);
    assert.equal(result, undefined);
    assert.equal(globalSetting('model'), 'kept-model', 'nothing was changed');
    const said = await notificationMatching(new RegExp(`cannot reach ${dead.replace(/[./]/g, '\\$&')}/models`));
    if (said !== undefined) assert.match(said, /: connection refused \(is the server running\?\)\. Start the server \(or check its address\) and try again; nothing was changed\./);
    await clearNotifications();
  });

  test('settings.json offers the models the configured server lists as completions of weatherAssistant.model', async () => {
    await fakes.offerModels(['gpt-test-mini', 'qwen-test:7b']);
    await setSetting('baseUrl', fx.openaiUrl);
    const file = path.join(dir, 'settings.json');
    fs.writeFileSync(file, '{\n  "weatherAssistant.model": "q"\n}\n');
    const document = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(document);
    const inValue = new vscode.Position(1, '  "weatherAssistant.model": "q'.length);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', document.uri, inValue);
    const offered = list.items.filter((item) => String(item.detail ?? '').startsWith('offered by')).map((item) => (typeof item.label === 'string' ? item.label : item.label.label));
    assert.deepEqual(offered.sort(), ['gpt-test-mini', 'qwen-test:7b']);
    // Elsewhere in the file: nothing of ours.
    const elsewhere = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', document.uri, new vscode.Position(0, 1));
    assert.equal(elsewhere.items.filter((item) => String(item.detail ?? '').startsWith('offered by')).length, 0);
  });

  test('Choose Model saves a name; a wrong name is explained with the models the server has', async () => {
    await setSetting('baseUrl', fx.openaiUrl);
    assert.equal(await vscode.commands.executeCommand('weatherAssistant.chooseModel', 'gpt-nope'), 'gpt-nope');
    assert.equal(globalSetting('model'), 'gpt-nope');
    await fakes.offerModels(['gpt-test-mini', 'llama-test:1b']);
    await fakes.resetOpenAI();
    await fakes.enqueue(modelNotFound('gpt-nope'));
    const result = await vscode.commands.executeCommand<{ status: string }>('weatherAssistant.ask', 'Rain in Lima?');
    assert.equal(result?.status, 'failed');
    const said = await notificationMatching(/model "gpt-nope" was not found/);
    if (said !== undefined) assert.match(said, /The server offers: gpt-test-mini, llama-test:1b\./);
    await clearNotifications();
  });
});
