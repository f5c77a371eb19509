/**
 * The watch page on a protected relay: the token is asked for once, with a form, kept in the
 * tab's session storage and nowhere else (never in an address, a request line or the
 * console), offered to the WebSocket as a subprotocol; a wrong token, a channel the token does
 * not grant and a token that expires while watching each say so in one sentence, with a way to
 * enter another. Against the real relay (dist/relay.js) in headless Chromium.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { mintToken } from '../../src/relay/auth/mint-token';
import { launchBrowser } from '../panel/harness';
import { delay } from '../support/wait';
import { WsPeer } from '../support/ws-peer';
import { CHANNEL, relayWithTab, waitForThreads, webOrigin, type WatchTab } from './harness';

const SECRET = 'a-secret-for-the-watch-page-tests-32b!!';
const SUITE = { timeout: 120_000 };

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(() => browser?.close());

const token = (subscribe: string[], publish: string[] = [], ttlSeconds = 600) => mintToken({ secret: SECRET, sub: 'watcher', subscribe, publish, ttlSeconds });

/** Types into the shown token form and sends it. */
async function enterToken(page: Page, value: string): Promise<void> {
  const form = page.locator('form.token-form:not([hidden])');
  await form.locator('input[type="password"]').fill(value);
  await form.locator('button[type="submit"]').click();
}

function headerOf(headers: Record<string, string>, name: string): string {
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1] ?? '';
}

const reason = (page: Page) => page.locator('form.token-form:not([hidden]) .token-reason').textContent();

/** Waits for the token form to say `text` (a RegExp: to match it). */
async function waitForReason(page: Page, text: string | RegExp): Promise<string> {
  await page.waitForFunction(
    ({ source, flags, exact }) => {
      const shown = document.querySelector('form.token-form:not([hidden]) .token-reason')?.textContent ?? '';
      return exact !== undefined ? shown === exact : new RegExp(source, flags).test(shown);
    },
    typeof text === 'string' ? { source: '', flags: '', exact: text } : { source: text.source, flags: text.flags, exact: undefined },
  );
  return (await reason(page)) ?? '';
}

/** The token must be in the tab's session storage and nowhere a page could leak it from. */
async function assertTokenKeptInTab(tab: WatchTab, secret: string): Promise<void> {
  const stored = await tab.page.evaluate(() => ({ session: Object.values(sessionStorage), local: Object.keys(localStorage).length, cookies: document.cookie, url: location.href }));
  assert.ok(stored.session.includes(secret), 'kept in the tab\'s session storage');
  assert.equal(stored.local, 0, 'nothing in local storage');
  assert.equal(stored.cookies, '');
  assert.ok(!stored.url.includes(secret));
  assert.deepEqual(tab.requestUrls.filter((url) => url.includes(secret) || url.includes(encodeURIComponent(secret)) || /[?&]token=/.test(url)), [], 'never in an address');
  assert.deepEqual(tab.consoleMessages.filter((message) => message.text.includes(secret)), [], 'never in the console');
}

describe('the watch page on a protected relay', SUITE, () => {
  test('the index asks for the token once, lists only the channels it grants, and the watch page needs no second asking', async (t) => {
    const { relay, tab, page } = await relayWithTab(t, browser, ['--jwt-secret', SECRET], '/');
    const everything = await token(['*'], ['*']);
    const subscribers: WsPeer[] = [];
    for (const channel of [CHANNEL, 'team.ops', 'secret']) {
      const peer = await WsPeer.open(relay.url, { headers: { authorization: `Bearer ${everything}` } });
      t.after(() => peer.close());
      await peer.subscribe(channel);
      subscribers.push(peer);
    }
    assert.equal(await waitForReason(page, 'This relay needs a token to list and watch its channels.'), 'This relay needs a token to list and watch its channels.');
    assert.equal(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.type), 'password', 'the field has focus');
    assert.equal(tab.dialogs.length, 0, 'a form, not prompt()');

    await enterToken(page, 'not-a-token');
    assert.match(await waitForReason(page, /^The relay refused the token: ./), /^The relay refused the token: [^\n]+\.$/);

    const granted = await token([CHANNEL, 'team.*'], [CHANNEL]);
    await enterToken(page, granted);
    await page.waitForSelector('.channel-list:not([hidden]) a');
    assert.deepEqual(await page.locator('.channel-list li').allTextContents(), [`${CHANNEL} · 1 subscriber`, 'team.ops · 1 subscriber'].sort());
    assert.deepEqual(await page.locator('.channel-list a').evaluateAll((links) => links.map((link) => link.getAttribute('href'))), [`/watch/${CHANNEL}`, '/watch/team.ops'].sort());
    assert.equal(await page.locator('form.token-form').isHidden(), true);

    await page.locator(`.channel-list a:text-is("${CHANNEL}")`).click();
    await page.waitForURL(`${webOrigin(relay)}/watch/${CHANNEL}`);
    await tab.waitForConnection('Connected');
    assert.equal(await page.locator('form.token-form').isHidden(), true, 'not asked again');
    subscribers[0].send({ type: CHANNEL, payload: { message: 'Protected, and shown.', status: 'completed', type: 'response', timestamp: 1_700_000_000, thread_id: 'thread_protected' } });
    await waitForThreads(page, (threads) => threads[0]?.turns[0]?.answer === 'Protected, and shown.', 'a message published on the channel');
    await assertTokenKeptInTab(tab, granted);
    assert.equal(tab.sockets.length, 1);
    assert.deepEqual(tab.pageErrors, []);
    assert.deepEqual(await tab.violations(), []);
  });

  test('a token for other channels: the page says it may not watch this one, and takes another token', async (t) => {
    const { tab, page } = await relayWithTab(t, browser, ['--jwt-secret', SECRET], '/watch/secret');
    await waitForReason(page, 'This relay needs a token to watch channel secret.');
    await tab.waitForConnection('Offline', 2000); // the header is drawn on the next frame, after the form
    const otherToken = page.getByRole('button', { name: 'Use another token' });
    assert.equal(await otherToken.isHidden(), true, 'no "Use another token" beside the open form');

    await enterToken(page, 'wrong');
    assert.match(await waitForReason(page, /^The relay refused the token/), /^The relay refused the token: [^\n]+\.$/);
    await enterToken(page, await token([CHANNEL]));
    assert.equal(
      await waitForReason(page, /may not watch/),
      'This token may not watch channel secret. Enter another token, or watch another channel.',
    );
    await tab.waitForConnection('Offline', 2000); // the header is drawn on the next frame, after the form
    assert.equal(tab.sockets.length, 0, 'no connection was even tried');
    assert.equal(await page.locator('header nav a[href="/"]').textContent(), 'All channels', 'the way to another channel');

    const allowed = await token(['secret']);
    await enterToken(page, allowed);
    await tab.waitForConnection('Connected');
    assert.equal(await page.locator('form.token-form').isHidden(), true);
    assert.equal(await otherToken.isVisible(), true, 'the way to another token, once the form is closed');
    await assertTokenKeptInTab(tab, allowed);
  });

  test('a token that expires while the page watches: the relay closes the connection, the page says why and waits for another token', async (t) => {
    const { tab, page } = await relayWithTab(t, browser, ['--jwt-secret', SECRET], `/watch/${CHANNEL}`);
    await waitForReason(page, `This relay needs a token to watch channel ${CHANNEL}.`);
    await enterToken(page, await token([CHANNEL], [], 3));
    await tab.waitForConnection('Connected');
    assert.equal(await waitForReason(page, 'The relay closed the connection: the token expired.'), 'The relay closed the connection: the token expired.');
    await tab.waitForConnection('Offline', 2000); // the header is drawn on the next frame, after the form
    await delay(1500);
    assert.equal(tab.sockets.length, 1, 'no retry with a token that cannot work');
    assert.equal(await page.evaluate(() => Object.keys(sessionStorage).some((key) => key.includes('token'))), false, 'the dead token is forgotten');

    await enterToken(page, await token([CHANNEL]));
    await tab.waitForConnection('Connected');
  });

  test("the relay's shared --token: offered as a subprotocol, never in the address; a reload does not ask again", async (t) => {
    const shared = 'shared-team-token-for-the-watch-page';
    const { relay, tab, page } = await relayWithTab(t, browser, ['--token', shared], `/watch/${CHANNEL}`);
    await waitForReason(page, `This relay needs a token to watch channel ${CHANNEL}.`);
    await enterToken(page, shared);
    await tab.waitForConnection('Connected');
    // What the browser itself sent and got in the upgrade, as DevTools sees it.
    const cdp = await tab.context.newCDPSession(page);
    const offered: string[] = [];
    const selected: string[] = [];
    cdp.on('Network.webSocketWillSendHandshakeRequest', (event) => offered.push(headerOf(event.request.headers, 'sec-websocket-protocol')));
    cdp.on('Network.webSocketHandshakeResponseReceived', (event) => selected.push(headerOf(event.response.headers, 'sec-websocket-protocol')));
    await cdp.send('Network.enable');
    await page.reload();
    await tab.waitForConnection('Connected');
    assert.equal(await page.locator('form.token-form').isHidden(), true, 'asked once per tab');
    assert.deepEqual(offered, [`weather-relay, weather-relay.bearer.${Buffer.from(shared).toString('base64url')}`]);
    assert.deepEqual(selected, ['weather-relay'], 'the relay never echoes the token');
    assert.equal(tab.sockets.length, 2);
    assert.ok(tab.sockets.every((url) => url === `${relay.url}/`), tab.sockets.join(', '));
    await assertTokenKeptInTab(tab, shared);
  });
});
