/**
 * The relay's front page in a cluster: two relays on one real redis-server, as behind HAProxy.
 * The page on either node lists the channels watched on both, with the subscribers summed;
 * with Redis gone it still lists its own node's and says the list is incomplete. Headless
 * Chromium against the real relay (dist/relay.js); run `npm run build` first.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser } from '../panel/harness';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { spawnRelay, type RelayProcess } from '../support/relay-process';
import { WsPeer } from '../support/ws-peer';
import { openTab, stopAtEnd, webOrigin } from './harness';

let browser: Browser;
let redis: RedisServer;
before(async () => {
  [browser, redis] = await Promise.all([launchBrowser(), startRedisServer()]);
});
after(async () => {
  await browser?.close();
  await redis?.stop();
});

describe('the front page of a cluster', { timeout: 60_000 }, () => {
  test("either node lists both nodes' channels, summed; without Redis, its own and a sentence saying so", async (t) => {
    const nodes: RelayProcess[] = [];
    for (let i = 0; i < 2; i++) {
      const node = await spawnRelay(['--quiet', '--redis', redis.url]);
      stopAtEnd(t, node);
      nodes.push(node);
    }
    const [a, b] = nodes;
    const watchers = [await WsPeer.open(a.url), await WsPeer.open(b.url), await WsPeer.open(b.url)];
    t.after(() => Promise.all(watchers.map((peer) => peer.close())));
    await watchers[0].subscribe('weather-update');
    await watchers[1].subscribe('weather-update');
    await watchers[2].subscribe('team.ops');
    const expected = ['team.ops · 1 subscriber', 'weather-update · 2 subscribers'];

    for (const node of nodes) {
      const tab = await openTab(browser, webOrigin(node), '/');
      t.after(() => tab.close());
      // The census is written every 2 s: Refresh until both nodes' channels are there (bounded).
      let shown: string[] = [];
      for (let attempt = 0; attempt < 40; attempt++) {
        await tab.page.locator('.channels-status:not(:text-is("Asking the relay for its channels…"))').waitFor();
        shown = await tab.page.locator('.channel-list li').allTextContents();
        if (JSON.stringify(shown) === JSON.stringify(expected)) break;
        await tab.page.waitForTimeout(250);
        await tab.page.getByRole('button', { name: 'Refresh' }).click();
      }
      assert.deepEqual(shown, expected, `the page served by the node on port ${node.port}`);
      assert.equal(await tab.page.locator('.channels-status').textContent(), '2 channels with subscribers.');
    }

    await redis.kill();
    try {
      const tab = await openTab(browser, webOrigin(a), '/');
      t.after(() => tab.close());
      const status = tab.page.locator('.channels-status');
      await tab.page.locator('.channels-status:not(:text-is("Asking the relay for its channels…"))').waitFor();
      assert.match((await status.textContent()) ?? '', /^1 channel with subscribers\. Only this node's channels are listed: the other nodes' could not be read from Redis just now\.$/);
      assert.deepEqual(await tab.page.locator('.channel-list li').allTextContents(), ['weather-update · 1 subscriber'], "node a's own channel, exactly");
      assert.deepEqual(tab.pageErrors, []);
    } finally {
      await redis.start();
    }
  });
});
