/**
 * WebSocketManager: the seed's client class, in TypeScript on `ws`.
 *
 * It keeps one connection to a relay and one channel subscription alive across
 * network faults: reconnects with capped, jittered backoff, re-subscribes, then
 * sends what was queued while offline, in order and once each. Every failure ends
 * in a clear error (an event, a rejected promise), never an unhandled rejection.
 *
 * The manager holds what the caller wants (a connection, a subscription) and what
 * outlives sockets: the Outbox (the offline queue and sent messages awaiting receipts),
 * the subscription cursor, the backoff count. Everything tied to one socket lives in its
 * RelaySession; the public state moves only along the table in transitions.ts.
 */
import { EventEmitter } from 'node:events';
import {
  channelMessage,
  channelNameProblem,
  CLOSE_CODES,
  displayUri,
  isPublishErrorCode,
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
import { backoffDelay } from './backoff';
import { clip, RelayConnectionError } from './errors';
import { Outbox } from './outbox';
import { PendingOutcome } from './pending-outcome';
import { RefusalRetry } from './refusal-retry';
import { RelaySession } from './session';
import { resolveSettings, type Log, type ManagerSettings, type WebSocketManagerOptions } from './settings';
import { SubscriptionCursor } from './subscription-cursor';
import { nextState, type ConnectionEvent, type ConnectionState } from './transitions';

interface WebSocketManagerEvents {
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

type SendResult = 'sent' | 'queued';


export class WebSocketManager extends EventEmitter<WebSocketManagerEvents> {
  readonly uri: string;
  readonly channel: string;
  /** The most recent connection failure, cleared once connected again. */
  lastError: Error | undefined;

  private readonly settings: ManagerSettings;
  private readonly log: Log;
  private readonly outbox: Outbox;
  private readonly cursor: SubscriptionCursor | undefined;
  private stateValue: ConnectionState = 'idle';
  /** The socket in use (connecting or open), if any. */
  private session: RelaySession | undefined;
  /** What the caller asked for; sessions come and go to honour it. */
  private wantConnection = false;
  private wantSubscription = false;
  /** Whether a subscribe was ever confirmed: later ones are resumes, which may report a gap. */
  private everSubscribed = false;
  private attempt = 0;
  /** Publishes refused for good (`forbidden`) so far: only the first is logged. */
  private publishRefusals = 0;
  private droppedTotal = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Messages the relay could not store go out again on the same connection, after a pause. */
  private readonly refusals = new RefusalRetry();
  private readonly opening = new PendingOutcome();
  private readonly subscribing = new PendingOutcome();
  private readonly leaving = new PendingOutcome();

  constructor(uri: string, channel: string, options: WebSocketManagerOptions = {}) {
    super();
    const uriProblem = relayUriProblem(uri);
    if (uriProblem) throw new TypeError(uriProblem);
    const channelProblem = channelNameProblem(channel);
    if (channelProblem) throw new TypeError(channelProblem);
    this.uri = uri;
    this.channel = channel;
    this.settings = resolveSettings(options);
    const reliability = this.settings.reliability;
    if (reliability) this.cursor = new SubscriptionCursor(reliability.dedupeWindow);
    this.outbox = new Outbox(this.settings.maxQueue, reliability?.resendWindow);
    const log = options.log;
    // A throwing log sink must not break the manager either.
    this.log = (level, line) => {
      try {
        log?.(level, line);
      } catch {
        // nowhere left to report it
      }
    };
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  get isSubscribed(): boolean {
    return this.stateValue === 'subscribed';
  }

  get isConnected(): boolean {
    return this.session?.isOpen ?? false;
  }

  /** Messages waiting for the connection. */
  get queuedCount(): number {
    return this.outbox.queued;
  }

  /**
   * Opens the connection. Settles with the outcome of the first attempt: after a
   * failure the manager keeps retrying in the background (unless reconnect is off)
   * and `send` keeps queueing; `disconnect()` stops it.
   */
  connect(): Promise<void> {
    if (this.isConnected) return Promise.resolve();
    this.wantConnection = true;
    const opened = this.opening.wait();
    if (!this.session && !this.retryTimer) this.open();
    return opened;
  }

  /** Drops the current connection (if any) and connects again at once, skipping any backoff wait. */
  reconnect(): void {
    this.wantConnection = true;
    this.attempt = 0;
    this.cancelRetry();
    if (this.session) {
      this.session.replaceRequested = true;
      this.session.terminate();
    } else this.open();
  }

  /**
   * Subscribes to the channel and keeps the subscription across reconnects. Resolves on
   * the relay's `subscribed` reply; rejects on an `error` reply, on a final connection
   * failure, or when no reply comes within the subscribe timeout of the subscribe being
   * sent. While the relay is unreachable nothing is sent, so nothing times out: the
   * subscribe goes out with the next connection. Concurrent calls share one promise.
   */
  subscribe(): Promise<void> {
    this.wantSubscription = true;
    if (this.stateValue === 'subscribed') return Promise.resolve();
    const subscribed = this.subscribing.wait();
    const session = this.session;
    if (session?.isOpen && session.subscription === 'none') this.requestSubscription(session);
    return subscribed;
  }

  /** Leaves the channel; resolves on the relay's `unsubscribed` reply (at once when not connected). */
  unsubscribe(): Promise<void> {
    this.wantSubscription = false;
    this.subscribing.reject(new Error(`unsubscribed from "${this.channel}" before the relay confirmed`));
    const session = this.session;
    if (!session?.isOpen) return Promise.resolve();
    const left = this.leaving.wait();
    session.requestLeave(JSON.stringify(unsubscribeMessage(this.channel)), this.settings.subscribeTimeoutMs, () =>
      this.leaving.reject(new RelayConnectionError(`the relay did not confirm leaving "${this.channel}" in time`)),
    );
    this.move('left');
    this.flush(session);
    return left;
  }

  /**
   * Publishes `payload` on the channel, as `{type: channel, payload}`. Sent at once when
   * connected (and subscribed, if a subscription is wanted), otherwise queued and sent
   * after the next successful (re)subscription, in order. While messages the relay could
   * not store wait to go out again, it is queued behind them.
   */
  send(payload: ChannelPayload): SendResult {
    const message = channelMessage(this.channel, payload);
    const checked = validateWireMessage(message);
    if (!checked.ok) throw new TypeError(`cannot send this message: ${checked.message}`);
    const session = this.session;
    const ready = session && this.isReady(session) ? session : undefined;
    const { sent, dropped } = this.outbox.submit(JSON.stringify(message), typeof payload.id === 'string' ? payload.id : undefined, ready);
    if (dropped > 0) {
      this.droppedTotal += dropped;
      this.log('warn', `offline queue full (${this.outbox.capacity}): dropped the oldest message`);
      this.notify('dropped', dropped, this.droppedTotal);
    }
    return sent ? 'sent' : 'queued';
  }

  /**
   * Removes and returns, in publish order and once each, every payload the relay has not
   * confirmed: those sent and still awaiting a receipt, then those queued offline. A caller
   * replacing this manager (another relay, say) sends them there; this manager is left
   * with nothing to resend. Against a relay without receipts (a seed relay) a sent
   * message counts as delivered.
   */
  takeUndelivered(): ChannelPayload[] {
    this.refusals.cancel();
    return this.outbox.takeUndelivered();
  }

  /**
   * Unsubscribes (when subscribed), closes with 1000 and stops reconnecting.
   * Resolves with how many queued messages were never sent.
   */
  async disconnect(): Promise<{ unsent: number }> {
    this.wantConnection = false;
    this.cancelRetry();
    this.refusals.cancel();
    if (this.session?.isOpen && this.wantSubscription) {
      await this.unsubscribe().catch((error: Error) => this.log('warn', error.message));
    }
    this.wantSubscription = false;
    if (this.session) await this.session.closeGracefully(this.settings.subscribeTimeoutMs);
    const closed = new RelayConnectionError('disconnected', { retryable: false });
    this.opening.reject(closed);
    this.subscribing.reject(closed);
    this.move('stopped');
    const unsent = this.outbox.queued;
    if (unsent > 0) this.log('warn', `disconnected with ${unsent} message(s) never sent`);
    return { unsent };
  }

  private open(): void {
    this.retryTimer = undefined;
    this.move('opening');
    try {
      this.session = RelaySession.open(this.uri, this.settings, {
        opened: (session) => this.onOpened(session),
        text: (session, text) => this.onText(session, text),
        closed: (session, code, error) => this.onClosed(session, code, error),
        log: this.log,
      });
    } catch (error) {
      const refused = error as RelayConnectionError;
      this.wantConnection = false;
      this.lastError = refused;
      this.opening.reject(refused);
      this.subscribing.reject(refused);
      this.move('failed', refused);
    }
  }

  private onOpened(session: RelaySession): void {
    if (session !== this.session) return;
    if (!this.wantConnection) {
      void session.closeGracefully(this.settings.subscribeTimeoutMs);
      return;
    }
    this.lastError = undefined;
    this.log('info', `connected to ${displayUri(this.uri)}`);
    this.move('opened');
    this.opening.resolve();
    session.startHeartbeat();
    if (this.wantSubscription) this.requestSubscription(session);
    else {
      this.attempt = 0;
      this.flush(session);
    }
  }

  private requestSubscription(session: RelaySession): void {
    const message = subscribeMessage(this.channel);
    if (this.cursor && session.epoch !== undefined) {
      Object.assign(message.payload, this.cursor.resumeFrom(session.epoch, this.settings.catchUp));
    }
    const timeoutMs = this.settings.subscribeTimeoutMs;
    session.requestSubscription(JSON.stringify(message), timeoutMs, () => {
      // A relay that never confirms is as good as down: drop the connection and retry with backoff.
      this.log('warn', `no reply to subscribe "${this.channel}" within ${timeoutMs} ms`);
      this.subscribing.reject(
        new RelayConnectionError(`the relay did not confirm the subscription to "${this.channel}" within ${timeoutMs} ms`),
      );
      session.terminate();
    });
  }

  private onText(session: RelaySession, text: string): void {
    if (session !== this.session) return;
    const parsed = parseWireMessage(text);
    if (!parsed.ok) {
      session.ignore('a malformed message', parsed.message);
      return;
    }
    switch (parsed.kind) {
      case 'subscribed':
        if (parsed.message.payload.channel === this.channel) this.onSubscribed(session, parsed.message.payload);
        return;
      case 'ack':
        // A receipt counts only in the epoch the relay announced for this connection.
        if (parsed.message.payload.epoch !== session.epoch) {
          session.ignore('a receipt from another relay epoch');
          return;
        }
        this.outbox.confirm(parsed.message.payload.id, session.epoch);
        if (this.refusals.stored()) this.log('info', `the relay stores messages on "${this.channel}" again; those it refused were resent`);
        return;
      case 'unsubscribed':
        if (parsed.message.payload.channel === this.channel) {
          session.leaveConfirmed();
          this.leaving.resolve();
        }
        return;
      case 'error':
        this.onServerError(session, parsed.message.payload);
        return;
      case 'channel':
        if (parsed.message.type !== this.channel) return;
        // Replays and publishers' resends can repeat a message: it is delivered once.
        if (this.cursor && !this.cursor.accept(parsed.message.payload)) return;
        this.notify('message', parsed.message);
        return;
      default:
        session.ignore(`a "${parsed.kind}" message`);
    }
  }

  private onSubscribed(session: RelaySession, reply: SubscribedMessage['payload']): void {
    if (!session.confirmSubscription()) return;
    // Offsets count only in the epoch this connection announced; a reply naming another is read as a plain one.
    if (this.cursor && reply.epoch !== undefined && reply.epoch === session.epoch) {
      const caughtUpToNow = !this.everSubscribed && !this.settings.catchUp;
      this.cursor.subscribed(session.epoch, reply.offset, caughtUpToNow);
      if (this.everSubscribed && reply.recovered === false) {
        const why = 'the relay could not replay everything missed while disconnected (it restarted, or its history ran out)';
        this.log('warn', why);
        this.notify('gap', why);
      }
    }
    this.everSubscribed = true;
    this.attempt = 0;
    this.move('subscribed');
    this.subscribing.resolve();
    this.flush(session);
  }

  private onServerError(session: RelaySession, error: ErrorMessage['payload']): void {
    if (error.code === 'unavailable' && this.retryRefused(session, error)) return;
    const publishRefused = error.code === 'forbidden' && error.action === 'publish';
    // A publish the token may not make is refused for good: resending it could never help.
    if (publishRefused && typeof error.id === 'string') this.outbox.forget(error.id);
    // A watch-only token has every publish refused: logged once, each one still reported as an event.
    if (!publishRefused || this.publishRefusals++ === 0) this.log('warn', `relay error (${clip(error.code, 40)}): ${clip(error.message)}`);
    // Replies come in order, but a publish sent just before the subscribe may still be
    // answered while the subscribe is in flight: only errors a publish cannot cause
    // are taken as the relay refusing the subscription.
    if (session.subscription === 'requested' && !isPublishErrorCode(error.code) && !publishRefused) {
      session.endSubscription();
      this.wantSubscription = false;
      const refused = new RelayConnectionError(`the relay refused the subscription to "${this.channel}": ${clip(error.message)}`, {
        retryable: false,
      });
      this.lastError = refused;
      this.subscribing.reject(refused);
      this.flush(session);
    }
    this.notify('serverError', error);
  }

  /**
   * An `unavailable` reply naming a message that still awaits its receipt: the connection is
   * fine, the relay's storage is not, so the message goes out again on this connection after
   * a pause (the first refusal of an outage is reported, not every one). False for any other
   * (a relay that names no id): the message then waits for the next connection, as before.
   */
  private retryRefused(session: RelaySession, error: ErrorMessage['payload']): boolean {
    // The parser checks only the seed's fields: an `id` from the relay is checked here.
    const id: unknown = error.id;
    if (typeof id !== 'string' || session.epoch === undefined || !this.outbox.refuse(id, session.epoch)) return false;
    if (this.refusals.refused(() => this.resendRefused(session))) {
      this.log('warn', `the relay cannot store messages on "${this.channel}" now (${clip(error.message)}); resending them on this connection, with growing pauses, until it can`);
      this.notify('serverError', error);
    }
    return true;
  }

  /**
   * The refused messages first, in publish order, then whatever was sent meanwhile (held in
   * the offline queue, so that nothing overtakes them).
   */
  private resendRefused(session: RelaySession): void {
    if (session !== this.session || !session.isOpen) return;
    this.outbox.resendRefused(session);
    this.flush(session);
  }

  private onClosed(session: RelaySession, code: number, error: RelayConnectionError): void {
    // A relay that shut down gracefully delivered everything it confirmed first.
    if (code === CLOSE_CODES.shuttingDown && session.epoch !== undefined) this.outbox.drained(session.epoch);
    if (session !== this.session) return;
    this.session = undefined;
    // The next connection resends everything unconfirmed, the refused messages among them.
    this.refusals.cancel();
    this.leaving.resolve();
    if (!this.wantConnection) {
      this.move('stopped');
      return;
    }
    if (session.replaceRequested) {
      this.move('lost');
      this.open();
      return;
    }
    this.lastError = error;
    if (!session.opened) this.opening.reject(error);
    else this.log('warn', error.message);
    if (this.settings.backoff === false || !error.retryable) {
      this.wantConnection = false;
      this.subscribing.reject(error);
      this.move('failed', error);
      return;
    }
    const delay = backoffDelay(this.attempt++, this.settings.backoff);
    this.move('lost', error);
    this.notify('retry', this.attempt, delay, error);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  /**
   * Connected, and subscribed when a subscription is wanted (or no subscribe is awaiting its
   * reply when not), and no refused message is waiting to go out again first.
   */
  private isReady(session: RelaySession): boolean {
    if (!session.isOpen || this.refusals.waiting) return false;
    return this.wantSubscription ? session.subscription === 'confirmed' : session.subscription !== 'requested';
  }

  /** Once ready: first what this relay cannot vouch for, then what was queued offline. */
  private flush(session: RelaySession): void {
    const ready = (): boolean => session === this.session && this.isReady(session);
    if (ready()) this.outbox.flush(session, ready, (line) => this.log('info', line));
  }

  private cancelRetry(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Moves the public state along the transition table and reports the move. */
  private move(event: ConnectionEvent, error?: Error): void {
    const next = nextState(this.stateValue, event);
    if (next === undefined) {
      this.log('error', `internal error: "${event}" is not a move from state "${this.stateValue}"; state kept`);
      return;
    }
    if (next === this.stateValue && error === undefined) return;
    this.stateValue = next;
    this.notify('state', next, error);
  }

  /**
   * Emits to each listener in turn. A listener that throws is the caller's bug, but it must
   * not unwind the manager halfway through a socket event: it is logged, the other
   * listeners still run, and the manager carries on.
   */
  private notify<E extends keyof WebSocketManagerEvents>(event: E, ...args: WebSocketManagerEvents[E]): void {
    for (const listener of this.rawListeners(event) as Array<(...values: unknown[]) => void>) {
      try {
        listener.apply(this, args);
      } catch (error) {
        this.log('error', `a "${event}" listener threw: ${(error as Error)?.message ?? String(error)}`);
      }
    }
  }
}
