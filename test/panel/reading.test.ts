/**
 * Reading the Live Activity panel while it streams, in real headless Chromium: the view follows
 * new output only while the reader is at the foot; threads do not move under a reader; threads
 * collapse and the feed filters while answers stream; code blocks have their own Copy button.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { responseCompletedPayload, responseDeltaPayload } from '../../src/protocol';
import { PanelHost, seedPayload, usePanels, type PanelPage } from './harness';

const TIMEOUT = 20_000;

const seed = seedPayload;

/** A paragraph of n numbered lines: enough text to scroll a short panel. */
const lines = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix} line ${i + 1}.`).join('\n\n') + '\n\n';

const scroll = (page: Page) =>
  page.evaluate(() => {
    const scroller = document.querySelector('.feed-scroll')!;
    return { top: scroller.scrollTop, bottomGap: scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight };
  });
const threadOrder = (page: Page) => page.locator('article.thread .thread-title code').allTextContents();
const activeLabel = (page: Page) => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.tagName);

describe('Reading the panel while it streams (Chromium)', () => {
  const panels = usePanels();

  function assertHealthy(panel: PanelPage) {
    assert.deepEqual(panel.pageErrors, [], 'no uncaught errors in the page');
    assert.deepEqual(panel.cspConsoleErrors(), [], 'no CSP errors on the console');
  }

  test('the view follows new output while at the foot; scrolled up, nothing moves, "New activity" takes the reader down', { timeout: TIMEOUT }, async () => {
    const panel = await panels.newPanel({ viewport: { width: 420, height: 400 } });
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    host.store.ingest(seed('thread_a', 'response', lines('Alpha', 30), 'completed'), 'channel');
    host.store.ingest(seed('thread_b', 'response', lines('Beta', 10)), 'channel');
    await host.settle();
    assert.deepEqual(await threadOrder(page), ['thread_a', 'thread_b']);
    const button = page.getByRole('button', { name: 'New activity: scroll to the newest' });

    // Following: every delta keeps the foot in view.
    for (let i = 0; i < 5; i++) {
      host.store.ingest(seed('thread_b', 'response', lines(`More ${i}`, 3)), 'channel');
      await host.settle();
      const at = await scroll(page);
      assert.ok(at.bottomGap <= 1, `at the foot after delta ${i}: ${JSON.stringify(at)}`);
    }
    assert.equal(await button.isVisible(), false);

    // The reader scrolls up into thread_a and reads one line.
    const reading = page.getByText('Alpha line 12.', { exact: true });
    await reading.scrollIntoViewIfNeeded();
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    const before = await reading.boundingBox();
    const scrolledTo = await scroll(page);
    assert.ok(scrolledTo.bottomGap > 100, 'scrolled away from the foot');
    // Both threads get news: thread_b streams on, thread_a (above the reader) gets a new turn.
    for (let i = 0; i < 5; i++) host.store.ingest(seed('thread_b', 'response', lines(`Later ${i}`, 3)), 'channel');
    host.store.ingest(seed('thread_a', 'response', 'A second answer in thread A.'), 'channel');
    await host.settle();
    const after = await reading.boundingBox();
    assert.equal(after?.y, before?.y, 'the line being read did not move');
    assert.equal((await scroll(page)).top, scrolledTo.top);
    assert.deepEqual(await threadOrder(page), ['thread_a', 'thread_b'], 'no thread moved under the reader');
    assert.equal(await button.isVisible(), true, 'the way down is offered');

    // By keyboard: the button, then Enter.
    await button.focus();
    await page.keyboard.press('Enter');
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    assert.deepEqual(await threadOrder(page), ['thread_b', 'thread_a'], 'the thread with the newest activity is now at the foot');
    assert.ok((await scroll(page)).bottomGap <= 1, 'at the foot');
    assert.equal(await button.isVisible(), false);
    assert.equal(await activeLabel(page), 'Thread thread_a', 'focus went with the reader to the newest thread, not to <body>');
    // Following again.
    host.store.ingest(seed('thread_a', 'response', lines(' And more', 6)), 'channel');
    await host.settle();
    assert.ok((await scroll(page)).bottomGap <= 1);
    assertHealthy(panel);
  });

  test('a feed that shrinks under a reader at the foot (cleared) is still followed', { timeout: TIMEOUT }, async () => {
    const panel = await panels.newPanel({ viewport: { width: 420, height: 400 } });
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    host.store.ingest(seed('thread_a', 'response', lines('Alpha', 30), 'completed'), 'channel');
    await host.settle();
    const first = await scroll(page);
    assert.ok(first.top > 200 && first.bottomGap <= 1, `followed to the foot of a long feed: ${JSON.stringify(first)}`);
    // Cleared: the feed is empty, its scroll position drops to 0 by itself.
    host.store.clear();
    await host.settle();
    for (let i = 0; i < 3; i++) {
      host.store.ingest(seed('thread_b', 'response', lines(`Beta ${i}`, 8)), 'channel');
      await host.settle();
      assert.ok((await scroll(page)).bottomGap <= 1, `still following after the clear, delta ${i}: ${JSON.stringify(await scroll(page))}`);
    }
    assert.equal(await page.getByRole('button', { name: 'New activity: scroll to the newest' }).isVisible(), false);
    assertHealthy(panel);
  });

  test('a thread collapses and expands by keyboard, keeps streaming while collapsed, and stays collapsed after a reload', { timeout: TIMEOUT }, async () => {
    const panel = await panels.newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    host.store.ingest(seed('thread_c', 'response', 'First answer.', 'completed'), 'channel');
    host.store.ingest(seed('thread_c', 'response', 'Second answer streams'), 'channel');
    await host.settle();
    const thread = page.getByRole('article', { name: 'Thread thread_c' });
    const toggle = thread.getByRole('button', { name: 'Collapse thread thread_c' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    await toggle.focus();
    await page.keyboard.press('Enter');
    const expand = thread.getByRole('button', { name: 'Expand thread thread_c' });
    assert.equal(await expand.getAttribute('aria-expanded'), 'false');
    assert.equal(await activeLabel(page), 'Expand thread thread_c', 'focus stays on the toggle');
    assert.equal(await thread.locator('.turn').first().isVisible(), false);
    assert.equal(await thread.locator('.collapsed-note').textContent(), '2 turns · working…');
    // Streaming goes on while collapsed; the note follows the turn's end.
    host.store.ingest(seed('thread_c', 'response', ' and ends.'), 'channel');
    host.store.ingest(seed('thread_c', 'response', 'Second answer streams and ends.', 'completed'), 'channel');
    await host.settle();
    assert.equal(await thread.locator('.collapsed-note').textContent(), '2 turns');
    await host.reload();
    assert.equal(await thread.getByRole('button', { name: 'Expand thread thread_c' }).getAttribute('aria-expanded'), 'false', 'still collapsed after a reload');
    await thread.getByRole('button', { name: 'Expand thread thread_c' }).press('Space');
    assert.equal((await thread.locator('.turn').nth(1).locator('.answer').textContent())?.trim(), 'Second answer streams and ends.');
    assert.equal(await thread.locator('.collapsed-note').isVisible(), false);
    assertHealthy(panel);
  });

  test('the feed filters by origin and by text while answers stream; the filter says what it hides and survives a reload', { timeout: TIMEOUT }, async () => {
    const panel = await panels.newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    host.store.startLocalTurn('thread_mine', 'Rain in Bergen?');
    host.store.ingest(responseDeltaPayload('thread_mine', 'Yes, in Bergen it rains.', { id: 'm1' }), 'local');
    host.store.ingest(seed('thread_oslo', 'response', 'Snow in Oslo.', 'completed'), 'channel');
    host.store.ingest(seed('thread_rome', 'response', 'Sun in Rome', 'started'), 'channel');
    await host.settle();
    const shown = async () => (await page.locator('article.thread:visible .thread-title code').allTextContents()).sort();
    const status = page.locator('#feed-filter-status');
    assert.deepEqual(await shown(), ['thread_mine', 'thread_oslo', 'thread_rome']);

    await page.getByRole('combobox', { name: 'Show threads from' }).selectOption('local');
    assert.deepEqual(await shown(), ['thread_mine']);
    assert.equal(await status.textContent(), '1 of 3 threads shown');
    await page.getByRole('combobox', { name: 'Show threads from' }).selectOption('remote');
    assert.deepEqual(await shown(), ['thread_oslo', 'thread_rome']);

    await page.getByRole('combobox', { name: 'Show threads from' }).selectOption('all');
    const search = page.getByRole('searchbox', { name: 'Filter threads by text' });
    await search.fill('oslo');
    assert.deepEqual(await shown(), ['thread_oslo'], 'case does not matter');
    // A streaming answer that comes to mention Oslo joins the results as it streams.
    host.store.ingest(seed('thread_rome', 'response', ', warmer than Oslo.'), 'channel');
    await host.settle();
    assert.deepEqual(await shown(), ['thread_oslo', 'thread_rome']);
    // A new thread that does not match is counted, not shown.
    host.store.ingest(seed('thread_new', 'response', 'Fog in Lima.'), 'channel');
    await host.settle();
    assert.deepEqual(await shown(), ['thread_oslo', 'thread_rome']);
    assert.equal(await status.textContent(), '2 of 4 threads shown');
    // Button labels are not what a thread says: "Export" finds nothing.
    await search.fill('export');
    assert.equal(await status.textContent(), 'No thread matches the filter');
    await search.fill('bergen');
    assert.deepEqual(await shown(), ['thread_mine'], 'the question is searched too');

    await host.reload();
    assert.equal(await page.getByRole('searchbox', { name: 'Filter threads by text' }).inputValue(), 'bergen', 'the filter survives a reload');
    assert.deepEqual(await shown(), ['thread_mine']);
    // Escape empties the search.
    await page.getByRole('searchbox', { name: 'Filter threads by text' }).press('Escape');
    assert.deepEqual(await shown(), ['thread_mine', 'thread_new', 'thread_oslo', 'thread_rome']);
    assert.equal(await status.textContent(), '');
    assertHealthy(panel);
  });

  test('each code block has a Copy button that sends its code to the host; focus survives re-rendering while the answer streams', { timeout: TIMEOUT }, async () => {
    const panel = await panels.newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    host.store.startLocalTurn('thread_code', 'How do I run the tests?');
    const answer = 'Run this:\n\n```sh\nnpm test\n```\n\nOr only the panel:\n\n```\nnode --test out/test/panel\n```\n';
    host.store.ingest(responseDeltaPayload('thread_code', answer, { id: 'c1' }), 'local');
    await host.settle();
    const copies = page.getByRole('button', { name: 'Copy code' });
    assert.equal(await copies.count(), 2);
    await copies.nth(0).click();
    // The second block is in the streaming tail (no blank line after it yet): it is re-rendered with every delta.
    await copies.nth(1).focus();
    host.store.ingest(responseDeltaPayload('thread_code', 'More', { id: 'c2' }), 'local');
    await host.settle();
    host.store.ingest(responseDeltaPayload('thread_code', ' text.', { id: 'c3' }), 'local');
    await host.settle();
    const focusedCode = () => page.evaluate(() => document.activeElement?.closest('.code-block')?.querySelector('pre')?.textContent);
    assert.equal(await focusedCode(), 'node --test out/test/panel\n', 'focus is back on the same block\'s button');
    await page.keyboard.press('Enter');
    assert.equal(await page.locator('.code-copy', { hasText: 'Copied' }).count(), 1, 'the button says it copied');
    host.store.ingest(responseCompletedPayload('thread_code', `${answer}More text.`, { id: 'c4' }), 'local');
    await host.settle();
    assert.equal(await focusedCode(), 'node --test out/test/panel\n', 'and again once the answer is rendered whole');
    const posted = (await panel.posted()).filter((message) => message.kind === 'copyCode');
    assert.deepEqual(posted, [
      { kind: 'copyCode', text: 'npm test' },
      { kind: 'copyCode', text: 'node --test out/test/panel' },
    ]);
    // The focused Stop button gives way to Copy when the turn ends, not to <body>.
    host.store.startLocalTurn('thread_code', 'And lint?');
    host.store.ingest(responseDeltaPayload('thread_code', 'npm run lint', { id: 'c5' }), 'local');
    await host.settle();
    await page.getByRole('button', { name: 'Stop this turn' }).focus();
    host.store.ingest(responseCompletedPayload('thread_code', 'npm run lint', { id: 'c6' }), 'local');
    await host.settle();
    assert.equal(await activeLabel(page), 'Copy the answer');
    assertHealthy(panel);
  });
});
