// Fixture for the suites in test/vscode/suite/, run by the node:test driver before VS Code starts
// (see test/vscode/README.md). Everything listens on 127.0.0.1 only:
//   - two real relays (A: the one the extension starts on; B: the one suites move it to),
//   - the fake OpenAI server (test/fakes/openai-server.ts) and the fake weather server,
//   - a small JSON control server through which suites in the extension host script the fakes
//     (enqueue scenarios, read recorded requests, switch the weather mode),
//   - a UI driver: the launcher's headless Chromium is started through a wrapper (WEATHER_CHROMIUM)
//     that adds --remote-debugging-port on 127.0.0.1, and this process attaches to it with
//     playwright-core's connectOverCDP, so a suite can ask for what the extension host cannot do
//     itself: type in the command palette like a user, read the Live Activity webview's DOM, run
//     axe-core in it, take a picture of just the side bar. WEATHER_VSCODE_UI_DRIVER=0 turns it
//     off (the UI routes then answer { available: false } and the suites skip those checks).
// The extension host gets their addresses as WEATHER_TEST_* variables, and VS Code starts with
// user settings that already point the extension at them (WEATHER_VSCODE_SETTINGS, read by
// scripts/vscode-server.mjs), so no request of the extension can ever leave the machine.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AxeResults, Result as AxeRule } from 'axe-core';
import { chromium, type Browser, type Frame, type Page } from 'playwright-core';
import { startRelay, type RunningRelay } from '../../src/relay';
import { startFakeOpenAI, type FakeOpenAIOptions, type Scenario } from '../fakes/openai-server';
import { FAKE_OWM_API_KEY, startFakeWeatherServer, type FakeEndpoint, type FakeMode } from '../fakes/weather-server';

/** The key the extension host sees in OPENAI_API_KEY (never a real one). */
export const ENV_API_KEY = 'sk-env-fallback-0123456789abcdef';
/** The key the extension host sees in OPENWEATHERMAP_API_KEY (the fake accepts it: test/fakes/weather-server.ts). */
const ENV_OWM_KEY = FAKE_OWM_API_KEY;

export async function setup(): Promise<{ env: Record<string, string>; teardown: () => Promise<void> }> {
  const relays: RunningRelay[] = [];
  const closers: Array<() => Promise<void>> = [];
  try {
    const relayA = await startRelay({ host: '127.0.0.1', port: 0 });
    relays.push(relayA);
    const relayB = await startRelay({ host: '127.0.0.1', port: 0 });
    relays.push(relayB);
    for (const relay of relays) closers.push(() => relay.close());

    // Mutable: the control server changes apiKey while the run goes on.
    const openaiOptions: FakeOpenAIOptions = { logViolations: true };
    const openai = await startFakeOpenAI(openaiOptions);
    const allViolations: string[] = [];
    closers.push(async () => {
      allViolations.push(...openai.violations);
      openai.violations.length = 0; // reported through the control server, not as a teardown crash
      await openai.close();
    });
    const weather = await startFakeWeatherServer();
    closers.push(() => weather.close());

    const ui = await startUiDriver();
    closers.push(() => ui.close());

    const routes: Record<string, (body: any) => unknown> = {
      'GET /ui/status': () => ui.status(),
      'POST /ui/ask': (body: { question: string }) => ui.askFromPalette(body.question),
      'GET /ui/panel': () => ui.panel(),
      'GET /ui/notifications': () => ui.notifications(),
      'GET /ui/statusbar': () => ui.statusBar(),
      'POST /ui/screenshot-sidebar': (body: { name: string }) => ui.screenshotSidebar(body.name),
      'POST /ui/screenshot-statusbar': (body: { name: string }) => ui.screenshotStatusBar(body.name),
      'POST /ui/layout': (body: Partial<PanelLayout>) => ui.layout(body),
      'GET /ui/panel-theme': () => ui.panelTheme(),
      'POST /ui/panel-open-details': () => ui.openPanelDetails(),
      'POST /ui/axe': () => ui.axe(),
      'POST /ui/composer-type': (body: { text: string }) => ui.typeInComposer(body.text),
      'GET /ui/composer': () => ui.composer(),
      'POST /ui/panel-press': (body: { key: string }) => ui.pressInPanel(body.key),
      'POST /ui/panel-button': (body: PanelButton) => ui.pressPanelButton(body),
      'GET /ui/panel-live-region': () => ui.liveRegion(),
      'GET /ui/panel-focus': () => ui.panelFocus(),
      'GET /ui/panel-scroll': () => ui.panelScroll(),
      'POST /ui/panel-scroll-top': () => ui.scrollPanelToTop(),
      'POST /openai/enqueue': (scenarios: Scenario[]) => {
        openai.enqueue(...scenarios);
        return { pending: openai.pending() };
      },
      'POST /openai/reset': () => {
        allViolations.push(...openai.violations);
        openai.reset();
        return {};
      },
      'POST /openai/config': (body: { apiKey?: string | null; models?: string[] | null }) => {
        if (body.apiKey) openaiOptions.apiKey = body.apiKey;
        else if ('apiKey' in body) delete openaiOptions.apiKey;
        if (body.models) openaiOptions.models = body.models;
        else if ('models' in body) delete openaiOptions.models;
        return {};
      },
      'GET /openai/requests': () => openai.requests,
      'GET /openai/state': () => ({ pending: openai.pending(), violations: [...allViolations, ...openai.violations] }),
      'POST /weather/mode': (body: { mode: FakeMode; endpoint?: FakeEndpoint }) => {
        weather.setMode(body.mode, body.endpoint);
        return {};
      },
      'POST /weather/reset': () => {
        weather.reset();
        return {};
      },
      'GET /weather/requests': () => weather.requests,
    };
    const control = createServer((request: IncomingMessage, response: ServerResponse) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const route = routes[`${request.method} ${(request.url ?? '').split('?')[0]}`];
        let status = 200;
        let result: unknown;
        try {
          if (!route) throw Object.assign(new Error(`no route ${request.method} ${request.url}`), { status: 404 });
          const text = Buffer.concat(chunks).toString('utf8');
          result = await route(text ? JSON.parse(text) : undefined);
        } catch (error) {
          status = (error as { status?: number }).status ?? 500;
          result = { error: (error as Error).message };
        }
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(result ?? {}));
      });
    });
    await new Promise<void>((resolve, reject) => {
      control.once('error', reject);
      control.listen(0, '127.0.0.1', () => resolve());
    });
    closers.push(
      () =>
        new Promise<void>((resolve) => {
          control.closeAllConnections();
          control.close(() => resolve());
        }),
    );
    const controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;

    let userSettings: Record<string, unknown> = {};
    try {
      userSettings = JSON.parse(process.env.WEATHER_VSCODE_SETTINGS || '{}');
    } catch {
      // scripts/vscode-server.mjs reports a malformed value itself
    }
    const settings = {
      ...userSettings,
      'weatherAssistant.server.uri': relayA.url,
      'weatherAssistant.baseUrl': openai.baseUrl,
      'weatherAssistant.model': 'gpt-test-mini',
      'weatherAssistant.weather.forecastUrl': weather.forecastUrl,
      'weatherAssistant.weather.geocodingUrl': weather.geocodingUrl,
    };

    return {
      env: {
        ...ui.env,
        OPENAI_API_KEY: ENV_API_KEY,
        OPENWEATHERMAP_API_KEY: ENV_OWM_KEY,
        OPENAI_BASE_URL: openai.baseUrl, // belt and braces: nothing may default to api.openai.com
        // code-server's extension gallery defaults to open-vsx.org, which VS Code looks up at start;
        // a dead loopback gallery keeps that name (and any other) away from the DNS resolver.
        EXTENSIONS_GALLERY: process.env.EXTENSIONS_GALLERY ?? JSON.stringify(deadGallery()),
        WEATHER_VSCODE_SETTINGS: JSON.stringify(settings),
        WEATHER_TEST_CONTROL_URL: controlUrl,
        WEATHER_TEST_RELAY_A: relayA.url,
        WEATHER_TEST_RELAY_B: relayB.url,
        WEATHER_TEST_OPENAI_URL: openai.baseUrl,
        WEATHER_TEST_FORECAST_URL: weather.forecastUrl,
        WEATHER_TEST_GEOCODING_URL: weather.geocodingUrl,
        WEATHER_TEST_ENV_API_KEY: ENV_API_KEY,
        WEATHER_TEST_OWM_URL: weather.owmUrl,
      },
      async teardown() {
        for (const close of closers.reverse()) await close().catch((error) => console.error(`vscode setup teardown: ${error}`));
        if (allViolations.length > 0) console.error(`fake OpenAI violations during the VS Code run:\n${allViolations.join('\n')}`);
      },
    };
  } catch (error) {
    for (const close of closers.reverse()) await close().catch(() => {});
    throw error;
  }
}

function deadGallery() {
  const base = 'http://127.0.0.1:9/vscode'; // port 9 (discard): nothing listens, refused at once
  return {
    serviceUrl: `${base}/gallery`,
    itemUrl: `${base}/item`,
    extensionUrlTemplate: `${base}/gallery/{publisher}/{name}/latest`,
    resourceUrlTemplate: `${base}/asset/{publisher}/{name}/{version}/Microsoft.VisualStudio.Code.WebResources/{path}`,
  };
}

// ---- the UI driver ---------------------------------------------------------------------------

const repo = resolve(__dirname, '..', '..', '..');
const outputDir = join(repo, 'test-output');

async function freeLoopbackPort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

const unavailable = (reason: string) => ({ available: false as const, reason });

/** What the Live Activity webview shows, read from its DOM. */
export interface PanelSummary {
  available: true;
  header: string;
  threads: Array<{
    title: string;
    turns: Array<{ status: string; question: string; tools: Array<{ status: string; text: string }>; answerText: string; answerHtml: string; outcome: string }>;
  }>;
  empty: string;
}

/** One axe-core rule's outcome, cut to a size a test log can show. */
export interface AxeRuleSummary {
  id: string;
  impact: string | null;
  help: string;
  /** Every node the rule flagged; `nodes` lists the first AXE_MAX_NODES. */
  nodeCount: number;
  nodes: Array<{ target: string; html: string; summary: string }>;
}

export interface AxeReport {
  available: true;
  violations: AxeRuleSummary[];
  /** What axe could not decide alone (e.g. a contrast over an unknown background). */
  incomplete: AxeRuleSummary[];
  passes: number;
}

/** The side bar's width and the window's height, in CSS pixels. */
export interface PanelLayout {
  sidebarWidth: number;
  height: number | 'fit-panel';
}
const MAX_WINDOW_HEIGHT = 3000;
/** How long a shown Live Activity view may take to load its webview before it counts as not open. */
const PANEL_LOAD_MS = 5000;

/** A button of the Live Activity webview, found as a screen reader would: by its role and accessible name. */
export interface PanelButton {
  /** The accessible name, matched exactly (`Stop this turn`, `Copy code`). */
  name: string;
  /** Only within the thread's article (`Thread <id>`). */
  thread?: string;
  /** Which of several matches (from 0; -1 the last); without it the name must be unique. */
  nth?: number;
  /** `click` with the mouse (the default), or focus it and press `Enter` or `Space` (`' '`). */
  via?: 'click' | 'Enter' | ' ';
}

/** The composer at the foot of the panel, as the reader sees it. */
export interface ComposerState {
  available: true;
  value: string;
  /** Where the caret is (selectionStart). */
  caret: number;
  disabled: boolean;
  /** The queued questions listed above the box (none while the list is hidden), each with its Remove button's name. */
  queued: Array<{ text: string; remove: string }>;
}

/** What has keyboard focus in the webview: whether the webview has it at all, and the element's tag and label. */
export interface PanelFocus {
  available: true;
  /** The webview's document has focus (keys typed now go to it). */
  hasFocus: boolean;
  /** Upper-case tag name of document.activeElement (`BODY` when nothing in particular has focus). */
  tag: string;
  /** Its accessible label: aria-label, else its <label>, else its text (cut to 200). */
  label: string;
}

/** The panel's scroll position (the feed, .feed-scroll), and whether "New activity" offers the way down. */
export interface PanelScroll {
  available: true;
  scrollTop: number;
  scrollHeight: number;
  clientHeight: number;
  /** Pixels between the bottom of the view and the bottom of the feed (0: at the bottom). */
  gapToBottom: number;
  newActivityVisible: boolean;
}

/** WCAG 2.0 and 2.1, levels A and AA. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const AXE_MAX_NODES = 10;

let axeSourceText: string | undefined;
const axeSource = () => (axeSourceText ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function summarizeAxeRules(rules: AxeRule[]): AxeRuleSummary[] {
  return rules.map((rule) => ({
    id: rule.id,
    impact: rule.impact ?? null,
    help: rule.help,
    nodeCount: rule.nodes.length,
    nodes: rule.nodes.slice(0, AXE_MAX_NODES).map((node) => ({
      target: node.target.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' '),
      html: cut(node.html, 200),
      summary: cut(node.failureSummary ?? '', 600),
    })),
  }));
}

/** Evaluated in the webview: what has keyboard focus there (PanelFocus). */
function focusOf(): PanelFocus {
  const active = document.activeElement as HTMLElement | null;
  const labelled = active as (HTMLElement & { labels?: NodeListOf<HTMLLabelElement> | null }) | null;
  // <body> has no label of its own (its text would be the whole panel's).
  const label = !active || active === document.body ? '' : (active.getAttribute('aria-label') ?? labelled?.labels?.[0]?.textContent ?? active.innerText ?? '');
  return { available: true, hasFocus: document.hasFocus(), tag: active?.tagName ?? '', label: label.trim().slice(0, 200) };
}

async function startUiDriver() {
  if (process.env.WEATHER_VSCODE_UI_DRIVER === '0' || process.env.WEATHER_VSCODE_DESKTOP === '1') {
    const reason = 'the UI driver is off (WEATHER_VSCODE_UI_DRIVER=0 or desktop VS Code)';
    const off = async () => unavailable(reason);
    return {
      env: {} as Record<string, string>,
      status: () => unavailable(reason),
      askFromPalette: off,
      panel: off,
      notifications: off,
      statusBar: off,
      screenshotSidebar: off,
      screenshotStatusBar: off,
      layout: off,
      panelTheme: off,
      openPanelDetails: off,
      axe: off,
      typeInComposer: off,
      composer: off,
      pressInPanel: off,
      pressPanelButton: off,
      liveRegion: off,
      panelFocus: off,
      panelScroll: off,
      scrollPanelToTop: off,
      close: async () => {},
    };
  }
  const port = await freeLoopbackPort();
  const dir = mkdtempSync(join(tmpdir(), 'weather-vscode-ui-'));
  const wrapper = join(dir, 'chromium');
  const real = process.env.WEATHER_CHROMIUM || '/usr/bin/chromium';
  writeFileSync(wrapper, `#!/bin/sh\nexec '${real.replace(/'/g, `'\\''`)}' --remote-debugging-port=${port} "$@"\n`);
  chmodSync(wrapper, 0o755);
  let browser: Browser | undefined;
  let failure: string | undefined;

  const workbench = async (): Promise<Page> => {
    if (!browser?.isConnected()) {
      browser = await chromium.connectOverCDP(`http://127.0.0.1:${port}`, { timeout: 10_000 });
    }
    for (const context of browser.contexts()) {
      for (const page of context.pages()) if (page.url().includes('payload=')) return page;
    }
    throw new Error('no VS Code workbench page in the browser');
  };
  /** Runs `body` against the workbench, or says why it cannot. */
  const withPage = async <T>(body: (page: Page) => Promise<T>): Promise<T | ReturnType<typeof unavailable>> => {
    if (failure) return unavailable(failure);
    let page: Page;
    try {
      page = await workbench();
    } catch (error) {
      failure = `cannot attach to the launcher's Chromium on 127.0.0.1:${port}: ${(error as Error).message.split('\n')[0]}`;
      return unavailable(failure);
    }
    return body(page);
  };

  /** A picture of one part of the workbench, in test-output/<name>.png. */
  const screenshotPart = (selector: string, name: string) =>
    withPage(async (page) => {
      mkdirSync(outputDir, { recursive: true });
      const file = join(outputDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
      await page.locator(selector).screenshot({ path: file, timeout: 10_000 });
      return { available: true as const, file };
    });

  const panelFrame = async (page: Page): Promise<Frame | undefined> => {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      try {
        if ((await frame.locator('.threads').count()) > 0) return frame;
      } catch {
        // a frame that went away while we looked
      }
    }
    return undefined;
  };
  /**
   * Runs `body` against the Live Activity webview's frame, or says why it cannot. The
   * webview loads some time after its view is shown, so a missing frame is waited for
   * (bounded) rather than reported at once: a caller that just revealed the panel must
   * not mistake "still loading" for "not open" and skip its checks.
   */
  const withPanel = <T>(body: (frame: Frame) => Promise<T>) =>
    withPage(async (page) => {
      const deadline = Date.now() + PANEL_LOAD_MS;
      for (let frame = await panelFrame(page); ; frame = await panelFrame(page)) {
        if (frame) return body(frame);
        if (Date.now() >= deadline) return unavailable('the Live Activity webview is not open');
        await page.waitForTimeout(100);
      }
    });

  return {
    env: { WEATHER_CHROMIUM: wrapper } as Record<string, string>,
    status: () => (failure ? unavailable(failure) : { available: true as const }),

    /** F1, "Weather Assistant: Ask", Enter, the question, Enter: as a user would. */
    askFromPalette: (question: string) =>
      withPage(async (page) => {
        await page.keyboard.press('Escape');
        await page.keyboard.press('F1');
        const widget = page.locator('.quick-input-widget');
        await widget.locator('input.input').first().waitFor({ state: 'visible', timeout: 5000 });
        await page.keyboard.type('Weather Assistant: Ask', { delay: 5 });
        const focused = widget.locator('.monaco-list-row.focused');
        const deadline = Date.now() + 5000;
        let label = '';
        while (Date.now() < deadline) {
          label = (await focused.first().innerText({ timeout: 1000 }).catch(() => '')).trim();
          if (/^Weather Assistant: Ask\b/.test(label)) break;
          await page.waitForTimeout(50);
        }
        if (!/^Weather Assistant: Ask\b/.test(label)) throw new Error(`the palette did not select "Weather Assistant: Ask" (focused: ${JSON.stringify(label)})`);
        await page.keyboard.press('Enter');
        await widget.locator('.quick-input-title', { hasText: 'Ask the Weather Assistant' }).waitFor({ state: 'visible', timeout: 5000 });
        await page.keyboard.type(question, { delay: 5 });
        await page.keyboard.press('Enter');
        return { available: true as const, selected: label };
      }),

    panel: () =>
      withPanel((frame): Promise<PanelSummary> =>
        frame.evaluate(() => {
          const text = (node: Element | null) => (node as HTMLElement | null)?.innerText.trim() ?? '';
          return {
            available: true as const,
            header: text(document.querySelector('header')),
            empty: text(document.querySelector('.empty')),
            threads: Array.from(document.querySelectorAll('article.thread')).map((thread) => ({
              title: text(thread.firstElementChild),
              turns: Array.from(thread.querySelectorAll('section.turn')).map((turn) => ({
                status: (turn as HTMLElement).dataset.status ?? '',
                question: text(turn.querySelector('.question')),
                tools: Array.from(turn.querySelectorAll('details.tool')).map((tool) => ({ status: tool.className, text: text(tool) })),
                answerText: text(turn.querySelector('.answer')),
                answerHtml: turn.querySelector('.answer')?.innerHTML ?? '',
                outcome: text(turn.querySelector('.outcome')),
              })),
            })),
          };
        }),
      ),

    /** The messages of the notification toasts on screen now. */
    notifications: () =>
      withPage(async (page) => ({
        available: true as const,
        // Toasts, and the notification center's list (extension test runs show no toasts).
        messages: await page.locator('.notifications-toasts .notification-list-item-message, .notifications-center .notification-list-item-message').allInnerTexts(),
      })),

    /** The accessible labels of the status bar's items. */
    statusBar: () =>
      withPage(async (page) => ({
        available: true as const,
        items: await page.locator('.part.statusbar .statusbar-item').evaluateAll((items) =>
          items.map((item) => ({ label: item.getAttribute('aria-label') ?? '', text: (item as HTMLElement).innerText.trim() })),
        ),
      })),

    /** A picture of the side bar alone (where the Live Activity view lives), in test-output/. */
    screenshotSidebar: (name: string) => screenshotPart('.part.sidebar', name),

    /** A picture of the status bar alone, in test-output/. */
    screenshotStatusBar: (name: string) => screenshotPart('.part.statusbar', name),

    /**
     * Resizes what the screenshots and axe see: the side bar to `sidebarWidth` (dragging its sash,
     * as a user would), the window to `height`, or, with 'fit-panel', tall enough for the whole
     * Live Activity feed to show unscrolled (so no sticky header or composer covers any of it).
     * Answers with the layout it found, which given back restores it.
     */
    layout: (wanted: Partial<PanelLayout>) =>
      withPage(async (page) => {
        const sidebar = page.locator('.part.sidebar');
        const box = await sidebar.boundingBox();
        if (!box) return unavailable('the side bar is hidden');
        const viewport = await page.evaluate(() => ({ width: innerWidth, height: innerHeight }));
        const before: PanelLayout = { sidebarWidth: box.width, height: viewport.height };
        if (wanted.sidebarWidth !== undefined && wanted.sidebarWidth !== box.width) {
          const y = box.y + box.height / 2;
          await page.mouse.move(box.x + box.width, y);
          await page.mouse.down();
          await page.mouse.move(box.x + wanted.sidebarWidth, y, { steps: 5 });
          await page.mouse.up();
        }
        let height = wanted.height;
        if (height === 'fit-panel') {
          await page.waitForTimeout(200); // the webview lays out again after the side bar moved
          const frame = await panelFrame(page);
          if (!frame) return unavailable('the Live Activity webview is not open');
          height = viewport.height + (await frame.evaluate(() => {
            const feed = document.querySelector('.feed-scroll') ?? document.documentElement;
            return feed.scrollHeight - feed.clientHeight;
          }));
        }
        if (height !== undefined && height !== viewport.height) {
          await page.setViewportSize({ width: viewport.width, height: Math.min(height, MAX_WINDOW_HEIGHT) });
          await page.waitForTimeout(200);
        }
        return { available: true as const, before };
      }),

    /** The theme the webview was last told about (VS Code sets these on the frame's body). */
    panelTheme: () =>
      withPanel((frame) =>
        frame.evaluate(() => ({ available: true as const, kind: document.body.dataset.vscodeThemeKind ?? '', id: document.body.dataset.vscodeThemeId ?? '' })),
      ),

    /** Opens every collapsed <details> in the panel (tool cards, raw results) by clicking its summary. */
    openPanelDetails: () =>
      withPanel(async (frame) => {
        const closed = frame.locator('details:not([open]) > summary').filter({ visible: true });
        let opened = 0;
        // One at a time: opening a card reveals the closed "Raw result" inside it. Bounded, in
        // case the panel re-renders a card closed again.
        for (; opened < 50 && (await closed.count()) > 0; opened++) await closed.first().click({ timeout: 5000 });
        return { available: true as const, opened };
      }),

    /** axe-core's WCAG 2.0/2.1 A and AA rules run on the Live Activity webview as it is now. */
    axe: () =>
      withPanel(async (frame): Promise<AxeReport> => {
        // Evaluated through CDP, which the webview's CSP (scripts by nonce only) does not govern.
        if (!(await frame.evaluate(() => 'axe' in window))) await frame.evaluate(axeSource());
        const results = await frame.evaluate(async (tags) => {
          const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<AxeResults> } }).axe;
          const { violations, incomplete, passes } = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
          return { violations, incomplete, passes: passes.length };
        }, AXE_TAGS);
        return { available: true, violations: summarizeAxeRules(results.violations), incomplete: summarizeAxeRules(results.incomplete), passes: results.passes };
      }),

    /** Focuses the panel's question box and types `text` with real key events (a newline would be Enter: use pressInPanel('Shift+Enter')). */
    typeInComposer: (text: string) =>
      withPanel(async (frame) => {
        await frame.locator('#composer-input').focus({ timeout: 5000 });
        await frame.page().keyboard.type(text, { delay: 5 });
        return { available: true as const };
      }),

    /** The question box's text and caret, and the queued questions listed above it. */
    composer: () =>
      withPanel((frame) =>
        frame.evaluate((): ComposerState => {
          const input = document.querySelector<HTMLTextAreaElement>('#composer-input');
          if (!input) throw new Error('the panel has no #composer-input');
          const list = input.closest('.composer')?.querySelector<HTMLElement>('ul');
          const items = list && !list.hidden ? Array.from(list.querySelectorAll('li')) : [];
          return {
            available: true,
            value: input.value,
            caret: input.selectionStart,
            disabled: input.disabled,
            queued: items.map((item) => {
              const button = item.querySelector('button');
              const parts = Array.from(item.children).filter((child) => child !== button);
              return { text: (parts.at(-1) as HTMLElement | undefined)?.innerText.trim() ?? '', remove: button?.getAttribute('aria-label') ?? '' };
            }),
          };
        }),
      ),

    /** Presses `key` (Playwright's names: `Enter`, `Shift+Enter`, `ArrowUp`) where the webview's keyboard focus is; refused when the webview does not have it. */
    pressInPanel: (key: string) =>
      withPanel(async (frame) => {
        const before = await frame.evaluate(focusOf);
        if (!before.hasFocus) throw new Error(`the Live Activity webview does not have keyboard focus (${key} would go elsewhere)`);
        await frame.page().keyboard.press(key);
        return { available: true as const, target: before };
      }),

    /** Clicks, or focuses and presses Enter / Space on, a button of the panel named `name` (in thread `thread`). */
    pressPanelButton: ({ name, thread, nth, via = 'click' }: PanelButton) =>
      withPanel(async (frame) => {
        const scope = thread === undefined ? frame : frame.getByRole('article', { name: `Thread ${thread}`, exact: true });
        const matches = scope.getByRole('button', { name, exact: true });
        const button = nth === undefined ? matches : matches.nth(nth);
        if (via === 'click') await button.click({ timeout: 5000 });
        else {
          await button.focus({ timeout: 5000 });
          await frame.page().keyboard.press(via);
        }
        return { available: true as const };
      }),

    /** What the panel's polite live region (the last child of #app) says now. */
    liveRegion: () =>
      withPanel((frame) =>
        frame.evaluate(() => {
          const region = document.querySelector('#app > .visually-hidden[aria-live="polite"]:last-child');
          if (!region) throw new Error('the panel has no polite live region at the end of #app');
          return { available: true as const, text: region.textContent ?? '' };
        }),
      ),

    /** What has keyboard focus in the webview. */
    panelFocus: () => withPanel((frame) => frame.evaluate(focusOf)),

    /** The panel's scroll position and whether the "New activity" button shows. */
    panelScroll: () =>
      withPanel(async (frame): Promise<PanelScroll> => {
        const scroll = await frame.evaluate(() => {
          const scroller = document.querySelector('.feed-scroll') ?? document.documentElement;
          const { scrollTop, scrollHeight, clientHeight } = scroller;
          return { scrollTop, scrollHeight, clientHeight, gapToBottom: scrollHeight - clientHeight - scrollTop };
        });
        return { available: true, ...scroll, newActivityVisible: await frame.locator('button.new-activity').isVisible() };
      }),

    /** Scrolls the panel to its top with the mouse wheel over the feed, as a reader would; answers with where it stopped. */
    scrollPanelToTop: () =>
      withPanel(async (frame) => {
        const box = await (await frame.frameElement()).boundingBox();
        if (!box) throw new Error('the Live Activity webview has no box on screen');
        const page = frame.page();
        await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
        const scrollTop = () => frame.evaluate(() => (document.querySelector('.feed-scroll') ?? document.documentElement).scrollTop);
        let top = await scrollTop();
        for (let turn = 0; turn < 50 && top > 0; turn++) {
          await page.mouse.wheel(0, -Math.max(400, top));
          await page.waitForTimeout(50);
          top = await scrollTop();
        }
        return { available: true as const, scrollTop: top };
      }),

    async close() {
      await browser?.close().catch(() => {}); // disconnects; the launcher owns the browser
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
