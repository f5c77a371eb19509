// Shared helpers for the suites that drive the extension inside VS Code: the extension's API,
// the fakes started by test/vscode/setup.ts (through its loopback control server), settings
// that are put back after each test, bounded waits.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ActivityStore } from '../../../src/activity';
import type { AssistantSession } from '../../../src/extension/assistant-session';
import type { ConnectionController } from '../../../src/extension/connection-controller';
import type { Scenario } from '../../fakes/openai-scenarios';
import type { AxeReport, ComposerState, PanelButton, PanelFocus, PanelLayout, PanelScroll, PanelSummary } from '../setup';
import { devPath } from './harness';

export const EXTENSION_ID = 'weather-assistant-live.weather-assistant-live';
export const SECTION = 'weatherAssistant';

export interface ExtensionApi {
  connection: ConnectionController;
  store: ActivityStore;
  session: AssistantSession;
}

/** What setup.ts started; undefined when the suite runs without it (e.g. another dev path). */
export const fixture = (() => {
  const env = process.env;
  if (!env.WEATHER_TEST_CONTROL_URL) return undefined;
  return {
    control: env.WEATHER_TEST_CONTROL_URL,
    relayA: env.WEATHER_TEST_RELAY_A!,
    relayB: env.WEATHER_TEST_RELAY_B!,
    openaiUrl: env.WEATHER_TEST_OPENAI_URL!,
    forecastUrl: env.WEATHER_TEST_FORECAST_URL!,
    geocodingUrl: env.WEATHER_TEST_GEOCODING_URL!,
    envApiKey: env.WEATHER_TEST_ENV_API_KEY!,
    owmUrl: env.WEATHER_TEST_OWM_URL!,
  };
})();

export type Fixture = NonNullable<typeof fixture>;

/** Skips the whole suite (from suiteSetup) when setup.ts did not run. */
export function requireFixture(context: Mocha.Context): Fixture {
  if (!fixture) {
    if (context.test) (context.test as Mocha.Runnable & { skipReason?: string }).skipReason = 'test/vscode/setup.ts did not run';
    context.skip();
  }
  return fixture!;
}

export async function api(): Promise<ExtensionApi> {
  const extension = vscode.extensions.getExtension<ExtensionApi>(EXTENSION_ID);
  if (!extension) throw new Error(`extension ${EXTENSION_ID} is not installed`);
  return extension.isActive ? extension.exports : await extension.activate();
}

// ---- the fakes, through setup.ts's control server --------------------------------------

async function call(method: 'GET' | 'POST', route: string, body?: unknown): Promise<any> {
  if (!fixture) throw new Error('no fixture');
  const response = await fetch(`${fixture.control}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const result = await response.json();
  if (!response.ok) throw new Error(`control ${method} ${route}: ${response.status} ${JSON.stringify(result)}`);
  return result;
}

export const fakes = {
  enqueue: (...scenarios: Scenario[]) => call('POST', '/openai/enqueue', scenarios),
  resetOpenAI: () => call('POST', '/openai/reset'),
  /** Makes the fake demand `Authorization: Bearer <apiKey>` (OpenAI's 401 otherwise); null: any key. */
  requireApiKey: (apiKey: string | null) => call('POST', '/openai/config', { apiKey }),
  /** What the fake's GET /v1/models lists (null: its default list). */
  offerModels: (models: string[] | null) => call('POST', '/openai/config', { models }),
  openaiRequests: (): Promise<Array<{ index: number; path: string; headers: Record<string, string>; body: any; rejected?: string; clientDisconnected: boolean }>> =>
    call('GET', '/openai/requests'),
  openaiState: (): Promise<{ pending: number; violations: string[] }> => call('GET', '/openai/state'),
  weatherMode: (mode: 'normal' | 'status500' | 'badRequest' | 'hang' | 'malformed') => call('POST', '/weather/mode', { mode }),
  resetWeather: () => call('POST', '/weather/reset'),
  weatherRequests: (): Promise<Array<{ endpoint?: string; path: string; query: Record<string, string> }>> => call('GET', '/weather/requests'),
};

/** GET /healthz of a relay given by its ws:// URL. */
export async function healthz(wsUrl: string): Promise<{ status: string; connections: number; channels: number; subscriptions: number }> {
  const response = await fetch(wsUrl.replace(/^ws/, 'http') + '/healthz');
  return response.json() as Promise<any>;
}

// ---- settings ----------------------------------------------------------------------------

/**
 * Remembers the user (global) values of `keys` so that `restore()` puts them back exactly,
 * including "not set". Use one per test or suite.
 */
export function rememberSettings(...keys: string[]) {
  const config = vscode.workspace.getConfiguration(SECTION);
  const saved = keys.map((key) => [key, config.inspect(key)?.globalValue] as const);
  return {
    async restore(): Promise<void> {
      const current = vscode.workspace.getConfiguration(SECTION);
      for (const [key, value] of saved) {
        if (JSON.stringify(current.inspect(key)?.globalValue) !== JSON.stringify(value)) {
          await current.update(key, value, vscode.ConfigurationTarget.Global);
        }
      }
    },
  };
}

export function globalSetting<T = unknown>(key: string): T | undefined {
  return vscode.workspace.getConfiguration(SECTION).inspect<T>(key)?.globalValue;
}

export async function setSetting(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update(key, value, vscode.ConfigurationTarget.Global);
}

// ---- waiting -------------------------------------------------------------------------------

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something truthy; the error names `what` and the last value seen. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 8000, everyMs = 50): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last) return last as NonNullable<T>;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const seen = lastError ? ` (last error: ${(lastError as Error).message})` : ` (last value: ${JSON.stringify(last)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${seen}`);
    }
    await delay(everyMs);
  }
}

/** A loopback port with nothing listening on it (right now). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The extension's status once it is connected to `uri` (subscribed). */
export async function connectedTo(extension: ExtensionApi, uri: string, channel?: string, timeoutMs = 8000) {
  return waitFor(
    `connection to ${uri}${channel ? ` on ${channel}` : ''}`,
    () => {
      const status = extension.connection.status;
      return (status.view === 'connected' || status.view === 'embedded') && status.uri === uri && (!channel || status.channel === channel) ? status : undefined;
    },
    timeoutMs,
  );
}

/** Sets the OpenAI API key through the command and waits until the session uses it. */
export async function setApiKey(extension: ExtensionApi, key: string, expected: string | undefined): Promise<void> {
  await setSecretKey(extension, 'weatherAssistant.setApiKey', 'apiKey', key, expected);
}

/** Sets the OpenWeatherMap key through the command and waits until the session uses it. */
export async function setOpenWeatherMapKey(extension: ExtensionApi, key: string, expected: string | undefined): Promise<void> {
  await setSecretKey(extension, 'weatherAssistant.setOpenWeatherMapKey', 'weatherApiKey', key, expected);
}

async function setSecretKey(extension: ExtensionApi, command: string, field: 'apiKey' | 'weatherApiKey', key: string, expected: string | undefined): Promise<void> {
  await vscode.commands.executeCommand(command, key);
  // The session picks the key up from SecretStorage's change event, a moment later.
  await waitFor(`the session to use the ${key ? 'new' : 'fallback'} key`, () => (extension.session as unknown as Record<typeof field, string | undefined>)[field] === expected);
}

/** Latest turn of a thread in the store. */
export function latestTurn(extension: ExtensionApi, threadId: string) {
  const thread = extension.store.snapshot().find((t) => t.threadId === threadId);
  return thread?.turns[thread.turns.length - 1];
}

/** The file behind this window's "Weather Assistant" LogOutputChannel, if VS Code writes one we can read. */
export function extensionLogFile(): string | undefined {
  const root = userDataDir();
  if (!root) return undefined;
  const found: Array<{ file: string; mtime: number }> = [];
  const visit = (dir: string, depth: number) => {
    if (depth > 6) return;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full, depth + 1);
      else if (entry.name === 'Weather Assistant.log' && full.includes(EXTENSION_ID)) found.push({ file: full, mtime: fs.statSync(full).mtimeMs });
    }
  };
  visit(path.join(root, 'logs'), 0);
  return found.sort((a, b) => b.mtime - a.mtime)[0]?.file;
}

export { devPath };

// ---- the UI driver in setup.ts (playwright-core attached to the workbench's Chromium) ------------

export type Unavailable = { available: false; reason: string };
export type { AxeReport, ComposerState, PanelButton, PanelFocus, PanelLayout, PanelScroll, PanelSummary };
export const ui = {
  status: (): Promise<{ available: true } | Unavailable> => call('GET', '/ui/status'),
  /** Types `Weather Assistant: Ask` in the command palette, then the question, like a user. */
  askFromPalette: (question: string): Promise<{ available: true; selected: string } | Unavailable> => call('POST', '/ui/ask', { question }),
  /** The Live Activity webview's content, read from its DOM. */
  panel: (): Promise<PanelSummary | Unavailable> => call('GET', '/ui/panel'),
  /** The messages of the notification toasts on screen. */
  notifications: (): Promise<{ available: true; messages: string[] } | Unavailable> => call('GET', '/ui/notifications'),
  /** Labels and texts of the status bar items. */
  statusBar: (): Promise<{ available: true; items: Array<{ label: string; text: string }> } | Unavailable> => call('GET', '/ui/statusbar'),
  /** Saves test-output/<name>.png: the side bar alone. */
  screenshotSidebar: (name: string): Promise<{ available: true; file: string } | Unavailable> => call('POST', '/ui/screenshot-sidebar', { name }),
  /** Saves test-output/<name>.png: the status bar alone. */
  screenshotStatusBar: (name: string): Promise<{ available: true; file: string } | Unavailable> => call('POST', '/ui/screenshot-statusbar', { name }),
  /** Resizes the side bar and the window (height 'fit-panel': the whole feed unscrolled); `before` restores them. */
  layout: (wanted: Partial<PanelLayout>): Promise<{ available: true; before: PanelLayout } | Unavailable> => call('POST', '/ui/layout', wanted),
  /** The theme kind (`vscode-dark`, `vscode-high-contrast-light`, …) and id VS Code gave the webview. */
  panelTheme: (): Promise<{ available: true; kind: string; id: string } | Unavailable> => call('GET', '/ui/panel-theme'),
  /** Clicks open every collapsed <details> in the webview (tool cards, raw results). */
  openPanelDetails: (): Promise<{ available: true; opened: number } | Unavailable> => call('POST', '/ui/panel-open-details'),
  /** Runs axe-core's WCAG 2.0/2.1 A and AA rules in the webview. */
  axe: (): Promise<AxeReport | Unavailable> => call('POST', '/ui/axe'),
  /** Focuses the panel's question box (#composer-input) and types `text` with real key events. */
  typeInComposer: (text: string): Promise<{ available: true } | Unavailable> => call('POST', '/ui/composer-type', { text }),
  /** The question box's text and caret, and the queued questions listed above it with their Remove buttons. */
  composer: (): Promise<ComposerState | Unavailable> => call('GET', '/ui/composer'),
  /** Presses `key` (`Enter`, `Shift+Enter`, `ArrowUp`) where the webview's focus is; fails when the webview does not have focus. */
  pressInPanel: (key: string): Promise<{ available: true; target: PanelFocus } | Unavailable> => call('POST', '/ui/panel-press', { key }),
  /** Clicks (or focuses and presses Enter / Space on) the panel's button with this accessible name, optionally in `Thread <id>`. */
  pressPanelButton: (button: PanelButton): Promise<{ available: true } | Unavailable> => call('POST', '/ui/panel-button', button),
  /** What the panel's polite live region says now. */
  liveRegion: (): Promise<{ available: true; text: string } | Unavailable> => call('GET', '/ui/panel-live-region'),
  /** What has keyboard focus in the webview: its tag and accessible label. */
  panelFocus: (): Promise<PanelFocus | Unavailable> => call('GET', '/ui/panel-focus'),
  /** The panel's scrollTop, gap to the bottom, and whether "New activity" shows. */
  panelScroll: (): Promise<PanelScroll | Unavailable> => call('GET', '/ui/panel-scroll'),
  /** Scrolls the panel to its top with the mouse wheel; answers with the scrollTop it reached. */
  scrollPanelToTop: (): Promise<{ available: true; scrollTop: number } | Unavailable> => call('POST', '/ui/panel-scroll-top'),
};

/** The UI driver's answer, or a failure naming `what` when it is unavailable (once a suite has checked it is on). */
export function driven<T extends { available: true }>(what: string, answer: T | Unavailable): T {
  if (!answer.available) throw new Error(`${what}: the UI driver is unavailable (${answer.reason})`);
  return answer;
}

/**
 * Waits for a notification toast whose text matches `pattern` (when the UI driver is on) and
 * returns its text; undefined when the UI driver is off.
 */
export async function notificationMatching(pattern: RegExp, timeoutMs = 5000): Promise<string | undefined> {
  const first = await ui.notifications();
  if (!first.available) return undefined;
  // Extension test runs show no toasts: the messages are read from the notification center.
  await vscode.commands.executeCommand('notifications.showList');
  return waitFor(
    `a notification matching ${pattern}`,
    async () => {
      const now = await ui.notifications();
      return now.available ? now.messages.find((message) => pattern.test(message)) : undefined;
    },
    timeoutMs,
    100,
  );
}

/** Waits until the extension's status bar item reads like `pattern` (when the UI driver is on). */
export async function statusBarMatching(pattern: RegExp, timeoutMs = 5000): Promise<string | undefined> {
  const first = await ui.statusBar();
  if (!first.available) return undefined;
  let seen = '';
  return waitFor(
    `the status bar item to match ${pattern}`,
    async () => {
      const now = await ui.statusBar();
      if (!now.available) return undefined;
      const item = now.items.find((i) => /Weather Assistant relay/.test(i.label));
      seen = item ? `${item.text} | ${item.label}` : '(no Weather Assistant item)';
      return item && pattern.test(seen) ? seen : undefined;
    },
    timeoutMs,
    100,
  ).catch((error: Error) => {
    throw new Error(`${error.message}; it read: ${seen}`);
  });
}

export async function clearNotifications(): Promise<void> {
  await vscode.commands.executeCommand('notifications.clearAll');
  await vscode.commands.executeCommand('notifications.hideList');
}

/** The user-data folder of this VS Code (from the server's command line), for its settings.json and logs. */
export function userDataDir(): string | undefined {
  let pid = process.ppid;
  for (let depth = 0; depth < 5 && pid > 1; depth++) {
    try {
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const index = args.indexOf('--user-data-dir');
      if (index >= 0 && args[index + 1]) return args[index + 1];
      const inline = args.find((arg) => arg.startsWith('--user-data-dir='));
      if (inline) return inline.slice('--user-data-dir='.length);
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      pid = Number(/^PPid:\s*(\d+)/m.exec(status)?.[1] ?? 0);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
