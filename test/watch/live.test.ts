/**
 * The watch page live, end to end: the real relay serves it, headless Chromium opens it, the
 * real command line (dist/cli.js, with the fake OpenAI and weather servers) asks, and the page
 * shows the turn as it happens. Then the relay dies under the page and comes back on the same
 * port: the page reconnects by itself, resumes where it was (`since`/`epoch`), and shows
 * nothing twice. Run `npm run build` first.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { WebSocketManager } from '../../src/client';
import { responseCompletedPayload, responseDeltaPayload, toolExecutedPayload, toolStartedPayload, type ChannelPayload } from '../../src/protocol';
import { startFakeOpenAI, splitIntoDeltas, textReply, toolCallReply, type FakeOpenAI } from '../fakes/openai-server';
import { useFakeWeatherServer } from '../support/fake-weather';
import { launchBrowser, realisticWeather } from '../panel/harness';
import { CLI, runCli, track } from '../support/cli-process';
import { nextRedisUrl } from '../support/relay-mode';
import { spawnRelay } from '../support/relay-process';
import { startRedisServer } from '../support/redis-server';
import { delay, waitUntil } from '../support/wait';
import { WsPeer } from '../support/ws-peer';
import { CHANNEL, openTab, relayWithTab, shownThreads, stopAtEnd, waitForThreads, webOrigin, type ShownThread } from './harness';

const ANSWER = 'In Makati it is 31.2 °C (feels like 37.4 °C), partly cloudy, with 70% humidity.';
const SUITE = { timeout: 180_000 };

const weather = useFakeWeatherServer();
let browser: Browser;
let fake: FakeOpenAI;

before(async () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`);
  [browser, fake] = await Promise.all([launchBrowser(), startFakeOpenAI()]);
});
after(() => Promise.all([browser?.close(), fake?.close()]));

const modelArgs = () => ['--api', 'responses', '--base-url', fake.baseUrl, '--model', 'gpt-test', '--forecast-url', weather().forecastUrl, '--geocoding-url', weather().geocodingUrl];

/** The turns of one thread, as a test expects to see each exactly once. */
const onlyThread = (threads: ShownThread[], threadId: string) => threads.filter((thread) => thread.threadId === threadId);

describe('the watch page, live from the real relay', SUITE, () => {
  test('a question asked with the command line appears live: the weather card, the streamed answer, Completed', async (t) => {
    const { relay, tab } = await relayWithTab(t, browser, [], `/watch/${CHANNEL}`);
    const origin = webOrigin(relay);
    await tab.waitForConnection('Connected');
    assert.deepEqual(await tab.page.locator('.empty p').allTextContents(), [`Waiting for activity on ${CHANNEL}…`, 'Questions, weather checks and answers published on the channel appear here as they happen.']);
    assert.match((await tab.page.locator('header .detail').textContent()) ?? '', new RegExp(` · ${CHANNEL} · ws://127\\.0\\.0\\.1:${relay.port}/$`));

    // The page sees the answer grow: it is shown while the command line still streams it.
    const growing: number[] = [];
    await tab.page.exposeFunction('__answerLength', (length: number) => growing.push(length));
    await tab.page.evaluate(() => {
      new MutationObserver(() => {
        const answer = document.querySelector('.answer');
        if (answer) (window as unknown as { __answerLength(length: number): void }).__answerLength((answer.textContent ?? '').length);
      }).observe(document.getElementById('app')!, { subtree: true, childList: true, characterData: true });
    });

    fake.reset();
    fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }, { callId: 'call_watch' }), textReply(ANSWER, { delayMs: 40 }));
    const run = track(t, runCli(['ask', "What's the weather in Makati?", '--server', relay.url, '--channel', CHANNEL, ...modelArgs()], { env: { OPENAI_API_KEY: 'test' } }));

    // Completed and its answer drawn (the answer's Markdown may land a frame after the outcome).
    const [thread] = await waitForThreads(tab.page, (threads) => threads[0]?.turns[0]?.outcome === 'Completed' && threads[0].turns[0].answer === ANSWER, 'the completed turn');
    assert.equal(await run.exit, 0, run.stderr());
    assert.equal(run.stdout(), `${ANSWER}\n`);
    assert.match(thread.threadId, /^thread_[0-9a-f]+$/);
    assert.deepEqual(thread.turns, [{ tools: ['Executing weather check for Makati'], toolStates: ['executed'], answer: ANSWER, outcome: 'Completed', actions: ['Copy'] }]);
    assert.equal((await shownThreads(tab.page)).length, 1, 'one thread');
    const summary = (await tab.page.locator('.tool .weather').first().textContent()) ?? '';
    assert.ok(summary.includes('31.2 °C'), summary);
    await waitUntil(() => growing.includes(ANSWER.length), 2000, 'the full answer observed');
    assert.ok(new Set(growing.filter((length) => length > 0 && length < ANSWER.length)).size >= 2, `the answer was seen growing (${splitIntoDeltas(ANSWER).length} deltas): ${growing.join(', ')}`);

    // Copy puts the answer, as Markdown, on the clipboard, and says so.
    await tab.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
    await tab.page.locator('.outcome button', { hasText: 'Copy' }).click();
    await tab.page.locator('.watch-said', { hasText: 'Answer copied.' }).waitFor();
    assert.equal(await tab.page.evaluate(() => navigator.clipboard.readText()), ANSWER);

    // Read-only: no composer, toolbar, Stop, Retry or Export; the one thing a reader can press in a turn is Copy.
    assert.equal(await tab.page.locator('textarea, .composer, .toolbar').count(), 0);
    assert.deepEqual(await tab.page.locator('.threads button:not(.collapse)').allTextContents(), ['Copy']);
    // Everything the page asked for came from the relay that served it.
    assert.deepEqual(tab.requestUrls.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith(`${relay.url}/`)), []);
    assert.deepEqual(tab.sockets, [`${relay.url}/`]);
    assert.deepEqual(tab.pageErrors, []);
    assert.deepEqual(await tab.violations(), []);
    // Nothing in the console, not even the browser's own request for /favicon.ico (the relay answers it 204).
    assert.deepEqual(tab.consoleMessages.filter((message) => message.type === 'error'), []);
  });

  test('the relay killed and restarted on the same port: the page comes back by itself and shows each event once', async (t) => {
    const redisUrl = nextRedisUrl();
    const engine = redisUrl === undefined ? [] : ['--redis', redisUrl];
    const relay1 = await spawnRelay(['--quiet', ...engine]);
    stopAtEnd(t, relay1);
    const tab = await openTab(browser, webOrigin(relay1), `/watch/${CHANNEL}`);
    t.after(() => tab.close());
    await tab.waitForConnection('Connected');

    // A publisher as the extension and the command line publish: ids on every event, resends after a relay loses them.
    const publisher = new WebSocketManager(relay1.url, CHANNEL, { reconnect: { minDelayMs: 200, initialDelayMs: 400, maxDelayMs: 800 }, heartbeatIntervalMs: 0 });
    t.after(() => publisher.disconnect());
    await publisher.connect();
    const turn = (threadId: string, answer: string): ChannelPayload[] => [
      toolStartedPayload(threadId, 'Makati', { callId: `${threadId}-call` }),
      toolExecutedPayload(threadId, realisticWeather(), { callId: `${threadId}-call` }),
      ...splitIntoDeltas(answer).map((delta) => responseDeltaPayload(threadId, delta)),
      responseCompletedPayload(threadId, answer),
    ];
    const expected = (answer: string) => [{ tools: ['Executing weather check for Makati'], toolStates: ['executed'], answer, outcome: 'Completed', actions: ['Copy'] }];
    for (const payload of turn('thread_before', 'Sunny before the restart.')) publisher.send(payload);
    await waitForThreads(tab.page, (threads) => threads[0]?.turns[0]?.outcome === 'Completed', 'the first turn');

    assert.equal(await relay1.stop('SIGKILL'), 'SIGKILL');
    await tab.waitForConnection('Reconnecting…');
    // Published while the relay is down: the publisher holds them, and sends them to the relay that comes back.
    for (const payload of turn('thread_after', 'Rain after the restart.')) publisher.send(payload);
    const relay2 = await spawnRelay(['--quiet', ...engine, '--port', String(relay1.port)]);
    stopAtEnd(t, relay2);
    assert.equal(relay2.url, relay1.url);

    await tab.waitForConnection('Connected', 30_000);
    // Completed and its answer drawn (the answer's Markdown may land a frame after the outcome).
    const threads = await waitForThreads(
      tab.page,
      (shown) => {
        const after = onlyThread(shown, 'thread_after')[0]?.turns[0];
        return after?.outcome === 'Completed' && after.answer === 'Rain after the restart.';
      },
      'the turn published during the outage',
    );
    // The publisher resent what the killed relay had confirmed (in memory the new relay cannot vouch for it): shown once all the same.
    await new Promise((done) => setTimeout(done, 500));
    const settled = await shownThreads(tab.page);
    assert.deepEqual(settled, threads, 'nothing more arrives');
    assert.deepEqual(onlyThread(settled, 'thread_before').map((thread) => thread.turns), [expected('Sunny before the restart.')]);
    assert.deepEqual(onlyThread(settled, 'thread_after').map((thread) => thread.turns), [expected('Rain after the restart.')]);
    assert.equal(settled.length, 2);
    // In memory the restarted relay holds nothing from before it, and the page says what that may mean; Redis kept it all.
    const problem = (await tab.page.locator('header .problem').textContent()) ?? '';
    if (redisUrl === undefined) assert.match(problem, /could not replay everything missed/);
    else assert.equal(problem, '');
    assert.deepEqual(tab.pageErrors, []);
  });

  test('a relay that hangs without closing (SIGSTOP) is noticed: the page asks it for a sign of life, gets none, and reconnects once it answers again', async (t) => {
    const { relay, tab } = await relayWithTab(t, browser, [], `/watch/${CHANNEL}`);
    await tab.waitForConnection('Connected');
    // The sign of life asked for: leaving a channel the page is not on, which the relay answers and which changes nothing.
    await tab.page.evaluate(() => window.dispatchEvent(new Event('online')));
    await waitUntil(() => tab.framesSent.includes('{"type":"unsubscribe","payload":{"channel":"weather-watch.alive"}}'), 2000, 'the probe');
    await delay(11_000);
    assert.equal(await tab.connection(), 'Connected', 'a relay that answers stays connected');
    assert.equal(tab.sockets.length, 1);
    relay.child.kill('SIGSTOP');
    t.after(() => relay.child.kill('SIGCONT'));
    // The network came back (or the laptop woke up): the page checks at once rather than after 25 quiet seconds.
    const since = Date.now();
    await tab.page.evaluate(() => window.dispatchEvent(new Event('online')));
    await tab.waitForConnection('Reconnecting…', 20_000);
    assert.ok(Date.now() - since >= 9_000, 'given the 10 s to answer');
    assert.match((await tab.page.locator('header .problem').textContent()) ?? '', /^The relay stopped answering\. Trying again/);
    relay.child.kill('SIGCONT');
    await tab.waitForConnection('Connected', 30_000);
    assert.ok(tab.sockets.length >= 2, 'a new connection');
    assert.deepEqual(tab.pageErrors, []);
  });

  test(
    'two relays on one Redis: the page\'s relay dies, a seed publisher keeps publishing through the other, and the page resumes exactly where it was',
    { skip: existsSync('/usr/bin/redis-server') ? false : 'needs /usr/bin/redis-server' },
    async (t) => {
      const redis = await startRedisServer();
      t.after(() => redis.stop());
      const [watched, other] = await Promise.all([spawnRelay(['--quiet', '--redis', redis.url]), spawnRelay(['--quiet', '--redis', redis.url])]);
      stopAtEnd(t, watched);
      stopAtEnd(t, other);
      const tab = await openTab(browser, webOrigin(watched), `/watch/${CHANNEL}`);
      t.after(() => tab.close());
      await tab.waitForConnection('Connected');
      // Seed payloads carry no id: nothing but the resume (`since` and `epoch`) can keep a replay from showing them twice.
      const publisher = await WsPeer.open(other.url);
      t.after(() => publisher.close());
      const seedTurn = (threadId: string, answer: string) => {
        const payloads = [
          { message: 'Executing weather check for Makati', status: 'started', type: 'tool' },
          { message: realisticWeather(), status: 'tool_executed', type: 'tool' },
          ...splitIntoDeltas(answer).map((delta) => ({ message: delta, type: 'response' })),
          { message: answer, status: 'completed', type: 'response' },
        ];
        for (const payload of payloads) publisher.send({ type: CHANNEL, payload: { ...payload, timestamp: 1_700_000_000, thread_id: threadId } });
      };
      seedTurn('seed_before', 'Clear before.');
      await waitForThreads(tab.page, (threads) => threads[0]?.turns[0]?.outcome === 'Completed', 'the first seed turn');

      assert.equal(await watched.stop('SIGKILL'), 'SIGKILL');
      await tab.waitForConnection('Reconnecting…');
      seedTurn('seed_during', 'Stormy while the page was away.');
      const back = await spawnRelay(['--quiet', '--redis', redis.url, '--port', String(watched.port)]);
      stopAtEnd(t, back);

      await tab.waitForConnection('Connected', 30_000);
      await waitForThreads(tab.page, (threads) => onlyThread(threads, 'seed_during')[0]?.turns[0]?.outcome === 'Completed', 'the turn published while the page was away');
      seedTurn('seed_after', 'Calm after.');
      // Every turn completed with its answer drawn (an answer's Markdown may land a frame after its outcome).
      const answers: Record<string, string> = { seed_before: 'Clear before.', seed_during: 'Stormy while the page was away.', seed_after: 'Calm after.' };
      const threads = await waitForThreads(
        tab.page,
        (shown) => Object.entries(answers).every(([id, answer]) => onlyThread(shown, id)[0]?.turns[0]?.answer === answer && onlyThread(shown, id)[0]?.turns[0]?.outcome === 'Completed'),
        'a turn after the resume',
      );
      const expected = (answer: string) => [[{ tools: ['Executing weather check for Makati'], toolStates: ['executed'], answer, outcome: 'Completed', actions: ['Copy'] }]];
      assert.deepEqual(onlyThread(threads, 'seed_before').map((thread) => thread.turns), expected('Clear before.'));
      assert.deepEqual(onlyThread(threads, 'seed_during').map((thread) => thread.turns), expected('Stormy while the page was away.'));
      assert.deepEqual(onlyThread(threads, 'seed_after').map((thread) => thread.turns), expected('Calm after.'));
      assert.equal(threads.length, 3);
      assert.equal((await tab.page.locator('header .problem').textContent()) ?? '', '', 'Redis kept everything: no gap to report');
      // What the page asked: the channel's history at first, then everything after the last offset it had shown, in its epoch.
      const subscribes = tab.framesSent.filter((frame) => frame.startsWith('{"type":"subscribe"')).map((frame) => JSON.parse(frame).payload);
      assert.deepEqual(subscribes[0], { channel: CHANNEL, since: 0 });
      const resumed = subscribes.at(-1);
      assert.equal(resumed.since, 3 + splitIntoDeltas('Clear before.').length, 'the offset of the first turn\'s last event');
      assert.match(resumed.epoch, /^\S+$/);
    },
  );
});
