/**
 * Keeps the window's relay connection in line with the settings: one WebSocketManager
 * subscribed to the configured channel, rebuilt live when the server settings change.
 * When the URI is a loopback address and nothing answers there, it starts the relay
 * inside the extension host (server.autoStart), so the product works with no set-up.
 * No `vscode` import: it is driven by the extension and tested in Node.
 */
import { EventEmitter } from 'node:events';
import { WebSocketManager, type ConnectionState } from '../client';
import { isLoopbackUri, type ChannelMessage, type ChannelPayload, type ConnectionView } from '../protocol';
import { startRelay, type RelayLogger, type RunningRelay } from '../relay';

export interface ServerSettings {
  uri: string;
  channel: string;
  autoStart: boolean;
}

export interface ConnectionStatus {
  view: ConnectionView;
  uri: string;
  channel: string;
  /** The latest problem, in words, while not connected. */
  problem?: string;
}

export interface ConnectionControllerOptions {
  log: (level: 'info' | 'warn' | 'error', line: string) => void;
  /** Test hook: backoff of the managers it creates. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
}

export class ConnectionController extends EventEmitter<{ status: [ConnectionStatus]; message: [ChannelMessage] }> {
  private manager: WebSocketManager | undefined;
  private settings: ServerSettings | undefined;
  private embedded: RunningRelay | undefined;
  private embedding: Promise<void> | undefined;
  private problem: string | undefined;

  constructor(private readonly options: ConnectionControllerOptions) {
    super();
  }

  get status(): ConnectionStatus {
    const settings = this.settings ?? { uri: '', channel: '' };
    const state = this.manager?.state ?? 'idle';
    const view = toView(state, this.embedded !== undefined);
    const status: ConnectionStatus = { view, uri: settings.uri, channel: settings.channel };
    if (view !== 'connected' && view !== 'embedded' && this.problem) status.problem = this.problem;
    return status;
  }

  /** The embedded relay's address, when this window runs one. */
  get embeddedRelayUrl(): string | undefined {
    return this.embedded?.url;
  }

  /** Connects with `settings`; a change of URI or channel replaces the connection. */
  async apply(settings: ServerSettings): Promise<void> {
    const previous = this.settings;
    this.settings = settings;
    if (previous && this.manager && previous.uri === settings.uri && previous.channel === settings.channel) {
      if (settings.autoStart && !previous.autoStart && this.manager.state !== 'subscribed') this.onTrouble(this.manager);
      return;
    }
    const old = this.manager;
    this.manager = undefined;
    // Events still waiting for the old relay go to the new one instead of being lost.
    const carried = old?.takeUndelivered() ?? [];
    if (old) {
      old.removeAllListeners();
      void old.disconnect();
    }
    if (this.embedded && (!previous || previous.uri !== settings.uri)) await this.stopEmbedded();
    this.problem = undefined;
    this.connect(settings);
    if (carried.length > 0) this.options.log('info', `moving ${carried.length} unsent event(s) to ${settings.uri}`);
    for (const payload of carried) this.manager!.send(payload);
  }

  /** Publishes on the channel (queued while offline). */
  send(payload: ChannelPayload): void {
    this.manager?.send(payload);
  }

  /** Reconnect now, skipping any backoff wait. */
  reconnect(): void {
    this.manager?.reconnect();
  }

  async dispose(): Promise<void> {
    const manager = this.manager;
    this.manager = undefined;
    manager?.removeAllListeners();
    await manager?.disconnect();
    await this.stopEmbedded();
  }

  private connect(settings: ServerSettings): void {
    const manager = new WebSocketManager(settings.uri, settings.channel, {
      reconnect: this.options.reconnect ?? { initialDelayMs: 500, maxDelayMs: 15_000 },
      log: (level, line) => this.options.log(level, `relay client: ${line}`),
    });
    this.manager = manager;
    manager.on('message', (message) => this.emit('message', message));
    manager.on('state', (state, error) => {
      if (manager !== this.manager) return;
      // Each new problem is logged once, not on every retry.
      if (error && error.message !== this.problem) this.options.log('warn', `${settings.uri}: ${error.message}`);
      if (error) this.problem = error.message;
      if (state === 'subscribed') {
        if (this.problem) this.options.log('info', `connected to ${settings.uri}, channel ${settings.channel}`);
        this.problem = undefined;
      }
      this.publishStatus();
      if (error && (state === 'reconnecting' || state === 'closed')) this.onTrouble(manager);
    });
    manager.on('dropped', (count, total) => this.options.log('warn', `offline queue full: dropped ${count} event(s) (${total} in all)`));
    manager.on('serverError', (error) => this.options.log('warn', `relay refused a message (${error.code}): ${error.message}`));
    this.publishStatus();
    manager.connect().catch(() => {
      // Reported through the state event; the manager keeps retrying.
    });
    manager.subscribe().catch((error: Error) => {
      if (manager === this.manager) this.options.log('warn', error.message);
    });
  }

  /** A loopback relay that does not answer is started here, when allowed. */
  private onTrouble(manager: WebSocketManager): void {
    const settings = this.settings;
    if (!settings?.autoStart || this.embedded || this.embedding || !isLoopbackUri(settings.uri)) return;
    if (!/refused/.test(manager.lastError?.message ?? '')) return;
    this.embedding = this.startEmbedded(settings).finally(() => {
      this.embedding = undefined;
    });
  }

  private async startEmbedded(settings: ServerSettings): Promise<void> {
    const url = new URL(settings.uri);
    const host = url.hostname === 'localhost' ? '127.0.0.1' : url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port ? Number(url.port) : url.protocol === 'wss:' ? 443 : 80;
    if (url.protocol !== 'ws:') return; // the embedded relay speaks plain ws only
    try {
      const relay = await startRelay({ host, port, logger: relayLogger(this.options.log) });
      if (this.settings !== settings) {
        await relay.close();
        return;
      }
      this.embedded = relay;
      this.options.log('info', `started the embedded relay on ${relay.url} (nothing was answering at ${settings.uri})`);
      this.manager?.reconnect();
      this.publishStatus();
    } catch (error) {
      // Another window may have started one at the same moment: then we simply connect to it.
      this.options.log('warn', `could not start the embedded relay: ${(error as Error).message}`);
      this.manager?.reconnect();
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
