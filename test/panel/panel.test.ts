/**
 * The Live Activity panel in real headless Chromium, under the webview's CSP, driven by
 * the real ActivityStore and PanelBatcher. See harness.ts.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import MarkdownIt from 'markdown-it';
import type { Page } from 'playwright-core';
import { MAX_TAIL_LENGTH } from '../../src/panel/markdown';
import { MAX_TEXT_NODE_LENGTH } from '../../src/panel/text-runs';
import {
  responseCompletedPayload,
  responseDeltaPayload,
  toolExecutedPayload,
  toolStartedPayload,
  turnFailedPayload,
  turnNoticePayload,
  TEXT_LIMITS,
  type ChannelPayload,
} from '../../src/protocol';
import {
  DEFAULT_HEADER,
  seedPayload,
  PanelHost,
  ensureOutputDir,
  realisticWeather,
  splitIntoDeltas,
  usePanels,
  type PanelPage,
} from './harness';

const TIMEOUT = 20_000;

const seed = seedPayload;

function clock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

/** Tag structure, link targets and text of rendered markdown, ignoring wrapper divs and whitespace. */
function signatureOf(page: Page, target: { selector: string } | { html: string }): Promise<string[]> {
  return page.evaluate((target) => {
    let root: Element;
    // (The oracle's table alignment styles would be CSP violations of the test's own making.)
    if ('html' in target) root = new DOMParser().parseFromString(`<body>${target.html.replace(/ style="[^"]*"/g, '')}</body>`, 'text/html').body;
    else root = document.querySelector(target.selector)!;
    const out: string[] = [];
    const walk = (node: Node) => {
      for (const child of Array.from(node.childNodes)) {
        if (child.nodeType === Node.TEXT_NODE) {
          const text = (child.textContent ?? '').replace(/\s+/g, ' ').trim();
          if (text) out.push(JSON.stringify(text));
        } else if (child.nodeType === Node.ELEMENT_NODE) {
          const element = child as Element;
          const tag = element.tagName.toLowerCase();
          // The panel's own Copy buttons on code blocks are not part of the answer.
          if (element.classList.contains('code-copy')) continue;
          if (tag === 'div') {
            walk(element);
            continue;
          }
          const href = element.getAttribute('href');
          out.push(`<${tag}${href !== null ? ` href=${href}` : ''}>`);
          walk(element);
          out.push(`</${tag}>`);
        }
      }
    };
    walk(root);
    return out;
  }, target);
}

const markdownOracle = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });

const REALISTIC_ANSWER = `## Weather in Makati right now

It is **31.2 °C** and *partly cloudy*; with 70% humidity it feels like **36.4 °C**.

- Humidity: 70%
- Wind: 12.3 km/h from the east
- Source: [Open-Meteo](https://open-meteo.com/)

\`\`\`json
{ "temperature": 31.2, "condition": "Partly cloudy" }
\`\`\`

> Stay hydrated if you go out at midday.

| Time  | Forecast |
|-------|---------:|
| 12:00 | 32 °C    |
| 15:00 | 33 °C    |

Have a \`cool\` afternoon!
`;

describe('Live Activity panel in Chromium', () => {
  const panels = usePanels();
  const newPanel = panels.newPanel;

  function assertHealthy(panel: PanelPage) {
    assert.deepEqual(panel.pageErrors, [], 'no uncaught errors in the page');
    assert.deepEqual(panel.dialogs, [], 'no dialogs');
    assert.deepEqual(panel.cspConsoleErrors(), [], 'no CSP errors on the console');
    const foreign = panel.requestUrls.filter((url) => !url.startsWith(`${panels.server.origin}/`));
    assert.deepEqual(foreign, [], 'nothing is requested from anywhere but the extension');
  }

  test('posts ready once on load, acquires the API once, loads only its own files', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    await sleep(50);
    assert.deepEqual(await panel.posted(), [{ kind: 'ready' }]);
    assert.equal(await page.evaluate(() => window.__harness.acquireCalls), 1);
    assert.equal(await page.title(), 'Live Activity');
    // Before any snapshot the panel is usable: toolbar and the first-run text.
    assert.equal(await page.locator('.toolbar button').count(), 4);
    assert.equal(await page.locator('.empty').isVisible(), true);
    // Codicons actually loaded (font-src allows the extension's own font).
    await page.waitForFunction(() => [...document.fonts].some((face) => /codicon/.test(face.family) && face.status === 'loaded'));
    const paths = panel.requestUrls.map((url) => new URL(url).pathname);
    for (const path of ['/panel.html', '/dist/panel.js', '/media/panel.css', '/dist/codicons/codicon.css', '/dist/codicons/codicon.ttf']) {
      assert.ok(paths.includes(path), `${path} was loaded`);
    }
    assertHealthy(panel);
    assert.deepEqual(await panel.violations(), []);
  });

  test('the snapshot renders the header and a welcome with the Get Started steps, their state and their buttons', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel, { ...DEFAULT_HEADER, uri: 'ws://127.0.0.1:4000', channel: 'weather-update', model: 'gpt-5-mini (OpenAI)' });
    await host.connect();
    assert.equal((await page.locator('.connection').textContent())?.trim(), 'Connected');
    assert.equal(await page.locator('.connection').getAttribute('role'), 'status');
    const detail = (await page.locator('.detail').textContent()) ?? '';
    assert.match(detail, /weather-update/);
    assert.match(detail, /ws:\/\/127\.0\.0\.1:4000/);
    assert.equal(await page.locator('.problem').isVisible(), false);
    const empty = page.locator('.empty');
    assert.equal(await empty.isVisible(), true);
    const steps = () => empty.locator('.welcome-steps > li').allInnerTexts();
    const [model, ask, watch, share] = await steps();
    assert.match(model, /^Choose a model\n+ ?Ready: gpt-5-mini \(OpenAI\)\./);
    assert.match(ask, /Weather Assistant: Ask/);
    assert.match(watch, /^Watch it here/);
    assert.match(share, /Publishing to ws:\/\/127\.0\.0\.1:4000, channel weather-update\./);
    assert.equal(await empty.getByRole('button', { name: 'Set API Key' }).count(), 0, 'no key prompt when a model is configured');
    assert.equal(await empty.getByRole('button', { name: 'Reconnect' }).count(), 0, 'no relay warning when connected');

    // No model and the relay is down: the welcome says both before anyone asks, with buttons.
    host.setHeader({ ...host.header, connection: 'offline', hasApiKey: false, model: undefined, problem: 'connect ECONNREFUSED 127.0.0.1:4000' });
    await host.settle();
    assert.equal((await page.locator('.connection').textContent())?.trim(), 'Offline');
    assert.equal(await page.locator('.problem').isVisible(), true);
    assert.equal(await page.locator('.problem').textContent(), 'connect ECONNREFUSED 127.0.0.1:4000');
    assert.match((await steps())[0], /No model is configured yet, so questions cannot be answered\./);
    assert.match((await steps())[3], /relay \(ws:\/\/127\.0\.0\.1:4000, channel weather-update\) is not reachable/);
    for (const name of ['Set API Key', 'Use a Local Server', 'Ask a question', 'Reconnect', 'Set Server URI', 'Set Relay Token', 'Open the Walkthrough']) {
      await empty.getByRole('button', { name, exact: true }).click();
    }
    assert.deepEqual((await panel.posted()).slice(1), [
      { kind: 'setApiKey' },
      { kind: 'useLocalServer' },
      { kind: 'ask' },
      { kind: 'reconnect' },
      { kind: 'setServerUri' },
      { kind: 'setRelayToken' },
      { kind: 'openWalkthrough' },
    ]);
    // A header update that changes nothing the welcome shows leaves its buttons (and focus) alone.
    await empty.getByRole('button', { name: 'Set Relay Token', exact: true }).focus();
    host.setHeader({ ...host.header, busy: true });
    await host.settle();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Set Relay Token');
    // One that does (the relay is back) rebuilds it, and the focused button is the same one again.
    host.setHeader({ ...host.header, connection: 'connected', problem: undefined });
    await host.settle();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Set Relay Token');
    assert.equal(await empty.getByRole('button', { name: 'Reconnect' }).count(), 0);

    for (const [connection, text] of [
      ['reconnecting', 'Reconnecting…'],
      ['connecting', 'Connecting…'],
      ['embedded', 'Connected (relay embedded)'],
    ] as const) {
      host.setHeader({ ...host.header, connection, problem: undefined });
      await host.settle();
      assert.equal((await page.locator('.connection').textContent())?.trim(), text);
      assert.equal(await page.locator('.problem').isVisible(), false);
    }

    // Activity replaces the empty state; clearing brings it back.
    host.store.ingest(seed('t', 'response', 'hello'), 'channel');
    await host.settle();
    assert.equal(await empty.isVisible(), false);
    assert.equal(await page.locator('article.thread').count(), 1);
    host.store.clear();
    await host.settle();
    assert.equal(await page.locator('article.thread').count(), 0);
    assert.equal(await empty.isVisible(), true);
    assertHealthy(panel);
  });

  test('toolbar buttons post their intents, by mouse and keyboard', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    const toolbar = page.getByRole('toolbar', { name: 'Weather Assistant actions' });
    for (const name of ['Ask', 'New Chat', 'Clear', 'Reconnect']) await toolbar.getByRole('button', { name }).click();
    await toolbar.getByRole('button', { name: 'Ask' }).focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('ArrowRight'); // within the toolbar, the arrow keys move (one Tab stop)
    await page.keyboard.press('Space');
    assert.deepEqual(
      (await panel.posted()).map((message) => message.kind),
      ['ready', 'ask', 'newChat', 'clear', 'reconnect', 'ask', 'newChat'],
    );
    assertHealthy(panel);
  });

  test('a streamed markdown answer renders like the whole text, once per frame, with a list, code and a table', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    const t = 'thread_stream';
    host.store.startLocalTurn(t, 'How is the weather in Makati?');
    const deltas = splitIntoDeltas(REALISTIC_ANSWER, 6, 7);
    assert.ok(deltas.length > 80);
    let seq = 0;
    for (const [i, delta] of deltas.entries()) {
      host.store.ingest(responseDeltaPayload(t, delta, { id: `d${i}`, seq: seq++ }), 'local');
      if (i % 8 === 7) await sleep(4); // let batches and frames interleave with the stream
      if (i === Math.floor(deltas.length / 2)) {
        await host.settle();
        const partial = (await page.locator('.answer').textContent()) ?? '';
        assert.ok(partial.length > 20 && partial.length < REALISTIC_ANSWER.length, 'the answer shows while it streams');
        assert.match(partial, /Weather in Makati/);
      }
    }
    await host.settle();
    const expected = await signatureOf(page, { html: markdownOracle.render(REALISTIC_ANSWER) });
    assert.deepEqual(await signatureOf(page, { selector: '.answer' }), expected);
    const answer = page.locator('.answer');
    assert.equal(await answer.locator('h2').textContent(), 'Weather in Makati right now');
    assert.equal(await answer.locator('ul > li').count(), 3);
    assert.equal(await answer.locator('pre > code').textContent(), '{ "temperature": 31.2, "condition": "Partly cloudy" }\n');
    assert.equal(await answer.locator('table tr').count(), 3);
    assert.equal(await answer.locator('blockquote').count(), 1);
    assert.equal(await answer.locator('strong').first().textContent(), '31.2 °C');

    // Deltas were coalesced: answer HTML is only written inside animation frames, a few
    // writes per frame at most, and far fewer frames than deltas.
    const sets = await page.evaluate(() => window.__harness.htmlSets);
    assert.ok(sets.length > 0);
    assert.deepEqual(sets.filter((set) => set.frame === null), [], 'no answer render outside an animation frame');
    const perFrame = new Map<number, number>();
    for (const set of sets) perFrame.set(set.frame!, (perFrame.get(set.frame!) ?? 0) + 1);
    assert.ok(Math.max(...perFrame.values()) <= 2, 'at most one render (final blocks + tail) per frame');
    assert.ok(perFrame.size < deltas.length / 2, `${perFrame.size} frames rendered ${deltas.length} deltas`);
    assert.ok(host.batches.length < deltas.length / 2, `${host.batches.length} batches for ${deltas.length} deltas`);

    // The completion repeats the same text: the answer is rendered once more, whole, in a frame.
    const before = sets.length;
    host.store.ingest(responseCompletedPayload(t, REALISTIC_ANSWER, { id: 'done', seq: seq++ }), 'local');
    await host.settle();
    const finalSets = (await page.evaluate(() => window.__harness.htmlSets)).slice(before);
    assert.equal(finalSets.length, 1, 'one whole render when the turn ends');
    assert.notEqual(finalSets[0].frame, null);
    assert.equal((await page.locator('.turn .outcome .done').textContent())?.trim(), 'Completed');
    assert.equal(await page.locator('.turn').getAttribute('data-status'), 'completed');
    assert.deepEqual(await signatureOf(page, { selector: '.answer' }), expected);
    assertHealthy(panel);
    assert.deepEqual(await panel.violations(), []);
  });

  test('a streamed loose numbered list keeps its numbers, and table alignment survives sanitizing', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    // Models often put blank lines between list items: the stream is split into blocks there.
    const text = '1. **Temperature**: 31 °C\n\n2. **Humidity**: 70%\n\n3. **Wind**: 12 km/h\n\n| Time | Temp |\n|:-----|-----:|\n| 12:00 | 31 °C |\n';
    for (const delta of splitIntoDeltas(text, 4, 9)) {
      host.store.ingest(seed('n', 'response', delta), 'channel');
      await host.settle();
    }
    const numbers = await page.evaluate(() =>
      Array.from(document.querySelectorAll('.answer li'), (item) => {
        const list = item.closest('ol')!;
        return list.start + Array.from(list.children).indexOf(item);
      }),
    );
    assert.deepEqual(numbers, [1, 2, 3]);
    const align = await page.evaluate(() => Array.from(document.querySelectorAll('.answer td'), (cell) => getComputedStyle(cell).textAlign));
    assert.equal(align.length, 2);
    assert.match(align[0], /^(-webkit-)?left$/);
    assert.match(align[1], /^(-webkit-)?right$/);
    assertHealthy(panel);
    assert.deepEqual(await panel.violations(), [], 'alignment does not use (CSP-refused) style attributes');
  });

  test('when the turn ends, a streamed answer is exactly the whole text rendered at once (loose list, late reference link)', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    // A loose list (blank lines between items) and a reference link defined only at the end:
    // rendered in blocks while streaming, they are three lists and a bracketed text.
    const text = [
      'Today in Makati:',
      '',
      '- **Morning**: 27 °C',
      '',
      '- **Noon**: 31 °C, see [the forecast][f]',
      '',
      '- **Evening**: 28 °C',
      '',
      'Sources: [the forecast][f] and [the radar][r].',
      '',
      '[f]: https://open-meteo.com/en/docs',
      '[r]: https://example.com/radar',
      '',
    ].join('\n');
    for (const delta of splitIntoDeltas(text, 5, 13)) {
      host.store.ingest(seed('streamed', 'response', delta), 'channel');
      await host.settle();
    }
    assert.equal(await page.locator('[aria-label="Thread streamed"] .answer ul').count(), 3, 'while streaming, the loose list is split in blocks');
    host.store.ingest(seed('streamed', 'response', text, 'completed'), 'channel');
    host.store.ingest(seed('whole', 'response', text, 'completed'), 'channel');
    await host.settle();
    const html = (threadId: string) => page.locator(`[aria-label="Thread ${threadId}"] .answer`).innerHTML();
    assert.equal(await html('streamed'), await html('whole'), 'the same DOM as the whole text rendered at once');
    const streamed = page.locator('[aria-label="Thread streamed"] .answer');
    assert.equal(await streamed.locator('ul').count(), 1, 'one loose list');
    assert.equal(await streamed.locator('ul > li > p').count(), 3);
    assert.deepEqual(
      await streamed.locator('a').evaluateAll((links) => links.map((link) => link.getAttribute('href'))),
      ['https://open-meteo.com/en/docs', 'https://open-meteo.com/en/docs', 'https://example.com/radar'],
      'reference links defined later resolve',
    );
    assert.deepEqual(await signatureOf(page, { selector: '[aria-label="Thread streamed"] .answer' }), await signatureOf(page, { html: markdownOracle.render(text) }));
    assertHealthy(panel);
    assert.deepEqual(await panel.violations(), []);
  });

  test('a notice shows on its running turn, announced politely, until the next event; seed clients see nothing', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    const t = 'thread_retry';
    const waiting = 'Waiting 20 s to retry: the model server is rate limiting (HTTP 429)';
    host.store.startLocalTurn(t, 'Weather in Makati?');
    await host.settle();
    const turn = page.getByRole('article', { name: `Thread ${t}` }).locator('.turn');
    const notice = turn.locator('.notice');
    // The live region is in the page before it has anything to say, so screen readers announce it.
    assert.equal(await notice.count(), 1);
    assert.equal(await notice.getAttribute('role'), 'status');
    assert.equal(await notice.getAttribute('aria-live'), 'polite');
    assert.equal(await notice.textContent(), '');

    host.store.ingest(turnNoticePayload(t, waiting, { id: 'n1' }), 'local');
    await host.settle();
    assert.equal(await notice.textContent(), waiting);
    assert.equal(await notice.isVisible(), true);
    assert.equal((await turn.locator('.answer').textContent())?.trim(), '', 'the notice is not part of the answer');
    assert.equal(await turn.getAttribute('data-status'), 'running');
    // A newer notice replaces it; the next delta clears it.
    host.store.ingest(turnNoticePayload(t, 'Waiting 40 s to retry: the model server is overloaded (HTTP 503)', { id: 'n2' }), 'local');
    await host.settle();
    assert.match((await notice.textContent()) ?? '', /40 s/);
    host.store.ingest(responseDeltaPayload(t, 'It is 31 °C.', { id: 'd1' }), 'local');
    await host.settle();
    assert.equal(await notice.textContent(), '');
    assert.equal((await turn.locator('.answer').textContent())?.trim(), 'It is 31 °C.');
    // A tool event clears it too, and so does the completion.
    host.store.ingest(turnNoticePayload(t, waiting, { id: 'n3' }), 'local');
    host.store.ingest(toolStartedPayload(t, 'Makati', { id: 't1', callId: 'c1' }), 'local');
    await host.settle();
    assert.equal(await notice.textContent(), '');
    host.store.ingest(turnNoticePayload(t, waiting, { id: 'n4' }), 'local');
    await host.settle();
    assert.equal(await notice.textContent(), waiting);
    // It survives a reload while the turn runs.
    await host.reload();
    assert.equal(await page.getByRole('article', { name: `Thread ${t}` }).locator('.notice').textContent(), waiting);
    host.store.ingest(responseCompletedPayload(t, 'It is 31 °C.', { id: 'c' }), 'local');
    await host.settle();
    assert.equal(await page.getByRole('article', { name: `Thread ${t}` }).locator('.notice').textContent(), '');

    // From the channel: a hostile notice is cut to its limit; a notice on a seed payload's
    // own text appends that text as any delta.
    host.store.ingest({ ...seed('remote', 'response', ''), notice: `Retrying ${'x'.repeat(10_000)}` }, 'channel');
    await host.settle();
    const remoteNotice = page.getByRole('article', { name: 'Thread remote' }).locator('.notice');
    assert.equal(await remoteNotice.textContent(), `Retrying ${'x'.repeat(TEXT_LIMITS.notice - 'Retrying '.length)}…`);
    host.store.ingest({ ...seed('remote', 'response', 'Hello'), notice: 42 } as unknown as ChannelPayload, 'channel');
    await host.settle();
    assert.equal(await remoteNotice.textContent(), '', 'a delta clears the notice; a non-string notice is ignored');
    assert.equal((await page.getByRole('article', { name: 'Thread remote' }).locator('.answer').textContent())?.trim(), 'Hello');
    assertHealthy(panel);
  });

  test('a streaming answer with no paragraph break re-renders a bounded tail per frame, and is whole once complete', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    const text = Array.from({ length: 2_000 }, (_, i) => `word${i} **bold${i}** and [a link](https://example.com/${i}),`).join(' ');
    assert.ok(text.length > 4 * MAX_TAIL_LENGTH && text.length < TEXT_LIMITS.answer);
    for (const [i, delta] of splitIntoDeltas(text, 400, 5).entries()) {
      host.store.ingest(seed('flat', 'response', delta), 'channel');
      if (i % 10 === 9) await host.settle();
    }
    await host.settle();
    const tails = (await page.evaluate(() => window.__harness.htmlSets)).filter((set) => set.connected);
    const largest = Math.max(...tails.map((set) => set.length));
    // Rendered HTML is longer than its markdown (tags, attributes): allow for that, not for the whole answer.
    assert.ok(largest <= 3 * MAX_TAIL_LENGTH, `largest tail render was ${largest} characters of HTML (answer: ${text.length})`);
    host.store.ingest(seed('flat', 'response', text, 'completed'), 'channel');
    host.store.ingest(seed('whole', 'response', text, 'completed'), 'channel');
    await host.settle();
    const html = (threadId: string) => page.locator(`[aria-label="Thread ${threadId}"] .answer`).innerHTML();
    assert.equal(await html('flat'), await html('whole'));
    assert.equal(await page.locator('[aria-label="Thread flat"] .answer p').count(), 1, 'one paragraph, as markdown-it reads it');
    assertHealthy(panel);
  });

  test('a long answer run without spaces is laid out in bounded text nodes, split between graphemes', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    // Break opportunities without spaces make Chromium re-shape the rest of the run at every line.
    const run = `${'A'.repeat(50)}\u200b`.repeat(600) + `${'e\u0301'}👩‍👩‍👧‍👦-`.repeat(400);
    host.store.ingest(seed('run', 'response', `Before ${run} after.`, 'completed'), 'channel');
    await host.settle();
    const nodes = await page.evaluate(() => {
      const answer = document.querySelector('[aria-label="Thread run"] .answer')!;
      const walker = document.createTreeWalker(answer, NodeFilter.SHOW_TEXT);
      const found: string[] = [];
      for (let node = walker.nextNode(); node; node = walker.nextNode()) found.push((node as Text).data);
      return found;
    });
    assert.equal(nodes.join('').trim(), `Before ${run} after.`, 'the text is unchanged');
    assert.ok(nodes.length > 60, `${nodes.length} text nodes`);
    assert.ok(nodes.every((node) => node.length <= MAX_TEXT_NODE_LENGTH), 'no text node is longer than the bound');
    assert.deepEqual(nodes.filter((node) => /^[\u0301\u200d\udc00-\udfff]/.test(node)), [], 'no node starts inside a grapheme');
    assertHealthy(panel);
  });

  test('a completion with different text replaces what streamed; an error shows its text', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    host.store.ingest(seed('R', 'response', 'It is **3'), 'channel');
    await host.settle();
    assert.equal((await page.locator('.answer').textContent())?.trim(), 'It is **3');
    assert.equal((await page.locator('.outcome').textContent())?.trim(), 'Working…');
    host.store.ingest(seed('R', 'response', 'It is **31 °C** in Makati.', 'completed'), 'channel');
    await host.settle();
    assert.deepEqual(await signatureOf(page, { selector: '.answer' }), ['<p>', '"It is"', '<strong>', '"31 °C"', '</strong>', '"in Makati."', '</p>']);

    host.store.ingest(seed('R', 'response', 'model request failed: 401 invalid API key', 'error'), 'channel');
    await host.settle();
    const turns = page.locator('.turn');
    assert.equal(await turns.count(), 2, 'the error opened a new turn after the completed one');
    const failed = turns.nth(1);
    assert.equal(await failed.getAttribute('data-status'), 'error');
    assert.equal((await failed.locator('.outcome .error').textContent())?.trim(), 'model request failed: 401 invalid API key');
    // Said once, through the one live region, naming the thread (an alert role would say it twice).
    assert.equal(await failed.getByRole('alert').count(), 0);
    assert.equal(await page.locator('.visually-hidden[aria-live="polite"]').textContent(), 'Channel thread R: failed: model request failed: 401 invalid API key');
    assertHealthy(panel);
  });

  test('a long answer: each frame re-renders only the growing tail, each final block once', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    const paragraphs = Array.from({ length: 300 }, (_, i) => `Paragraph ${i}: the temperature is **${20 + (i % 10)} °C** and the sky is clear.`);
    const text = `${paragraphs.join('\n\n')}\n`;
    const deltas = splitIntoDeltas(text, 30, 3);
    for (const [i, delta] of deltas.entries()) {
      host.store.ingest(seed('long', 'response', delta), 'channel');
      if (i % 40 === 39) await host.settle(); // the stream spans many frames
    }
    await host.settle();
    assert.equal(await page.locator('.answer p').count(), 300);
    assert.equal(await page.locator('.answer p').last().textContent(), 'Paragraph 299: the temperature is 29 °C and the sky is clear.');
    const sets = await page.evaluate(() => window.__harness.htmlSets);
    const total = markdownOracle.render(text).length;
    const tails = sets.filter((set) => set.connected);
    const blocks = sets.filter((set) => !set.connected);
    assert.ok(tails.length >= Math.floor(deltas.length / 40), `${tails.length} frames rendered ${deltas.length} deltas`);
    // The tail is at most the paragraph being written: its cost does not grow with the answer.
    const largestTail = Math.max(...tails.map((set) => set.length));
    assert.ok(largestTail < 400, `largest tail render was ${largestTail} chars (answer: ${total})`);
    // Final text is rendered once: all final blocks together are the answer, not a multiple of it.
    const blockTotal = blocks.reduce((sum, set) => sum + set.length, 0);
    assert.ok(blockTotal <= total * 1.05, `final blocks rendered ${blockTotal} chars for a ${total}-char answer`);
    assertHealthy(panel);
  });

  test('tool cards: running → done with duration, a weather summary, raw JSON on demand; errors fail', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const time = clock();
    const host = new PanelHost(panel, DEFAULT_HEADER, { now: time.now });
    await host.connect();
    const t = 'thread_tools';
    host.store.startLocalTurn(t, 'Weather in Makati and Atlantis?');
    host.store.ingest(toolStartedPayload(t, 'Makati', { id: 'a1', callId: 'call_m' }), 'local');
    host.store.ingest(toolStartedPayload(t, 'Atlantis', { id: 'a2', callId: 'call_a' }), 'local');
    await host.settle();
    const cards = page.locator('.tools > details.tool');
    assert.equal(await cards.count(), 2);
    const makati = cards.nth(0);
    const atlantis = cards.nth(1);
    assert.equal(await makati.locator('.tool-message').textContent(), 'Executing weather check for Makati');
    assert.equal(await makati.locator('.tool-status').textContent(), 'running');
    assert.match((await makati.getAttribute('class')) ?? '', /\brunning\b/);
    assert.equal(await makati.locator('.codicon-loading').count(), 1);
    assert.equal(await makati.locator('.weather').count(), 0);

    time.advance(840);
    host.store.ingest(toolExecutedPayload(t, realisticWeather(), { id: 'a3', callId: 'call_m' }), 'local');
    time.advance(660);
    const atlantisError = JSON.stringify({ error: 'No place called "Atlantis" was found', location: 'Atlantis', source: 'open-meteo' });
    host.store.ingest(toolExecutedPayload(t, atlantisError, { id: 'a4', callId: 'call_a' }), 'local');
    await host.settle();

    assert.match((await makati.getAttribute('class')) ?? '', /\bexecuted\b/);
    assert.equal(await makati.locator('.tool-status').textContent(), 'done · 840 ms');
    assert.equal(await makati.locator('.codicon-pass').count(), 1);
    assert.equal(await makati.evaluate((element) => (element as HTMLDetailsElement).open), true, 'a weather result opens by itself');
    assert.equal(await makati.locator('.weather strong').textContent(), 'Makati, Metro Manila, Philippines');
    assert.equal(
      await makati.locator('.weather').textContent(),
      'Makati, Metro Manila, Philippines31.2 °C, feels like 36.4 °C · Partly cloudy · humidity 70% · wind 12.3 km/h',
    );
    assert.equal(await makati.locator('.weather').isVisible(), true);
    const raw = makati.locator('details.raw');
    const pre = raw.locator('pre');
    assert.equal(await pre.isVisible(), false, 'raw JSON is collapsed at first');
    await raw.locator('summary').click();
    assert.equal(await pre.isVisible(), true);
    assert.equal(await pre.textContent(), JSON.stringify(JSON.parse(realisticWeather()), null, 2));

    assert.match((await atlantis.getAttribute('class')) ?? '', /\bfailed\b/);
    assert.equal(await atlantis.locator('.tool-status').textContent(), 'failed · 1.5 s');
    assert.equal(await atlantis.locator('.codicon-error').count(), 1);
    assert.equal(await atlantis.locator('.weather strong').textContent(), 'Weather check failed');
    assert.match((await atlantis.locator('.weather').textContent()) ?? '', /No place called "Atlantis" was found/);

    // A non-JSON result is still shown, verbatim.
    host.store.ingest(toolStartedPayload(t, 'Oslo', { id: 'a5', callId: 'call_o' }), 'local');
    host.store.ingest(toolExecutedPayload(t, 'plain text result', { id: 'a6', callId: 'call_o' }), 'local');
    await host.settle();
    const oslo = cards.nth(2);
    assert.equal(await oslo.locator('.tool-status').textContent(), 'done · 0 ms');
    assert.equal(await oslo.locator('.weather').count(), 0);
    assert.equal(await oslo.locator('details.raw pre').textContent(), 'plain text result');

    // The user's choice, and keyboard focus, survive later updates of the same turn.
    assert.equal(await pre.isVisible(), true, 'raw JSON the user opened stays open while the turn goes on');
    assert.equal(await raw.locator('summary').evaluate((summary) => summary === document.activeElement), true, 'focus stays on the summary');
    assertHealthy(panel);
  });

  test('threads are grouped by thread_id, most recently active last (by the composer), local ones marked until delivered', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    // A seed client publishing on the channel, then a question from this window.
    host.store.ingest(seed('thread_remote', 'tool', 'Executing weather check for Tokyo', 'started'), 'channel');
    host.store.ingest(seed('thread_remote', 'tool', realisticWeather('Tokyo, Japan'), 'tool_executed'), 'channel');
    await host.settle();
    host.store.startLocalTurn('thread_local', 'And in Makati?');
    const local: ChannelPayload[] = [
      toolStartedPayload('thread_local', 'Makati', { id: 'l1', callId: 'c1' }),
      toolExecutedPayload('thread_local', realisticWeather(), { id: 'l2', callId: 'c1' }),
      responseDeltaPayload('thread_local', 'Hot in Makati.', { id: 'l3' }),
    ];
    for (const payload of local) host.store.ingest(payload, 'local');
    host.store.ingest(seed('thread_remote', 'response', 'Mild in Tokyo.'), 'channel');
    await host.settle();

    const threads = page.locator('article.thread');
    assert.equal(await threads.count(), 2);
    // The remote thread spoke last, so it is at the foot: the same order a reload's snapshot gives.
    assert.equal(await threads.nth(1).locator('.thread-title code').textContent(), 'thread_remote', 'most recently active last');
    assert.equal(await threads.nth(0).locator('.thread-title code').textContent(), 'thread_local');
    const localThread = page.getByRole('article', { name: 'Thread thread_local' });
    const remoteThread = page.getByRole('article', { name: 'Thread thread_remote' });
    assert.match((await localThread.locator('.thread-title').textContent()) ?? '', /This window/);
    assert.match((await remoteThread.locator('.thread-title').textContent()) ?? '', /Channel/);
    assert.equal(await localThread.locator('.question').textContent(), 'And in Makati?');
    assert.equal(await remoteThread.locator('.question').isVisible(), false, 'the seed protocol has no question');
    assert.equal((await localThread.locator('.answer').textContent())?.trim(), 'Hot in Makati.');
    assert.equal((await remoteThread.locator('.answer').textContent())?.trim(), 'Mild in Tokyo.');
    assert.equal(await remoteThread.locator('.weather strong').textContent(), 'Tokyo, Japan');
    assert.equal(await localThread.locator('.weather strong').textContent(), 'Makati, Metro Manila, Philippines');

    const badge = localThread.locator('.badge');
    assert.equal(await badge.isVisible(), true);
    assert.equal(await badge.textContent(), '3 events not yet delivered');
    assert.equal(await remoteThread.locator('.badge').isVisible(), false);
    // The relay echoes our events back: the badge goes, nothing is shown twice.
    for (const payload of local) host.store.ingest(structuredClone(payload), 'channel');
    await host.settle();
    assert.equal(await badge.isVisible(), false);
    assert.equal(await localThread.locator('.tool').count(), 1);
    assert.equal((await localThread.locator('.answer').textContent())?.trim(), 'Hot in Makati.');

    // A new turn on the older thread brings it to the foot.
    host.store.ingest(seed('thread_local', 'response', 'Hot in Makati.', 'completed'), 'channel');
    host.store.ingest(seed('thread_local', 'response', 'Next question answered.'), 'channel');
    await host.settle();
    assert.equal(await threads.nth(1).locator('.thread-title code').textContent(), 'thread_local');
    assert.equal(await localThread.locator('.turn').count(), 2);
    assertHealthy(panel);
  });

  test('events the relay refused for good (a watch-only token) are marked "not shared" in words, also after a reload', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    host.store.startLocalTurn('thread_watch', 'Rain in Oslo?');
    const local: ChannelPayload[] = [
      toolStartedPayload('thread_watch', 'Oslo', { id: 'w1', callId: 'c1' }),
      responseDeltaPayload('thread_watch', 'Light rain.', { id: 'w2' }),
      responseCompletedPayload('thread_watch', 'Light rain.', { id: 'w3' }),
    ];
    for (const payload of local) host.store.ingest(payload, 'local');
    host.store.refuseDelivery('w1');
    host.store.refuseDelivery('w2');
    host.store.refuseDelivery('unknown-id'); // not ours: nothing changes
    await host.settle();
    const badge = page.getByRole('article', { name: 'Thread thread_watch' }).locator('.badge');
    assert.equal(await badge.textContent(), '2 events not shared, 1 event not yet delivered');
    assert.equal(await badge.getAttribute('title'), 'Shown here only: the relay token may not publish on this channel');
    host.store.refuseDelivery('w3');
    await host.settle();
    assert.equal(await badge.textContent(), '3 events not shared');
    assert.equal((await page.getByRole('article', { name: 'Thread thread_watch' }).locator('.answer').textContent())?.trim(), 'Light rain.', 'still shown');
    await host.reload();
    assert.equal(await page.getByRole('article', { name: 'Thread thread_watch' }).locator('.badge').textContent(), '3 events not shared');
    assertHealthy(panel);
  });

  test('one polite live region announces each turn: started, each tool done or failed, answer completed, naming the thread; never a delta, nothing again on reload', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    const region = page.locator('.visually-hidden[aria-live="polite"]');
    const said: string[] = [];
    const listen = async () => {
      await host.settle();
      const text = (await region.textContent()) ?? '';
      if (text && text !== said.at(-1)) said.push(text);
    };
    host.store.startLocalTurn('thread_a', 'Rain in Oslo?');
    await listen();
    host.store.ingest(toolStartedPayload('thread_a', 'Oslo', { id: 'a1', callId: 'c1' }), 'local');
    await listen();
    host.store.ingest(toolExecutedPayload('thread_a', realisticWeather('Oslo, Norway'), { id: 'a2', callId: 'c1' }), 'local');
    await listen();
    for (const piece of ['Light ', 'rain ', 'all day.']) {
      host.store.ingest(responseDeltaPayload('thread_a', piece, {}), 'local');
      await listen();
    }
    host.store.ingest(responseCompletedPayload('thread_a', 'Light rain all day.', {}), 'local');
    await listen();
    host.store.ingest(seed('thread_b', 'tool', 'Executing weather check for Atlantis', 'started'), 'channel');
    host.store.ingest(seed('thread_b', 'tool', '{"error":"no such place"}', 'error'), 'channel');
    await listen();
    assert.deepEqual(said, [
      '“Rain in Oslo?”: started',
      '“Rain in Oslo?”: Executing weather check for Oslo: done',
      '“Rain in Oslo?”: answer completed',
      'Channel thread thread_b: started. Channel thread thread_b: Executing weather check for Atlantis: failed',
    ]);
    // The first question is the thread's title; a channel thread (no question) keeps its id alone.
    const subject = (threadId: string) => page.getByRole('article', { name: `Thread ${threadId}` }).locator('.thread-subject');
    assert.equal(await subject('thread_a').textContent(), 'Rain in Oslo?');
    assert.equal(await subject('thread_a').isVisible(), true, 'shown, with room, even in a narrow panel beside a long badge');
    assert.equal(await subject('thread_b').isVisible(), false);
    assert.match((await page.getByRole('heading', { name: /Rain in Oslo\?/ }).textContent()) ?? '', /This window\s*Rain in Oslo\?\s*thread_a/);
    await host.reload();
    await host.settle();
    assert.equal(await region.textContent(), '', 'a reload announces nothing');
    assert.equal(await subject('thread_a').textContent(), 'Rain in Oslo?', 'the title comes back with the snapshot');
    assertHealthy(panel);
  });

  test('themes: links in answers underlined, high contrast draws borders on code and badges, the spinner rests for reduced motion', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    host.store.startLocalTurn('thread_t', 'Forecast?');
    host.store.ingest(toolStartedPayload('thread_t', 'Oslo', { id: 't1', callId: 'c1' }), 'local');
    host.store.ingest(responseDeltaPayload('thread_t', 'See [the met office](https://www.met.no/) and:\n\n```\nrain 3 mm\n```\n', {}), 'local');
    await host.settle();
    const style = (selector: string, property: string) =>
      page.locator(selector).first().evaluate((node, name) => getComputedStyle(node).getPropertyValue(name), property);
    // VS Code's default webview stylesheet takes the underline off links: ours must put it back.
    await page.evaluate(() => {
      const vscodeDefaults = new CSSStyleSheet();
      vscodeDefaults.replaceSync('a { text-decoration: none; }');
      document.adoptedStyleSheets = [vscodeDefaults];
    });
    assert.match(await style('.answer a', 'text-decoration-line'), /underline/);
    // High contrast themes define --vscode-contrastBorder; the others leave it unset.
    assert.equal(await style('.answer pre', 'border-top-style'), 'solid');
    assert.equal(await style('.answer pre', 'border-top-color'), 'rgba(0, 0, 0, 0)');
    await page.evaluate(() => document.documentElement.style.setProperty('--vscode-contrastBorder', '#6fc3df'));
    assert.equal(await style('.answer pre', 'border-top-color'), 'rgb(111, 195, 223)');
    assert.equal(await style('.badge', 'border-top-color'), 'rgb(111, 195, 223)');
    assert.notEqual(await style('.codicon-modifier-spin', 'animation-name'), 'none', 'it spins by default');
    await page.emulateMedia({ reducedMotion: 'reduce' });
    assert.equal(await style('.codicon-modifier-spin', 'animation-name'), 'none');
    assertHealthy(panel);
  });

  test('focus never drops to <body>: a focused tool card that gets its result keeps focus, and the thread the reader is in does not move', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    host.store.ingest(seed('thread_old', 'tool', 'Executing weather check for Lima', 'started'), 'channel');
    await host.settle();
    host.store.ingest(seed('thread_new', 'response', 'Elsewhere.'), 'channel');
    await host.settle();
    const threads = page.locator('article.thread');
    assert.equal(await threads.nth(0).locator('.thread-title code').textContent(), 'thread_old');
    // The keyboard user moves onto the running card of the older thread.
    await page.locator('article.thread:has(code:text("thread_old")) .tool > summary').focus();
    const focusedText = () => page.evaluate(() => document.activeElement?.closest('.tool')?.querySelector('.tool-message')?.textContent ?? document.activeElement?.tagName);
    assert.equal(await focusedText(), 'Executing weather check for Lima');
    // Its result arrives (the card is rebuilt) and the thread has new activity (it would move to the foot).
    host.store.ingest(seed('thread_old', 'tool', realisticWeather('Lima, Peru'), 'tool_executed'), 'channel');
    host.store.ingest(seed('thread_old', 'response', 'Mild in Lima.'), 'channel');
    await host.settle();
    assert.equal(await focusedText(), 'Executing weather check for Lima', 'focus stayed on the card');
    assert.equal(await page.evaluate(() => document.activeElement?.closest('.tool')?.classList.contains('executed')), true, 'on the card with its result');
    assert.equal(await threads.nth(0).locator('.thread-title code').textContent(), 'thread_old', 'the thread the reader is in did not move');
    // Once the reader leaves it, the usual order returns with the next activity.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    host.store.ingest(seed('thread_old', 'response', ' Still mild.'), 'channel');
    await host.settle();
    assert.equal(await threads.nth(1).locator('.thread-title code').textContent(), 'thread_old');
    assertHealthy(panel);
  });

  test('turn actions: Stop while this window\'s turn runs, Copy once answered, Retry on this window\'s failed question, Export per thread; each asks the host, by keyboard too', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    const posted = async () => (await panel.posted()).filter((message) => message.kind !== 'ready');
    host.store.startLocalTurn('thread_mine', 'Wind in Wellington?');
    host.store.ingest(responseDeltaPayload('thread_mine', 'Gusty', { id: 'm1' }), 'local');
    host.store.ingest(seed('thread_theirs', 'response', 'Someone else\'s turn.'), 'channel');
    await host.settle();
    const mine = page.getByRole('article', { name: 'Thread thread_mine' });
    const theirs = page.getByRole('article', { name: 'Thread thread_theirs' });
    assert.equal(await theirs.getByRole('button', { name: 'Stop this turn' }).count(), 0, 'no Stop on a channel turn');
    // Keyboard: Tab reaches Stop, Enter presses it.
    await mine.getByRole('button', { name: 'Stop this turn' }).focus();
    await page.keyboard.press('Enter');
    // Streaming goes on: the focused button is not replaced under the reader.
    host.store.ingest(responseDeltaPayload('thread_mine', ' and cold.', { id: 'm2' }), 'local');
    await host.settle();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Stop this turn');
    host.store.ingest(responseCompletedPayload('thread_mine', 'Gusty and cold.', { id: 'm3' }), 'local');
    await host.settle();
    assert.equal(await mine.getByRole('button', { name: 'Stop this turn' }).count(), 0, 'Stop goes with the running turn');
    await mine.getByRole('button', { name: 'Copy the answer' }).click();
    host.store.startLocalTurn('thread_mine', 'And tomorrow?');
    host.store.ingest(turnFailedPayload('thread_mine', 'model request failed: 429', { id: 'm4' }), 'local');
    await host.settle();
    await mine.getByRole('button', { name: 'Retry: ask this question again' }).click();
    await mine.getByRole('button', { name: 'Export thread thread_mine as Markdown' }).click();
    assert.deepEqual(await posted(), [
      { kind: 'stop' },
      { kind: 'copyAnswer', threadId: 'thread_mine', turnIndex: 0 },
      { kind: 'retry', threadId: 'thread_mine', turnIndex: 1 },
      { kind: 'exportThread', threadId: 'thread_mine' },
    ]);
    assert.equal(await theirs.getByRole('button', { name: 'Retry: ask this question again' }).count(), 0);
    assertHealthy(panel);
  });

  test('the toolbar is one Tab stop: arrow keys, Home and End move within it, Tab leaves it', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    host.store.ingest(seed('thread_x', 'response', 'Something to tab to.', 'completed'), 'channel');
    await host.settle();
    const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.tagName);
    await page.locator('body').focus();
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Ask');
    await page.keyboard.press('ArrowRight');
    assert.equal(await focused(), 'New Chat');
    await page.keyboard.press('End');
    assert.equal(await focused(), 'Reconnect');
    await page.keyboard.press('ArrowRight');
    assert.equal(await focused(), 'Ask', 'wraps around');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await focused(), 'Reconnect');
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Show threads from', 'Tab leaves the toolbar for what follows it: the feed filter');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(), 'Reconnect', 'and comes back to the button used last');
    assertHealthy(panel);
  });

  test('composer: Enter sends, Shift+Enter starts a line, Up and Down walk the questions sent; queued questions listed with Remove; disabled with a reason when no model is set', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    const asked = async () => (await panel.posted()).filter((message) => message.kind !== 'ready');
    const box = page.getByRole('textbox', { name: 'Ask the weather assistant' });
    await box.focus();
    await page.keyboard.type('Rain in Oslo?');
    await page.keyboard.press('Enter');
    await page.keyboard.type('Line one');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('line two');
    assert.equal(await box.inputValue(), 'Line one\nline two', 'Shift+Enter starts a new line');
    await page.keyboard.press('Enter');
    assert.equal(await box.inputValue(), '', 'sent and cleared');
    await page.keyboard.type('a draft');
    await page.keyboard.press('ArrowUp');
    assert.equal(await box.inputValue(), 'Line one\nline two');
    await page.keyboard.press('ArrowUp'); // caret at the end of the last line: moves within the text first
    await page.keyboard.press('ArrowUp');
    assert.equal(await box.inputValue(), 'Rain in Oslo?');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await box.inputValue(), 'a draft', 'back to the draft');
    assert.deepEqual(await asked(), [
      { kind: 'askText', text: 'Rain in Oslo?' },
      { kind: 'askText', text: 'Line one\nline two' },
    ]);

    host.setHeader({ ...DEFAULT_HEADER, busy: true, queued: ['Wind in Bergen?', 'Snow in Tromsø?'] });
    await host.settle();
    const queue = page.getByRole('list', { name: 'Queued questions' });
    assert.deepEqual(await queue.getByRole('listitem').allTextContents(), ['Queued: Wind in Bergen? Remove', 'Queued: Snow in Tromsø? Remove']);
    await queue.getByRole('button', { name: 'Remove queued question 2' }).click();
    assert.deepEqual((await asked()).at(-1), { kind: 'removeQueued', index: 1 });

    // The Focus Question Box command (a keybinding) puts focus in the box.
    await page.locator('body').focus();
    host.postRaw([{ kind: 'focusComposer' }]);
    await host.settle();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'composer-input');

    host.setHeader({ ...DEFAULT_HEADER, hasApiKey: false });
    await host.settle();
    assert.equal(await box.isDisabled(), true);
    host.postRaw([{ kind: 'focusComposer' }]);
    await host.settle();
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Set API Key', 'disabled: focus goes to what fixes it');
    assert.match((await page.locator('#composer-reason').textContent()) ?? '', /^No model is configured/);
    assert.equal(await box.getAttribute('aria-describedby'), 'composer-reason');
    await page.locator('#composer-reason').getByRole('button', { name: 'Set API Key' }).click();
    assert.deepEqual((await asked()).at(-1), { kind: 'setApiKey' });
    assertHealthy(panel);
  });

  test('bounded history: maxThreads 3 fed 10 threads keeps 3 sections, also after a reload', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel, DEFAULT_HEADER, { maxThreads: 3 });
    await host.connect();
    for (let i = 0; i < 10; i++) {
      host.store.ingest(seed(`t${i}`, 'tool', `Executing weather check for City ${i}`, 'started'), 'channel');
      host.store.ingest(seed(`t${i}`, 'response', `Answer ${i}`), 'channel');
      host.store.ingest(seed(`t${i}`, 'response', `Answer ${i}`, 'completed'), 'channel');
      if (i % 3 === 0) await host.settle();
    }
    await host.settle();
    const ids = () => page.locator('article.thread .thread-title code').allTextContents();
    assert.equal(await page.locator('article.thread').count(), 3);
    assert.deepEqual(await ids(), ['t7', 't8', 't9']);
    assert.equal(await page.locator('.turn').count(), 3);
    const before = await page.locator('.threads').innerText();
    await host.reload();
    assert.deepEqual(await ids(), ['t7', 't8', 't9']);
    assert.equal(await page.locator('.threads').innerText(), before, 'a reload shows the same state');
    assertHealthy(panel);
  });

  test('state survives a reload (the hidden webview is rebuilt from a snapshot)', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const time = clock();
    const host = new PanelHost(panel, DEFAULT_HEADER, { now: time.now });
    await host.connect();
    host.store.ingest(seed('older', 'response', 'Older *answer*.', 'completed'), 'channel');
    host.store.startLocalTurn('mine', 'Weather in Makati?');
    host.store.ingest(toolStartedPayload('mine', 'Makati', { id: 'm1', callId: 'c' }), 'local');
    time.advance(1234);
    host.store.ingest(toolExecutedPayload('mine', realisticWeather(), { id: 'm2', callId: 'c' }), 'local');
    for (const [i, delta] of splitIntoDeltas(REALISTIC_ANSWER, 8, 5).entries()) host.store.ingest(responseDeltaPayload('mine', delta, { id: `md${i}` }), 'local');
    host.store.ingest(turnFailedPayload('mine', 'cancelled', { id: 'mx' }), 'local');
    await host.settle();
    const before = await page.locator('.threads').innerText();
    const signature = await signatureOf(page, { selector: '.threads' });
    await host.reload();
    assert.equal(await page.locator('.threads').innerText(), before);
    assert.deepEqual(await signatureOf(page, { selector: '.threads' }), signature);
    assert.equal(await page.evaluate(() => window.__harness.posted.length), 1, 'a fresh page says ready again');
    assertHealthy(panel);
  });

  test('links in answers are opened by the host, never by the webview', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    host.store.ingest(
      seed('L', 'response', 'See [Open-Meteo](https://open-meteo.com/en/docs) or www.example.org, and ![radar](https://example.com/radar.png).\n', 'completed'),
      'channel',
    );
    await host.settle();
    const url = page.url();
    const link = page.locator('.answer a', { hasText: 'Open-Meteo' });
    assert.equal(await link.getAttribute('href'), 'https://open-meteo.com/en/docs');
    await link.click();
    await sleep(100);
    assert.equal(page.url(), url, 'no navigation');
    assert.equal(panel.context.pages().length, 1, 'no new window');
    // Keyboard users open links too.
    await page.locator('.answer a', { hasText: 'www.example.org' }).focus();
    await page.keyboard.press('Enter');
    // An image is only a link, opened on request, never loaded.
    const image = page.locator('.answer a', { hasText: '[image: radar]' });
    assert.equal(await image.count(), 1);
    assert.equal(await page.locator('img').count(), 0);
    await image.click();
    await sleep(50);
    assert.deepEqual((await panel.posted()).slice(1), [
      { kind: 'openLink', href: 'https://open-meteo.com/en/docs' },
      { kind: 'openLink', href: 'http://www.example.org' },
      { kind: 'openLink', href: 'https://example.com/radar.png' },
    ]);
    assert.equal(page.url(), url);
    assert.deepEqual(await page.evaluate(() => window.__harness.wrapperLinkClicks), [], "VS Code's wrapper does not open them a second time");
    assertHealthy(panel); // includes: nothing requested from example.com / open-meteo.com
  });

  test('CSP: default-src none, script by nonce, no violations while rendering; the detector works', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel();
    const { page } = panel;
    const host = new PanelHost(panel);
    await host.connect();
    const csp = (await page.evaluate(() => document.querySelector<HTMLMetaElement>('meta[http-equiv=Content-Security-Policy]')?.content)) ?? '';
    const directives = new Map(csp.split(';').map((part) => {
      const [name, ...values] = part.trim().split(/\s+/);
      return [name, values] as const;
    }));
    assert.deepEqual(directives.get('default-src'), ["'none'"]);
    assert.deepEqual(directives.get('img-src'), ["'none'"]);
    assert.deepEqual(directives.get('style-src'), [panels.server.origin], 'no unsafe-inline styles');
    const scriptSrc = directives.get('script-src') ?? [];
    assert.equal(scriptSrc.length, 1);
    const nonce = panels.server.nonces.at(-1)!;
    assert.equal(scriptSrc[0], `'nonce-${nonce}'`);
    assert.ok(Buffer.from(nonce, 'base64').length >= 16, 'at least 128 bits of nonce');
    assert.equal(new Set(panels.server.nonces).size, panels.server.nonces.length, 'a fresh nonce per page');
    assert.equal(await page.evaluate(() => document.scripts.length), 1);
    assert.equal(await page.evaluate(() => document.scripts[0].nonce), nonce);

    // Normal rendering: a full thread with tool cards and markdown.
    host.store.startLocalTurn('csp', 'Weather in Makati?');
    host.store.ingest(toolStartedPayload('csp', 'Makati', { id: 'c1' }), 'local');
    host.store.ingest(toolExecutedPayload('csp', realisticWeather(), { id: 'c2' }), 'local');
    for (const delta of splitIntoDeltas(REALISTIC_ANSWER)) host.store.ingest(seed('csp', 'response', delta), 'local');
    host.store.ingest(seed('csp', 'response', REALISTIC_ANSWER, 'completed'), 'local');
    await host.settle();
    await page.locator('details.raw summary').click();
    await sleep(100);
    assert.deepEqual(await panel.violations(), []);
    assertHealthy(panel);

    // Control: the same page does report what the CSP blocks.
    await page.evaluate((origin) => {
      const script = document.createElement('script');
      script.textContent = 'window.__pwned = 1';
      document.body.append(script);
      const image = document.createElement('img');
      image.src = `${origin}/leak?control`;
      document.body.append(image);
    }, panels.server.origin);
    await page.waitForFunction(() => window.__harness.violations.length >= 2);
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    const blocked = (await panel.violations()).map((violation) => violation.directive).sort();
    assert.deepEqual(blocked, ['img-src', 'script-src-elem']);
    assert.ok(panel.cspConsoleErrors().length >= 2);
    assert.ok(!panels.server.requests.some((path) => path.startsWith('/leak')), 'the blocked image was never fetched');
  });

  test('screenshot of a realistic panel', { timeout: TIMEOUT }, async () => {
    const panel = await newPanel({ viewport: { width: 400, height: 760 }, deviceScaleFactor: 2 });
    const { page } = panel;
    const time = clock();
    const host = new PanelHost(panel, { ...DEFAULT_HEADER, connection: 'embedded' }, { now: time.now });
    await host.connect();
    host.store.ingest(seed('thread_8f2c', 'tool', 'Executing weather check for Tokyo', 'started'), 'channel');
    time.advance(512);
    host.store.ingest(seed('thread_8f2c', 'tool', realisticWeather('Tokyo, Japan').replace('31.2', '18.4').replace('36.4', '17.9').replace('Partly cloudy', 'Light rain'), 'tool_executed'), 'channel');
    host.store.ingest(seed('thread_8f2c', 'response', 'Tokyo: **18.4 °C** with light rain.', 'completed'), 'channel');
    const t = 'thread_a1b2c3';
    host.store.startLocalTurn(t, 'What is the weather in Makati right now?');
    host.store.ingest(toolStartedPayload(t, 'Makati', { id: 's1', callId: 'c1' }), 'local');
    time.advance(840);
    host.store.ingest(toolExecutedPayload(t, realisticWeather(), { id: 's2', callId: 'c1' }), 'local');
    for (const [i, delta] of splitIntoDeltas(REALISTIC_ANSWER, 6, 11).entries()) {
      host.store.ingest(responseDeltaPayload(t, delta, { id: `s-d${i}` }), 'local');
      if (i % 10 === 9) await sleep(2);
    }
    host.store.ingest(responseCompletedPayload(t, REALISTIC_ANSWER, { id: 's-end' }), 'local');
    await host.settle();
    await page.evaluate(() => document.fonts.ready);
    const file = join(ensureOutputDir(), 'panel.png');
    await page.screenshot({ path: file, fullPage: true });
    assert.equal(await page.locator('article.thread').count(), 2);
    assertHealthy(panel);
    assert.deepEqual(await panel.violations(), []);
  });
});
