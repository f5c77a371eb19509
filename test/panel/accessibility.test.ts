/**
 * axe-core (WCAG 2.0/2.1 A and AA) on panel states the real-VS Code suite does not reach:
 * the welcome (with and without a model), and a feed being read while it streams (filter
 * on, a thread collapsed, "New activity" offered, a queued question). The real VS Code suite
 * (test/vscode/suite/accessibility.test.ts) covers the themes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { axeViolations } from './axe';
import { DEFAULT_HEADER, PanelHost, realisticWeather, seedPayload as seed, usePanels } from './harness';

const TIMEOUT = 30_000;

describe('Live Activity panel under axe-core in Chromium', () => {
  const panels = usePanels();

  test('the welcome, with no model and an unreachable relay, then with both: no violations', { timeout: TIMEOUT }, async () => {
    const panel = await panels.newPanel();
    const host = new PanelHost(panel, { ...DEFAULT_HEADER, hasApiKey: false, connection: 'offline', problem: 'connect ECONNREFUSED 127.0.0.1:4000' });
    await host.connect();
    assert.equal(await panel.page.locator('.welcome-steps > li').count(), 4);
    assert.deepEqual(await axeViolations(panel.page), []);
    host.setHeader({ ...DEFAULT_HEADER, model: 'llama3.2 at http://localhost:11434/v1', connection: 'embedded' });
    await host.settle();
    assert.deepEqual(await axeViolations(panel.page), []);
  });

  test('a feed being read: filter on, a thread collapsed, "New activity" offered, a question queued: no violations', { timeout: TIMEOUT }, async () => {
    const panel = await panels.newPanel({ viewport: { width: 420, height: 360 } });
    const { page } = panel;
    const host = new PanelHost(panel, { ...DEFAULT_HEADER, busy: true, queued: ['And tomorrow?'] });
    await host.connect();
    host.store.ingest(seed('thread_tokyo', 'tool', 'Executing weather check for Tokyo', 'started'), 'channel');
    host.store.ingest(seed('thread_tokyo', 'tool', realisticWeather('Tokyo, Japan'), 'tool_executed'), 'channel');
    host.store.ingest(seed('thread_tokyo', 'response', 'Mild in **Tokyo**; see [the forecast](https://example.com/tokyo).\n\n```\n18 °C\n```\n', 'completed'), 'channel');
    host.store.startLocalTurn('thread_mine', 'Rain in Bergen?');
    host.store.ingest(seed('thread_mine', 'response', Array.from({ length: 20 }, (_, i) => `Bergen line ${i}.`).join('\n\n')), 'channel');
    await host.settle();
    await page.getByRole('button', { name: 'Collapse thread thread_tokyo' }).click();
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(done)));
    host.store.ingest(seed('thread_mine', 'response', ' More.'), 'channel');
    await host.settle();
    assert.equal(await page.getByRole('button', { name: 'New activity: scroll to the newest' }).isVisible(), true);
    await page.getByRole('searchbox', { name: 'Filter threads by text' }).fill('bergen');
    assert.deepEqual(await axeViolations(page), []);
  });
});
