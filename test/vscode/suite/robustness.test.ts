// Issue 5, the extension's part: a bad API key, a model failing mid-stream, a weather API that
// hangs and an unreachable relay each end with a clear message, and nothing stays "running".
import assert from 'node:assert/strict';
import { setup, suite, suiteSetup, suiteTeardown, teardown, test } from 'mocha';
import * as vscode from 'vscode';
import { interruptedReply, textReply, toolCallReply } from '../../fakes/openai-scenarios';
import { WsPeer } from '../../support/ws-peer';
import {
  api,
  clearNotifications,
  connectedTo,
  fakes,
  freePort,
  latestTurn,
  notificationMatching,
  rememberSettings,
  requireFixture,
  setApiKey,
  setSetting,
  statusBarMatching,
  ui,
  waitFor,
  type ExtensionApi,
  type Fixture,
} from './fixture';
import { screenshot } from './harness';

type TurnResult = { threadId: string; status: 'completed' | 'failed'; text: string; error?: string };
const BAD_KEY = 'sk-wrong-key-0123456789abcdefWRONG';

suite('robustness', () => {
  let fx: Fixture;
  let ext: ExtensionApi;
  let saved: ReturnType<typeof rememberSettings>;
  let subscriber: WsPeer;

  suiteSetup(async function () {
    fx = requireFixture(this);
    ext = await api();
    await connectedTo(ext, fx.relayA, 'weather-update');
    subscriber = await WsPeer.open(fx.relayA);
    await subscriber.subscribe('weather-update');
  });

  suiteTeardown(async () => {
    await subscriber?.close();
  });

  setup(async () => {
    saved = rememberSettings('server.uri', 'server.autoStart');
    await fakes.resetOpenAI();
    await fakes.resetWeather();
    await vscode.commands.executeCommand('weatherAssistant.newChat');
  });

  teardown(async () => {
    await saved.restore();
    await setApiKey(ext, '', fx.envApiKey);
    await fakes.requireApiKey(null);
    await fakes.resetWeather();
    await connectedTo(ext, fx.relayA, 'weather-update');
    await clearNotifications();
  });

  const ask = (question: string) => vscode.commands.executeCommand<TurnResult>('weatherAssistant.ask', question).then((result) => result!);
  const nothingRunning = (threadId: string) => {
    const turn = latestTurn(ext, threadId);
    assert.ok(turn, 'the turn is in the store');
    assert.notEqual(turn.status, 'running', 'the turn ended');
    assert.deepEqual(turn.tools.filter((tool) => tool.status === 'running'), [], 'no tool card left running');
    assert.equal(ext.session.busy, false, 'the session is free for the next question');
    return turn;
  };

  test('a rejected API key (401): the turn ends with a clear error everywhere, the key is not shown', async () => {
    await fakes.requireApiKey(fx.envApiKey);
    await setApiKey(ext, BAD_KEY, BAD_KEY);
    const result = await ask('What is the weather in Paris?');
    assert.equal(result.status, 'failed');
    assert.match(result.error ?? '', /rejected the API key \(401\)/);
    const turn = nothingRunning(result.threadId);
    assert.equal(turn.status, 'error');
    assert.match(turn.error ?? '', /the model server at http:\/\/127\.0\.0\.1:\d+\/v1 rejected the API key \(401\): Incorrect API key provided/);
    assert.ok(!(turn.error ?? '').includes(BAD_KEY), 'the full key is not echoed');
    const [request] = await fakes.openaiRequests();
    assert.equal(request.headers.authorization, `Bearer ${BAD_KEY}`);
    assert.ok(request.rejected, 'the fake answered 401 itself');

    // Watchers on the channel are told too, so none waits forever.
    const last = await waitFor('the error on the channel', () => subscriber.messages.find((m) => m.payload?.thread_id === result.threadId && m.payload?.status === 'error'));
    assert.match(last.payload.message, /rejected the API key/);
    await notificationMatching(/^Weather Assistant: the model server at .* rejected the API key \(401\)/);
    const panel = await ui.panel();
    if (panel.available) {
      const shown = await waitFor('the error in the panel', async () => {
        const now = await ui.panel();
        const t = now.available ? now.threads.find((th) => th.title.includes(result.threadId))?.turns.at(-1) : undefined;
        return t?.status === 'error' ? t : undefined;
      });
      assert.match(shown.outcome, /rejected the API key \(401\)/);
    }
  });

  test('the model failing mid-stream: the turn ends with the error and keeps what arrived', async () => {
    await fakes.enqueue(interruptedReply('The forecast for Berlin is light rain all day long.', 'error', { afterDeltas: 3, message: 'The server had an error while processing your request.' }));
    const result = await ask('Berlin?');
    assert.equal(result.status, 'failed', JSON.stringify(result));
    assert.match(result.error ?? '', /mid-stream: The server had an error while processing your request\./);
    const turn = nothingRunning(result.threadId);
    assert.equal(turn.status, 'error');
    assert.match(turn.error ?? '', /mid-stream/);
  });

  test('a weather API that hangs: the tool card fails after the 8 s timeout and the turn still completes', async function () {
    this.timeout(25_000); // the weather timeout (8 s) is not a setting
    await fakes.weatherMode('hang');
    await fakes.enqueue(toolCallReply('get_weather', { location: 'Tokyo' }, { callId: 'call_tokyo_1' }), textReply('The weather service did not answer in time; please try again later.'));
    const started = Date.now();
    const result = await ask('Weather in Tokyo?');
    assert.equal(result.status, 'completed', JSON.stringify(result));
    assert.ok(Date.now() - started >= 7_500, 'the tool waited for its timeout');
    const turn = nothingRunning(result.threadId);
    assert.equal(turn.tools.length, 1);
    const [tool] = turn.tools;
    assert.equal(tool.status, 'failed');
    assert.match(tool.result ?? '', /did not answer within 8 s/);
    assert.ok((tool.durationMs ?? 0) >= 7_500, `duration ${tool.durationMs}`);
    const requests = await fakes.openaiRequests();
    const output = (requests[1]?.body.input as any[]).find((item) => item?.type === 'function_call_output');
    assert.match(output?.output ?? '', /did not answer within 8 s/, 'the model was told what went wrong');
    assert.ok((await fakes.weatherRequests()).length >= 1);
  });

  test('an unreachable relay: status says so with the reason; Ask still works locally, marked undelivered', async () => {
    const port = await freePort();
    const uri = `ws://127.0.0.1:${port}`;
    await setSetting('server.autoStart', false);
    await setSetting('server.uri', uri);
    const status = await waitFor('the status to report the unreachable relay', () => {
      const now = ext.connection.status;
      return now.uri === uri && (now.view === 'reconnecting' || now.view === 'offline') && now.problem ? now : undefined;
    });
    assert.match(status.problem!, /refused/i);
    assert.equal(ext.connection.embeddedRelayUrl, undefined, 'autoStart is off');
    await statusBarMatching(/weather-update · (reconnecting|offline)/);

    await fakes.enqueue(textReply('Answered while the relay is down.'));
    const result = await ask('Is it raining in London?');
    assert.equal(result.status, 'completed', JSON.stringify(result));
    const thread = ext.store.snapshot().find((t) => t.threadId === result.threadId)!;
    assert.equal(thread.turns.at(-1)?.answer, 'Answered while the relay is down.');
    assert.ok(thread.undelivered > 0, `the thread is marked undelivered (${thread.undelivered})`);
    assert.ok(!subscriber.messages.some((m) => m.payload?.thread_id === result.threadId), 'nothing reached relay A');
    await vscode.commands.executeCommand('weatherAssistant.showActivity');
    await screenshot('vscode-relay-unreachable');
  });
});
