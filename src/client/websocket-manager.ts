/**
 * WebSocketManager: the seed's client class, in TypeScript on `ws`.
 *
 * It keeps one connection to a relay and one channel subscription alive across
 * network faults: reconnects with capped, jittered backoff, re-subscribes, then
 * sends what was queued while offline, in order and once each. Every failure ends
 * in a clear error (an event, a rejected promise), never an unhandled rejection.
 */
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import {
  channelMessage,
  channelNameProblem,
  EPOCH_HEADER,
  FEATURES_HEADER,
  isRetryableCloseCode,
  relayUriProblem,
  subscribeMessage,
  unsubscribeMessage,
  validateWireMessage,
  parseWireMessage,
  type ChannelMessage,
  type ChannelPayload,
  type ErrorMessage,
  type SubscribedMessage,
} from '../protocol';
import { backoffDelay, type BackoffOptions } from './backoff';
import { describeConnectionError, describeHttpRefusal, RelayConnectionError } from './errors';
import { DeliveryTracker } from './delivery-tracker';
import { OfflineQueue } from './offline-queue';
import { SubscriptionCursor } from './subscription-cursor';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'subscribed' | 'reconnecting' | 'closed';

export interface WebSocketManagerOptions {
  /** Reconnect after a lost connection (default true); an object tunes the backoff. */
  reconnect?: boolean | BackoffOptions;
  /** Messages kept while offline; past this the oldest are dropped and reported (default 1000). */
  maxQueue?: number;
  /** How long the relay has to confirm subscribe / unsubscribe (default 5000 ms). */
  subscribeTimeoutMs?: number;
  /** How long opening the connection may take (default 10000 ms). */
  connectTimeoutMs?: number;
  /** Ping interval; a relay that does not answer within one interval is dropped (default 15000 ms, 0 = off). */
  heartbeatIntervalMs?: number;
  /** Extra HTTP headers for the upgrade request (e.g. Authorization). */
  headers?: Record<string, string>;
  /** Largest frame accepted from the relay (default 16 MiB). */
  maxPayloadBytes?: number;
  /**
   * With a relay that offers it (ours; a seed relay does not): receipts for every publish,
   * resending what a restarted relay cannot vouch for, resuming the subscription from the
   * last offset seen, and dropping duplicate messages by id. Default true.
   */
  reliable?: boolean;
  /** On the first subscribe, also receive the messages the relay still holds (default false). */
  catchUp?: boolean;
  /** Sent messages kept for resending after a relay restart (default 500, half the relay's default history). */
  resendWindow?: number;
  /** Message ids remembered for dropping duplicates (default 10000). */
  dedupeWindow?: number;
  log?: (level: 'info' | 'warn' | 'error', line: string) => void;
}

export interface WebSocketManagerEvents {
  /** The connection state changed; `error` says why when it changed for the worse. */
  state: [state: ConnectionState, error?: Error];
  /** A message published on this manager's channel (our own included, when subscribed). */
  message: [message: ChannelMessage];
  /** The offline queue was full: `count` oldest messages were dropped, `total` so far. */
  dropped: [count: number, total: number];
  /** The relay answered one of our messages with an `error` reply. */
  serverError: [error: ErrorMessage['payload']];
  /** A reconnect attempt is scheduled. */
  retry: [attempt: number, delayMs: number, error: Error];
  /** On resuming, the relay no longer held everything that was missed (it restarted, or history ran out). */
  gap: [reason: string];
}

export type SendResult = 'sent' | 'queued';

interface Waiter {
  resolve(): void;
  reject(error: Error): void;
}

/** Error codes that answer a published message, never a subscribe. */
const PUBLISH_ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid_json',
  'invalid_message',
  'binary_not_supported',
  'message_too_large',
  'rate_limited',
]);

const DEFAULTS = {
  maxQueue: 1000,
  subscribeTimeoutMs: 5_000,
  connectTimeoutMs: 10_000,
  heartbeatIntervalMs: 15_000,
  maxPayloadBytes: 16 * 1024 * 1024,
};

export class WebSocketManager extends EventEmitter<WebSocketManagerEvents> {
  readonly uri: string;
  readonly channel: string;
  /** The most recent connection failure, cleared once connected again. */
  lastError: Error | undefined;

  private readonly settings: typeof DEFAULTS & { backoff: BackoffOptions | false; headers?: Record<string, string>; catchUp: boolean };
  private readonly log: NonNullable<WebSocketManagerOptions['log']>;
  private readonly queue: OfflineQueue<{ frame: string; id: string | undefined }>;
  private socket: WebSocket | undefined;
  private stateValue: ConnectionState = 'idle';
  private wantConnection = false;
  private wantSubscription = false;
  private subscribeInFlight = false;
  private attempt = 0;
  private droppedTotal = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private subscribeTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private awaitingPong = false;
  /** The epoch the current relay announced; undefined for relays without receipts (seed relays). */
  private relayEpoch: string | undefined;
  private firstSubscribe = true;
  private reconnectRequested = false;
  /** Set on each new connection: resends come before anything else on it. */
  private resendPending = false;
  private readonly tracker: DeliveryTracker | undefined;
  private readonly cursor: SubscriptionCursor | undefined;
  private openWaiters = new Set<Waiter>();
  private subscribeWaiters = new Set<Waiter>();
  private unsubscribeWaiters = new Set<Waiter>();

  constructor(uri: string, channel: string, options: WebSocketManagerOptions = {}) {
    super();
    const uriProblem = relayUriProblem(uri);
    if (uriProblem) throw new TypeError(uriProblem);
    const channelProblem = channelNameProblem(channel);
    if (channelProblem) throw new TypeError(channelProblem);
    this.uri = uri;
    this.channel = channel;
    const reconnect = options.reconnect ?? true;
    this.settings = {
      maxQueue: options.maxQueue ?? DEFAULTS.maxQueue,
      subscribeTimeoutMs: options.subscribeTimeoutMs ?? DEFAULTS.subscribeTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs,
      maxPayloadBytes: options.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes,
      backoff: reconnect === false ? false : reconnect === true ? {} : reconnect,
      headers: options.reliable === false ? options.headers : { ...options.headers, [FEATURES_HEADER]: 'ack' },
      catchUp: options.catchUp ?? false,
    };
    if (options.reliable !== false) {
      this.tracker = new DeliveryTracker(options.resendWindow ?? 500);
      this.cursor = new SubscriptionCursor(options.dedupeWindow ?? 10_000);
    }
    this.queue = new OfflineQueue(this.settings.maxQueue);
    this.log = options.log ?? (() => {});
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  get isSubscribed(): boolean {
    return this.stateValue === 'subscribed';
  }

  get isConnected(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** Messages waiting for the connection. */
  get queuedCount(): number {
    return this.queue.length;
  }

  /**
   * Opens the connection. Settles with the outcome of the first attempt: after a
   * failure the manager keeps retrying in the background (unless reconnect is off)
   * and `send` keeps queueing; `disconnect()` stops it.
   */
  connect(): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    this.wantConnection = true;
    const opened = this.waitFor(this.openWaiters);
    if (!this.socket && !this.reconnectTimer) this.open();
    return opened;
  }

  /** Drops the current connection (if any) and connects again at once, skipping any backoff wait. */
  reconnect(): void {
    this.wantConnection = true;
    this.attempt = 0;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    if (this.socket) {
      // Asked for, so neither an error nor a backoff wait: the close handler reopens at once.
      this.reconnectRequested = true;
      this.socket.terminate();
    } else this.open();
  }

  /**
   * Subscribes to the channel and keeps the subscription across reconnects.
   * Resolves on the relay's `subscribed` reply; rejects on an `error` reply or when
   * no reply comes within the subscribe timeout.
   */
  subscribe(): Promise<void> {
    this.wantSubscription = true;
    if (this.stateValue === 'subscribed') return Promise.resolve();
    const subscribed = this.waitFor(this.subscribeWaiters, this.settings.subscribeTimeoutMs, () =>
      new RelayConnectionError(
        `the relay did not confirm the subscription to "${this.channel}" within ${this.settings.subscribeTimeoutMs} ms`,
      ),
    );
    if (this.isConnected && !this.subscribeInFlight) this.sendSubscribe(this.socket!);
    return subscribed;
  }

  /** Leaves the channel; resolves on the relay's `unsubscribed` reply. */
  unsubscribe(): Promise<void> {
    this.wantSubscription = false;
    this.settle(this.subscribeWaiters, new Error(`unsubscribed from "${this.channel}" before the relay confirmed`));
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return Promise.resolve();
    const done = this.waitFor(this.unsubscribeWaiters, this.settings.subscribeTimeoutMs, () =>
      new RelayConnectionError(`the relay did not confirm leaving "${this.channel}" in time`),
    );
    socket.send(JSON.stringify(unsubscribeMessage(this.channel)));
    this.subscribeInFlight = false; // a late `subscribed` reply to it must not mark us subscribed again
    this.clearSubscribeTimer();
    this.setState('connected');
    this.flush(socket);
    return done;
  }

  /**
   * Publishes `payload` on the channel, as `{type: channel, payload}`. Sent at once when
   * connected (and subscribed, if a subscription is wanted), otherwise queued and sent
   * after the next successful (re)subscription, in order.
   */
  send(payload: ChannelPayload): SendResult {
    const message = channelMessage(this.channel, payload);
    const checked = validateWireMessage(message);
    if (!checked.ok) throw new TypeError(`cannot send this message: ${checked.message}`);
    const frame = JSON.stringify(message);
    const socket = this.socket;
    const id = typeof payload.id === 'string' ? payload.id : undefined;
    if (socket && this.isReady() && this.queue.length === 0) {
      this.write(socket, frame, id);
      return 'sent';
    }
    const dropped = this.queue.push({ frame, id });
    if (dropped > 0) {
      this.droppedTotal += dropped;
      this.log('warn', `offline queue full (${this.queue.capacity}): dropped the oldest message`);
      this.emit('dropped', dropped, this.droppedTotal);
    }
    return 'queued';
  }

  /**
   * Removes and returns the payloads still waiting for a connection, oldest first, so
   * that a caller replacing this manager (another relay, say) can send them there.
   */
  takeQueued(): ChannelPayload[] {
    return this.queue.drain().map(({ frame }) => (JSON.parse(frame) as ChannelMessage).payload);
  }

  /**
   * Unsubscribes (when subscribed), closes with 1000 and stops reconnecting.
   * Resolves with how many queued messages were never sent.
   */
  async disconnect(): Promise<{ unsent: number }> {
    this.wantConnection = false;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    if (socket?.readyState === WebSocket.OPEN && this.wantSubscription) {
      await this.unsubscribe().catch((error: Error) => this.log('warn', error.message));
    }
    this.wantSubscription = false;
    if (this.socket) await closeGracefully(this.socket, this.settings.subscribeTimeoutMs);
    const closed = new RelayConnectionError('disconnected', { retryable: false });
    this.settle(this.openWaiters, closed);
    this.settle(this.subscribeWaiters, closed);
    this.setState('closed');
    const unsent = this.queue.length;
    if (unsent > 0) this.log('warn', `disconnected with ${unsent} message(s) never sent`);
    return { unsent };
  }

  private open(): void {
    this.reconnectTimer = undefined;
    this.setState(this.stateValue === 'reconnecting' ? 'reconnecting' : 'connecting');
    let failure: RelayConnectionError | undefined;
    let opened = false;
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.uri, {
        handshakeTimeout: this.settings.connectTimeoutMs,
        perMessageDeflate: false,
        maxPayload: this.settings.maxPayloadBytes,
        headers: this.settings.headers,
      });
    } catch (error) {
      // Options the socket refuses outright (an invalid header value, say) cannot succeed on retry.
      const refused = new RelayConnectionError(`cannot connect to ${this.uri}: ${(error as Error).message}`, {
        cause: error,
        retryable: false,
      });
      this.wantConnection = false;
      this.lastError = refused;
      this.settle(this.openWaiters, refused);
      this.settle(this.subscribeWaiters, refused);
      this.setState('closed', refused);
      return;
    }
    this.socket = socket;
    this.relayEpoch = undefined;
    let socketEpoch: string | undefined;
    socket.on('upgrade', (response) => {
      const epoch = response.headers[EPOCH_HEADER];
      socketEpoch = typeof epoch === 'string' && epoch !== '' ? epoch : undefined;
      if (socket === this.socket) this.relayEpoch = socketEpoch;
    });
    socket.on('unexpected-response', (_request, response) => {
      failure = describeHttpRefusal(response.statusCode ?? 0, response.statusMessage, this.uri);
      response.resume();
      socket.terminate();
    });
    socket.on('error', (error) => {
      failure ??= describeConnectionError(error, this.uri);
    });
    socket.on('open', () => {
      opened = true;
      this.onOpen(socket);
    });
    socket.on('message', (data: Buffer, isBinary: boolean) => this.onFrame(socket, data, isBinary));
    socket.on('pong', () => {
      this.awaitingPong = false;
    });
    socket.on('close', (code: number, reason: Buffer) => {
      // A relay that shut down gracefully delivered everything it confirmed first.
      if (code === 1001 && socketEpoch !== undefined) this.tracker?.drained(socketEpoch);
      this.onClose(socket, opened, failure ?? closeError(code, reason.toString('utf8'), this.uri));
    });
  }

  private onOpen(socket: WebSocket): void {
    if (!this.wantConnection) {
      socket.close(1000);
      return;
    }
    this.lastError = undefined;
    this.resendPending = true;
    this.settle(this.openWaiters);
    this.log('info', `connected to ${this.uri}`);
    this.setState('connected');
    this.startHeartbeat(socket);
    if (this.wantSubscription) this.sendSubscribe(socket);
    else {
      this.attempt = 0;
      this.flush(socket);
    }
  }

  private sendSubscribe(socket: WebSocket): void {
    this.subscribeInFlight = true;
    const message = subscribeMessage(this.channel);
    if (this.cursor && this.relayEpoch !== undefined) {
      Object.assign(message.payload, this.cursor.resumeFrom(this.relayEpoch, this.settings.catchUp));
    }
    socket.send(JSON.stringify(message));
    this.clearSubscribeTimer();
    this.subscribeTimer = setTimeout(() => {
      // A relay that never confirms is as good as down: drop the connection and retry with backoff.
      this.log('warn', `no reply to subscribe "${this.channel}" within ${this.settings.subscribeTimeoutMs} ms`);
      socket.terminate();
    }, this.settings.subscribeTimeoutMs);
  }

  private onFrame(socket: WebSocket, data: Buffer, isBinary: boolean): void {
    if (socket !== this.socket) return;
    this.awaitingPong = false;
    if (isBinary) {
      this.log('warn', 'ignored a binary frame from the relay');
      return;
    }
    const parsed = parseWireMessage(data.toString('utf8'));
    if (!parsed.ok) {
      this.log('warn', `ignored a malformed message from the relay: ${parsed.message}`);
      return;
    }
    switch (parsed.kind) {
      case 'subscribed':
        if (parsed.message.payload.channel === this.channel) this.onSubscribed(socket, parsed.message.payload);
        return;
      case 'ack':
        this.tracker?.confirm(parsed.message.payload.id, parsed.message.payload.epoch);
        return;
      case 'unsubscribed':
        if (parsed.message.payload.channel === this.channel) this.settle(this.unsubscribeWaiters);
        return;
      case 'error':
        this.onServerError(socket, parsed.message.payload);
        return;
      case 'channel':
        if (parsed.message.type !== this.channel) return;
        // Replays and publishers' resends can repeat a message: it is delivered once.
        if (this.cursor && !this.cursor.accept(parsed.message.payload)) return;
        this.emit('message', parsed.message);
        return;
      default:
        this.log('warn', `ignored a "${parsed.kind}" message from the relay`);
    }
  }

  private onSubscribed(socket: WebSocket, reply: SubscribedMessage['payload']): void {
    if (!this.subscribeInFlight) return;
    this.subscribeInFlight = false;
    if (this.cursor && typeof reply.epoch === 'string') {
      const resumed = !this.firstSubscribe;
      const caughtUpToNow = this.firstSubscribe && !this.settings.catchUp;
      this.cursor.subscribed(reply.epoch, reply.offset, caughtUpToNow);
      if (resumed && reply.recovered === false) {
        const why = 'the relay could not replay everything missed while disconnected (it restarted, or its history ran out)';
        this.log('warn', why);
        this.emit('gap', why);
      }
    }
    this.firstSubscribe = false;
    this.clearSubscribeTimer();
    this.attempt = 0;
    this.setState('subscribed');
    this.settle(this.subscribeWaiters);
    this.flush(socket);
  }

  private onServerError(socket: WebSocket, error: ErrorMessage['payload']): void {
    this.log('warn', `relay error (${error.code}): ${error.message}`);
    // Replies come in order, but a publish sent just before the subscribe may still be
    // answered while the subscribe is in flight: only errors a publish cannot cause
    // are taken as the relay refusing the subscription.
    if (this.subscribeInFlight && !PUBLISH_ERROR_CODES.has(error.code)) {
      this.subscribeInFlight = false;
      this.wantSubscription = false;
      this.clearSubscribeTimer();
      const refused = new RelayConnectionError(`the relay refused the subscription to "${this.channel}": ${error.message}`, {
        retryable: false,
      });
      this.lastError = refused;
      this.settle(this.subscribeWaiters, refused);
      this.flush(socket);
    }
    this.emit('serverError', error);
  }

  private onClose(socket: WebSocket, opened: boolean, error: RelayConnectionError): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.subscribeInFlight = false;
    this.clearSubscribeTimer();
    clearInterval(this.heartbeatTimer);
    this.settle(this.unsubscribeWaiters);
    if (!this.wantConnection) {
      this.setState('closed');
      return;
    }
    if (this.reconnectRequested) {
      this.reconnectRequested = false;
      this.setState('reconnecting');
      this.open();
      return;
    }
    this.lastError = error;
    if (!opened) this.settle(this.openWaiters, error);
    else this.log('warn', error.message);
    if (this.settings.backoff === false || !error.retryable) {
      this.wantConnection = false;
      this.settle(this.subscribeWaiters, error);
      this.setState('closed', error);
      return;
    }
    const delay = backoffDelay(this.attempt++, this.settings.backoff);
    this.setState('reconnecting', error);
    this.emit('retry', this.attempt, delay, error);
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  private startHeartbeat(socket: WebSocket): void {
    clearInterval(this.heartbeatTimer);
    if (this.settings.heartbeatIntervalMs <= 0) return;
    this.awaitingPong = false;
    this.heartbeatTimer = setInterval(() => {
      if (this.awaitingPong) {
        this.log('warn', `no heartbeat from ${this.uri} for ${this.settings.heartbeatIntervalMs} ms; reconnecting`);
        socket.terminate();
        return;
      }
      this.awaitingPong = true;
      socket.ping();
    }, this.settings.heartbeatIntervalMs);
  }

  private isReady(): boolean {
    if (!this.isConnected) return false;
    return this.wantSubscription ? this.stateValue === 'subscribed' : !this.subscribeInFlight;
  }

  /** Writes a publish, keeping it for a resend until the relay confirms it. */
  private write(socket: WebSocket, frame: string, id: string | undefined): void {
    socket.send(frame);
    if (this.relayEpoch !== undefined && id !== undefined) this.tracker?.record(id, frame);
  }

  /** Once ready: first what this relay cannot vouch for, then what was queued offline. */
  private flush(socket: WebSocket): void {
    if (!this.isReady() || socket !== this.socket) return;
    if (this.resendPending && this.relayEpoch !== undefined && this.tracker) {
      this.resendPending = false;
      const resends = this.tracker.resendsFor(this.relayEpoch);
      if (resends.length > 0) this.log('info', `resending ${resends.length} message(s) this relay has not confirmed`);
      for (const { id, frame } of resends) this.write(socket, frame, id);
    }
    while (this.queue.length > 0 && this.isReady() && socket === this.socket) {
      const queued = this.queue.shift()!;
      this.write(socket, queued.frame, queued.id);
    }
  }

  private setState(state: ConnectionState, error?: Error): void {
    if (state === this.stateValue && error === undefined) return;
    this.stateValue = state;
    this.emit('state', state, error);
  }

  private clearSubscribeTimer(): void {
    clearTimeout(this.subscribeTimer);
    this.subscribeTimer = undefined;
  }

  private waitFor(waiters: Set<Waiter>, timeoutMs?: number, onTimeout?: () => Error): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      waiters.add(waiter);
      if (timeoutMs !== undefined && onTimeout) {
        timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(onTimeout());
        }, timeoutMs);
      }
    });
  }

  /** Resolves (no error) or rejects every waiter in the set, once. */
  private settle(waiters: Set<Waiter>, error?: Error): void {
    const all = [...waiters];
    waiters.clear();
    for (const waiter of all) (error ? waiter.reject(error) : waiter.resolve());
  }
}

function closeError(code: number, reason: string, uri: string): RelayConnectionError {
  const why = reason ? `: ${reason}` : '';
  return new RelayConnectionError(`connection to ${uri} closed (code ${code}${why})`, { retryable: isRetryableCloseCode(code) });
}

function closeGracefully(socket: WebSocket, timeoutMs: number): Promise<void> {
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
