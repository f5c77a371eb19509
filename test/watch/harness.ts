/**
 * The relay's watch page as a teammate gets it: the real relay (dist/relay.js, its web routes
 * on, as the command line runs it) serves the page, and headless Debian Chromium opens it.
 * Each page records what it logged, requested and tried (CSP violations, dialogs, windows), and
 * the helpers read what it shows. Run `npm run build` first.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, ConsoleMessage, Page } from 'playwright-core';
import { ROOT } from '../panel/harness';
import type { PageShape } from '../panel/xss-corpus';
import type { TestContext } from 'node:test';
import { spawnRelay, type RelayProcess } from '../support/relay-process';
import { within } from '../support/wait';

export const CHANNEL = 'weather-update';

/** The bundle the build wrote, as the relay serves it. */
export function watchManifest(): { script: string; style: string } {
  return JSON.parse(readFileSync(resolve(ROOT, 'dist/watch/manifest.json'), 'utf8'));
}

/** What the watch page itself holds besides the panel's view: the filter's search, the token form, the way back to the channels. */
export function watchShape(): PageShape {
  return {
    controls:
      'header > .filter > input#feed-search, header > form.token-form, header > form.token-form input[type="password"], header > .watch-controls > nav > a[href="/"]',
    textareas: 0,
    inputs: 2,
    script: `/assets/${watchManifest().script}`,
    links: 1,
    metas: 2,
  };
}

/** The page's address on a relay started by spawnRelay (loopback, plain HTTP). */
export function webOrigin(relay: RelayProcess): string {
  return `http://127.0.0.1:${relay.port}`;
}

declare global {
  interface Window {
    /** CSP violations the page reported, recorded by the init script. */
    __violations?: Array<{ directive: string; blocked: string }>;
  }
}

export interface WatchTab {
  context: BrowserContext;
  page: Page;
  /** What the page logged, with the address it concerned (`url`), if any. */
  consoleMessages: Array<{ type: string; text: string; url: string }>;
  pageErrors: string[];
  dialogs: string[];
  /** Every URL the page asked for, its WebSockets included. */
  requestUrls: string[];
  /** The WebSocket URLs the page opened. */
  sockets: string[];
  /** The text frames the page sent on them. */
  framesSent: string[];
  violations(): Promise<Array<{ directive: string; blocked: string }>>;
  /** The header's connection state, in words ("Connected", "Reconnecting…"). */
  connection(): Promise<string>;
  waitForConnection(text: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface TabOptions {
  colorScheme?: 'light' | 'dark';
  forcedColors?: 'active' | 'none';
  viewport?: { width: number; height: number };
  deviceScaleFactor?: number;
  /** Open in this context (its session storage is the tab's) rather than a new one. */
  context?: BrowserContext;
}

function recordViolations(): void {
  const violations: Array<{ directive: string; blocked: string }> = [];
  Object.defineProperty(window, '__violations', { value: violations, enumerable: false });
  document.addEventListener('securitypolicyviolation', (event) => violations.push({ directive: event.violatedDirective, blocked: event.blockedURI }));
}

/** Opens `path` of the relay's pages at `origin` in a tab of its own (a fresh context: nothing stored). */
export async function openTab(browser: Browser, origin: string, path: string, options: TabOptions = {}): Promise<WatchTab> {
  const context =
    options.context ??
    (await browser.newContext({
      viewport: options.viewport ?? { width: 900, height: 800 },
      deviceScaleFactor: options.deviceScaleFactor ?? 1,
      colorScheme: options.colorScheme ?? 'light',
      forcedColors: options.forcedColors ?? 'none',
    }));
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const tab: WatchTab = {
    context,
    page,
    consoleMessages: [],
    pageErrors: [],
    dialogs: [],
    requestUrls: [],
    sockets: [],
    framesSent: [],
    violations: () => page.evaluate(() => window.__violations ?? []),
    connection: async () => ((await page.locator('header .connection').textContent()) ?? '').trim(),
    waitForConnection: async (text, timeoutMs = 15_000) => {
      await page.waitForFunction((wanted) => document.querySelector('header .connection')?.textContent?.trim() === wanted, text, { timeout: timeoutMs });
    },
    close: () => (options.context ? page.close() : context.close()),
  };
  page.on('dialog', (dialog) => {
    tab.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => undefined);
  });
  page.on('console', (message: ConsoleMessage) => tab.consoleMessages.push({ type: message.type(), text: message.text(), url: message.location().url }));
  page.on('pageerror', (error) => tab.pageErrors.push(String(error)));
  page.on('request', (request) => tab.requestUrls.push(request.url()));
  page.on('websocket', (socket) => {
    tab.sockets.push(socket.url());
    tab.requestUrls.push(socket.url());
    socket.on('framesent', (frame) => {
      if (typeof frame.payload === 'string') tab.framesSent.push(frame.payload);
    });
  });
  await page.addInitScript(recordViolations);
  await page.goto(`${origin}${path}`);
  return tab;
}

/** What the watch page shows of its threads, read from the DOM. */
export interface ShownThread {
  threadId: string;
  /** Per turn: its tool cards' messages and states, the answer's text, the outcome in words, and its buttons. */
  turns: Array<{ tools: string[]; toolStates: string[]; answer: string; outcome: string; actions: string[] }>;
}

export function shownThreads(page: Page): Promise<ShownThread[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('article.thread'), (article) => ({
      threadId: article.querySelector('.thread-title code')?.textContent ?? '',
      turns: Array.from(article.querySelectorAll('.turn'), (turn) => ({
        tools: Array.from(turn.querySelectorAll('.tool-message'), (element) => element.textContent ?? ''),
        toolStates: Array.from(turn.querySelectorAll('details.tool'), (element) => element.className.replace('tool', '').trim()),
        answer: (turn.querySelector('.answer')?.textContent ?? '').replace(/\s+/g, ' ').trim(),
        outcome: (turn.querySelector('.outcome > span')?.textContent ?? '').trim(),
        actions: Array.from(turn.querySelectorAll('.outcome button'), (button) => (button.textContent ?? '').trim()),
      })),
    })),
  );
}

/** Waits until `check` holds of what the page shows; the failure says what it showed last. */
export async function waitForThreads(page: Page, check: (threads: ShownThread[]) => boolean, what: string, timeoutMs = 20_000): Promise<ShownThread[]> {
  const deadline = Date.now() + timeoutMs;
  let last: ShownThread[] = [];
  while (Date.now() < deadline) {
    last = await shownThreads(page);
    if (check(last)) return last;
    await new Promise((done) => setTimeout(done, 100));
  }
  throw new Error(`${what}: not shown within ${timeoutMs} ms; the page shows ${JSON.stringify(last).slice(0, 2000)}`);
}

/** Stops a relay process at the end of a test, whatever happened. */
export function stopAtEnd(t: TestContext, relay: RelayProcess): void {
  t.after(async () => {
    await within(relay.stop('SIGKILL'), 5000, 'relay exit').catch(() => undefined);
  });
}

/** A relay started with `args` (beside --quiet) and a tab on `path` of its pages, both ended with the test. */
export async function relayWithTab(t: TestContext, browser: Browser, args: string[], path: string, options: TabOptions = {}): Promise<{ relay: RelayProcess; tab: WatchTab; page: Page }> {
  const relay = await spawnRelay(['--quiet', ...args]);
  stopAtEnd(t, relay);
  const tab = await openTab(browser, webOrigin(relay), path, options);
  t.after(() => tab.close());
  return { relay, tab, page: tab.page };
}
