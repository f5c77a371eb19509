/**
 * One client connection: turns its frames into subscribe / unsubscribe / publish
 * actions and answers every bad frame with an `error` reply. Nothing a client sends
 * can throw out of here; the connection stays usable after an error. Limits (rate,
 * subscriptions, outbound buffer) are enforced here, per connection.
 */
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import {
  CLOSE_CODES,
  errorReply,
  parseWireMessage,
  subscribedReply,
  unsubscribedReply,
  type ChannelPayload,
  type ErrorCode,
  type RefusedAction,
  type RelayReply,
  type SubscribeMessage,
} from '../protocol';
import type { Grant } from './auth/grant';
import type { Boundary } from './boundary';
import { EngineUnavailableError, isPending, type ChannelEngine, type Published, type Resumed } from './channel-engine';
import type { Delivery } from './delivery';
import { encodeTextFrame } from './frame';
import type { HistoryCursor } from './history';
import type { Subscriber } from './local-fan-out';
import type { RelayLogger } from './log';
import type { RelayMetrics } from './metrics';
import { ExcessRun, type MessageRate } from './rate-limiter';
import { Replay } from './replay';
import { Subscriptions } from './subscriptions';
import { beforeWrite, type Corkable } from './write-batching';
import type { ExpirySchedule } from './expiry-schedule';

/** A run of excess ends after this long without a dropped message, or after the bucket's refill time if longer. */
const MIN_QUIET_MS = 100;
/**
 * A replay waits once this much is queued in the socket: enough to keep the kernel's buffer
 * full, far from the high-water mark (at most half of it), and small beside the history.
 */
const REPLAY_LOW_WATER_BYTES = 64 * 1024;

/**
 * The longest `payload.id` an error reply echoes. Ids are bounded only by the frame size, so
 * an error reply (sent for every refused publish, like a receipt) could otherwise carry up to
 * a frame's worth of the peer's bytes back. A longer id is left out, never cut: a cut id
 * could name another message. Ours are UUIDs (36 characters).
 */
const MAX_ECHOED_ID_LENGTH = 256;
/** Distinct refusals of one connection logged (each is counted in /metrics however many). */
const MAX_LOGGED_REFUSALS = 20;

function echoedId({ id }: ChannelPayload): string | undefined {
  return typeof id === 'string' && id.length <= MAX_ECHOED_ID_LENGTH ? id : undefined;
}

export interface ConnectionLimits {
  maxSubscriptions: number;
  messagesPerSecond: number;
  messageBurst: number;
  /** Bytes queued for a subscriber past which it is cut off as a slow consumer. */
  outboundHighWaterBytes: number;
  /** How long a resuming subscriber may leave its replay unread before it is cut off. */
  replayStallMs: number;
}

export interface ConnectionContext {
  engine: ChannelEngine;
  /** One timer for every connection's token expiry. */
  expiries: ExpirySchedule<RelayConnection>;
  /** `limits.messagesPerSecond` and `messageBurst`, shared: each connection keeps only its due time. */
  rate: MessageRate;
  metrics: RelayMetrics;
  log: RelayLogger;
  limits: ConnectionLimits;
  boundary: Boundary;
}

export interface ConnectionFeatures {
  /** Send an `@ack` receipt for every publish. */
  acks: boolean;
}

export class RelayConnection implements Subscriber, Corkable {
  /** Subscribed channels; true for those delivered with offsets (subscribed with `since`). */
  readonly channels = new Subscriptions();
  // Most connections never resume, wait on the engine or get refused: these three are made on
  // first use, since an idle connection's every byte counts at tens of thousands of them.
  /** Replays under way, by channel; each stands in for this connection in the engine until caught up. */
  private replaysByChannel: Map<string, Replay> | undefined;
  /** Subscribes the engine has yet to answer (resumes, or waits to be live), by channel: a later subscribe or unsubscribe of the channel voids one. */
  private resumingByChannel: Map<string, Promise<unknown>> | undefined;
  /** Cleared on each heartbeat, set again by any sign of life from the peer. */
  alive = true;
  private closing = false;
  /** Kept by write-batching.ts: whether its socket is corked until the tick ends, and the tick it last wrote in. */
  corked = false;
  lastWriteTick = 0;
  /** When this connection's next message is due at the steady rate (see MessageRate); 0 before the first. */
  private messageDue = 0;
  /** Made at the first message over the rate: most connections never send one. */
  private excess: ExcessRun | undefined;
  /** Its place in the relay's expiry schedule, while its token has an end. */
  private expiry: { cancel(): void } | undefined;
  /** `action:channel` of the refusals logged so far. */
  private loggedRefusalKeys: Set<string> | undefined;

  constructor(
    readonly id: number,
    readonly socket: WebSocket,
    /** The TCP socket under `socket`, as handed over at the upgrade. */
    private readonly transport: Socket,
    private readonly context: ConnectionContext,
    private readonly features: ConnectionFeatures,
    /** What the connection's credential allows. */
    private readonly grant: Grant,
  ) {
    if (grant.expiresAt === undefined) return;
    if (grant.expiresAt <= Date.now()) this.expire();
    else this.expiry = context.expiries.add(this, grant.expiresAt);
  }

  /** The peer's address and port, for logs: read when needed (Node keeps it once read), not held as a string. */
  get remote(): string {
    return `${this.transport.remoteAddress}:${this.transport.remotePort}`;
  }

  /** Who holds the connection's credential, for logs. */
  get who(): string {
    return this.grant.who;
  }

  /** The token ran out: the connection ends with 4501 (see the relay's expiry schedule). */
  expire(): void {
    this.expiry = undefined;
    this.context.log.info(`#${this.id} ${this.remote} (${this.grant.who}): the token expired; closing`);
    this.close(CLOSE_CODES.tokenExpired, 'token expired');
  }

  deliver(delivery: Delivery): void {
    this.send(this.channels.get(delivery.channel) ? delivery.annotated() : delivery.frame());
  }

  /** Writes one pre-encoded frame; false when the peer is closing, or was just cut off. */
  private send(frame: Buffer, flushed?: (error?: Error | null) => void): boolean {
    if (!this.hasRoom()) return false;
    // A stream's frames of one tick leave in one writev; a broadcast's single frame at once (write-batching.ts).
    beforeWrite(this);
    // The pre-encoded frame goes straight to the TCP socket that ws itself writes to. ws's
    // own writes (replies, pings, close) are synchronous too, so frames never interleave:
    // createWebSocketServer refuses compression, the one thing that would make ws queue.
    this.transport.write(frame, flushed);
    this.context.metrics.messagesDelivered++;
    return true;
  }

  cork(): void {
    this.transport.cork();
  }

  /** Sends what was written while corked (see write-batching.ts). */
  uncork(): void {
    this.transport.uncork();
  }

  /**
   * One beat of the relay's heartbeat (one timer for every connection): a peer silent since
   * the last beat is terminated (false), else pinged.
   */
  heartbeat(): boolean {
    if (!this.alive) {
      this.socket.terminate();
      return false;
    }
    this.alive = false;
    this.socket.ping();
    return true;
  }

  private get replays(): Map<string, Replay> {
    return (this.replaysByChannel ??= new Map());
  }

  private get resuming(): Map<string, Promise<unknown>> {
    return (this.resumingByChannel ??= new Map());
  }

  private get loggedRefusals(): Set<string> {
    return (this.loggedRefusalKeys ??= new Set());
  }

  handleFrame(data: Buffer, isBinary: boolean): void {
    this.alive = true;
    this.context.metrics.messagesReceived++;
    if (this.closing) return;
    const due = this.context.rate.take(this.messageDue);
    if (Number.isNaN(due)) {
      this.onRateExceeded();
      return;
    }
    this.messageDue = due;
    if (isBinary) {
      this.replyError('binary_not_supported', 'binary frames are not supported: send JSON as a text frame');
      return;
    }
    const parsed = parseWireMessage(data.toString('utf8'));
    if (!parsed.ok) {
      this.replyError(parsed.code, parsed.message, parsed.channel);
      return;
    }
    switch (parsed.kind) {
      case 'subscribe':
        this.subscribe(parsed.message.payload);
        return;
      case 'unsubscribe':
        this.unsubscribe(parsed.message.payload.channel);
        return;
      case 'channel':
        this.publish(parsed.message.type, data, parsed.message.payload);
        return;
      default:
        this.replyError('reserved_type', `"${parsed.message.type}" is a relay reply and cannot be sent by clients`);
    }
  }

  /** Removes every subscription; called once the socket has closed. */
  dispose(): void {
    this.expiry?.cancel();
    this.expiry = undefined;
    for (const channel of this.channels.names()) this.leave(channel);
    this.channels.clear();
  }

  /** Takes this connection, or the replay standing in for it, off `channel` in the engine. */
  private leave(channel: string): void {
    this.resumingByChannel?.delete(channel);
    const replay = this.replaysByChannel?.get(channel);
    if (replay) {
      replay.cancel();
      this.replays.delete(channel);
      this.context.engine.unsubscribe(channel, replay);
    }
    this.context.engine.unsubscribe(channel, this);
  }

  private publish(channel: string, data: Buffer, payload: ChannelPayload): void {
    if (!this.grant.publish.matches(channel)) {
      this.refuseForbidden('publish', channel, echoedId(payload));
      return;
    }
    // The frame goes out as the very bytes that came in: serialized once, by its publisher,
    // framed once here, into the one buffer the history keeps.
    let published: Published | Promise<Published>;
    try {
      published = this.context.engine.publish(channel, encodeTextFrame(data), payload);
    } catch (error) {
      this.publishFailed(channel, payload, error);
      return;
    }
    // An engine in memory answers at once: no promise on the fast path.
    if (!isPending(published)) {
      this.published(channel, payload, published);
      return;
    }
    const { boundary } = this.context;
    published.then(
      boundary.guard(`#${this.id} publish`, (result: Published) => this.published(channel, payload, result)),
      boundary.guard(`#${this.id} failed publish`, (error: unknown) => this.publishFailed(channel, payload, error)),
    );
  }

  private published(channel: string, payload: ChannelPayload, { offset, epoch }: Published): void {
    this.context.metrics.messagesPublished++;
    if (this.features.acks) {
      this.reply({ type: '@ack', payload: { id: typeof payload.id === 'string' ? payload.id : null, channel, offset, epoch } });
    }
  }

  /**
   * Nothing was published, and no receipt goes out: the publisher keeps the message and sends
   * it again. The reply names the message by its id, so the publisher knows which one to resend.
   */
  private publishFailed(channel: string, payload: ChannelPayload, error: unknown): void {
    this.engineFailed(error, 'this message was not published; send it again later', channel, echoedId(payload));
  }

  /** Answers a failed engine call: `unavailable` when its storage is out of reach (retryable), `internal_error` otherwise. */
  private engineFailed(error: unknown, consequence: string, channel: string, id?: string): void {
    const { metrics, log } = this.context;
    if (error instanceof EngineUnavailableError) {
      metrics.countError('unavailable');
      log.warn(`#${this.id} ${this.remote}: the channel storage is unavailable (${error.message})`);
      this.reply(errorReply('unavailable', `the relay cannot reach its channel storage (${error.message}): ${consequence}`, channel, id));
      return;
    }
    metrics.countError('internal_error');
    log.error(`#${this.id} internal error in the channel engine: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    this.reply(errorReply('internal_error', `the relay failed on this request: ${consequence}`, channel, id));
  }

  private subscribe({ channel, since, epoch }: SubscribeMessage['payload']): void {
    const { engine, limits } = this.context;
    if (!this.channels.has(channel) && this.channels.size >= limits.maxSubscriptions) {
      this.replyError('too_many_subscriptions', `a connection may hold at most ${limits.maxSubscriptions} subscriptions`, channel);
      return;
    }
    if (!this.grant.subscribe.matches(channel)) {
      this.refuseForbidden('subscribe', channel);
      return;
    }
    this.leave(channel); // a subscribe starts the channel afresh, ending any replay of it
    if (since === undefined) {
      this.channels.set(channel, false);
      const live = engine.whenLive?.(channel);
      if (live === undefined) {
        this.joined(channel);
        return;
      }
      // Answered once the channel is live here; it counts only if not left or subscribed afresh meanwhile.
      this.resuming.set(channel, live);
      live.then(
        this.context.boundary.guard(`#${this.id} subscribe`, () => {
          if (this.resuming.get(channel) === live && this.resuming.delete(channel)) this.joined(channel);
        }),
      );
      return;
    }
    this.channels.set(channel, true);
    let resumed: Resumed | Promise<Resumed>;
    try {
      resumed = engine.resume(channel, since, epoch);
    } catch (error) {
      this.resumeFailed(channel, error);
      return;
    }
    if (!isPending(resumed)) {
      this.resumed(channel, resumed);
      return;
    }
    // The answer counts only if the channel was neither left nor subscribed afresh meanwhile.
    this.resuming.set(channel, resumed);
    const stillWanted = () => this.resuming.get(channel) === resumed && this.resuming.delete(channel);
    const { boundary } = this.context;
    resumed.then(
      boundary.guard(`#${this.id} resume`, (result: Resumed) => {
        if (stillWanted()) this.resumed(channel, result);
      }),
      boundary.guard(`#${this.id} failed resume`, (error: unknown) => {
        if (stillWanted()) this.resumeFailed(channel, error);
      }),
    );
  }

  /** A plain subscription: live from its reply on. */
  private joined(channel: string): void {
    if (this.closing) return;
    this.context.engine.subscribe(channel, this);
    this.reply(subscribedReply(channel));
  }

  private resumed(channel: string, { epoch, offset, recovered, cursor }: Resumed): void {
    // Reply, then what was missed, then live messages: the cursor reaches whatever is
    // published from the moment it was made, so nothing can slip in between.
    this.reply({ type: 'subscribed', payload: { channel, message: 'subscribed', epoch, offset, recovered } });
    this.replay(channel, cursor);
  }

  private resumeFailed(channel: string, error: unknown): void {
    this.channels.delete(channel);
    this.engineFailed(error, 'not subscribed; subscribe again later', channel);
  }

  /** Sends what `cursor` holds as the peer reads it, then puts this connection on the channel live. */
  private replay(channel: string, cursor: HistoryCursor): void {
    if (this.closing) return; // cut off by the reply just sent: nothing may subscribe it again
    const { engine, limits, boundary } = this.context;
    const replay = new Replay(cursor, this.transport, {
      lowWaterBytes: Math.min(REPLAY_LOW_WATER_BYTES, limits.outboundHighWaterBytes / 2),
      stallMs: limits.replayStallMs,
      write: (frame, flushed) => this.send(frame, flushed),
      boundary,
      onEnd: (end) => {
        this.replays.delete(channel);
        engine.unsubscribe(channel, replay);
        if (end.outcome === 'caught-up') engine.subscribe(channel, this);
        else if (end.outcome === 'too-slow') this.cutOffSlowConsumer(end.reason);
        else this.replayUnavailable(channel, end.reason);
      },
    });
    this.replays.set(channel, replay);
    engine.subscribe(channel, replay);
    replay.pump();
  }

  private unsubscribe(channel: string): void {
    this.leave(channel);
    this.channels.delete(channel);
    this.reply(unsubscribedReply(channel));
  }

  private onRateExceeded(): void {
    const { limits, metrics, log } = this.context;
    metrics.countError('rate_limited');
    // Quiet for as long as a full burst takes to come back: the client is within its rate again.
    this.excess ??= new ExcessRun(Math.max(MIN_QUIET_MS, (limits.messageBurst / limits.messagesPerSecond) * 1000));
    const dropped = this.excess.drop();
    if (dropped === 1) {
      this.reply(errorReply('rate_limited', `too many messages: at most ${limits.messagesPerSecond} per second (bursts of ${limits.messageBurst}); this one was dropped`));
    }
    // A run of excess longer than a whole burst is not a burst: cut off; it may come back later.
    if (dropped > limits.messageBurst) {
      log.warn(`#${this.id} ${this.remote} exceeded the message rate; closing`);
      this.close(CLOSE_CODES.rateLimited, 'rate limit exceeded');
    }
  }

  /**
   * The channel's storage failed mid-replay. Closed with "try again later": our client
   * reconnects and resumes from the last offset it saw, so nothing is lost or repeated.
   */
  private replayUnavailable(channel: string, reason: string): void {
    this.context.metrics.countError('unavailable');
    this.context.log.warn(`#${this.id} ${this.remote} could not be sent the history of channel ${channel}: ${reason}; closing`);
    this.close(CLOSE_CODES.tryAgainLater, 'history unavailable: resume later');
  }

  private cutOffSlowConsumer(reason: string): void {
    this.context.metrics.countError('slow_consumer');
    this.context.log.warn(`#${this.id} ${this.remote} is not reading (${reason}); closing`);
    this.close(CLOSE_CODES.slowConsumer, `slow consumer: ${reason}`);
  }

  private close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    // It stops receiving at once, so it can neither slow the others nor grow our memory.
    this.dispose();
    this.socket.close(code, reason);
    // A peer that is not reading will never read the close frame either.
    setTimeout(() => this.socket.terminate(), 1000).unref();
  }

  /** The credential does not allow this: counted every time, logged once per action and channel, and the connection stays. */
  private refuseForbidden(action: RefusedAction, channel: string, id?: string): void {
    const { metrics, log } = this.context;
    metrics.countError('forbidden');
    const what = action === 'subscribe' ? `subscribe to ${channel}` : `publish on ${channel}`;
    const key = `${action}:${channel}`;
    if (this.loggedRefusals.size < MAX_LOGGED_REFUSALS && !this.loggedRefusals.has(key)) {
      this.loggedRefusals.add(key);
      log.warn(`#${this.id} ${this.remote} (${this.grant.who}) is not allowed to ${what}`);
    }
    this.reply(errorReply('forbidden', `not allowed to ${what}: the access token does not grant it`, channel, id, action));
  }

  private replyError(code: ErrorCode, message: string, channel?: string): void {
    this.context.metrics.countError(code);
    this.context.log.warn(`#${this.id} ${this.remote} sent a bad frame (${code}): ${message}`);
    this.reply(errorReply(code, message, channel));
  }

  private reply(message: RelayReply): void {
    // Replies are strings, never Blobs: ws would queue a Blob, and our direct writes overtake it.
    if (this.hasRoom()) this.socket.send(JSON.stringify(message));
  }

  /**
   * Whether more may be written to this peer. Replies count too (a receipt echoes its `id`,
   * an error reply answers every bad frame): a peer that never reads is cut off, whatever
   * it is being sent, before its queue can grow the relay's memory.
   */
  private hasRoom(): boolean {
    if (this.closing || this.socket.readyState !== this.socket.OPEN) return false;
    if (this.transport.writableLength <= this.context.limits.outboundHighWaterBytes) return true;
    this.cutOffSlowConsumer(`over ${this.context.limits.outboundHighWaterBytes} bytes queued`);
    return false;
  }
}
