// Issue 4 settings + issue 5 "survives bad settings": Set Server URI / Set Channel validate and
// write the setting, a changed server.uri / server.channel moves the live connection without a
// reload (checked on the relays' /healthz and by what reaches the store). Issue 9: a bad value
// written straight into settings.json falls back to its default only where that contacts nothing
// the user did not choose; a bad relay URI or channel leaves the window disconnected, a bad model
// or weather address refuses questions, each with the problem named.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { setup, suite, suiteSetup, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import { textReply } from '../../fakes/openai-scenarios';
import { watchDefaultRelayPort } from '../../support/default-port';
import { WsPeer } from '../../support/ws-peer';
import {
  api,
  clearNotifications,
  connectedTo,
  delay,
  extensionLogFile,
  fakes,
  globalSetting,
  healthz,
  notificationMatching,
  rememberSettings,
  requireFixture,
  setSetting,
  statusBarMatching,
  ui,
  waitFor,
  type ExtensionApi,
  type Fixture,
} from './fixture';
import { screenshot } from './harness';

const SERVER_KEYS = ['server.uri', 'server.channel', 'server.autoStart', 'api', 'baseUrl', 'panel.maxThreads', 'weather.units', 'weather.provider', 'model'];

suite('settings', () => {
  let fx: Fixture;
  let ext: ExtensionApi;
  let saved: ReturnType<typeof rememberSettings>;
  const peers: WsPeer[] = [];

  suiteSetup(async function () {
    fx = requireFixture(this);
    ext = await api();
    await connectedTo(ext, fx.relayA, 'weather-update');
  });

  setup(() => {
    saved = rememberSettings(...SERVER_KEYS);
  });

  teardown(async () => {
    for (const peer of peers.splice(0)) await peer.close();
    await saved.restore();
    await connectedTo(ext, fx.relayA, 'weather-update');
    await clearNotifications();
  });

  test('Set Server URI refuses a non-ws URI with a clear message and writes nothing', async () => {
    const before = globalSetting('server.uri');
    const cases: Array<[string, RegExp]> = [
      ['http://x', /relay URI must use ws:\/\/ or wss:\/\/, not http:\/\/ \(try ws:\/\/x\)/],
      ['not a uri', /"not a uri" is not a valid URI; expected something like ws:\/\/localhost:4000/],
      ['   ', /relay URI must be a non-empty string/],
      [`ws://${'x'.repeat(3000)}`, /relay URI must be at most 2048 characters \(got 3005\)/],
    ];
    for (const [value, message] of cases) {
      await vscode.commands.executeCommand('weatherAssistant.setServerUri', value);
      assert.equal(globalSetting('server.uri'), before, `"${value.slice(0, 20)}" was not written`);
      assert.equal(ext.connection.status.uri, fx.relayA, `"${value.slice(0, 20)}" did not move the connection`);
      const shown = await notificationMatching(message);
      if (shown !== undefined) assert.match(shown, /^Weather Assistant: /, 'the error names the extension');
      if (value === 'http://x') await screenshot('vscode-settings-bad-uri');
    }
    assert.equal(ext.connection.status.view, 'connected');
  });

  test('Set Server URI with a ws:// URI writes server.uri and moves the connection live', async () => {
    const [a0, b0] = [await healthz(fx.relayA), await healthz(fx.relayB)];
    await vscode.commands.executeCommand('weatherAssistant.setServerUri', `  ${fx.relayB}  `);
    assert.equal(globalSetting('server.uri'), fx.relayB, 'written, trimmed, to the user settings');
    await connectedTo(ext, fx.relayB, 'weather-update');
    await waitFor('relay B to gain the subscription and relay A to lose it', async () => {
      const [a, b] = [await healthz(fx.relayA), await healthz(fx.relayB)];
      return b.subscriptions === b0.subscriptions + 1 && a.subscriptions === a0.subscriptions - 1;
    });

    // and back, the same way: still no reload
    await vscode.commands.executeCommand('weatherAssistant.setServerUri', fx.relayA);
    await connectedTo(ext, fx.relayA, 'weather-update');
    await waitFor('the subscription to return to relay A', async () => (await healthz(fx.relayA)).subscriptions === a0.subscriptions && (await healthz(fx.relayB)).subscriptions === b0.subscriptions);
  });

  test('Set Channel refuses reserved, malformed and too long names with a clear message', async () => {
    const before = globalSetting('server.channel');
    const cases: Array<[string, RegExp]> = [
      ['subscribe', /"subscribe" is a reserved message type and cannot be a channel/],
      ['bad name!', /channel "bad name!" may only contain letters, digits and \. _ : -/],
      ['x'.repeat(129), /channel must be at most 128 characters \(got 129\)/],
      ['', /channel must not be empty/],
    ];
    for (const [value, message] of cases) {
      await vscode.commands.executeCommand('weatherAssistant.setChannel', value);
      assert.equal(globalSetting('server.channel'), before, `"${value.slice(0, 20)}" was not written`);
      assert.equal(ext.connection.status.channel, 'weather-update');
      await notificationMatching(message);
    }
  });

  test('Set Channel with a valid name writes server.channel and re-subscribes live', async () => {
    const channel = 'wal-test.channel:1';
    await vscode.commands.executeCommand('weatherAssistant.setChannel', channel);
    assert.equal(globalSetting('server.channel'), channel);
    await connectedTo(ext, fx.relayA, channel);

    const publisher = await WsPeer.open(fx.relayA);
    peers.push(publisher);
    const publish = (on: string, threadId: string) =>
      publisher.send({ type: on, payload: { message: `hello on ${on}`, timestamp: Math.floor(Date.now() / 1000), thread_id: threadId, type: 'response', status: 'completed' } });
    publish('weather-update', 'thread-on-the-old-channel');
    publish(channel, 'thread-on-the-new-channel');
    const thread = await waitFor('the message on the new channel in the store', () => ext.store.snapshot().find((t) => t.threadId === 'thread-on-the-new-channel'));
    assert.equal(thread.origin, 'remote');
    assert.equal(thread.turns[0]?.answer, `hello on ${channel}`);
    await delay(200);
    assert.equal(ext.store.snapshot().find((t) => t.threadId === 'thread-on-the-old-channel'), undefined, 'nothing from the channel it left');

    // the longest legal name is accepted too
    await vscode.commands.executeCommand('weatherAssistant.setChannel', 'c'.repeat(128));
    assert.equal(globalSetting('server.channel'), 'c'.repeat(128));
    await connectedTo(ext, fx.relayA, 'c'.repeat(128));
  });

  test('panel.maxThreads lowered while the window is open: the least recently active threads go at once, no reload', async () => {
    await vscode.commands.executeCommand('weatherAssistant.clearActivity');
    const publisher = await WsPeer.open(fx.relayA);
    peers.push(publisher);
    for (const threadId of ['thread-max-1', 'thread-max-2', 'thread-max-3']) {
      publisher.send({ type: 'weather-update', payload: { message: `answer of ${threadId}`, timestamp: Math.floor(Date.now() / 1000), thread_id: threadId, type: 'response', status: 'completed' } });
    }
    await waitFor('three threads in the store', () => ext.store.threadCount === 3);
    await setSetting('panel.maxThreads', 1);
    await waitFor('one thread left', () => ext.store.threadCount === 1);
    assert.deepEqual(ext.store.snapshot().map((thread) => thread.threadId), ['thread-max-3'], 'the most recent stays');
  });

  test('bad values that only change how things are done: defaults are used, nothing crashes, Ask still works', async () => {
    await setSetting('api', 'foo');
    await setSetting('panel.maxThreads', 0);
    await setSetting('server.autoStart', 'yes');
    await setSetting('weather.units', 'kelvin');
    await delay(300);
    const status = ext.connection.status;
    assert.deepEqual({ view: status.view, uri: status.uri, channel: status.channel }, { view: 'connected', uri: fx.relayA, channel: 'weather-update' }, 'still connected');
    assert.equal(ext.connection.embeddedRelayUrl, undefined);
    await notificationMatching(/weatherAssistant\.server\.autoStart must be true or false, got "yes"; using false \(nothing is started unasked\)/);

    const log = extensionLogFile();
    if (log) {
      await waitFor('the problems in the log', () => {
        const text = fs.readFileSync(log, 'utf8');
        return ['weatherAssistant.api: must be one of responses, chat, got "foo"', 'weatherAssistant.panel.maxThreads must be a whole number', 'weatherAssistant.server.autoStart must be true or false'].every((line) =>
          text.includes(line),
        );
      });
    }

    await fakes.resetOpenAI();
    await fakes.enqueue(textReply('Still here.'));
    const result = await vscode.commands.executeCommand<{ status: string; text: string }>('weatherAssistant.ask', 'Are you still working?');
    assert.equal(result?.status, 'completed', JSON.stringify(result));
    assert.equal(result.text, 'Still here.');
    const [request] = await fakes.openaiRequests();
    assert.equal(request.path, '/v1/responses', 'api "foo" fell back to the Responses API');
  });

  test('a bad server.uri: disconnected, the problem in the status bar, the panel header and the log; nothing tried at localhost:4000', async () => {
    const watch = await watchDefaultRelayPort();
    try {
      const a0 = await healthz(fx.relayA);
      await setSetting('server.autoStart', true); // even so, nothing is started for a bad URI
      await setSetting('server.uri', 'http://localhost:4000');
      const problem = 'weatherAssistant.server.uri: relay URI must use ws:// or wss://, not http:// (try ws://localhost:4000); not connecting to any relay until it is fixed';
      const status = await waitFor('the status to name the bad setting', () => (ext.connection.status.problem === problem ? ext.connection.status : undefined));
      assert.deepEqual(status, { view: 'offline', uri: 'http://localhost:4000', channel: 'weather-update', problem, halted: 'bad setting' });
      await waitFor('relay A to lose the subscription', async () => (await healthz(fx.relayA)).subscriptions === a0.subscriptions - 1);
      await delay(500);
      assert.equal(ext.connection.embeddedRelayUrl, undefined, 'no relay started');
      if (watch) assert.equal(watch.connections(), 0, 'nothing connected to 127.0.0.1:4000');

      const item = await statusBarMatching(/weather-update · offline \(bad setting\)/);
      if (item !== undefined) assert.ok(item.includes(problem), `the status bar's label names the problem: ${item}`);
      await vscode.commands.executeCommand('weatherAssistant.showActivity');
      const panel = await ui.panel();
      if (panel.available) {
        const header = await waitFor('the problem in the panel header', async () => {
          const now = await ui.panel();
          return now.available && now.header.includes('weatherAssistant.server.uri') ? now.header : undefined;
        });
        assert.match(header, /relay URI must use ws:\/\/ or wss:\/\//);
      }
      await notificationMatching(/weatherAssistant\.server\.uri: relay URI must use ws:\/\/ or wss:\/\/, not http:\/\//);
      const log = extensionLogFile();
      if (log) await waitFor('the problem in the log', () => fs.readFileSync(log, 'utf8').includes(problem));
      await screenshot('vscode-settings-bad-uri-offline');

      await vscode.commands.executeCommand('weatherAssistant.reconnect'); // still answers, still connects nowhere
      await delay(300);
      if (watch) assert.equal(watch.connections(), 0, 'Reconnect did not try the default either');
    } finally {
      await watch?.close();
    }
  });

  test('a bad server.channel: disconnected with the problem named, never the default channel', async () => {
    const a0 = await healthz(fx.relayA);
    await setSetting('server.channel', 'error');
    const status = await waitFor('the status to name the bad channel', () => (ext.connection.status.halted === 'bad setting' ? ext.connection.status : undefined));
    assert.equal(status.view, 'offline');
    assert.equal(status.channel, 'error');
    assert.match(status.problem ?? '', /^weatherAssistant\.server\.channel: "error" is a reserved message type and cannot be a channel; not connecting to any relay until it is fixed$/);
    await waitFor('relay A to lose the subscription', async () => (await healthz(fx.relayA)).subscriptions === a0.subscriptions - 1);
  });

  test('a bad baseUrl or weather provider: Ask is refused with the setting named, and no server is asked', async () => {
    for (const [key, value, pattern] of [
      ['baseUrl', 'localhost:11434/v1', /^weatherAssistant\.baseUrl: must be an http\(s\) URL or empty, got "localhost:11434\/v1"; questions are refused until it is fixed$/],
      ['weather.provider', 42, /^weatherAssistant\.weather\.provider: must be a string, got number 42; questions are refused until it is fixed$/],
    ] as const) {
      const before = rememberSettings(key);
      await fakes.resetOpenAI();
      await fakes.resetWeather();
      await fakes.enqueue(textReply('This must not be asked for.'));
      await setSetting(key, value);
      await delay(300);
      const result = await vscode.commands.executeCommand<{ status: string; error?: string }>('weatherAssistant.ask', 'Weather in Tokyo?');
      assert.equal(result?.status, 'failed', `${key}: ${JSON.stringify(result)}`);
      assert.match(result.error ?? '', pattern);
      assert.deepEqual(await fakes.openaiRequests(), [], `${key}: the model server was not asked`);
      assert.deepEqual(await fakes.weatherRequests(), [], `${key}: no weather service was asked`);
      assert.equal(ext.connection.status.view, 'connected', `${key}: the relay connection is not affected`);
      await before.restore();
    }
  });
});
