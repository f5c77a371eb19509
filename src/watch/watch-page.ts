/**
 * The watch page: one channel of the relay, live and read-only, drawn exactly as the Live
 * Activity panel draws it in VS Code. Channel messages go through the same ActivityStore
 * (every field checked, everything kept bounded) and PanelBatcher (at most one batch per
 * 16 ms, only what changed) into the panel's own PanelView, read-only. Access is asked for
 * before connecting (GET /api/access), so a refusal says why; a protected relay's token is
 * asked for once, with a form, and kept in the tab's session storage.
 */
import { ActivityStore, PanelBatcher } from '../activity';
import type { ConnectionView, HeaderView, PanelToHost } from '../protocol';
import { el } from '../panel/dom';
import type { StateStore } from '../panel/panel-memory';
import { PanelView } from '../panel/view';
import { copyText } from './clipboard';
import type { WatchPageData } from './page-data';
import { checkAccess, type Refusal } from './relay-api';
import { RelaySocket } from './relay-socket';
import { readSession, writeSession } from './session-store';
import { TokenForm } from './token-form';
import { forgetToken, saveToken, savedToken } from './token-store';

/** How long a copy's confirmation stays. */
const SAID_FOR_MS = 4_000;

export function startWatchPage(app: HTMLElement, data: WatchPageData): void {
  new WatchPage(app, data).start();
}

class WatchPage {
  private readonly store = new ActivityStore();
  private readonly batcher: PanelBatcher;
  private readonly view: PanelView;
  private readonly socket: RelaySocket;
  private readonly tokenForm: TokenForm;
  private readonly reconnect: HTMLButtonElement;
  private readonly otherToken: HTMLButtonElement;
  private readonly said: HTMLElement;
  private saidTimer: ReturnType<typeof setTimeout> | undefined;
  private header: HeaderView;
  private token: string | undefined;
  /** Counts connects: an access answer meant for an earlier one is dropped. */
  private connects = 0;

  constructor(
    app: HTMLElement,
    private readonly data: WatchPageData,
  ) {
    this.token = data.auth === 'token' ? savedToken() : undefined;
    this.header = { connection: 'connecting', uri: data.relayUrl, channel: data.channel, hasApiKey: true, busy: false };
    this.tokenForm = new TokenForm((token) => {
      saveToken(token);
      this.token = token;
      this.hideTokenForm();
      void this.connect();
    });
    this.reconnect = button('Reconnect', () => void this.connect());
    this.otherToken = button('Use another token', () => this.showTokenForm('Enter another token for this relay.', true));
    this.otherToken.hidden = data.auth !== 'token';
    this.said = el('span', { class: 'watch-said', role: 'status' });
    const controls = el(
      'div',
      { class: 'watch-controls' },
      el('h1', { class: 'visually-hidden' }, `Watching channel ${data.channel}`),
      el('nav', { 'aria-label': 'Relay' }, el('a', { href: '/' }, 'All channels')),
      this.reconnect,
      this.otherToken,
      this.said,
    );
    this.view = new PanelView(app, (intent) => this.onIntent(intent), viewMemory(data.channel), { readOnly: { controls: [controls, this.tokenForm.root] } });
    this.batcher = new PanelBatcher((batch) => this.view.apply(batch));
    this.store.on('change', (change) => this.batcher.push(change));
    this.batcher.push({ kind: 'snapshot', header: this.header, threads: [] });
    this.batcher.flush();
    this.socket = new RelaySocket(
      { url: data.relayUrl, channel: data.channel, whyRefused: () => this.whyRefused() },
      {
        state: (connection, problem) => this.setConnection(connection, problem),
        message: (payload) => this.store.ingest(payload, 'channel'),
        refused: (refusal) => this.refused(refusal),
      },
    );
  }

  start(): void {
    // Back online, or back from sleep: a waiting retry runs now, and a quiet connection is checked.
    window.addEventListener('online', () => this.socket.wake());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.socket.wake();
    });
    if (this.data.auth === 'token' && this.token === undefined) {
      this.setConnection('offline');
      this.showTokenForm(`This relay needs a token to watch channel ${this.data.channel}.`, true);
      return;
    }
    void this.connect();
  }

  /** Asks whether this page may watch, then connects (the socket keeps its place in the channel: nothing is shown twice). */
  private async connect(): Promise<void> {
    const attempt = ++this.connects;
    this.socket.stop();
    this.setConnection('connecting');
    const access = await checkAccess(this.data.channel, this.token);
    if (attempt !== this.connects) return;
    if (access.kind === 'refused') {
      this.refused(access.refusal);
      return;
    }
    // Allowed, or the relay did not say (it may be restarting): the socket retries, and asks again after an attempt that fails to open.
    this.hideTokenForm();
    this.socket.setToken(this.token);
    this.socket.start();
  }

  private async whyRefused(): Promise<Refusal | undefined> {
    const access = await checkAccess(this.data.channel, this.token);
    return access.kind === 'refused' ? access.refusal : undefined;
  }

  /** Says why the page cannot watch, with a way to enter another token where one could help. */
  private refused(refusal: Refusal): void {
    this.socket.stop();
    if (refusal.kind === 'other') {
      this.setConnection('offline', refusal.reason);
      return;
    }
    if (refusal.kind === 'token') {
      forgetToken();
      this.token = undefined;
    }
    this.setConnection('offline');
    const reason = refusal.kind === 'forbidden' ? `${refusal.reason} Enter another token, or watch another channel.` : refusal.reason;
    this.showTokenForm(reason, false);
  }

  /** The token form, and no "Use another token" beside it while it is open (it would only open it again). */
  private showTokenForm(reason: string, focus: boolean): void {
    this.otherToken.hidden = true;
    this.tokenForm.show(reason, focus);
  }

  private hideTokenForm(): void {
    if (!this.tokenForm.shown) return;
    this.otherToken.hidden = this.data.auth !== 'token';
    this.tokenForm.hide(this.otherToken.hidden ? undefined : this.otherToken);
  }

  private setConnection(connection: ConnectionView, problem?: string): void {
    const { problem: _shown, ...rest } = this.header;
    this.header = problem === undefined ? { ...rest, connection } : { ...rest, connection, problem };
    // Nothing to reconnect with while the form waits for a token.
    this.reconnect.hidden = connection === 'connected' || connection === 'connecting' || (this.data.auth === 'token' && this.token === undefined);
    this.batcher.push({ kind: 'header', header: this.header });
  }

  /** The view's intents: on a read-only page only its Copy buttons send any. */
  private onIntent(intent: PanelToHost): void {
    if (intent.kind === 'copyCode') {
      // The button itself says "Copied"; only a failure needs saying.
      void copyText(intent.text).then((copied) => copied || this.say('Could not copy: the browser did not allow it.'));
    } else if (intent.kind === 'copyAnswer') {
      const turn = this.store.snapshot().find((thread) => thread.threadId === intent.threadId)?.turns.find((candidate) => candidate.index === intent.turnIndex);
      if (!turn?.answer) {
        this.say('That answer is no longer here to copy.');
        return;
      }
      void copyText(turn.answer).then((copied) => this.say(copied ? 'Answer copied.' : 'Could not copy: the browser did not allow it.'));
    }
  }

  private say(text: string): void {
    clearTimeout(this.saidTimer);
    this.said.textContent = text;
    this.saidTimer = setTimeout(() => (this.said.textContent = ''), SAID_FOR_MS);
  }
}

function button(label: string, onClick: () => void): HTMLButtonElement {
  const created = el('button', { type: 'button' }, label);
  created.addEventListener('click', onClick);
  return created;
}

/** What the reader chose in the view (collapsed threads, the filter), kept per channel for this tab. */
function viewMemory(channel: string): StateStore {
  const key = `weather-watch.view.${channel}`;
  return {
    getState: () => {
      try {
        return JSON.parse(readSession(key) ?? 'null') ?? undefined;
      } catch {
        return undefined;
      }
    },
    setState: (state) => writeSession(key, JSON.stringify(state)),
  };
}
