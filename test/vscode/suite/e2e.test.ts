// Issue 4's headline test, end to end in the real VS Code: real relay (started by setup.ts on
// 127.0.0.1), fake OpenAI (one get_weather call for Makati, then a streamed markdown answer),
// fake weather server, an independent raw subscriber on `weather-update`. The question is typed
// in the command palette like a user (through setup.ts's UI driver; when that is off, the Ask
// command runs with the question preset). Checks what the subscriber received, what the store
// holds, and what the Live Activity webview shows; saves screenshots under test-output/.
import assert from 'node:assert/strict';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { textReply, toolCallReply } from '../../fakes/openai-scenarios';
import { WsPeer } from '../../support/ws-peer';
import { api, connectedTo, delay, fakes, latestTurn, requireFixture, ui, waitFor, type ExtensionApi, type Fixture } from './fixture';
import { screenshot } from './harness';

const QUESTION = "What's the weather in Makati right now?";
const ANSWER =
  '**Makati** is partly cloudy at **31.2 °C** right now, though it feels like 37.4 °C.\n\n' +
  '- Humidity: 70%\n' +
  '- Wind: 12.6 km/h\n\n' +
  'Stay hydrated if you head out.';

suite('end to end: Ask → tool → streamed answer, relayed and shown', () => {
  let fx: Fixture;
  let ext: ExtensionApi;
  let subscriber: WsPeer;
  let threadId: string;
  let typedInPalette = false;
  let uiReason = '';

  suiteSetup(async function () {
    fx = requireFixture(this);
    ext = await api();
    await connectedTo(ext, fx.relayA, 'weather-update');
    subscriber = await WsPeer.open(fx.relayA);
    const reply = await subscriber.subscribe('weather-update');
    assert.equal(reply.type, 'subscribed');
    await fakes.resetOpenAI();
    await fakes.resetWeather();
    await fakes.enqueue(toolCallReply('get_weather', { location: 'Makati' }, { callId: 'call_makati_1' }), textReply(ANSWER));
    threadId = (await vscode.commands.executeCommand<string>('weatherAssistant.newChat'))!;
    await vscode.commands.executeCommand('weatherAssistant.clearActivity');
  });

  suiteTeardown(async () => {
    await subscriber?.close();
  });

  test('the question typed in the palette ("Weather Assistant: Ask") runs a turn', async function () {
    const driven = await ui.askFromPalette(QUESTION);
    if (driven.available) {
      typedInPalette = true;
      assert.match(driven.selected, /^Weather Assistant: Ask/);
    } else {
      uiReason = driven.reason;
      // No UI driver: the same command, with the question preset instead of typed.
      void vscode.commands.executeCommand('weatherAssistant.ask', QUESTION);
    }
    const turn = await waitFor('the turn to complete in the store', () => {
      const current = latestTurn(ext, threadId);
      return current && current.status !== 'running' ? current : undefined;
    }, 15_000);
    assert.equal(turn.status, 'completed', `turn ended ${turn.status}: ${turn.error ?? ''}`);
    assert.equal(turn.question, QUESTION, 'the typed question reached the engine verbatim');
    console.log(typedInPalette ? `(typed in the command palette; it selected "${driven.available ? driven.selected : ''}")` : `(asked with a preset question: ${uiReason})`);
  });

  test('the independent subscriber received the seed sequence on one thread', async () => {
    await waitFor('the completed message on the raw subscriber', () => subscriber.messages.some((m) => m.payload?.status === 'completed' && m.payload?.thread_id === threadId), 5000);
    const messages = subscriber.messages.slice(1); // after the `subscribed` reply
    for (const message of messages) assert.equal(message.type, 'weather-update', 'every delivery names its channel');
    const payloads = messages.map((m) => m.payload);
    assert.deepEqual([...new Set(payloads.map((p) => p.thread_id))], [threadId], 'one thread_id, the session\'s');

    const shape = payloads.map((p) => `${p.type}:${p.status ?? 'delta'}`);
    const firstDelta = shape.indexOf('response:delta');
    assert.deepEqual(shape.slice(0, 2), ['tool:started', 'tool:tool_executed'], shape.join(' '));
    assert.ok(firstDelta === 2, `deltas follow the tool result: ${shape.join(' ')}`);
    assert.deepEqual(shape.slice(2, -1), shape.slice(2, -1).map(() => 'response:delta'), 'only deltas between the tool result and the end');
    assert.equal(shape.at(-1), 'response:completed');
    assert.ok(shape.length - 3 >= 5, `the answer was streamed in several deltas (${shape.length - 3})`);

    const [started, executed] = payloads;
    assert.equal(started.message, 'Executing weather check for Makati');
    assert.doesNotThrow(() => JSON.parse(executed.message), 'the tool result is JSON');
    assert.match(executed.message, /Makati/);
    assert.match(executed.message, /31\.2/);

    const deltas = payloads.filter((p) => p.type === 'response' && p.status === undefined).map((p) => p.message).join('');
    const completed = payloads.at(-1)!;
    assert.equal(deltas, completed.message, 'the deltas join to the completed text');
    assert.equal(completed.message, ANSWER);
    for (const p of payloads) {
      assert.equal(typeof p.timestamp, 'number');
      assert.ok(Math.abs(p.timestamp - Date.now() / 1000) < 120, 'timestamp in Unix seconds');
    }
    const seqs = payloads.map((p) => p.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i), 'seq counts up from 0 with nothing missing');
  });

  test('the store holds the turn: executed tool card, the answer, everything delivered', async () => {
    const thread = await waitFor('every local event to be echoed back by the relay', () => {
      const found = ext.store.snapshot().find((t) => t.threadId === threadId);
      return found && found.undelivered === 0 ? found : undefined;
    });
    assert.equal(thread.origin, 'local');
    assert.equal(thread.turns.length, 1, 'echoes were not shown twice');
    const [turn] = thread.turns;
    assert.equal(turn.question, QUESTION);
    assert.equal(turn.status, 'completed');
    assert.equal(turn.answer, ANSWER);
    assert.equal(turn.tools.length, 1);
    const [tool] = turn.tools;
    assert.equal(tool.status, 'executed');
    assert.equal(tool.message, 'Executing weather check for Makati');
    assert.match(tool.result ?? '', /31\.2/);
    assert.equal(typeof tool.durationMs, 'number');
    assert.equal(ext.session.busy, false);
  });

  test('the fakes saw what a real turn sends: tool output back to the model, Makati looked up', async () => {
    const requests = await fakes.openaiRequests();
    assert.equal(requests.length, 2, 'one model request per round');
    assert.equal(requests[0].path, '/v1/responses');
    assert.equal(requests[0].headers.authorization, `Bearer ${fx.envApiKey}`, 'the OPENAI_API_KEY fallback was sent');
    assert.equal(requests[0].body.model, 'gpt-test-mini', 'weatherAssistant.model');
    const outputs = (requests[1].body.input as any[]).filter((item) => item?.type === 'function_call_output');
    assert.equal(outputs.length, 1);
    assert.equal(outputs[0].call_id, 'call_makati_1');
    assert.match(outputs[0].output, /Makati/);
    const weather = await fakes.weatherRequests();
    assert.deepEqual(weather.map((r) => r.endpoint), ['geocoding', 'forecast']);
    assert.match(weather[0].query.name, /Makati/);
    const state = await fakes.openaiState();
    assert.deepEqual(state, { pending: 0, violations: [] });
  });

  test('the Live Activity panel shows the tool card and the rendered answer (screenshot)', async function () {
    this.timeout(20_000);
    await vscode.commands.executeCommand('weatherAssistant.showActivity');
    const panel = await waitFor(
      'the webview to render the completed turn',
      async () => {
        const now = await ui.panel();
        if (!now.available) return now; // no UI driver: nothing to wait for
        const turn = now.threads.find((t) => t.title.includes(threadId))?.turns[0];
        return turn?.status === 'completed' && turn.answerText.includes('Stay hydrated') ? now : undefined;
      },
      10_000,
      200,
    );
    await delay(300);
    const whole = await screenshot('vscode-e2e-panel');
    const sidebar = await ui.screenshotSidebar('vscode-e2e-live-activity');
    console.log(`screenshots: ${whole ?? '(screenshots off)'}${sidebar.available ? `, ${sidebar.file}` : ''}`);
    if (!panel.available) {
      (this.test as Mocha.Runnable & { skipReason?: string }).skipReason = `webview DOM not readable: ${panel.reason}; see the screenshot`;
      return this.skip();
    }
    const thread = panel.threads.find((t) => t.title.includes(threadId))!;
    assert.equal(thread.turns.length, 1, 'one turn, not doubled by the echo');
    const [turn] = thread.turns;
    assert.match(turn.question, /What's the weather in Makati right now\?/);
    assert.equal(turn.tools.length, 1);
    assert.match(turn.tools[0].status, /\bexecuted\b/);
    assert.match(turn.tools[0].text, /Executing weather check for Makati/);
    assert.match(turn.tools[0].text, /31\.2/, 'a readable weather summary on the card');
    assert.match(turn.answerHtml, /<strong>Makati<\/strong>/, 'markdown rendered, not shown raw');
    assert.match(turn.answerHtml, /<li>Humidity: 70%<\/li>/);
    assert.doesNotMatch(turn.answerText, /\*\*/);
    assert.match(turn.outcome, /Completed/);
    assert.match(panel.header, /connected/i);
  });
});
