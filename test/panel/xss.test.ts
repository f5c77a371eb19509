/**
 * Hostile publishers: a corpus of XSS and data-leak payloads, placed in every field a
 * channel message (or the host) can fill, must stay inert text in the real panel under
 * its real CSP.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import {
  isSafeLink,
  responseDeltaPayload,
  toolExecutedPayload,
  toolStartedPayload,
  type ChannelPayload,
  type EventStatus,
  type PayloadType,
} from '../../src/protocol';
import { DEFAULT_HEADER, PanelHost, launchBrowser, openPanel, splitIntoDeltas, startServer, type HarnessServer, type PanelPage } from './harness';
import { WebSocketManager } from '../../src/client';
import { DISPLAY_LIMITS } from '../../src/panel/dom';
import { FIELD_LIMITS } from '../../src/panel/result-fields';
import { clip, TEXT_LIMITS } from '../../src/protocol';
import { startRelay } from '../../src/relay';
import { waitUntil } from '../support/wait';
import { assertPlantedCaught, corpus, errorFor, forecastFor, forecastWithDatesFor, inspectDom, normalize, PANEL_SHAPE, reportFor, type Payload } from './xss-corpus';
import { WsPeer } from '../support/ws-peer';

const TIMEOUT = 20_000;

function seed(threadId: string, type: PayloadType, message: string, status?: EventStatus): ChannelPayload {
  const payload = { message, timestamp: 1_700_000_000, thread_id: threadId } as ChannelPayload;
  if (status !== undefined) payload.status = status;
  payload.type = type;
  return payload;
}

describe('hostile publishers: an XSS corpus in every field stays inert', () => {
  let browser: Browser;
  let server: HarnessServer;
  let panel: PanelPage;
  let host: PanelHost;
  let payloads: Payload[];
  let startUrl: string;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    panel = await openPanel(browser, server, { viewport: { width: 420, height: 900 } });
    host = new PanelHost(panel, DEFAULT_HEADER, { maxThreads: 200 });
    await host.connect();
    payloads = corpus(server.origin);
    startUrl = panel.page.url();
  });
  after(async () => {
    await panel?.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });

  const threadId = (index: number, payload: Payload) => `x${index}:${payload.text}`;
  /** The store keeps thread ids up to its limit: what the panel shows and the store is keyed by. */
  const shownThreadId = (index: number, payload: Payload) => clip(threadId(index, payload), TEXT_LIMITS.threadId);

  async function assertInert(stage: string): Promise<void> {
    await sleep(300); // time for any onerror/onload/ontoggle/autofocus to fire
    const { page } = panel;
    assert.deepEqual(await inspectDom(page, PANEL_SHAPE), [], `${stage}: nothing active in the DOM`);
    assert.equal(await page.evaluate(() => window.__pwned), undefined, `${stage}: no payload ran`);
    assert.deepEqual(panel.dialogs, [], `${stage}: no dialog`);
    assert.deepEqual(panel.pageErrors, [], `${stage}: no page errors`);
    assert.deepEqual(await panel.violations(), [], `${stage}: nothing even tried what the CSP forbids`);
    assert.deepEqual(panel.cspConsoleErrors(), [], `${stage}: no CSP errors`);
    assert.deepEqual(server.requests.filter((path) => path.startsWith('/leak')), [], `${stage}: nothing was fetched`);
    assert.deepEqual(panel.requestUrls.filter((url) => !url.startsWith(`${server.origin}/`)), [], `${stage}: no foreign requests`);
    assert.equal(page.url(), startUrl, `${stage}: no navigation`);
    assert.equal(panel.context.pages().length, 1, `${stage}: no new window`);
  }

  test('the corpus is big enough', () => {
    assert.ok(payloads.length >= 30, `${payloads.length} payloads`);
  });

  test('questions, tool messages, tool results (JSON fields and raw), answer deltas, thread ids', { timeout: TIMEOUT }, async () => {
    const { store } = host;
    for (const [index, payload] of payloads.entries()) {
      const t = threadId(index, payload);
      const text = payload.text;
      store.startLocalTurn(t, text);
      store.ingest(toolStartedPayload(t, 'x', { id: `s${index}`, callId: `call-${index}` }), 'local');
      store.ingest({ ...seed(t, 'tool', text, 'started'), id: `m${index}` }, 'local'); // the message itself hostile
      store.ingest(toolExecutedPayload(t, JSON.stringify(reportFor(text)), { id: `r${index}`, callId: `call-${index}` }), 'local');
      store.ingest({ ...seed(t, 'tool', JSON.stringify(errorFor(text)), 'tool_executed'), id: `e${index}` }, 'local');
      const answer = `Answer ${index}: ${text}\n`;
      const size = Math.max(3, Math.ceil(answer.length / 60));
      for (let at = 0, seq = 0; at < answer.length; at += size, seq++) {
        store.ingest(responseDeltaPayload(t, answer.slice(at, at + size), { id: `d${index}-${seq}` }), 'local');
      }
      if (index % 5 === 4) await host.settle();
    }
    await host.settle();
    await assertInert('streaming');

    const { page } = panel;
    const visible = await page.evaluate(() =>
      Array.from(document.querySelectorAll('article.thread'), (article) => ({
        threadId: article.querySelector('.thread-title code')?.textContent ?? '',
        codeTitle: article.querySelector('.thread-title code')?.getAttribute('title') ?? '',
        question: article.querySelector('.question > span:last-child')?.textContent ?? null,
        toolMessages: Array.from(article.querySelectorAll('.tool-message'), (element) => element.textContent ?? ''),
        weatherTitles: Array.from(article.querySelectorAll('.weather strong'), (element) => element.textContent ?? ''),
        weather: Array.from(article.querySelectorAll('.weather'), (element) => element.textContent ?? ''),
        raw: Array.from(article.querySelectorAll('.raw pre'), (element) => element.textContent ?? ''),
        answer: article.querySelector('.answer')?.textContent ?? '',
      })),
    );
    assert.equal(visible.length, payloads.length, 'one thread per payload: nothing swallowed, nothing merged');
    const byThread = new Map(visible.map((thread) => [thread.threadId, thread]));
    for (const [index, payload] of payloads.entries()) {
      const text = payload.text;
      const shown = byThread.get(shownThreadId(index, payload));
      assert.ok(shown, `${payload.name}: thread id shown verbatim (up to its limit)`);
      assert.equal(shown.codeTitle, shownThreadId(index, payload));
      assert.equal(shown.question, clip(text, TEXT_LIMITS.question), `${payload.name}: question shown as text`);
      assert.deepEqual(shown.toolMessages, ['Executing weather check for x', clip(text, DISPLAY_LIMITS.toolMessage)], `${payload.name}: tool message shown as text`);
      // A result longer than the host keeps is cut, so it is no longer JSON: shown raw, without a summary.
      const reportFits = JSON.stringify(reportFor(text)).length <= TEXT_LIMITS.toolResult;
      const errorFits = JSON.stringify(errorFor(text)).length <= TEXT_LIMITS.toolResult;
      assert.deepEqual(
        shown.weatherTitles,
        [...(reportFits ? [clip(text, DISPLAY_LIMITS.toolMessage)] : []), ...(errorFits ? ['Weather check failed'] : [])],
        `${payload.name}: summary title`,
      );
      const unit = clip(text, FIELD_LIMITS.unit);
      if (reportFits) assert.ok(shown.weather[0].includes(`20 ${unit}, feels like 21 ${unit} · ${clip(text, FIELD_LIMITS.condition)}`), `${payload.name}: summary details`);
      if (errorFits) assert.equal(shown.weather.at(-1), `Weather check failed${clip(text, DISPLAY_LIMITS.summary)}`, `${payload.name}: failed summary`);
      const escaped = JSON.stringify(text).slice(1, -1);
      if (reportFits) assert.ok(shown.raw[0].includes(`"location": "${escaped}"`), `${payload.name}: raw JSON shown as text`);
      else assert.equal(shown.raw[0], clip(JSON.stringify(reportFor(text)), TEXT_LIMITS.toolResult), `${payload.name}: cut result shown raw`);
      if (payload.markdown !== null) {
        const expected = normalize(payload.markdown ?? text);
        assert.ok(normalize(shown.answer).includes(expected), `${payload.name}: answer shows ${JSON.stringify(expected.slice(0, 80))}, got ${JSON.stringify(normalize(shown.answer).slice(0, 120))}`);
      } else {
        assert.match(shown.answer, new RegExp(`Answer ${index}:`), `${payload.name}: answer rendered`);
      }
    }
  });

  test('completion text, error text, raw tool results and a new turn', { timeout: TIMEOUT }, async () => {
    const { store } = host;
    for (const [index, payload] of payloads.entries()) {
      const t = threadId(index, payload);
      store.ingest({ ...seed(t, 'response', `Completed ${index}: ${payload.text}\n`, 'completed'), id: `c${index}` }, 'local');
      store.ingest(seed(t, 'tool', payload.text, 'started'), 'channel');
      store.ingest(seed(t, 'tool', payload.text, 'tool_executed'), 'channel');
      store.ingest(seed(t, 'response', payload.text, 'error'), 'channel');
    }
    await host.settle();
    await assertInert('completed');

    const visible = await panel.page.evaluate(() =>
      Array.from(document.querySelectorAll('article.thread'), (article) => {
        const turns = article.querySelectorAll('.turn');
        return {
          threadId: article.querySelector('.thread-title code')?.textContent ?? '',
          turns: turns.length,
          firstAnswer: turns[0]?.querySelector('.answer')?.textContent ?? '',
          firstOutcome: turns[0]?.querySelector('.outcome .done')?.textContent ?? '',
          secondMessage: turns[1]?.querySelector('.tool-message')?.textContent ?? null,
          secondRaw: turns[1]?.querySelector('.raw pre')?.textContent ?? null,
          secondError: turns[1]?.querySelector('.outcome .error')?.textContent ?? null,
        };
      }),
    );
    const byThread = new Map(visible.map((thread) => [thread.threadId, thread]));
    for (const [index, payload] of payloads.entries()) {
      const shown = byThread.get(shownThreadId(index, payload))!;
      assert.equal(shown.turns, 2, `${payload.name}: the error after the completion opened a second turn`);
      assert.equal(shown.firstOutcome.trim(), 'Completed');
      assert.ok(!normalize(shown.firstAnswer).includes(`Answer ${index}:`), `${payload.name}: the completion replaced the deltas`);
      if (payload.markdown !== null) {
        const expected = normalize(payload.markdown ?? payload.text);
        assert.ok(normalize(shown.firstAnswer).includes(expected), `${payload.name}: completion shows the payload as text`);
      } else {
        assert.match(shown.firstAnswer, new RegExp(`Completed ${index}:`));
      }
      assert.equal(shown.secondMessage, clip(payload.text, DISPLAY_LIMITS.toolMessage), `${payload.name}: second tool message`);
      let raw = clip(payload.text, TEXT_LIMITS.toolResult);
      try {
        raw = JSON.stringify(JSON.parse(raw), null, 2);
      } catch {
        // not JSON: shown verbatim
      }
      assert.equal(shown.secondRaw, raw, `${payload.name}: a non-JSON result is shown verbatim (up to its limit)`);
      assert.equal(shown.secondError, ` ${clip(payload.text, TEXT_LIMITS.error)}`, `${payload.name}: error text shown as text`);
    }
  });

  test('forecast results: hostile location, conditions, units, time zone, keys and dates stay text; a hostile date means no chart', { timeout: TIMEOUT }, async () => {
    const { store } = host;
    for (const [index, payload] of payloads.entries()) {
      const t = `f${index}:${payload.text.slice(0, 60)}`;
      store.ingest({ ...seed(t, 'tool', 'Executing weather forecast', 'started'), id: `fs${index}` }, 'channel');
      store.ingest({ ...seed(t, 'tool', JSON.stringify(forecastFor(payload.text)), 'tool_executed'), id: `fr${index}` }, 'channel');
      store.ingest({ ...seed(t, 'tool', 'Executing weather forecast', 'started'), id: `ds${index}` }, 'channel');
      store.ingest({ ...seed(t, 'tool', JSON.stringify(forecastWithDatesFor(payload.text)), 'tool_executed'), id: `dr${index}` }, 'channel');
      if (index % 5 === 4) await host.settle();
    }
    await host.settle();
    await assertInert('forecasts');
    const shown = await panel.page.evaluate(() =>
      Array.from(document.querySelectorAll('article.thread'))
        .filter((article) => /^Thread f\d+:/.test(article.getAttribute('aria-label') ?? ''))
        .map((article) => {
          const [forecast, dates] = Array.from(article.querySelectorAll('details.tool'));
          return {
            title: forecast.querySelector('.forecast-title')?.textContent ?? null,
            summary: forecast.querySelector('.forecast-summary')?.textContent ?? '',
            units: Array.from(forecast.querySelectorAll('.fc-unit'), (element) => element.textContent),
            firstRow: Array.from(forecast.querySelectorAll('tbody tr:first-child > *'), (element) => element.textContent),
            headers: Array.from(forecast.querySelectorAll('thead th'), (element) => element.textContent),
            note: forecast.querySelector('.forecast-note')?.textContent ?? null,
            datesChart: dates.querySelectorAll('.forecast, svg').length,
            datesRaw: dates.querySelector('.raw pre')?.textContent ?? '',
          };
        }),
    );
    assert.equal(shown.length, payloads.length);
    for (const [index, payload] of payloads.entries()) {
      const text = payload.text;
      const card = shown[index];
      assert.equal(card.datesChart, 0, `${payload.name}: a hostile date is no forecast`);
      assert.ok(card.datesRaw.length > 0, `${payload.name}: its raw result is shown`);
      if (JSON.stringify(forecastFor(text)).length > TEXT_LIMITS.toolResult) {
        assert.equal(card.title, null, `${payload.name}: a result cut by the host is no forecast`);
        continue;
      }
      const unit = clip(text, FIELD_LIMITS.unit);
      assert.equal(card.title, clip(text, FIELD_LIMITS.location), `${payload.name}: the place, as text`);
      assert.ok(card.summary.startsWith(`${clip(text, FIELD_LIMITS.location)}, 2 days (Tue 1 Dec to Wed 2 Dec): highs 5 to 6 ${unit}, lows 1 ${unit};`), `${payload.name}: ${card.summary.slice(0, 200)}`);
      assert.deepEqual(card.units, [unit, unit], `${payload.name}: the chart's units, as text`);
      assert.deepEqual(card.firstRow, ['Tue 1 Dec', clip(text, FIELD_LIMITS.condition), '5', '1', '–no value', '1', '3'], `${payload.name}: the table, as text`);
      assert.equal(card.headers[2], `High (${unit})`);
      assert.equal(card.note, 'The hourly part of this result could not be read, so it is not shown.');
    }
  });

  test('the host-provided header (relay problem text, uri, channel) is text too', { timeout: TIMEOUT }, async () => {
    const hostile = payloads.map((payload) => payload.text).slice(0, 12).join(' | ');
    host.setHeader({ ...DEFAULT_HEADER, connection: 'offline', uri: `ws://h/${hostile}`, channel: hostile, problem: hostile, hasApiKey: false });
    await host.settle();
    await assertInert('header');
    assert.equal(await panel.page.locator('.problem').textContent(), clip(hostile, DISPLAY_LIMITS.header));
    assert.ok(((await panel.page.locator('.detail').textContent()) ?? '').includes(`· ${hostile} · ${clip(`ws://h/${hostile}`, DISPLAY_LIMITS.header)}`));
  });

  test('clicking every link in every answer only asks the host to open a safe URL', { timeout: TIMEOUT }, async () => {
    const { page } = panel;
    const before = (await panel.posted()).length;
    const links = page.locator('.answer a');
    const count = await links.count();
    assert.ok(count >= 3, `${count} links rendered`);
    // A click event on each link, as the webview delivers one: the corpus makes the sticky header
    // tall enough to cover links at the top, and what is checked here is where a click leads.
    for (let i = 0; i < count; i++) await links.nth(i).dispatchEvent('click');
    const opened = (await panel.posted()).slice(before);
    assert.ok(opened.length > 0);
    for (const message of opened) {
      assert.equal(message.kind, 'openLink');
      const href = (message as { href: string }).href;
      assert.ok(isSafeLink(href), `only http(s)/mailto reach the host: ${href}`);
    }
    assert.deepEqual(await page.evaluate(() => window.__harness.wrapperLinkClicks), [], "VS Code's wrapper opens nothing itself");
    // Links to the harness's /leak are offered to the host, never fetched by the webview.
    await assertInert('clicked');
  });

  test('a huge unbroken word in a tool message or error is clamped before layout', { timeout: TIMEOUT }, async () => {
    // Chromium wraps one long run of a repeated letter in quadratic time: a hostile
    // publisher could freeze the panel with a single 40k-character message.
    const word = 'A'.repeat(40_000);
    host.store.ingest(seed('long-word', 'tool', word, 'started'), 'channel');
    host.store.ingest(seed('long-word', 'response', word, 'error'), 'channel');
    await host.settle();
    const shown = await panel.page.evaluate(() => {
      const thread = [...document.querySelectorAll('article.thread')].find((element) => element.getAttribute('aria-label')?.includes('long-word'))!;
      return {
        tool: thread.querySelector('.tool-message')!.textContent!,
        error: thread.querySelector('.outcome .error')!.textContent!.trim(),
      };
    });
    assert.equal(shown.tool, `${'A'.repeat(300)}…`);
    assert.equal(shown.error, `${'A'.repeat(2000)}…`);
  });

  test('end to end: the corpus published through a real relay by a raw client stays inert', { timeout: 90_000 }, async () => {
    const relay = await startRelay({ host: '127.0.0.1', port: 0, messagesPerSecond: 100_000, messageBurst: 100_000 });
    const subscriber = new WebSocketManager(relay.url, 'weather-update', { reconnect: false });
    const publisher = await WsPeer.open(relay.url);
    try {
      subscriber.on('message', (message) => host.store.ingest(message.payload, 'channel'));
      await subscriber.connect();
      await subscriber.subscribe();
      let sent = 0;
      for (const [index, payload] of payloads.entries()) {
        // Thread ids are cut short here: 1,000 deltas each carrying a 48 kB id would push the
        // subscriber past the relay's outbound high-water mark (it would rightly be cut off).
        // Full-length hostile thread ids are covered by the tests above.
        const thread = `relay${index}:${payload.text.slice(0, 200)}`;
        const result = JSON.stringify({ location: payload.text, temperature: 1, condition: payload.text, units: { temperature: payload.text } });
        const events = [
          { message: payload.text, status: 'started', type: 'tool' },
          { message: result, status: 'tool_executed', type: 'tool' },
          ...splitIntoDeltas(payload.markdown ?? payload.text, 400, index).map((piece) => ({ message: piece, type: 'response' })),
          { message: payload.text, status: index % 2 === 0 ? 'completed' : 'error', type: 'response' },
        ];
        for (const event of events) {
          publisher.send({ type: 'weather-update', payload: { ...event, timestamp: 1_700_000_000, thread_id: thread } });
          sent++;
        }
      }
      const finished = () =>
        host.store.snapshot().filter((thread) => thread.threadId.startsWith('relay') && thread.turns.at(-1)?.status !== 'running').length;
      await waitUntil(() => finished() === payloads.length, 60_000, 'every thread through the relay, to its end').catch((error: Error) => {
        const stuck = host.store.snapshot().filter((thread) => thread.threadId.startsWith('relay') && thread.turns.at(-1)?.status === 'running');
        const seen = host.store.snapshot().filter((thread) => thread.threadId.startsWith('relay')).length;
        throw new Error(`${error.message}: ${seen} threads seen, stuck: ${stuck.map((thread) => JSON.stringify(thread.threadId.slice(0, 30))).join(', ')}; subscriber ${subscriber.state}`);
      });
      await host.settle();
      await assertInert('through the relay');
      assert.ok(sent > payloads.length * 3);
      const shown = await panel.page.locator('article.thread').count();
      assert.ok(shown >= payloads.length, `${shown} threads shown`);
    } finally {
      await publisher.close();
      await subscriber.disconnect();
      await relay.close();
    }
  });

  test('control: the checks do catch an active payload in the DOM', { timeout: TIMEOUT }, async () => {
    const { page } = panel;
    await assertPlantedCaught(page, `${server.origin}/leak?control`, PANEL_SHAPE);
    // Our own SVG is allowed only where the panel puts it, and only made of shapes and text.
    const sneaky = await page.evaluate(() => {
      const ns = 'http://www.w3.org/2000/svg';
      const loose = document.createElementNS(ns, 'svg');
      loose.setAttribute('class', 'forecast-chart');
      const weather = document.querySelector('.tool > p.weather')!;
      const icon = document.createElementNS(ns, 'svg');
      icon.setAttribute('class', 'weather-icon');
      icon.append(document.createElementNS(ns, 'foreignObject'));
      weather.append(icon);
      const button = document.createElement('button');
      button.className = 'forecast-data-toggle';
      document.getElementById('control')!.append(loose, button);
      return weather.isConnected;
    });
    assert.equal(sneaky, true);
    const more = await inspectDom(page, PANEL_SHAPE);
    assert.ok(more.includes('<svg> in the panel'), more.join('\n'));
    assert.ok(more.includes('<foreignObject> in our <svg>'), more.join('\n'));
    assert.ok(more.includes('active element outside the panel'), more.join('\n'));
    assert.ok(more.includes('buttons inside threads'), more.join('\n'));
    await page.evaluate(() => document.querySelector('.tool > p.weather > svg.weather-icon:last-child')!.remove());
    // The CSP is the second line of defence: the handler and the image are both refused.
    assert.equal(await page.evaluate(() => window.__pwned), undefined);
    const directives = (await panel.violations()).map((violation) => violation.directive);
    assert.ok(directives.includes('img-src'), directives.join());
    assert.ok(directives.includes('script-src-attr'), directives.join());
    assert.ok(!server.requests.some((path) => path === '/leak?control'));
    await page.evaluate(() => document.getElementById('control')!.remove());
  });
});
