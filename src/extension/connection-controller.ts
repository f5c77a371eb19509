/**
 * Keeps the window's relay connection in line with the settings: one WebSocketManager
 * subscribed to the configured channel, rebuilt live when the server settings change.
 * When the URI is a loopback address and nothing listens there, it starts the relay
 * inside the extension host (server.autoStart), so the product works with no set-up.
 * No `vscode` import: it is driven by the extension and tested in Node.
 *
 * Settings changes are applied one at a time, the latest winning, and nothing sent in
 * between is lost: while there is no connection to hand it to, it waits here (bounded).
 */
import { EventEmitter } from 'node:events';
import { WebSocketManager, type ConnectionState } from '../client';
import { displayUri, isLoopbackUri, type ChannelMessage, type ChannelPayload, type ConnectionView } from '../protocol';
import { RELAY_DEFAULTS, startRelay, type RelayLogger, type RunningRelay } from '../relay';
import type { ServerSettings } from './settings';

export interface ConnectionStatus {
  view: ConnectionView;
  uri: string;
  channel: string;
  /** The latest problem, in words, while not connected. */
  problem?: string;
  /** Set when it will not try again by itself: only a settings change or Reconnect helps. */
  halted?: 'bad setting' | 'refused';
  /** Connected, but with a limit the user should know of (a watch-only token), in words. */
  warning?: string;
}

/** The credentials for the configured relay: its token (never sent to another relay) and extra CAs. */
export interface RelayAccess {
  /** Sent as `Authorization: Bearer …` to this relay only. */
  token?: string;
  /** PEM of authorities to trust for wss:// beside the system's. */
  extraCa?: string;
}

/** What apply() connects to: the settings and the access that goes with them. */
type Target = ServerSettings & RelayAccess;

interface ConnectionControllerOptions {
  log: (level: 'info' | 'warn' | 'error', line: string) => void;
  /** Test hook: backoff of the managers it creates. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
}

/** Events kept while there is no connection to hand them to (as many as a manager queues offline). */
const MAX_WAITING = 1000;

export class ConnectionController extends EventEmitter<{ status: [ConnectionStatus]; message: [ChannelMessage]; refused: [id: string] }> {
  private manager: WebSocketManager | undefined;
  /** The settings in force (being) applied. */
  private settings: Target | undefined;
  /** The latest settings asked for and not yet taken up by the apply chain. */
  private wanted: Target | undefined;
  private applying: Promise<void> = Promise.resolve();
  /** Replaced managers still saying goodbye to their relay; dispose() waits for them. */
  private readonly closing = new Set<Promise<unknown>>();
  /** Events sent while there is no connection to hand them to, or while one is being replaced. */
  private readonly waiting: ChannelPayload[] = [];
  private droppedWhileWaiting = 0;
  /** From the moment apply() is asked for another relay or channel, sends wait for it. */
  private held = false;
  private embedded: RunningRelay | undefined;
  private embedding: Promise<void> | undefined;
  private embedFailure: string | undefined;
  private problem: string | undefined;
  /** Set once the relay refused a publish for good on this connection (the token may not publish). */
  private publishRefused: string | undefined;
  private disposed = false;

  constructor(private readonly options: ConnectionControllerOptions) {
    super();
  }

  get status(): ConnectionStatus {
    const settings: Pick<ServerSettings, 'uri' | 'channel' | 'problem'> = this.settings ?? { uri: '', channel: '' };
    const manager = this.manager;
    const view = manager ? toView(manager.state, this.embedded !== undefined) : settings.problem ? 'offline' : 'connecting';
    const status: ConnectionStatus = { view, uri: displayUri(settings.uri), channel: settings.channel };
    if (view !== 'connected' && view !== 'embedded' && this.problem) status.problem = this.problem;
    if (settings.problem) status.halted = 'bad setting';
    else if (manager?.state === 'closed' && manager.lastError) status.halted = 'refused';
    if (this.publishRefused && (view === 'connected' || view === 'embedded')) status.warning = this.publishRefused;
    return status;
  }

  /** The embedded relay's address, when this window runs one. */
  get embeddedRelayUrl(): string | undefined {
    return this.embedded?.url;
  }

  /**
   * Connects with `settings`; a change of URI or channel replaces the connection, a
   * settings problem drops it. Calls are queued and only the latest pending one is
   * applied. Resolves once applied; never rejects.
   */
  apply(server: ServerSettings, access: RelayAccess = {}): Promise<void> {
    if (this.disposed) return Promise.resolve();
    const settings: Target = { ...server, ...access };
    if (!sameTarget(this.settings, settings)) this.held = true;
    this.wanted = settings;
    this.applying = this.applying
      .then(() => this.applyWanted())
      .catch((error: Error) => this.options.log('error', `could not apply the server settings: ${error.message}`));
    return this.applying;
  }

  /** Publishes on the channel (queued while offline). */
  send(payload: ChannelPayload): void {
    if (this.disposed) return;
    if (this.manager && !this.held) this.manager.send(payload);
    else this.wait([payload]);
  }

  /** Reconnect now, skipping any backoff wait. */
  reconnect(): void {
    const problem = this.settings?.problem;
    if (problem) this.options.log('warn', `cannot reconnect: ${problem}`);
    this.manager?.reconnect();
  }

  /** Closes the connection and the embedded relay; resolves when nothing is left open. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.wanted = undefined;
    await this.applying;
    this.detach();
    if (this.waiting.length > 0) this.options.log('warn', `closing with ${this.waiting.length} event(s) never sent`);
    this.waiting.length = 0;
    await Promise.all(this.closing);
    await this.embedding;
    await this.stopEmbedded();
  }

  private async applyWanted(): Promise<void> {
    const settings = this.wanted;
    this.wanted = undefined;
    if (!settings || this.disposed) return; // a later call took it up already
    const previous = this.settings;
    this.settings = settings;
    if (previous && sameTarget(previous, settings) && this.manager && !settings.problem) {
      // Back where it was (A, then A again): what waited goes out on the connection it has.
      this.held = false;
      this.handOver(this.manager, settings.uri);
      if (settings.autoStart && !previous.autoStart && this.manager.state !== 'subscribed') this.onTrouble(this.manager);
      this.publishStatus();
      return;
    }
    this.detach();
    this.problem = settings.problem;
    this.publishStatus();
    if (this.embedded && (previous?.uri !== settings.uri || settings.problem)) await this.stopEmbedded();
    // A newer call waits behind this one and connects (or not) in its place.
    if (this.disposed || this.wanted || settings.problem) return;
    this.connect(settings);
  }

  /** Keeps events until there is a connection for them, oldest first; bounded like a manager's offline queue. */
  private wait(payloads: ChannelPayload[], before = false): void {
    if (before) this.waiting.unshift(...payloads);
    else this.waiting.push(...payloads);
    const excess = this.waiting.length - MAX_WAITING;
    if (excess <= 0) return;
    this.waiting.splice(0, excess);
    if (this.droppedWhileWaiting === 0) this.options.log('warn', `more than ${MAX_WAITING} events wait for a relay: dropping the oldest`);
    this.droppedWhileWaiting += excess;
  }

  /** Sends what waited, in order, on `manager`. */
  private handOver(manager: WebSocketManager, uri: string): void {
    const waiting = this.waiting.splice(0);
    if (waiting.length > 0) {
      const dropped = this.droppedWhileWaiting > 0 ? ` (${this.droppedWhileWaiting} older ones were dropped)` : '';
      this.options.log('info', `moving ${waiting.length} unsent event(s) to ${displayUri(uri)}${dropped}`);
    }
    this.droppedWhileWaiting = 0;
    for (const payload of waiting) {
      try {
        manager.send(payload);
      } catch (error) {
        // Checked only now (it waited unchecked): one bad event must not hold back the rest.
        this.options.log('warn', `dropped an event: ${(error as Error).message}`);
      }
    }
  }

  /** Takes the current manager out of service: what it has not delivered (unsent or unacknowledged) waits here, it closes in the background. */
  private detach(): void {
    const old = this.manager;
    this.manager = undefined;
    if (!old) return;
    // They were sent before anything that waits here already.
    this.wait(old.takeUndelivered(), true);
    old.removeAllListeners();
    const closing = old.disconnect().catch(() => undefined);
    this.closing.add(closing);
    void closing.then(() => this.closing.delete(closing));
  }

  private connect(settings: Target): void {
    this.publishRefused = undefined; // a new connection (a new token, perhaps) is judged afresh
    const manager = new WebSocketManager(settings.uri, settings.channel, {
      headers: settings.token ? { authorization: `Bearer ${settings.token}` } : undefined,
      extraCa: settings.extraCa || undefined,
      reconnect: this.options.reconnect ?? { initialDelayMs: 500, maxDelayMs: 15_000 },
      // What our relay lets anyone publish; a bigger frame can only be hostile.
      maxPayloadBytes: RELAY_DEFAULTS.maxPayloadBytes,
      log: (level, line) => this.options.log(level, `relay client: ${line}`),
    });
    this.manager = manager;
    manager.on('message', (message) => this.emit('message', message));
    manager.on('state', (state, error) => {
      if (manager !== this.manager) return;
      // Each new problem is logged once, not on every retry.
      if (error && error.message !== this.problem) {
        this.options.log('warn', `${displayUri(settings.uri)}: ${error.message}${state === 'closed' ? '; not retrying until the settings change or Reconnect' : ''}`);
      }
      if (error) this.problem = error.message;
      if (state === 'subscribed') {
        if (this.problem) this.options.log('info', `connected to ${displayUri(settings.uri)}, channel ${settings.channel}`);
        this.problem = undefined;
      }
      this.publishStatus();
      if (error && (state === 'reconnecting' || state === 'closed')) this.onTrouble(manager);
    });
    manager.on('dropped', (count, total) => this.options.log('warn', `offline queue full: dropped ${count} event(s) (${total} in all)`));
    manager.on('serverError', (error) => {
      if (error.code === 'forbidden' && error.action === 'publish') {
        // Refused for good: the events stay shown here, marked as not shared; said once, not per event.
        if (typeof error.id === 'string') this.emit('refused', error.id);
        if (manager !== this.manager || this.publishRefused) return;
        this.publishRefused = `not allowed to publish on ${settings.channel}: your turns are shown here but not shared`;
        this.options.log('warn', `${displayUri(settings.uri)}: ${this.publishRefused} (the relay token may only watch this channel)`);
        this.publishStatus();
        return;
      }
      this.options.log('warn', `relay refused a message (${error.code}): ${error.message}`);
    });
    this.publishStatus();
    manager.connect().catch(() => {
      // Reported through the state event; the manager keeps retrying.
    });
    manager.subscribe().catch((error: Error) => {
      // A connection failure was logged by the state handler already.
      if (manager === this.manager && error.message !== this.problem) this.options.log('warn', error.message);
    });
    this.held = false;
    this.handOver(manager, settings.uri);
  }

  /**
   * Nothing listening at a loopback URI: the relay is started here, when allowed. Decided
   * on the socket's error code, never on words: a relay that answers and refuses us (HTTP
   * 401, say) is running, and starting another on its port cannot help.
   */
  private onTrouble(manager: WebSocketManager): void {
    const settings = this.settings;
    if (this.disposed || manager !== this.manager || !settings?.autoStart || this.embedded || this.embedding) return;
    if (!isLoopbackUri(settings.uri) || !nobodyListening(manager.lastError)) return;
    this.embedding = this.startEmbedded(settings).finally(() => {
      this.embedding = undefined;
    });
  }

  private async startEmbedded(settings: ServerSettings): Promise<void> {
    const url = new URL(settings.uri);
    if (url.protocol !== 'ws:') return; // the embedded relay speaks plain ws only
    const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port ? Number(url.port) : 80;
    try {
      // No watch page: this relay is the window's own, on loopback (`web` is off unless given; said here so it stays so).
      const relay = await startRelay({ host, port, logger: relayLogger(this.options.log), web: false });
      if (this.disposed || this.settings !== settings) {
        await relay.close();
        return;
      }
      this.embedded = relay;
      this.embedFailure = undefined;
      this.options.log('info', `started the embedded relay on ${relay.url} (nothing was answering at ${displayUri(settings.uri)})`);
      this.manager?.reconnect();
      this.publishStatus();
    } catch (error) {
      // Another window may have started one at the same moment: the manager's own backoff
      // then finds it. Never a reconnect here, which would skip that backoff.
      const message = (error as Error).message;
      if (message !== this.embedFailure) this.options.log('warn', `could not start the embedded relay: ${message}`);
      this.embedFailure = message;
    }
  }

  private async stopEmbedded(): Promise<void> {
    const relay = this.embedded;
    this.embedded = undefined;
    if (relay) {
      await relay.close();
      this.options.log('info', 'stopped the embedded relay');
    }
  }

  private publishStatus(): void {
    this.emit('status', this.status);
  }
}

/** Same relay and channel, and both usable or both not: applying one after the other changes no connection. */
/** Same relay, channel and credentials: the connection it has can stay. */
function sameTarget(a: Target | undefined, b: Target): boolean {
  return a !== undefined && a.uri === b.uri && a.channel === b.channel && a.problem === b.problem && a.token === b.token && a.extraCa === b.extraCa;
}

/** True when the connection was refused by the operating system: no process listens on the port. */
function nobodyListening(error: Error | undefined): boolean {
  return (error?.cause as NodeJS.ErrnoException | undefined)?.code === 'ECONNREFUSED';
}

function toView(state: ConnectionState, embedded: boolean): ConnectionView {
  switch (state) {
    case 'subscribed':
    case 'connected':
      return embedded ? 'embedded' : 'connected';
    case 'reconnecting':
      return 'reconnecting';
    case 'closed':
      return 'offline';
    default:
      return 'connecting';
  }
}

function relayLogger(log: ConnectionControllerOptions['log']): RelayLogger {
  return {
    info: (line) => log('info', `embedded relay: ${line}`),
    warn: (line) => log('warn', `embedded relay: ${line}`),
    error: (line) => log('error', `embedded relay: ${line}`),
  };
}
