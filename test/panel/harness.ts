/**
 * Runs the real Live Activity panel (dist/panel.js, media/panel.css, codicons) in
 * headless Debian Chromium, inside the exact HTML shell and CSP the extension gives the
 * webview, served from a tiny loopback HTTP server. A fake `acquireVsCodeApi` records
 * what the panel posts; a `PanelHost` drives the real ActivityStore → PanelBatcher →
 * window.postMessage path, as the extension host does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from 'playwright-core';
import { ActivityStore, PanelBatcher, type ActivityStoreOptions } from '../../src/activity';
import { createNonce, renderPanelHtml } from '../../src/extension/webview-html';
import { seededRandom } from '../support/random';
import type { ChannelPayload, EventStatus, HeaderView, HostToPanel, PanelToHost, PayloadType } from '../../src/protocol';

export const ROOT = resolve(__dirname, '../../..');
export const OUTPUT_DIR = resolve(ROOT, 'test-output');
export const CHROMIUM = '/usr/bin/chromium';

/** What the harness page keeps on `window.__harness` (set up by the init script). */
export interface HarnessState {
  posted: PanelToHost[];
  violations: Array<{ directive: string; blocked: string; sample: string }>;
  /** innerHTML assignments on elements of the page's own document. */
  /** `connected`: written in place (the answer's tail); detached: a new final block. */
  htmlSets: Array<{ frame: number | null; length: number; connected: boolean }>;
  acquireCalls: number;
  /** Links VS Code's own webview wrapper would have opened (its did-click-link). */
  wrapperLinkClicks: string[];
}

declare global {
  interface Window {
    __harness: HarnessState;
    /** XSS payloads try to set this. */
    __pwned?: unknown;
  }
}

const FONTS = `
  --vscode-font-family: system-ui, "Segoe UI", Ubuntu, "Droid Sans", sans-serif;
  --vscode-font-size: 13px;
  --vscode-editor-font-family: "DejaVu Sans Mono", "Droid Sans Mono", monospace;
  --vscode-editor-font-size: 12px;`;

/**
 * Built-in VS Code themes' colours, as the real webview would inject them: each theme's own
 * colours, and the colour registry's defaults for the kind of theme where it sets none
 * (VS Code 1.139; the high-contrast themes set almost none). A variable VS Code leaves out
 * (no value for that kind of theme) is left out here too.
 */
export const THEMES = {
  'dark-modern': `
  --vscode-foreground: #cccccc;
  --vscode-descriptionForeground: #9d9d9d;
  --vscode-sideBar-background: #181818;
  --vscode-editor-background: #1f1f1f;
  --vscode-panel-border: #2b2b2b;
  --vscode-widget-border: #313131;
  --vscode-editorWidget-background: #202020;
  --vscode-errorForeground: #f85149;
  --vscode-editorWarning-foreground: #cca700;
  --vscode-testing-iconPassed: #73c991;
  --vscode-button-secondaryForeground: #cccccc;
  --vscode-button-secondaryBackground: #313131;
  --vscode-button-secondaryHoverBackground: #3c3c3c;
  --vscode-button-border: #ffffff12;
  --vscode-focusBorder: #0078d4;
  --vscode-badge-foreground: #f8f8f8;
  --vscode-badge-background: #616161;
  --vscode-textLink-foreground: #4daafc;
  --vscode-textLink-activeForeground: #4daafc;
  --vscode-textBlockQuote-background: #2b2b2b;
  --vscode-textCodeBlock-background: #2b2b2b;
  --vscode-charts-foreground: #cccccc;
  --vscode-charts-lines: #cccccc80;
  --vscode-charts-red: #f14c4c;
  --vscode-charts-blue: #59a4f9;`,
  'light-modern': `
  --vscode-foreground: #3b3b3b;
  --vscode-descriptionForeground: #3b3b3b;
  --vscode-sideBar-background: #f8f8f8;
  --vscode-editor-background: #ffffff;
  --vscode-panel-border: #e5e5e5;
  --vscode-widget-border: #e5e5e5;
  --vscode-editorWidget-background: #f8f8f8;
  --vscode-errorForeground: #f85149;
  --vscode-editorWarning-foreground: #bf8803;
  --vscode-testing-iconPassed: #73c991;
  --vscode-button-secondaryForeground: #3b3b3b;
  --vscode-button-secondaryBackground: #e5e5e5;
  --vscode-button-secondaryHoverBackground: #cccccc;
  --vscode-button-border: #0000001a;
  --vscode-focusBorder: #005fb8;
  --vscode-badge-foreground: #3b3b3b;
  --vscode-badge-background: #cccccc;
  --vscode-textLink-foreground: #005fb8;
  --vscode-textLink-activeForeground: #005fb8;
  --vscode-textBlockQuote-background: #f8f8f8;
  --vscode-textCodeBlock-background: #f8f8f8;
  --vscode-charts-foreground: #3b3b3b;
  --vscode-charts-lines: #3b3b3b80;
  --vscode-charts-red: #e51400;
  --vscode-charts-blue: #0063d3;`,
  'high-contrast': `
  --vscode-foreground: #ffffff;
  --vscode-descriptionForeground: #ffffffb3;
  --vscode-sideBar-background: #000000;
  --vscode-editor-background: #000000;
  --vscode-contrastBorder: #6fc3df;
  --vscode-panel-border: #6fc3df;
  --vscode-widget-border: #6fc3df;
  --vscode-editorWidget-background: #0c141f;
  --vscode-errorForeground: #f48771;
  --vscode-editorWarning-foreground: #ffd370;
  --vscode-testing-iconPassed: #73c991;
  --vscode-button-secondaryForeground: #ffffff;
  --vscode-button-border: #6fc3df;
  --vscode-focusBorder: #f38518;
  --vscode-badge-foreground: #ffffff;
  --vscode-badge-background: #000000;
  --vscode-textLink-foreground: #21a6ff;
  --vscode-textLink-activeForeground: #21a6ff;
  --vscode-textCodeBlock-background: #000000;
  --vscode-charts-foreground: #ffffff;
  --vscode-charts-lines: #ffffff80;
  --vscode-charts-red: #f48771;
  --vscode-charts-blue: #59a4f9;`,
  'high-contrast-light': `
  --vscode-foreground: #292929;
  --vscode-descriptionForeground: #292929b3;
  --vscode-sideBar-background: #ffffff;
  --vscode-editor-background: #ffffff;
  --vscode-contrastBorder: #0f4a85;
  --vscode-panel-border: #0f4a85;
  --vscode-widget-border: #0f4a85;
  --vscode-editorWidget-background: #ffffff;
  --vscode-errorForeground: #b5200d;
  --vscode-editorWarning-foreground: #895503;
  --vscode-testing-iconPassed: #007100;
  --vscode-button-secondaryForeground: #292929;
  --vscode-button-secondaryBackground: #ffffff;
  --vscode-button-border: #0f4a85;
  --vscode-focusBorder: #006bbd;
  --vscode-badge-foreground: #ffffff;
  --vscode-badge-background: #0f4a85;
  --vscode-textLink-foreground: #0f4a85;
  --vscode-textLink-activeForeground: #0f4a85;
  --vscode-textBlockQuote-background: #f2f2f2;
  --vscode-textCodeBlock-background: #f2f2f2;
  --vscode-charts-foreground: #292929;
  --vscode-charts-lines: #29292980;
  --vscode-charts-red: #b5200d;
  --vscode-charts-blue: #0063d3;`,
} as const;

export type ThemeName = keyof typeof THEMES;

const themeCss = (theme: ThemeName) => `:root {${FONTS}${THEMES[theme]}\n}\n`;

export interface HarnessServer {
  origin: string;
  /** Every request path the server received, in order. */
  requests: string[];
  nonces: string[];
  close(): Promise<void>;
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/dist/panel.js': { file: 'dist/panel.js', type: 'text/javascript; charset=utf-8' },
  '/dist/panel.js.map': { file: 'dist/panel.js.map', type: 'application/json' },
  '/dist/codicons/codicon.css': { file: 'dist/codicons/codicon.css', type: 'text/css; charset=utf-8' },
  '/dist/codicons/codicon.ttf': { file: 'dist/codicons/codicon.ttf', type: 'font/ttf' },
  '/media/panel.css': { file: 'media/panel.css', type: 'text/css; charset=utf-8' },
};

export async function startServer(): Promise<HarnessServer> {
  for (const { file } of Object.values(STATIC)) {
    if (!file.endsWith('.map') && !existsSync(resolve(ROOT, file))) throw new Error(`${file} is missing: run \`npm run build\` first`);
  }
  const requests: string[] = [];
  const nonces: string[] = [];
  let origin = '';
  const server = http.createServer((request, response) => {
    const path = request.url ?? '/';
    requests.push(path);
    response.setHeader('Cache-Control', 'no-store');
    if (request.method !== 'GET') {
      response.writeHead(405).end();
      return;
    }
    const [route, query = ''] = path.split('?');
    // The page's theme: /panel.html?theme=<name> (Dark Modern unless said).
    const theme = new URLSearchParams(query).get('theme') ?? 'dark-modern';
    if (route === '/panel.html' && Object.hasOwn(THEMES, theme)) {
      const nonce = createNonce();
      nonces.push(nonce);
      const html = renderPanelHtml({
        cspSource: origin,
        scriptUri: `${origin}/dist/panel.js`,
        styleUris: [`${origin}/harness/theme.css?theme=${theme}`, `${origin}/dist/codicons/codicon.css`, `${origin}/media/panel.css`],
        nonce,
      });
      response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(html);
      return;
    }
    if (route === '/harness/theme.css' && Object.hasOwn(THEMES, theme)) {
      response.writeHead(200, { 'Content-Type': 'text/css; charset=utf-8' }).end(themeCss(theme as ThemeName));
      return;
    }
    const known = STATIC[path.split('?')[0]];
    if (known && existsSync(resolve(ROOT, known.file))) {
      response.writeHead(200, { 'Content-Type': known.type }).end(readFileSync(resolve(ROOT, known.file)));
      return;
    }
    response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    nonces,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** Headless Chromium; `extraArgs` are added to its command line (e.g. --host-resolver-rules). */
export function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 15_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

/** Runs in the page before any of its scripts; init scripts are not subject to the CSP. */
function initScript(): void {
  const state: HarnessState = { posted: [], violations: [], htmlSets: [], acquireCalls: 0, wrapperLinkClicks: [] };
  Object.defineProperty(window, '__harness', { value: state, enumerable: false });
  (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => {
    // Like VS Code: the API may be acquired once per page.
    if (++state.acquireCalls > 1) throw new Error('An instance of the VS Code API has already been acquired');
    return Object.freeze({
      postMessage: (message: PanelToHost) => {
        state.posted.push(JSON.parse(JSON.stringify(message)) as PanelToHost);
      },
      // Like VS Code: the state survives reloads of the webview (here: of the tab).
      getState: () => {
        const saved = sessionStorage.getItem('__vscodeState');
        return saved === null ? undefined : JSON.parse(saved);
      },
      setState: (value: unknown) => sessionStorage.setItem('__vscodeState', JSON.stringify(value)),
    });
  };
  // What VS Code's webview wrapper (webview/browser/pre/index.html) adds to the content
  // window: every click on an <a href> is opened by VS Code itself (it does not check
  // defaultPrevented), and middle clicks on links are cancelled.
  window.addEventListener('click', (event) => {
    for (const node of event.composedPath() as HTMLAnchorElement[]) {
      if (node.tagName === 'A' && node.href) {
        state.wrapperLinkClicks.push(node.href);
        event.preventDefault();
        return;
      }
    }
  });
  window.addEventListener('auxclick', (event) => {
    if (event.button !== 1) return;
    for (const node of event.composedPath() as HTMLAnchorElement[]) {
      if (node.tagName === 'A' && node.href) {
        event.preventDefault();
        return;
      }
    }
  });
  document.addEventListener('securitypolicyviolation', (event) => {
    state.violations.push({ directive: event.violatedDirective, blocked: event.blockedURI, sample: event.sample });
  });
  // Which animation frame (by timestamp) each innerHTML write happens in, if any.
  let frame: number | null = null;
  const nativeRaf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (callback) =>
    nativeRaf((time) => {
      frame = time;
      try {
        callback(time);
      } finally {
        frame = null;
      }
    });
  const descriptor = Object.getOwnPropertyDescriptor(Element.prototype, 'innerHTML')!;
  Object.defineProperty(Element.prototype, 'innerHTML', {
    ...descriptor,
    set(this: Element, value: string) {
      // DOMPurify parses in documents of its own: only writes into this page count.
      if (this.ownerDocument === document) state.htmlSets.push({ frame, length: String(value).length, connected: this.isConnected });
      descriptor.set!.call(this, value);
    },
  });
}

export interface PanelPage {
  context: BrowserContext;
  page: Page;
  dialogs: string[];
  consoleMessages: Array<{ type: string; text: string }>;
  pageErrors: string[];
  /** Every URL the page requested (all of them must be on the harness origin). */
  requestUrls: string[];
  posted(): Promise<PanelToHost[]>;
  violations(): Promise<HarnessState['violations']>;
  /** Console messages that report a CSP violation. */
  cspConsoleErrors(): string[];
  close(): Promise<void>;
}

export async function openPanel(
  browser: Browser,
  server: HarnessServer,
  options: { viewport?: { width: number; height: number }; deviceScaleFactor?: number; theme?: ThemeName } = {},
): Promise<PanelPage> {
  const theme = options.theme ?? 'dark-modern';
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 420, height: 800 },
    deviceScaleFactor: options.deviceScaleFactor ?? 1,
    colorScheme: theme.includes('light') ? 'light' : 'dark',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const dialogs: string[] = [];
  const consoleMessages: Array<{ type: string; text: string }> = [];
  const pageErrors: string[] = [];
  const requestUrls: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => undefined);
  });
  page.on('console', (message: ConsoleMessage) => consoleMessages.push({ type: message.type(), text: message.text() }));
  page.on('pageerror', (error) => pageErrors.push(String(error)));
  context.on('request', (request) => requestUrls.push(request.url()));
  await page.addInitScript(initScript);
  await page.goto(`${server.origin}/panel.html?theme=${theme}`);
  await page.waitForFunction(() => window.__harness.posted.some((message) => message.kind === 'ready'));
  return {
    context,
    page,
    dialogs,
    consoleMessages,
    pageErrors,
    requestUrls,
    posted: () => page.evaluate(() => window.__harness.posted),
    violations: () => page.evaluate(() => window.__harness.violations),
    cspConsoleErrors: () => consoleMessages.filter((message) => /Content Security Policy/i.test(message.text)).map((message) => message.text),
    close: () => context.close(),
  };
}

/**
 * One loopback server and one Chromium for the tests of the enclosing describe (set up and
 * torn down by its hooks); every page opened with `newPanel` is closed at the end.
 */
export function usePanels() {
  let browser: Browser | undefined;
  let server: HarnessServer | undefined;
  const open: PanelPage[] = [];
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    for (const panel of open) await panel.close().catch(() => undefined);
    await browser?.close();
    await server?.close();
  });
  return {
    get server(): HarnessServer {
      return server!;
    },
    async newPanel(options?: Parameters<typeof openPanel>[2]): Promise<PanelPage> {
      const panel = await openPanel(browser!, server!, options);
      open.push(panel);
      return panel;
    },
  };
}

export const DEFAULT_HEADER: HeaderView = {
  connection: 'connected',
  uri: 'ws://localhost:4000',
  channel: 'weather-update',
  hasApiKey: true,
  busy: false,
};

/**
 * The extension host's side, as in ActivityViewProvider: store changes go through a
 * PanelBatcher and are posted as arrays; `ready` gets a snapshot.
 */
export class PanelHost {
  readonly store: ActivityStore;
  readonly batches: HostToPanel[][] = [];
  /** False: batches are only counted and measured, not kept (for memory measurements). */
  keepBatches = true;
  /** Batches posted, and their size as JSON text (what crosses postMessage, roughly). */
  postedBatches = 0;
  postedBytes = 0;
  private readonly batcher: PanelBatcher;
  private chain: Promise<unknown> = Promise.resolve();
  private ready = false;

  constructor(
    private readonly panel: PanelPage,
    public header: HeaderView = DEFAULT_HEADER,
    storeOptions: ActivityStoreOptions | ActivityStore = {},
    intervalMs = 16,
  ) {
    this.store = storeOptions instanceof ActivityStore ? storeOptions : new ActivityStore(storeOptions);
    this.batcher = new PanelBatcher((batch) => this.post(batch), intervalMs);
    this.store.on('change', (change) => {
      if (this.ready) this.batcher.push(change);
    });
  }

  /** What the host does when the webview says `ready`. */
  async connect(): Promise<void> {
    const posted = await this.panel.posted();
    if (!posted.some((message) => message.kind === 'ready')) throw new Error('the panel never said ready');
    this.ready = true;
    this.batcher.push({ kind: 'snapshot', header: this.header, threads: this.store.snapshot() });
    this.batcher.flush();
    await this.settle();
  }

  /** The page was reloaded: it will say ready again and get a fresh snapshot. */
  async reload(): Promise<void> {
    this.ready = false;
    this.batcher.discard();
    await this.panel.page.reload();
    await this.panel.page.waitForFunction(() => window.__harness.posted.some((message) => message.kind === 'ready'));
    await this.connect();
  }

  setHeader(header: HeaderView): void {
    this.header = header;
    if (this.ready) this.batcher.push({ kind: 'header', header });
  }

  /** Posts a raw batch, bypassing the store (for malformed-input checks). */
  postRaw(batch: unknown): void {
    const page = this.panel.page;
    this.chain = this.chain.then(() => page.evaluate((message) => window.postMessage(message, '*'), batch));
  }

  /** Delivers what is queued and waits until the panel has applied and rendered it. */
  async settle(): Promise<void> {
    this.batcher.flush();
    await this.chain;
    await this.panel.page.evaluate(
      () =>
        new Promise<void>((done) => {
          // The message event is a task; the answer renders on the next frame after it.
          setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => done())), 0);
        }),
    );
  }

  private post(batch: HostToPanel[]): void {
    if (this.keepBatches) this.batches.push(batch);
    this.postedBatches++;
    this.postedBytes += Buffer.byteLength(JSON.stringify(batch));
    const page = this.panel.page;
    this.chain = this.chain.then(() => page.evaluate((message) => window.postMessage(message, '*'), batch));
  }
}

/** Splits text into pieces of 1..maxPiece characters, deterministically. */
export function splitIntoDeltas(text: string, maxPiece = 6, seed = 1): string[] {
  const random = seededRandom(seed);
  const pieces: string[] = [];
  for (let at = 0; at < text.length; ) {
    const size = 1 + Math.floor(random() * maxPiece);
    pieces.push(text.slice(at, at + size));
    at += size;
  }
  return pieces;
}

export function ensureOutputDir(): string {
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return OUTPUT_DIR;
}

export const realisticWeather = (location = 'Makati, Metro Manila, Philippines') =>
  JSON.stringify({
    location,
    latitude: 14.5547,
    longitude: 121.0244,
    temperature: 31.2,
    apparent_temperature: 36.4,
    humidity: 70,
    wind_speed: 12.3,
    condition: 'Partly cloudy',
    units: { system: 'metric', temperature: '°C', wind_speed: 'km/h', humidity: '%' },
    observed_at: '2025-06-01T04:15:00.000Z',
    source: 'open-meteo',
  });

/** A payload shaped exactly as the seed document's clients publish it (no id, no seq). */
export function seedPayload(threadId: string, type: PayloadType, message: string, status?: EventStatus): ChannelPayload {
  const payload = { message, timestamp: 1_700_000_000, thread_id: threadId } as ChannelPayload;
  if (status !== undefined) payload.status = status;
  payload.type = type;
  return payload;
}
