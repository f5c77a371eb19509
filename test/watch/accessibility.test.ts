/**
 * The relay's pages for people: axe-core (WCAG 2.1 A and AA) finds nothing on the watch page
 * with real turns on it (a weather check, a forecast card, a Markdown answer with a list, a
 * table, a link and code), on the channel index, or with the token form up, in the light and
 * dark schemes the page follows and with forced colours (high contrast). The keyboard reaches
 * everything a reader can do. And the README's picture of the page: test-output/watch-page.png
 * (`npm run docs:images` copies it to docs/images/).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { FAKE_FORECAST_NOW, startFakeWeatherServer, type FakeWeatherServer } from '../fakes/weather-server';
import { startFakeOpenAI, textReply, toolCallReply, type FakeOpenAI } from '../fakes/openai-server';
import { axeViolations } from '../panel/axe';
import { ensureOutputDir, launchBrowser } from '../panel/harness';
import { runCli } from '../support/cli-process';
import { spawnRelay, type RelayProcess } from '../support/relay-process';
import { WsPeer } from '../support/ws-peer';
import { CHANNEL, openTab, stopAtEnd, waitForThreads, webOrigin, type TabOptions } from './harness';

const SUITE = { timeout: 180_000 };
const WEATHER_ANSWER = 'In Makati it is **31.2 °C** (feels like 37.4 °C), partly cloudy, with 70% humidity.';
const FORECAST_ANSWER = [
  'Yes: take an umbrella in **Tokyo** on Wednesday.',
  '',
  '- **Wednesday:** moderate rain is likely (80%, about 5 mm).',
  '- **Tuesday:** a thunderstorm is possible, with little rain (20%).',
  '',
  '| Day | Chance of rain |',
  '|---|---|',
  '| Tue | 20% |',
  '| Wed | 80% |',
  '',
  'Figures from [Open-Meteo](https://open-meteo.com/); ask again with `hourly` for the hours.',
].join('\n');

const SCHEMES: Array<[string, TabOptions]> = [
  ['light', { colorScheme: 'light' }],
  ['dark', { colorScheme: 'dark' }],
  ['forced colors', { colorScheme: 'dark', forcedColors: 'active' }],
];

describe('the relay\'s pages for people: axe-core clean, by keyboard, and the README\'s picture', SUITE, () => {
  let browser: Browser;
  let fake: FakeOpenAI;
  let weather: FakeWeatherServer;
  let relay: RelayProcess;
  let subscriber: WsPeer;

  before(async () => {
    browser = await launchBrowser();
    fake = await startFakeOpenAI();
    weather = await startFakeWeatherServer({ now: () => FAKE_FORECAST_NOW });
    relay = await spawnRelay(['--quiet']);
    // Someone watching already: the index has a channel to list.
    subscriber = await WsPeer.open(relay.url);
    await subscriber.subscribe(CHANNEL);
    // The pages below replay these from the relay's history.
    await askBoth(relay);
  });
  after(async () => {
    await subscriber?.close();
    await relay?.stop('SIGKILL');
    await browser?.close();
    await weather?.close();
    await fake?.close();
  });

  /** Asks with the command line, as a user does. */
  async function ask(on: RelayProcess, question: string, ...scenarios: Parameters<FakeOpenAI['enqueue']>): Promise<void> {
    fake.enqueue(...scenarios);
    const run = runCli(
      ['ask', question, '--server', on.url, '--channel', CHANNEL, '--api', 'responses', '--base-url', fake.baseUrl, '--model', 'gpt-test', '--forecast-url', weather.forecastUrl, '--geocoding-url', weather.geocodingUrl],
      { env: { OPENAI_API_KEY: 'test' } },
    );
    assert.equal(await run.exit, 0, run.stderr());
  }

  /** Two real turns on the channel: a weather check, and a forecast with a Markdown answer (a list, a table, a link, code). */
  async function askBoth(on: RelayProcess): Promise<void> {
    await ask(on, "What's the weather in Makati?", toolCallReply('get_weather', { location: 'Makati' }), textReply(WEATHER_ANSWER, { delayMs: 5 }));
    await ask(on, 'Will it rain in Tokyo this week?', toolCallReply('get_forecast', { location: 'Tokyo', days: 3 }), textReply(FORECAST_ANSWER, { delayMs: 5 }));
  }

  /** The watch page with both turns shown. */
  async function watching(options: TabOptions, on = relay, turns = () => Promise.resolve()) {
    const tab = await openTab(browser, webOrigin(on), `/watch/${CHANNEL}`, { viewport: { width: 1000, height: 760 }, ...options });
    await tab.waitForConnection('Connected');
    await turns();
    await waitForThreads(tab.page, (threads) => threads.length === 2 && threads.every((thread) => thread.turns[0]?.outcome === 'Completed'), 'both turns, from the relay\'s history');
    await tab.page.locator('.forecast-chart').waitFor();
    return tab;
  }

  for (const [scheme, options] of SCHEMES) {
    test(`${scheme}: the watch page with a weather card, a forecast card and Markdown answers`, async (t) => {
      const tab = await watching(options);
      t.after(() => tab.close());
      assert.deepEqual(await axeViolations(tab.page), []);
      // The forecast's figures as a table, opened.
      await tab.page.locator('button.forecast-data-toggle').first().click();
      assert.deepEqual(await axeViolations(tab.page), [], 'with the Data table open');
      assert.deepEqual(tab.pageErrors, []);
      assert.deepEqual(await tab.violations(), []);
    });

    test(`${scheme}: the channel index, and the token form`, async (t) => {
      const index = await openTab(browser, webOrigin(relay), '/', options);
      t.after(() => index.close());
      await index.page.locator(`.channel-list a:text-is("${CHANNEL}")`).waitFor();
      assert.deepEqual(await axeViolations(index.page), []);
      // A name no channel can have: said in words, by the field.
      await index.page.locator('#channel-name').fill('no spaces here');
      await index.page.locator('.channel-form button[type="submit"]').click();
      await index.page.locator('#channel-problem:not(:empty)').waitFor();
      assert.deepEqual(await axeViolations(index.page), [], 'with the problem shown');

      const protectedRelay = await spawnRelay(['--quiet', '--token', 'a-team-token']);
      stopAtEnd(t, protectedRelay);
      const form = await openTab(browser, webOrigin(protectedRelay), `/watch/${CHANNEL}`, options);
      t.after(() => form.close());
      await form.page.locator('form.token-form:not([hidden]) .token-reason:not(:empty)').waitFor();
      assert.deepEqual(await axeViolations(form.page), []);
      await form.page.locator('form.token-form input[type="password"]').fill('wrong');
      await form.page.locator('form.token-form button[type="submit"]').click();
      await form.page.waitForFunction(() => document.querySelector('.token-reason')?.textContent?.startsWith('The relay refused the token'));
      assert.deepEqual(await axeViolations(form.page), [], 'with the refusal shown');
    });
  }

  test('by keyboard: Tab reaches the way back, the filter, each thread\'s collapse, the cards, the links and Copy, and nothing of a writer\'s', async (t) => {
    const tab = await watching({ colorScheme: 'light' });
    t.after(() => tab.close());
    const { page } = tab;
    const reached: string[] = [];
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      reached.push(
        await page.evaluate(() => {
          const active = document.activeElement as HTMLElement | null;
          if (!active || active === document.body) return '';
          return `${active.tagName.toLowerCase()}:${(active.getAttribute('aria-label') ?? active.textContent ?? '').trim().slice(0, 40)}`;
        }),
      );
    }
    assert.equal(reached[0], 'a:All channels', reached.join(' | '));
    assert.ok(reached.includes('input:Filter threads by text'), reached.join(' | '));
    assert.ok(reached.some((label) => label.startsWith('button:Collapse thread')), reached.join(' | '));
    assert.ok(reached.some((label) => label.startsWith('summary:')), reached.join(' | '));
    assert.ok(reached.includes('button:Copy the answer'), reached.join(' | '));
    assert.ok(reached.includes('a:Open-Meteo'), reached.join(' | '));
    assert.ok(!reached.some((label) => /Stop|Retry|Export|Ask|New Chat/.test(label)), reached.join(' | '));
  });

  test('the README\'s picture: the watch page in the dark scheme, open while the two questions are asked', async (t) => {
    const live = await spawnRelay(['--quiet']);
    stopAtEnd(t, live);
    const tab = await watching({ colorScheme: 'dark', viewport: { width: 960, height: 1030 } }, live, () => askBoth(live));
    t.after(() => tab.close());
    // Both threads in the picture, whole.
    assert.deepEqual(await tab.page.evaluate(() => Array.from(document.querySelectorAll('article.thread'), (thread) => thread.getBoundingClientRect().bottom <= window.innerHeight)), [true, true]);
    await tab.page.evaluate(() => document.fonts.ready);
    const file = join(ensureOutputDir(), 'watch-page.png');
    await tab.page.screenshot({ path: file });
    t.diagnostic(`screenshot: ${file}`);
  });
});
