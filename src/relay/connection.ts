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
  type RelayReply,
  type SubscribeMessage,
} from '../protocol';
import type { Boundary } from './boundary';
import type { Broker, Subscriber } from './broker';
import { Delivery } from './delivery';
import { encodeTextFrame } from './frame';
import type { HistoryCursor, RelayHistory } from './history';
import type { RelayLogger } from './log';
import type { RelayMetrics } from './metrics';
import { ExcessRun, TokenBucket } from './rate-limiter';
import { Replay } from './replay';

/** A run of excess ends after this long without a dropped message, or after the bucket's refill time if longer. */
const MIN_QUIET_MS = 100;
/**
 * A replay waits once this much is queued in the socket: enough to keep the kernel's buffer
 * full, far from the high-water mark (at most half of it), and small beside the history.
 */
const REPLAY_LOW_WATER_BYTES = 64 * 1024;

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
  broker: Broker;
  history: RelayHistory;
  metrics: RelayMetrics;
  log: RelayLogger;
  limits: ConnectionLimits;
  boundary: Boundary;
}

export interface ConnectionFeatures {
  /** Send an `@ack` receipt for every publish. */
  acks: boolean;
}

export class RelayConnection implements Subscriber {
  /** Subscribed channels; true for those delivered with offsets (subscribed with `since`). */
  readonly channels = new Map<string, boolean>();
  /** Replays under way, by channel; each stands in for this connection in the broker until caught up. */
  private readonly replays = new Map<string, Replay>();
  /** Cleared on each heartbeat, set again by any sign of life from the peer. */
  alive = true;
  private closing = false;
  private corked = false;
  private readonly bucket: TokenBucket;
  private readonly excess: ExcessRun;

  constructor(
    readonly id: number,
    readonly remote: string,
    private readonly socket: WebSocket,
    /** The TCP socket under `socket`, as handed over at the upgrade. */
    private readonly transport: Socket,
    private readonly context: ConnectionContext,
    private readonly features: ConnectionFeatures,
  ) {
    const { messagesPerSecond, messageBurst } = context.limits;
    this.bucket = new TokenBucket(messagesPerSecond, messageBurst);
    // Quiet for as long as the bucket takes to fill up again: the client is back within its rate.
    this.excess = new ExcessRun(Math.max(MIN_QUIET_MS, (messageBurst / messagesPerSecond) * 1000));
  }

  deliver(delivery: Delivery): void {
    this.send(this.channels.get(delivery.channel) ? delivery.annotated() : delivery.frame());
  }

  /** Writes one pre-encoded frame; false when the peer is closing, or was just cut off. */
  private send(frame: Buffer, flushed?: (error?: Error | null) => void): boolean {
    if (!this.hasRoom()) return false;
    // Writes made while handling one batch of incoming frames leave in as few syscalls as
    // possible: the socket is corked until the current operation has run to completion.
    if (!this.corked) {
      this.corked = true;
      this.transport.cork();
      process.nextTick(this.uncork);
    }
    // The pre-encoded frame goes straight to the TCP socket that ws itself writes to. ws's
    // own writes (replies, pings, close) are synchronous too, so frames never interleave:
    // createWebSocketServer refuses compression, the one thing that would make ws queue.
    this.transport.write(frame, flushed);
    this.context.metrics.messagesDelivered++;
    return true;
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.transport.uncork();
  };

  handleFrame(data: Buffer, isBinary: boolean): void {
    this.alive = true;
    this.context.metrics.messagesReceived++;
    if (this.closing) return;
    if (!this.bucket.take()) {
      this.onRateExceeded();
      return;
    }
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
    for (const channel of this.channels.keys()) this.leave(channel);
    this.channels.clear();
  }

  /** Takes this connection, or the replay standing in for it, off `channel` in the broker. */
  private leave(channel: string): void {
    const replay = this.replays.get(channel);
    if (replay) {
      replay.cancel();
      this.replays.delete(channel);
      this.context.broker.unsubscribe(channel, replay);
    }
    this.context.broker.unsubscribe(channel, this);
  }

  private publish(channel: string, data: Buffer, payload: ChannelPayload): void {
    const { history, broker, metrics } = this.context;
    metrics.messagesPublished++;
    // The frame goes out as the very bytes that came in: serialized once, by its publisher,
    // framed once here, into the one buffer the history keeps.
    const message = history.append(channel, encodeTextFrame(data));
    broker.publish(new Delivery(message, payload));
    if (this.features.acks) {
      this.reply({
        type: '@ack',
        payload: { id: typeof payload.id === 'string' ? payload.id : null, channel, offset: message.offset, epoch: history.epoch },
      });
    }
  }

  private subscribe({ channel, since, epoch }: SubscribeMessage['payload']): void {
    const { broker, history, limits } = this.context;
    if (!this.channels.has(channel) && this.channels.size >= limits.maxSubscriptions) {
      this.replyError('too_many_subscriptions', `a connection may hold at most ${limits.maxSubscriptions} subscriptions`, channel);
      return;
    }
    this.leave(channel); // a subscribe starts the channel afresh, ending any replay of it
    if (since === undefined) {
      broker.subscribe(channel, this);
      this.channels.set(channel, false);
      this.reply(subscribedReply(channel));
      return;
    }
    // Reply, then what was missed, then live messages: the relay is single-threaded,
    // so nothing can slip in between.
    this.channels.set(channel, true);
    const { recovered, cursor } = history.resume(channel, since, epoch);
    this.reply({
      type: 'subscribed',
      payload: { channel, message: 'subscribed', epoch: history.epoch, offset: history.latestOffset, recovered },
    });
    this.replay(channel, cursor);
  }

  /** Sends what `cursor` holds as the peer reads it, then puts this connection on the channel live. */
  private replay(channel: string, cursor: HistoryCursor): void {
    if (this.closing) return; // cut off by the reply just sent: nothing may subscribe it again
    const { broker, limits, boundary } = this.context;
    const replay = new Replay(cursor, this.transport, {
      lowWaterBytes: Math.min(REPLAY_LOW_WATER_BYTES, limits.outboundHighWaterBytes / 2),
      stallMs: limits.replayStallMs,
      write: (frame, flushed) => this.send(frame, flushed),
      boundary,
      onEnd: (end) => {
        this.replays.delete(channel);
        broker.unsubscribe(channel, replay);
        if (end.caughtUp) broker.subscribe(channel, this);
        else this.cutOffSlowConsumer(end.reason);
      },
    });
    this.replays.set(channel, replay);
    broker.subscribe(channel, replay);
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
