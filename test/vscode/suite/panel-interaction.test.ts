// The Live Activity panel used as a keyboard user would, in the real VS Code: questions typed
// in the panel's own composer (Enter, Shift+Enter, Up / Down), questions queued behind a slow
// turn and one of them removed, the turn's own Stop / Retry / Copy buttons and a code block's
// Copy pressed with Enter, what the polite live region says over a turn with a weather check,
// and the feed followed while it streams, left alone while the reader is scrolled up, and
// brought back by "New activity" with focus on the newest thread. Everything goes through
// setup.ts's UI driver (real key and mouse events in the webview's frame); the fake OpenAI
// server records what the model was asked.
import assert from 'node:assert/strict';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { modelNotFound, textReply, toolCallReply } from '../../fakes/openai-scenarios';
import { api, clearNotifications, connectedTo, delay, driven, fakes, latestTurn, requireFixture, ui, waitFor, type ExtensionApi, type PanelSummary } from './fixture';
import { skipWithReason } from './harness';

type PanelTurn = PanelSummary['threads'][number]['turns'][number];

suite('Live Activity panel used by keyboard in the real VS Code', () => {
  let ext: ExtensionApi;
  /** Why these tests cannot run (no UI driver), said by each of them. */
  let skipReason: string | undefined;

  suiteSetup(async function () {
    this.timeout(30_000);
    const fx = requireFixture(this);
    ext = await api();
    await connectedTo(ext, fx.relayA);
    await vscode.commands.executeCommand('weatherAssistant.showActivity');
    const status = await ui.status();
    if (!status.available) {
      skipReason = status.reason;
      return;
    }
    // The webview loads after the view opens: wait until the driver can read it.
    await waitFor('the Live Activity webview to be readable', async () => (await ui.panel()).available, 10_000, 100).catch(async () => {
      const panel = await ui.panel();
      skipReason = panel.available ? undefined : panel.reason;
    });
  });

  suiteTeardown(async () => {
    // The threads and the error notifications built here are no other suite's business.
    if (ext) await vscode.commands.executeCommand('weatherAssistant.clearActivity');
    await clearNotifications();
  });

  /** A fresh, empty panel and a new thread (its id); the fakes forget what they were asked. */
  async function freshThread(context: Mocha.Context): Promise<string> {
    if (skipReason) skipWithReason(context, skipReason);
    await vscode.commands.executeCommand('weatherAssistant.clearActivity');
    const threadId = (await vscode.commands.executeCommand<string>('weatherAssistant.newChat'))!;
    await fakes.resetOpenAI();
    await fakes.resetWeather();
    await waitFor('the panel to be empty', async () => driven('read the panel', await ui.panel()).threads.length === 0, 5000, 100);
    return threadId;
  }

  test('composer: Enter sends, Shift+Enter is a new line, a follow-up carries the conversation, Up and Down recall the questions', async function () {
    this.timeout(40_000);
    const threadId = await freshThread(this);
    const first = 'Is it raining in Manila now?';
    const firstAnswer = 'Light rain in Manila, 27 °C.';
    const followUp = ['And tomorrow?', 'Should I take an umbrella?'];
    const followUpAnswer = 'Showers tomorrow too: take the umbrella.';
    await fakes.enqueue(textReply(firstAnswer), textReply(followUpAnswer));

    await type(first);
    assert.equal((await composer()).value, first, 'the box holds what was typed');
    await press('Enter');
    await waitFor('the typed question to reach the model', async () => (await fakes.openaiRequests()).length === 1);
    assert.equal((await composer()).value, '', 'Enter sent the question and emptied the box');
    const turns = await waitForTurns(threadId, ['completed']);
    assert.deepEqual(turns.map((turn) => [turn.question, turn.answerText]), [[first, firstAnswer]]);

    // Shift+Enter starts a new line without sending; Enter then sends both lines as one question.
    await type(followUp[0]);
    await press('Shift+Enter');
    await type(followUp[1]);
    assert.equal((await composer()).value, followUp.join('\n'));
    assert.equal((await fakes.openaiRequests()).length, 1, 'Shift+Enter sent nothing');
    await press('Enter');
    const followTurns = await waitForTurns(threadId, ['completed', 'completed']);
    // The panel shows the question with its line break.
    assert.deepEqual(followTurns.map((turn) => [turn.question, turn.answerText]), [[first, firstAnswer], [followUp.join('\n'), followUpAnswer]]);
    assert.equal(latestTurn(ext, threadId)?.question, followUp.join('\n'), 'asked with its line break');
    const requests = await fakes.openaiRequests();
    assert.equal(requests.length, 2);
    // The follow-up went with the first question and its answer: the model sees the conversation.
    assert.deepEqual(conversation(requests[1].body), [`user: ${first}`, `assistant: ${firstAnswer}`, `user: ${followUp.join('\n')}`]);

    // Sending and the answer streaming in left focus in the box (the panel is shown, not focused).
    assert.deepEqual(focusOf(await ui.panelFocus()), ['TEXTAREA', 'Ask the weather assistant'], 'focus stayed in the question box');
    // Up in the empty box brings back the last question; on its second line Up first moves the
    // caret to the first line, then goes further back; Down comes forward to the empty draft.
    await press('ArrowUp');
    assert.equal((await composer()).value, followUp.join('\n'), 'Up: the last question');
    await press('ArrowUp');
    const onFirstLine = await composer();
    assert.deepEqual([onFirstLine.value, onFirstLine.caret <= followUp[0].length], [followUp.join('\n'), true], 'Up on the last line moves the caret up, not through the history');
    await press('ArrowUp');
    assert.equal((await composer()).value, first, 'Up on the first line: the question before');
    await press('ArrowDown');
    assert.equal((await composer()).value, followUp.join('\n'), 'Down: the next question');
    await press('ArrowDown');
    assert.equal((await composer()).value, '', 'Down past the newest: the (empty) draft');
    assert.equal((await fakes.openaiRequests()).length, 2, 'walking the history sent nothing');
  });

  test('queueing: questions sent during a slow turn are listed with Remove; a removed one is never asked', async function () {
    this.timeout(40_000);
    const threadId = await freshThread(this);
    const [first, second, third] = ['Wind in Wellington today?', 'And in Auckland?', 'And in Christchurch?'];
    const firstAnswer = 'Wellington: gusts of 70 km/h from the north-west, easing by evening.';
    // Several seconds of streaming: time to type and queue two questions and remove one.
    await fakes.enqueue(textReply(firstAnswer, { delayMs: 250 }), textReply('Auckland: a light breeze.'));

    await type(first);
    await press('Enter');
    await waitFor('the first turn to run', () => ext.session.busy);
    await type(second);
    await press('Enter');
    await waitFor('the second question to be listed as queued', async () => same((await composer()).queued, [{ text: second, remove: 'Remove queued question 1' }]));
    await type(third);
    await press('Enter');
    await waitFor('both questions to be listed as queued', async () =>
      same((await composer()).queued, [
        { text: second, remove: 'Remove queued question 1' },
        { text: third, remove: 'Remove queued question 2' },
      ]),
    );
    driven('press Remove', await ui.pressPanelButton({ name: 'Remove queued question 2', via: 'Enter' }));
    await waitFor('only the second question to stay queued', async () => same((await composer()).queued, [{ text: second, remove: 'Remove queued question 1' }]));
    assert.deepEqual(focusOf(await ui.panelFocus()), ['BUTTON', 'Remove queued question 1'], 'focus moved to the Remove left, not to <body>');
    assert.equal(latestTurn(ext, threadId)?.status, 'running', 'all this happened while the first turn ran (the fake was too quick otherwise)');
    assert.equal((await fakes.openaiRequests()).length, 1, 'nothing queued was asked while the first turn ran');

    const turns = await waitForTurns(threadId, ['completed', 'completed'], 20_000);
    assert.deepEqual(turns.map((turn) => turn.question), [first, second]);
    assert.deepEqual((await composer()).queued, [], 'the queue is empty once its question was asked');
    await delay(500); // anything else queued would have been asked by now
    const requests = await fakes.openaiRequests();
    assert.equal(requests.length, 2, 'only the second question was asked after the first');
    assert.deepEqual(conversation(requests[1].body), [`user: ${first}`, `assistant: ${firstAnswer}`, `user: ${second}`], 'asked next, in the same thread');
    assert.ok(!requests.some((request) => JSON.stringify(request.body).includes(third)), 'the removed question never reached the model');
    assert.equal((await fakes.openaiState()).pending, 0);
  });

  test('Stop, Retry, Copy and Copy code, pressed with Enter on the panel\'s own buttons', async function () {
    this.timeout(40_000);
    const threadId = await freshThread(this);

    // Stop during a slow answer: the turn ends as cancelled and the model's stream is dropped.
    const slowAnswer = 'Fog over the Thames all morning, lifting slowly after noon, then a grey, still afternoon.';
    await fakes.enqueue(textReply(slowAnswer, { delayMs: 250 }));
    await type('Fog in London?');
    await press('Enter');
    await waitFor('the answer to be streaming in the panel', async () => (await panelTurns(threadId))[0]?.answerText);
    driven('press Stop', await ui.pressPanelButton({ name: 'Stop this turn', thread: threadId, via: 'Enter' }));
    const stopped = await waitForTurns(threadId, ['error']);
    assert.equal(stopped[0].outcome, 'The request was cancelled.\nRetry');
    assert.ok(slowAnswer.startsWith(stopped[0].answerText) && stopped[0].answerText.length < slowAnswer.length, `a part of the answer stays: ${stopped[0].answerText}`);
    assert.deepEqual([latestTurn(ext, threadId)?.status, latestTurn(ext, threadId)?.error, ext.session.busy], ['error', 'The request was cancelled.', false]);
    await waitFor('the model stream to be dropped', async () => (await fakes.openaiRequests())[0]?.clientDisconnected);
    // The reader was on Stop: focus goes to what replaced it, not to <body>.
    assert.deepEqual(focusOf(await ui.panelFocus()), ['BUTTON', 'Retry: ask this question again']);

    // A question the model server refuses, asked again with Retry: the model gets it once more.
    const question = 'Packing list for a wet weekend in Bergen?';
    const code = 'umbrella\nrain boots\nwool socks';
    const answer = `Bergen will be **wet**. Pack:\n\n\`\`\`text\n${code}\n\`\`\`\n\nand a good book.`;
    const retryThread = await freshThread(this);
    await fakes.enqueue(modelNotFound('gpt-test-mini'));
    await type(question);
    await press('Enter');
    const failed = await waitForTurns(retryThread, ['error']);
    assert.match(failed[0].outcome, /gpt-test-mini[\s\S]*\nRetry$/, 'the error, and Retry');
    await fakes.enqueue(textReply(answer));
    driven('press Retry', await ui.pressPanelButton({ name: 'Retry: ask this question again', thread: retryThread, via: 'Enter' }));
    const retried = await waitForTurns(retryThread, ['error', 'completed']);
    assert.equal(retried[1].question, question);
    const requests = await fakes.openaiRequests();
    assert.equal(requests.length, 2);
    assert.deepEqual(conversation(requests[1].body), [`user: ${question}`], 'the same question, asked again (the failed turn left nothing behind)');

    // Copy: the answer as written (Markdown), through VS Code's clipboard; Copy code: just the block.
    await vscode.env.clipboard.writeText('');
    driven('press Copy', await ui.pressPanelButton({ name: 'Copy the answer', thread: retryThread, via: 'Enter' }));
    await waitFor('the answer on the clipboard', async () => (await vscode.env.clipboard.readText()) === answer);
    await vscode.env.clipboard.writeText('');
    driven('press Copy code', await ui.pressPanelButton({ name: 'Copy code', thread: retryThread, via: 'Enter' }));
    await waitFor('the code block on the clipboard', async () => (await vscode.env.clipboard.readText()) === code);
    // The pressed button keeps focus; it says "Code copied" for 1.5 s, then "Copy code" again.
    const [tag, label] = focusOf(await ui.panelFocus());
    assert.ok(tag === 'BUTTON' && ['Code copied', 'Copy code'].includes(label), `focus stayed on the Copy button: ${tag} ${label}`);
  });

  test('announcements: the polite live region says started, the weather check done and the answer completed, naming the thread, never the streamed text', async function () {
    this.timeout(40_000);
    const threadId = await freshThread(this);
    const question = 'How hot is it in Makati?';
    const answer = 'Sweltering: **31.2 °C** under broken clouds; it feels like 37 °C, so stay in the shade.';
    // Slow enough that each announcement stays long enough to be read.
    await fakes.enqueue(toolCallReply('get_weather', { location: 'Makati' }, { delayMs: 60 }), textReply(answer, { delayMs: 60 }));
    const before = driven('read the live region', await ui.liveRegion()).text;
    await type(question);
    await press('Enter');
    const said: string[] = [];
    let last = before;
    const deadline = Date.now() + 15_000;
    for (;;) {
      const now = driven('read the live region', await ui.liveRegion()).text;
      if (now !== last) said.push((last = now));
      const turn = latestTurn(ext, threadId);
      if (turn && turn.status !== 'running' && now.endsWith('answer completed')) break;
      if (Date.now() > deadline) break;
    }
    // Exactly these three, in order, and nothing else: none of the answer's streamed pieces.
    assert.deepEqual(said, [`“${question}”: started`, `“${question}”: Executing weather check for Makati: done`, `“${question}”: answer completed`]);
    const turns = await waitForTurns(threadId, ['completed']);
    assert.match(turns[0].tools[0]?.text ?? '', /^Executing weather check for Makati/);
  });

  test('scroll: followed while it streams, still while the reader is scrolled up, "New activity" brings the reader and focus to the newest thread', async function () {
    this.timeout(60_000);
    const threadId = await freshThread(this);
    const lines = (place: string, count: number) =>
      Array.from({ length: count }, (_, i) => `${i + 1}. In ${place} the wind turns north-west and clouds build over the bay.`).join('\n\n');
    // Content taller than the panel: two long answers before the one that streams.
    await fakes.enqueue(textReply(lines('Lisbon', 12)), textReply(lines('Porto', 12)), textReply(lines('Faro', 30), { delayMs: 15 }));
    for (const place of ['Lisbon', 'Porto']) {
      const result = await vscode.commands.executeCommand<{ status: string }>('weatherAssistant.ask', `Wind in ${place}?`);
      assert.equal(result?.status, 'completed');
    }
    await waitForTurns(threadId, ['completed', 'completed']);

    await type('Wind in Faro?');
    await press('Enter');
    // Sending leaves focus in the box, where the reader stays.
    assert.deepEqual(focusOf(await ui.panelFocus()), ['TEXTAREA', 'Ask the weather assistant']);
    const answerLength = async () => (await panelTurns(threadId))[2]?.answerText.length ?? 0;
    await waitFor('the third answer to stream', async () => (await answerLength()) > 0);
    // While it streams the view follows: at the bottom (the panel's own slack is 32 px), no
    // "New activity", and further down each time as the answer grows.
    const samples = [];
    for (let i = 0; i < 5; i++) {
      samples.push(driven('read the scroll', await ui.panelScroll()));
      await delay(150);
    }
    assert.equal(latestTurn(ext, threadId)?.status, 'running', 'sampled while the answer streamed (the fake was too quick otherwise)');
    assert.ok(samples[0].scrollHeight > samples[0].clientHeight + 200, `the feed is taller than the panel: ${JSON.stringify(samples[0])}`);
    for (const sample of samples) assert.ok(sample.gapToBottom <= 32 && !sample.newActivityVisible, `at the bottom while streaming: ${JSON.stringify(samples)}`);
    assert.ok(samples[4].scrollTop > samples[0].scrollTop, `the view went down with the answer: ${JSON.stringify(samples)}`);

    // The reader scrolls up: more streams in, nothing moves, and "New activity" offers the way down.
    assert.equal(driven('scroll up', await ui.scrollPanelToTop()).scrollTop, 0);
    const atTop = driven('read the scroll', await ui.panelScroll());
    const lengthThen = await answerLength();
    await waitFor('more of the answer to stream', async () => (await answerLength()) > lengthThen + 100);
    const reading = driven('read the scroll', await ui.panelScroll());
    assert.ok(reading.scrollHeight > atTop.scrollHeight, `the feed grew below the reader: ${JSON.stringify([atTop, reading])}`);
    assert.equal(reading.scrollTop, 0, `the view stayed where the reader is: ${JSON.stringify(reading)}`);
    assert.equal(reading.newActivityVisible, true, '"New activity" shows');

    // From the question box, Shift+Tab reaches "New activity"; Enter takes the reader down, focus on the newest thread.
    await press('Shift+Tab');
    assert.deepEqual(focusOf(await ui.panelFocus()), ['BUTTON', 'New activity: scroll to the newest']);
    assert.equal(driven('read the scroll', await ui.panelScroll()).scrollTop, 0, 'focusing the button at the foot did not scroll the feed under the reader');
    await press('Enter');
    const back = driven('read the scroll', await ui.panelScroll());
    assert.ok(back.gapToBottom <= 32 && !back.newActivityVisible, `back at the bottom: ${JSON.stringify(back)}`);
    assert.deepEqual(focusOf(await ui.panelFocus()), ['ARTICLE', `Thread ${threadId}`], 'focus on the newest thread, not <body>');
    assert.equal(latestTurn(ext, threadId)?.status, 'running', 'this happened while the answer streamed');

    // Following again: the rest of the answer streams in and the view ends at the bottom, focus still on the thread.
    await waitForTurns(threadId, ['completed', 'completed', 'completed'], 20_000);
    const focusSeen = await ui.panelFocus();
    let last: unknown;
    const end = await waitFor('the view to end at the bottom', async () => {
      const now = driven('read the scroll', await ui.panelScroll());
      last = now;
      return now.gapToBottom <= 1 ? now : undefined;
    }, 3000, 100).catch((error: Error) => {
      throw new Error(`${error.message}; it read ${JSON.stringify(last)}, focus ${JSON.stringify(focusSeen)}`);
    });
    assert.equal(end.newActivityVisible, false);
    assert.deepEqual(focusOf(await ui.panelFocus()), ['ARTICLE', `Thread ${threadId}`]);
  });
});

// ---- helpers ----------------------------------------------------------------------------------

const type = async (text: string) => driven(`type ${JSON.stringify(text)}`, await ui.typeInComposer(text));
const press = async (key: string) => driven(`press ${key}`, await ui.pressInPanel(key));
const composer = async () => driven('read the composer', await ui.composer());

/** [tag, label] of what has focus in the webview; fails when the webview itself does not have focus. */
function focusOf(focus: Awaited<ReturnType<typeof ui.panelFocus>>): [string, string] {
  const now = driven('read the focus', focus);
  assert.ok(now.hasFocus, `the webview has keyboard focus (${JSON.stringify(now)})`);
  return [now.tag, now.label];
}

/** The turns the webview shows for `threadId` (none if it does not show the thread). */
async function panelTurns(threadId: string): Promise<PanelTurn[]> {
  const panel = driven('read the panel', await ui.panel());
  return panel.threads.find((thread) => thread.title.includes(threadId))?.turns ?? [];
}

/** Waits until the webview shows `threadId` with turns of exactly these statuses (`completed`, `error`, `running`). */
async function waitForTurns(threadId: string, statuses: string[], timeoutMs = 10_000): Promise<PanelTurn[]> {
  let seen: PanelTurn[] = [];
  let before: PanelTurn[] = [];
  // A turn's end shows at once; its answer is rendered whole on the panel's next frame: the
  // same content on two polls in a row is the settled view.
  return waitFor(`the panel to show ${statuses.join(', ')} in thread ${threadId}`, async () => {
    [before, seen] = [seen, await panelTurns(threadId)];
    return same(seen.map((turn) => turn.status), statuses) && same(before, seen) ? seen : undefined;
  }, timeoutMs, 100).catch((error: Error) => {
    throw new Error(`${error.message}; it showed: ${JSON.stringify(seen.map(({ status, question, answerText, outcome }) => ({ status, question, answerText, outcome })))}`);
  });
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** What the model was given, as `role: text` lines: the Responses API's `input`, or Chat's `messages` without the instructions. */
function conversation(body: any): string[] {
  const items: any[] = Array.isArray(body?.input) ? body.input : (body?.messages ?? []).filter((m: any) => m.role !== 'system' && m.role !== 'developer');
  return items.map((item) => `${item.role ?? item.type}: ${typeof item.content === 'string' ? item.content : JSON.stringify(item.content)}`);
}
