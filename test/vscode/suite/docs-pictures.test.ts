// The README's pictures, taken in the real VS Code on every run (test-output/docs-*.png) and
// copied into docs/images/ by `npm run docs:images`: the panel mid-answer with a weather card,
// the Get Started walkthrough, and the status bar's states. Each picture is taken only once
// what it shows is on screen (checked through the UI driver), so a picture cannot show a
// blank or half-loaded view.
import assert from 'node:assert/strict';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { textReply, toolCallReply } from '../../fakes/openai-scenarios';
import { api, connectedTo, delay, fakes, latestTurn, rememberSettings, requireFixture, setSetting, statusBarMatching, ui, waitFor, type ExtensionApi, type Fixture } from './fixture';
import { screenshot, skipWithReason } from './harness';

const ANSWER = [
  'It is **31 °C** and partly cloudy in Makati, feeling like 36 °C with 70% humidity.',
  '',
  '- Light wind from the east, 12 km/h',
  '- No rain expected before evening',
  '',
  'Stay in the shade around midday.',
].join('\n');

suite('docs pictures: the panel mid-answer, the walkthrough, the status bar', () => {
  let fx: Fixture;
  let ext: ExtensionApi;
  const saved = rememberSettings('server.uri', 'server.autoStart');

  suiteSetup(async function () {
    fx = requireFixture(this);
    ext = await api();
    await connectedTo(ext, fx.relayA);
  });

  suiteTeardown(async () => {
    await saved.restore();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (ext) await connectedTo(ext, fx.relayA).catch(() => undefined);
  });

  test('the panel mid-answer, its weather card done (docs-panel-streaming.png)', async function () {
    this.timeout(40_000);
    if (!(await ui.status()).available) return skipWithReason(this, 'the UI driver is off');
    await vscode.commands.executeCommand('weatherAssistant.clearActivity');
    const threadId = (await vscode.commands.executeCommand<string>('weatherAssistant.newChat'))!;
    await fakes.resetOpenAI();
    await fakes.resetWeather();
    // Slow enough to be caught mid-answer: 40 ms before each streamed event.
    await fakes.enqueue(toolCallReply('get_weather', { location: 'Makati' }), textReply(ANSWER, { delayMs: 40 }));
    const asking = vscode.commands.executeCommand<{ status: string }>('weatherAssistant.ask', "What's the weather in Makati right now?");
    await waitFor('the answer to be half streamed', () => {
      const turn = latestTurn(ext, threadId);
      return turn?.tools[0]?.status === 'executed' && (turn.answer?.length ?? 0) > ANSWER.length / 3;
    }, 15_000, 20);
    const panel = await waitFor('the panel to show the card and the answer so far', async () => {
      const now = await ui.panel();
      const turn = now.available ? now.threads.find((t) => t.title.includes(threadId))?.turns[0] : undefined;
      return turn?.tools[0]?.status.includes('executed') && turn.answerText.length > 20 && turn.status === 'running' ? turn : undefined;
    }, 5_000, 20).catch(() => undefined);
    const shot = await ui.screenshotSidebar('docs-panel-streaming');
    assert.equal((await asking)?.status, 'completed');
    if (!panel) return skipWithReason(this, 'the answer finished before the picture could be taken mid-answer');
    assert.ok(shot.available, 'the picture was taken');
  });

  test('the Get Started walkthrough (docs-walkthrough.png)', async function () {
    this.timeout(20_000);
    await vscode.commands.executeCommand('weatherAssistant.openWalkthrough');
    // The walkthrough opens as an editor; give its page a moment to lay out.
    await waitFor('the walkthrough editor', () => vscode.window.tabGroups.all.some((group) => group.tabs.some((tab) => /Weather Assistant/i.test(tab.label))), 5_000).catch(() => undefined);
    await delay(800);
    const file = await screenshot('docs-walkthrough');
    if (!file) return skipWithReason(this, 'screenshots are off');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('the status bar: connected, offline, reconnecting (docs-status-*.png)', async function () {
    this.timeout(40_000);
    if (!(await ui.status()).available) return skipWithReason(this, 'the UI driver is off');
    await statusBarMatching(/· (connected|relay embedded)/);
    assert.ok((await ui.screenshotStatusBar('docs-status-connected')).available);
    // Nothing listens there and nothing may start a relay: offline, with the reason.
    await setSetting('server.autoStart', false);
    await setSetting('server.uri', 'ws://127.0.0.1:9');
    await statusBarMatching(/· (offline|reconnecting)/, 10_000);
    assert.ok((await ui.screenshotStatusBar('docs-status-offline')).available);
  });
});
