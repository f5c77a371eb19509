/**
 * Hostile publishers against the watch page: the panel's XSS and data-leak corpus, published
 * on the channel through the real relay in every field a message can fill, stays inert text
 * in the page the relay serves, under the relay's CSP: no script runs, nothing is fetched, no
 * request leaves except to the relay, no dialog, no navigation. Links open only http(s) and
 * mail, in a new tab that cannot reach back to the page and is told nothing of where it came from.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../panel/harness';
import { assertPlantedCaught, corpus, forecastFor, inspectDom, reportFor, type Payload } from '../panel/xss-corpus';
import { spawnRelay, type RelayProcess } from '../support/relay-process';
import { WsPeer } from '../support/ws-peer';
import { CHANNEL, openTab, watchShape, webOrigin, type WatchTab } from './harness';

const SUITE = { timeout: 180_000 };

describe('hostile publishers: the XSS corpus on the channel stays inert on the watch page', SUITE, () => {
  let browser: Browser;
  let relay: RelayProcess;
  let origin: string;
  let tab: WatchTab;
  let publisher: WsPeer;
  let payloads: Payload[];

  before(async () => {
    browser = await launchBrowser();
    relay = await spawnRelay(['--quiet', '--rate', '100000', '--burst', '100000', '--high-water', String(64 * 1024 * 1024)]);
    origin = webOrigin(relay);
    tab = await openTab(browser, origin, `/watch/${CHANNEL}`, { viewport: { width: 900, height: 900 } });
    await tab.waitForConnection('Connected');
    publisher = await WsPeer.open(relay.url);
    payloads = corpus(origin);
  });
  after(async () => {
    await publisher?.close();
    await tab?.close();
    await browser?.close();
    await relay?.stop('SIGKILL');
  });

  const publish = (threadId: string, event: { message: string; status?: string; type: string }) =>
    publisher.send({ type: CHANNEL, payload: { ...event, timestamp: 1_700_000_000, thread_id: threadId } });

  /** Turns the page has ended (completed or failed). */
  const endedTurns = (count: number) =>
    tab.page.waitForFunction((n) => document.querySelectorAll('.turn[data-status="completed"], .turn[data-status="error"]').length >= n, count, { timeout: 30_000 });

  async function assertInert(stage: string): Promise<void> {
    await sleep(300); // time for any onerror / onload / ontoggle / autofocus to fire
    const { page } = tab;
    assert.deepEqual(await inspectDom(page, watchShape()), [], `${stage}: nothing active in the DOM`);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, `${stage}: no payload ran`);
    assert.deepEqual(tab.dialogs, [], `${stage}: no dialog`);
    assert.deepEqual(tab.pageErrors, [], `${stage}: no page errors`);
    assert.deepEqual(await tab.violations(), [], `${stage}: nothing even tried what the CSP forbids`);
    assert.deepEqual(tab.requestUrls.filter((url) => !url.startsWith(`${origin}/`) && !url.startsWith(`${relay.url}/`)), [], `${stage}: no request left for anywhere but the relay`);
    assert.deepEqual(tab.requestUrls.filter((url) => url.includes('/leak')), [], `${stage}: nothing was fetched`);
    assert.equal(page.url(), `${origin}/watch/${CHANNEL}`, `${stage}: no navigation`);
    assert.equal(tab.context.pages().length, 1, `${stage}: no new window`);
  }

  test('the corpus is the panel\'s, and big enough', () => {
    assert.ok(payloads.length >= 30, `${payloads.length} payloads`);
  });

  test('in tool messages, weather and forecast results, streamed answers, completions, errors and thread ids', async () => {
    let turns = 0;
    for (const [index, payload] of payloads.entries()) {
      // Thread ids are cut short here (the panel's suite covers full-length ones): a thousand deltas each carrying a 48 kB id would rightly cross the relay's outbound limit.
      const threadId = `x${index}:${payload.text.slice(0, 200)}`;
      const text = payload.text;
      publish(threadId, { message: text, status: 'started', type: 'tool' });
      publish(threadId, { message: JSON.stringify(reportFor(text)), status: 'tool_executed', type: 'tool' });
      publish(threadId, { message: 'Executing weather forecast for x', status: 'started', type: 'tool' });
      publish(threadId, { message: JSON.stringify(forecastFor(text)), status: 'tool_executed', type: 'tool' });
      const answer = `Answer ${index}: ${payload.markdown ?? text}\n`;
      for (let at = 0; at < answer.length; at += 400) publish(threadId, { message: answer.slice(at, at + 400), type: 'response' });
      publish(threadId, { message: index % 2 === 0 ? `Completed ${index}: ${text}` : text, status: index % 2 === 0 ? 'completed' : 'error', type: 'response' });
      turns++;
      // A few at a time, so a slow frame never holds the relay's outbound queue long.
      if (index % 5 === 4) await endedTurns(turns);
    }
    await endedTurns(turns);
    await assertInert('the whole corpus');
    const shown = await tab.page.evaluate(() => ({
      threads: document.querySelectorAll('article.thread').length,
      tools: document.querySelectorAll('details.tool').length,
      hostileShown: Array.from(document.querySelectorAll('.tool-message'), (element) => element.textContent ?? '').filter((text) => text === '<script>window.__pwned=1</script>').length,
    }));
    assert.equal(shown.threads, payloads.length, 'one thread per payload: nothing swallowed, nothing merged');
    assert.equal(shown.tools, payloads.length * 2);
    assert.equal(shown.hostileShown, 1, 'a hostile tool message is shown, as text');
  });

  test('every link in every answer is a web or mail address that opens in a new tab, without opener or referrer', async () => {
    const anchors = await tab.page.locator('.answer a').evaluateAll((all) => all.map((anchor) => ({ href: anchor.getAttribute('href'), target: anchor.getAttribute('target'), rel: anchor.getAttribute('rel') })));
    // A link to anything else has lost its address to the sanitizer: it is text that looks like a link, and goes nowhere.
    for (const dead of anchors.filter((anchor) => anchor.href === null)) assert.deepEqual(dead, { href: null, target: null, rel: null });
    const links = anchors.filter((anchor): anchor is { href: string; target: string | null; rel: string | null } => anchor.href !== null);
    assert.ok(links.length >= 3, `${links.length} links rendered`);
    assert.ok(anchors.length > links.length, 'the corpus has links the sanitizer emptied');
    for (const link of links) {
      assert.match(link.href, /^(https?:|mailto:)/i, link.href);
      assert.deepEqual([link.target, link.rel], ['_blank', 'noopener noreferrer'], link.href);
    }

    // One safe link, followed: a new tab opens it, which cannot reach back and is not told where it came from.
    const { context, page } = tab;
    const referers: Array<string | undefined> = [];
    await context.route('https://weather.example/**', async (route) => {
      referers.push(route.request().headers().referer);
      await route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>forecast</title>' });
    });
    publish('links', { message: 'See the [full forecast](https://weather.example/tokyo).', status: 'completed', type: 'response' });
    const link = page.locator('.answer a[href="https://weather.example/tokyo"]');
    await link.waitFor();
    const opened = context.waitForEvent('page');
    await link.click();
    const next = await opened;
    await next.waitForLoadState();
    assert.equal(next.url(), 'https://weather.example/tokyo');
    assert.equal(await next.evaluate(() => window.opener), null, 'the new tab cannot reach the page');
    assert.deepEqual(referers, [undefined], 'no referrer');
    assert.equal(page.url(), `${origin}/watch/${CHANNEL}`, 'the page itself stays');
    await next.close();
    await context.unroute('https://weather.example/**');
  });

  test('control: the checks do catch an active element, and the relay\'s CSP refuses it', async () => {
    const { page } = tab;
    await assertPlantedCaught(page, `${origin}/leak?control`, watchShape());
    assert.equal(await page.evaluate(() => window.__pwned), undefined, 'the inline handler was refused');
    const directives = (await tab.violations()).map((violation) => violation.directive);
    assert.ok(directives.includes('script-src-attr'), directives.join());
    await page.evaluate(() => document.getElementById('control')!.remove());
  });
});
