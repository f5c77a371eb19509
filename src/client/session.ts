/**
 * One socket to the relay and everything that lives exactly as long as it: the epoch the
 * relay announced in its upgrade, whether the socket opened, why it failed, where the
 * subscription stands on it, its reply timers and heartbeat, and whether its resends are
 * still due. Each connection is a new session, so nothing from an old socket can leak into
 * the next one, and no socket event can throw past its handler.
 */
import WebSocket from 'ws';
import { displayUri, EPOCH_HEADER } from '../protocol';
import { clip, describeClose, describeConnectionError, describeHttpRefusal, RelayConnectionError } from './errors';
import { Heartbeat } from './heartbeat';
import type { Log, ManagerSettings } from './settings';

/** Where our subscription stands on this socket. */
type SubscriptionPhase = 'none' | 'requested' | 'confirmed';

interface SessionHandlers {
  opened(session: RelaySession): void;
  /** A text frame from the relay (binary frames are logged and dropped here). */
  text(session: RelaySession, text: string): void;
  closed(session: RelaySession, code: number, error: RelayConnectionError): void;
  log: Log;
}

/** Ignored frames logged per connection; past this a relay could flood the log. */
const LOGGED_IGNORES = 20;

/** The part of a refusal's body read for its reason, and how long that may take. */
const MAX_REFUSAL_BODY = 512;
const REFUSAL_READ_MS = 1000;

export class RelaySession {
  /** The epoch the relay announced in its upgrade; undefined for relays without receipts (seed relays). */
  epoch: string | undefined;
  opened = false;
  subscription: SubscriptionPhase = 'none';
  /** On a new connection, what the relay cannot vouch for is resent before anything else, once. */
  resendsDue = true;
  /** reconnect() asked for this close: it is neither an error nor a reason to wait. */
  replaceRequested = false;
  private failure: RelayConnectionError | undefined;
  private subscribeTimer: NodeJS.Timeout | undefined;
  private leaveTimer: NodeJS.Timeout | undefined;
  private readonly heartbeat: Heartbeat;
  private ignored = 0;

  /** Opens a socket; throws a final RelayConnectionError for options the socket refuses outright. */
  static open(uri: string, settings: ManagerSettings, handlers: SessionHandlers): RelaySession {
    let socket: WebSocket;
    try {
      socket = new WebSocket(uri, {
        handshakeTimeout: settings.connectTimeoutMs,
        perMessageDeflate: false,
        maxPayload: settings.maxPayloadBytes,
        headers: settings.headers,
        ...(settings.ca ? { ca: settings.ca } : {}),
      });
    } catch (error) {
      // An invalid header value, say: retrying cannot help.
      throw new RelayConnectionError(`cannot connect to ${displayUri(uri)}: ${(error as Error).message}`, { cause: error, retryable: false });
    }
    return new RelaySession(socket, uri, settings, handlers);
  }

  private constructor(
    private readonly socket: WebSocket,
    private readonly uri: string,
    settings: ManagerSettings,
    private readonly handlers: SessionHandlers,
  ) {
    this.heartbeat = new Heartbeat(
      settings.heartbeatIntervalMs,
      () => socket.ping(),
      () => {
        handlers.log('warn', `no heartbeat from ${displayUri(uri)} for ${settings.heartbeatIntervalMs} ms; reconnecting`);
        socket.terminate();
      },
    );
    this.on('upgrade', (response) => {
      const epoch = response.headers[EPOCH_HEADER];
      this.epoch = typeof epoch === 'string' && epoch !== '' ? epoch : undefined;
    });
    this.on('unexpected-response', (_request, response) => {
      const status = response.statusCode ?? 0;
      this.failure = describeHttpRefusal(status, response.statusMessage, uri);
      // Our relay says why in one short sentence: read a little of it (bounded in bytes and time), then drop the socket.
      let body = '';
      const done = () => {
        clearTimeout(timer);
        response.destroy();
        socket.terminate();
      };
      const timer = setTimeout(done, REFUSAL_READ_MS);
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
        this.failure = describeHttpRefusal(status, response.statusMessage, uri, body.slice(0, MAX_REFUSAL_BODY));
        if (body.length >= MAX_REFUSAL_BODY) done();
      });
      response.on('end', done);
      response.on('error', done);
    });
    this.on('error', (error) => {
      this.failure ??= describeConnectionError(error, uri);
    });
    this.on('open', () => {
      this.opened = true;
      handlers.opened(this);
    });
    this.on('message', (data: Buffer, isBinary: boolean) => {
      this.heartbeat.heard();
      if (isBinary) this.ignore('a binary frame');
      else handlers.text(this, data.toString('utf8'));
    });
    this.on('pong', () => this.heartbeat.heard());
    this.on('close', (code: number, reason: Buffer) => {
      this.stopTimers();
      handlers.closed(this, code, this.failure ?? describeClose(code, reason.toString('utf8'), uri));
    });
  }

  get isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(frame: string): void {
    this.socket.send(frame);
  }

  startHeartbeat(): void {
    this.heartbeat.start();
  }

  /** Sends a subscribe; `expired` runs when the relay has not answered `timeoutMs` after it was sent. */
  requestSubscription(frame: string, timeoutMs: number, expired: () => void): void {
    this.subscription = 'requested';
    this.send(frame);
    clearTimeout(this.subscribeTimer);
    this.subscribeTimer = setTimeout(expired, timeoutMs);
  }

  /** The relay confirmed; false when no subscribe was awaiting a reply (a stray or late one). */
  confirmSubscription(): boolean {
    if (this.subscription !== 'requested') return false;
    clearTimeout(this.subscribeTimer);
    this.subscription = 'confirmed';
    return true;
  }

  /** Refused, or left: a late `subscribed` reply must not mark us subscribed again. */
  endSubscription(): void {
    clearTimeout(this.subscribeTimer);
    this.subscription = 'none';
  }

  /** Sends an unsubscribe; `expired` runs when the relay has not answered `timeoutMs` after it was sent. */
  requestLeave(frame: string, timeoutMs: number, expired: () => void): void {
    this.send(frame);
    this.endSubscription();
    clearTimeout(this.leaveTimer);
    this.leaveTimer = setTimeout(expired, timeoutMs);
  }

  leaveConfirmed(): void {
    clearTimeout(this.leaveTimer);
  }

  /** Logs a frame we drop, up to a budget per connection. */
  ignore(what: string, why?: string): void {
    this.ignored++;
    if (this.ignored <= LOGGED_IGNORES) this.handlers.log('warn', `ignored ${what} from the relay${why ? `: ${clip(why)}` : ''}`);
    if (this.ignored === LOGGED_IGNORES) this.handlers.log('warn', `further ignored frames on this connection are not logged`);
  }

  /** Drops the connection without a close handshake (a hung relay, or reconnect()). */
  terminate(): void {
    this.socket.terminate();
  }

  /** Closes with 1000, or cuts the socket off when the relay does not answer within `timeoutMs`. */
  closeGracefully(timeoutMs: number): Promise<void> {
    const socket = this.socket;
    return new Promise((resolve) => {
      if (socket.readyState === WebSocket.CLOSED) return resolve();
      const timer = setTimeout(() => socket.terminate(), timeoutMs);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000, 'client disconnect');
    });
  }

  private stopTimers(): void {
    clearTimeout(this.subscribeTimer);
    clearTimeout(this.leaveTimer);
    this.heartbeat.stop();
  }

  /** Every socket event goes through here: whatever its handler throws is logged, never thrown into `ws`. */
  private on(event: string, handler: (...args: any[]) => void): void {
    this.socket.on(event, (...args: unknown[]) => {
      try {
        handler(...args);
      } catch (error) {
        this.handlers.log('error', `internal error while handling "${event}" from ${displayUri(this.uri)}: ${(error as Error)?.message ?? String(error)}`);
      }
    });
  }
}
