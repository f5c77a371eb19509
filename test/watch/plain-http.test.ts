/**
 * The watch page as a team reaches it: a relay on plain http:// under a host name, which the
 * browser does not count as a secure context (only https:// and this machine are). There the
 * page has no asynchronous clipboard, so Copy must go through a selection; and nothing else the
 * page needs may be secure-context only. Chromium resolves the name `relay.test` to 127.0.0.1
 * (--host-resolver-rules): every byte still stays on loopback.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../panel/harness';
import { spawnRelay } from '../support/relay-process';
import { WsPeer } from '../support/ws-peer';
import { CHANNEL, openTab, stopAtEnd, waitForThreads } from './harness';

const HOST = 'relay.test';
const ANSWER = 'Copied **over plain http**: `7 °C` in Oslo.';

let browser: Browser;
before(async () => {
  browser = await launchBrowser([`--host-resolver-rules=MAP ${HOST} 127.0.0.1`]);
});
after(() => browser?.close());

describe('the watch page on plain http:// under a host name (not a secure context)', { timeout: 60_000 }, () => {
  test('it connects, shows the turn, and Copy still puts the answer on the clipboard', async (t) => {
    const relay = await spawnRelay(['--quiet']);
    stopAtEnd(t, relay);
    const origin = `http://${HOST}:${relay.port}`;
    const page = await openTab(browser, origin, `/watch/${CHANNEL}`);
    t.after(() => page.close());
    await page.waitForConnection('Connected');
    assert.equal(await page.page.evaluate(() => window.isSecureContext), false, 'an insecure context, as a team network gives');
    assert.equal(await page.page.evaluate(() => location.origin), origin);
    assert.deepEqual(page.sockets, [`ws://${HOST}:${relay.port}/`], 'the socket goes to the address the page was served from');

    const publisher = await WsPeer.open(relay.url);
    t.after(() => publisher.close());
    publisher.send({ type: CHANNEL, payload: { message: ANSWER, status: 'completed', type: 'response', timestamp: 1_700_000_000, thread_id: 'thread_plain_http' } });
    await waitForThreads(page.page, (threads) => threads[0]?.turns[0]?.outcome === 'Completed' && threads[0].turns[0].answer !== undefined, 'the published answer');

    await page.page.locator('.outcome button', { hasText: 'Copy' }).click();
    await page.page.locator('.watch-said', { hasText: 'Answer copied.' }).waitFor();
    // The clipboard is the browser's: read it from a page that may (a secure origin, granted).
    const reader = await page.context.newPage();
    const secureOrigin = `http://127.0.0.1:${relay.port}`;
    await page.context.grantPermissions(['clipboard-read'], { origin: secureOrigin });
    await reader.goto(`${secureOrigin}/`);
    assert.equal(await reader.evaluate(() => navigator.clipboard.readText()), ANSWER, 'the answer, as Markdown');
    await reader.close();

    assert.deepEqual(page.pageErrors, []);
    assert.deepEqual(await page.violations(), []);
    assert.deepEqual(page.consoleMessages.filter((message) => message.type === 'error'), []);
  });
});
