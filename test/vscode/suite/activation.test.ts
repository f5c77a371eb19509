// Issue 4, "Manifest and host": the extension activates by itself on its own commands, and its
// package.json contributes exactly the commands, view container, view and settings promised.
// Runs first (index.ts loads it before the other files), so the extension is still inactive when it starts.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { suite, suiteSetup, test } from 'mocha';
import * as vscode from 'vscode';
import { EXTENSION_ID, connectedTo, extensionLogFile, fixture, healthz, statusBarMatching, waitFor, type ExtensionApi } from './fixture';

const PALETTE_TITLES: Record<string, string> = {
  'weatherAssistant.ask': 'Weather Assistant: Ask',
  'weatherAssistant.newChat': 'Weather Assistant: New Chat',
  'weatherAssistant.setServerUri': 'Weather Assistant: Set Server URI',
  'weatherAssistant.setChannel': 'Weather Assistant: Set Channel',
  'weatherAssistant.setApiKey': 'Weather Assistant: Set API Key',
  'weatherAssistant.setOpenWeatherMapKey': 'Weather Assistant: Set OpenWeatherMap Key',
  'weatherAssistant.setRelayToken': 'Weather Assistant: Set Relay Token',
  'weatherAssistant.focusComposer': 'Weather Assistant: Focus Question Box',
  'weatherAssistant.stop': 'Weather Assistant: Stop',
  'weatherAssistant.exportThread': 'Weather Assistant: Export Thread as Markdown',
  'weatherAssistant.openAnswer': 'Weather Assistant: Open Answer in Editor',
  'weatherAssistant.reconnect': 'Weather Assistant: Reconnect',
  'weatherAssistant.showActivity': 'Weather Assistant: Show Live Activity',
  'weatherAssistant.clearActivity': 'Weather Assistant: Clear Activity',
  'weatherAssistant.chooseModel': 'Weather Assistant: Choose Model',
  'weatherAssistant.useLocalServer': 'Weather Assistant: Use a Local Model Server',
  'weatherAssistant.openWalkthrough': 'Weather Assistant: Get Started',
};

suite('activation & contributions', () => {
  let extension: vscode.Extension<ExtensionApi>;

  suiteSetup(() => {
    const found = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
    assert.ok(found, `extension ${EXTENSION_ID} is installed`);
    extension = found;
  });

  test('activates on its own when one of its commands runs', async () => {
    assert.equal(extension.isActive, false, 'nothing activated the extension before its first command (activation is lazy)');
    const threadId = await vscode.commands.executeCommand<string>('weatherAssistant.newChat');
    assert.equal(extension.isActive, true, 'running weatherAssistant.newChat activated the extension');
    assert.match(String(threadId), /\S/, 'New Chat returns the new thread id');
    const exports = extension.exports;
    assert.ok(exports.connection && exports.store && exports.session, 'activate() returns { connection, store, session }');
    assert.equal(exports.session.threadId, threadId, 'the session is on the thread New Chat returned');
  });

  test('activation events are only its own commands and view', () => {
    const events: string[] = extension.packageJSON.activationEvents ?? [];
    const foreign = events.filter((event) => !/^(onCommand|onView):weatherAssistant\./.test(event));
    assert.deepEqual(foreign, [], 'no activation event other than onCommand/onView of its own (an empty list means VS Code derives them from the contributions)');
    assert.equal(extension.packageJSON.main, './dist/extension.js');
  });

  test('contributes the 17 commands with their exact palette titles', () => {
    const commands: Array<{ command: string; title: string; category?: string }> = extension.packageJSON.contributes.commands;
    const titles = Object.fromEntries(commands.map((c) => [c.command, c.category ? `${c.category}: ${c.title}` : c.title]));
    assert.deepEqual(titles, PALETTE_TITLES);
  });

  test('registers every contributed command', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(Object.keys(PALETTE_TITLES).filter((id) => !registered.has(id)), []);
  });

  test('contributes the activity-bar container with the Live Activity webview view', () => {
    const contributes = extension.packageJSON.contributes;
    const container = contributes.viewsContainers?.activitybar?.find((c: { id: string }) => c.id === 'weatherAssistant');
    assert.ok(container, 'an activity bar view container "weatherAssistant"');
    assert.equal(container.title, 'Weather Assistant');
    assert.ok(container.icon && fs.existsSync(vscode.Uri.joinPath(extension.extensionUri, container.icon).fsPath), `its icon ${container.icon} ships`);
    const views = contributes.views?.weatherAssistant ?? [];
    assert.deepEqual(
      views.map((v: { id: string; name: string; type?: string }) => ({ id: v.id, name: v.name, type: v.type })),
      [{ id: 'weatherAssistant.liveActivity', name: 'Live Activity', type: 'webview' }],
    );
  });

  test('engines.vscode is ^1.101.0', () => {
    assert.equal(extension.packageJSON.engines.vscode, '^1.101.0');
  });

  test('contributes the documented settings with their defaults', () => {
    const configuration = vscode.workspace.getConfiguration('weatherAssistant');
    const defaults = Object.fromEntries(
      ['server.uri', 'server.channel', 'server.autoStart', 'api', 'baseUrl', 'model', 'weather.provider', 'weather.units', 'weather.forecastUrl', 'weather.openWeatherMapForecastUrl', 'weather.geocodingUrl'].map((key) => [
        key,
        configuration.inspect(key)?.defaultValue,
      ]),
    );
    assert.deepEqual(defaults, {
      'server.uri': 'ws://localhost:4000',
      'server.channel': 'weather-update',
      'server.autoStart': true,
      api: 'responses',
      baseUrl: '',
      model: '',
      'weather.provider': 'open-meteo',
      'weather.units': 'metric',
      'weather.forecastUrl': '',
      'weather.openWeatherMapForecastUrl': '',
      'weather.geocodingUrl': '',
    });
    const properties = extension.packageJSON.contributes.configuration.properties;
    assert.deepEqual(properties['weatherAssistant.api'].enum, ['responses', 'chat']);
    assert.ok(!Object.keys(properties).some((key) => /key|secret|token/i.test(key)), 'no setting holds an API key');
  });

  test('connects to the relay its settings name, without a reload', async function () {
    if (!fixture) return this.skip();
    const api = extension.exports;
    const status = await connectedTo(api, fixture.relayA, 'weather-update');
    assert.equal(status.view, 'connected');
    assert.equal(api.connection.embeddedRelayUrl, undefined, 'no embedded relay while the configured one answers');
    const health = await healthz(fixture.relayA);
    assert.ok(health.subscriptions >= 1, `relay A counts the extension's subscription (${JSON.stringify(health)})`);
    const item = await statusBarMatching(/weather-update · connected/);
    if (item !== undefined) assert.match(item, /Weather Assistant relay connected, channel weather-update/, 'the status bar item and its accessible label');
  });

  test('logs what happened to its LogOutputChannel', async function () {
    const file = extensionLogFile();
    if (!file) return this.skip();
    const text = await waitFor('the activation line in the log', () => {
      const content = fs.readFileSync(file, 'utf8');
      return /activated in \d/.test(content) ? content : undefined;
    });
    assert.match(text, /activated in [\d.]+ ms/);
  });

  test('Show Live Activity and Clear Activity run', async () => {
    await vscode.commands.executeCommand('weatherAssistant.showActivity');
    await vscode.commands.executeCommand('weatherAssistant.clearActivity');
    assert.deepEqual(extension.exports.store.snapshot(), []);
  });
});
