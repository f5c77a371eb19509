/**
 * The watch page's connection to the relay: a browser WebSocket on one channel, subscribed
 * with resume (`since` and `epoch`, README "Extensions for recovery", kept by the same
 * ResumePoint as the WebSocketManager's), so a page left open across relay restarts and
 * network losses misses nothing the relay still holds. A lost connection is opened again
 * after the same jittered backoff as the Node client's; a relay that never confirms the
 * subscription, or that stops answering while the channel is quiet, counts as lost.
 *
 * Browsers hide why an upgrade failed (an HTTP 401 looks like a relay that is down), so after
 * an attempt that never opened, `whyRefused` asks the relay's HTTP API; a refusal, like a
 * forbidden subscribe or a close code of 4500–4999, stops the retries until `start()`.
 */
import { backoffDelay, type BackoffOptions } from '../client/backoff';
import { ResumePoint } from '../client/resume-point';
import {
  BEARER_SUBPROTOCOL_PREFIX,
  CLOSE_CODES,
  clip,
  isPublishErrorCode,
  isRetryableCloseCode,
  parseWireMessage,
  RELAY_SUBPROTOCOL,
  subscribeMessage,
  unsubscribeMessage,
  type ChannelPayload,
  type ConnectionView,
  type ErrorMessage,
  type SubscribedMessage,
} from '../protocol';
import type { Refusal } from './relay-api';

export interface RelaySocketListener {
  /** The connection in the panel's words, with the problem to show beside it, if any. */
  state(connection: ConnectionView, problem?: string): void;
  /** A message on the channel (replayed or live), once per offset. */
  message(payload: ChannelPayload): void;
  /** Refused for good: no retry follows until start() is called again. */
  refused(refusal: Refusal): void;
}

export interface RelaySocketOptions {
  url: string;
  channel: string;
  /** After an attempt that never opened: the relay's refusal, if it refuses this page. */
  whyRefused(): Promise<Refusal | undefined>;
  backoff?: BackoffOptions;
  /** The relay must confirm a subscribe within this (default 10 s). */
  subscribeTimeoutMs?: number;
  /** After this long without a frame the relay is asked for a sign of life (default 25 s)... */
  quietMs?: number;
  /** ...which must come within this (default 10 s). */
  answerTimeoutMs?: number;
}

/** The relay's own limit on a frame is 1 MiB: anything far larger is no frame of its. */
const MAX_FRAME_CHARS = 2 * 1024 * 1024;
/** Jittered like the Node client's, and capped lower: a watcher wants to be back soon. */
const BACKOFF: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 15_000 };
/**
 * Browsers send no pings of their own: to learn whether a quiet relay still answers, the page
 * leaves a channel it is not on, which the relay answers with `unsubscribed` (the seed's reply)
 * and which changes nothing.
 */
const PROBE_CHANNEL = 'weather-watch.alive';

export class RelaySocket {
  private readonly point = new ResumePoint();
  private socket: WebSocket | undefined;
  private stopped = true;
  private everSubscribed = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private subscribeTimer: ReturnType<typeof setTimeout> | undefined;
  private aliveTimer: ReturnType<typeof setInterval> | undefined;
  private lastHeard = 0;
  private probeSentAt: number | undefined;
  /** Where the subscription stands on the current socket. */
  private phase: 'none' | 'requested' | 'confirmed' = 'none';
  private readonly probeChannel: string;
  /** Why the last attempt failed, said while the next one runs; none before the first failure. */
  private failure: string | undefined;
  /** Offered as the subprotocol `weather-relay.bearer.<base64url(token)>`: a browser cannot set Authorization on a WebSocket. */
  private token: string | undefined;

  constructor(
    private readonly options: RelaySocketOptions,
    private readonly listener: RelaySocketListener,
  ) {
    this.probeChannel = options.channel === PROBE_CHANNEL ? `${PROBE_CHANNEL}.2` : PROBE_CHANNEL;
  }

  /** The token for the next connection (start() connects with it at once). */
  setToken(token: string | undefined): void {
    this.token = token;
  }

  start(): void {
    this.stopped = false;
    this.attempt = 0;
    this.failure = undefined;
    this.cancelRetry();
    this.drop();
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.cancelRetry();
    this.drop();
  }

  /** Now rather than after the backoff (the network came back, the tab woke up): a waiting retry runs, a quiet connection is checked. */
  wake(): void {
    if (this.stopped) return;
    if (this.retryTimer !== undefined) {
      this.cancelRetry();
      this.open();
    } else if (this.phase === 'confirmed') {
      this.probe();
    }
  }

  private open(): void {
    const { url } = this.options;
    const token = this.token;
    let socket: WebSocket;
    try {
      // The relay selects `weather-relay`, never the entry carrying the token. Without a token nothing is offered.
      socket = new WebSocket(url, token === undefined ? [] : [RELAY_SUBPROTOCOL, `${BEARER_SUBPROTOCOL_PREFIX}${base64url(token)}`]);
    } catch (error) {
      this.refuse({ kind: 'other', reason: `Cannot open a WebSocket to ${url}: ${clip((error as Error).message, 200)}` });
      return;
    }
    this.socket = socket;
    this.phase = 'none';
    this.probeSentAt = undefined;
    let opened = false;
    this.listener.state(this.failure === undefined ? 'connecting' : 'reconnecting', this.failure === undefined ? undefined : `${this.failure} Trying again…`);
    socket.onopen = () => {
      if (this.socket !== socket) return;
      opened = true;
      this.heard();
      this.subscribe(socket);
    };
    socket.onmessage = (event: MessageEvent<unknown>) => {
      if (this.socket !== socket) return;
      this.heard();
      if (typeof event.data === 'string') this.onFrame(event.data);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket === socket) void this.lost(event.code, event.reason, opened);
    };
  }

  private subscribe(socket: WebSocket): void {
    const message = subscribeMessage(this.options.channel);
    // The first subscribe replays what the relay holds of the channel (a watcher arriving sees
    // the latest turns); later ones resume after the last offset seen, in its epoch.
    Object.assign(message.payload, this.point.resumeFrom(undefined, true));
    this.phase = 'requested';
    socket.send(JSON.stringify(message));
    const timeoutMs = this.options.subscribeTimeoutMs ?? 10_000;
    this.subscribeTimer = setTimeout(() => this.giveUp(`The relay did not confirm the subscription within ${timeoutMs / 1000} s.`), timeoutMs);
    const quietMs = this.options.quietMs ?? 25_000;
    this.aliveTimer = setInterval(() => this.checkAlive(quietMs), Math.max(100, Math.min(5_000, quietMs / 5)));
  }

  private onFrame(text: string): void {
    if (text.length > MAX_FRAME_CHARS) return;
    const parsed = parseWireMessage(text);
    if (!parsed.ok) return;
    switch (parsed.kind) {
      case 'subscribed':
        if (parsed.message.payload.channel === this.options.channel && this.phase === 'requested') this.onSubscribed(parsed.message.payload);
        return;
      case 'channel':
        // Everything of the channel comes after the reply: its replay first, then what is live.
        if (parsed.message.type !== this.options.channel || this.phase !== 'confirmed') return;
        this.point.passed(parsed.message.payload.offset);
        this.listener.message(parsed.message.payload);
        return;
      case 'error':
        this.onError(parsed.message.payload);
        return;
      default:
      // `unsubscribed` answers a probe: hearing it was the point.
    }
  }

  private onSubscribed(reply: SubscribedMessage['payload']): void {
    clearTimeout(this.subscribeTimer);
    let gap: string | undefined;
    if (reply.epoch !== undefined) {
      this.point.subscribed(reply.epoch, reply.offset, false);
      if (this.everSubscribed && reply.recovered === false) gap = 'The relay could not replay everything missed while the page was disconnected (it restarted, or its history ran out): some activity may be missing.';
    }
    this.phase = 'confirmed';
    this.everSubscribed = true;
    this.attempt = 0;
    this.failure = undefined;
    this.listener.state('connected', gap);
  }

  private onError(error: ErrorMessage['payload']): void {
    if (error.channel !== undefined && error.channel !== this.options.channel) return;
    if (error.code === 'forbidden' && error.action !== 'publish') {
      this.refuse({ kind: 'forbidden', reason: `This token may not watch channel ${this.options.channel}.` });
    } else if (this.phase === 'requested' && error.code === 'unavailable') {
      this.giveUp('The relay cannot reach its channel storage right now.');
    } else if (this.phase === 'requested' && !isPublishErrorCode(error.code)) {
      this.refuse({ kind: 'other', reason: `The relay refused the subscription: ${clip(error.message, 300)}` });
    }
  }

  /** Asks a quiet relay for a sign of life; one that gives none in time is as good as gone. */
  private checkAlive(quietMs: number): void {
    const now = Date.now();
    if (this.probeSentAt !== undefined) {
      if (now - this.probeSentAt >= (this.options.answerTimeoutMs ?? 10_000)) this.giveUp('The relay stopped answering.');
    } else if (now - this.lastHeard >= quietMs) {
      this.probe();
    }
  }

  private probe(): void {
    if (this.probeSentAt !== undefined || this.socket?.readyState !== WebSocket.OPEN) return;
    this.probeSentAt = Date.now();
    this.socket.send(JSON.stringify(unsubscribeMessage(this.probeChannel)));
  }

  private heard(): void {
    this.lastHeard = Date.now();
    this.probeSentAt = undefined;
  }

  /** Drops a socket that failed us without closing (its close may take minutes on a dead network) and retries. */
  private giveUp(why: string): void {
    this.drop();
    this.retry(why);
  }

  private async lost(code: number, reason: string, opened: boolean): Promise<void> {
    this.drop();
    if (this.stopped) return;
    if (!isRetryableCloseCode(code)) {
      const said = reason === '' ? '' : `: ${clip(reason, 200)}`;
      this.refuse(
        code === CLOSE_CODES.tokenExpired
          ? { kind: 'token', reason: 'The relay closed the connection: the token expired.' }
          : { kind: 'other', reason: `The relay closed the connection for good (code ${code}${said}).` },
      );
      return;
    }
    if (!opened) {
      this.listener.state('reconnecting', 'Cannot reach the relay; checking whether it refuses this page…');
      const refusal = await this.options.whyRefused().catch(() => undefined);
      // Stopped or started afresh meanwhile: that decides.
      if (this.stopped || this.socket !== undefined || this.retryTimer !== undefined) return;
      if (refusal) {
        this.refuse(refusal);
        return;
      }
    }
    this.retry(opened ? `Lost the connection to the relay (code ${code}).` : `Cannot reach the relay at ${clip(this.options.url, 200)}.`);
  }

  private retry(why: string): void {
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++, { ...BACKOFF, ...this.options.backoff });
    this.failure = why;
    this.listener.state('reconnecting', `${why} Trying again in ${Math.max(1, Math.round(delay / 1000))} s.`);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (!this.stopped) this.open();
    }, delay);
  }

  private refuse(refusal: Refusal): void {
    this.stop();
    this.listener.state('offline');
    this.listener.refused(refusal);
  }

  /** Forgets the current socket: its late events are ignored, and it is closed if still open. */
  private drop(): void {
    clearTimeout(this.subscribeTimer);
    clearInterval(this.aliveTimer);
    this.subscribeTimer = undefined;
    this.aliveTimer = undefined;
    this.phase = 'none';
    const socket = this.socket;
    this.socket = undefined;
    if (socket && socket.readyState !== WebSocket.CLOSED && socket.readyState !== WebSocket.CLOSING) socket.close(1000, 'watch page done');
  }

  private cancelRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }
}

/** The token as a subprotocol may carry it: base64url of its UTF-8 bytes, unpadded. */
export function base64url(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
