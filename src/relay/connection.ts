/**
 * One client connection: turns its frames into subscribe / unsubscribe / publish
 * actions and answers every bad frame with an `error` reply. Nothing a client sends
 * can throw out of here; the connection stays usable after an error.
 */
import type { WebSocket } from 'ws';
import {
  errorReply,
  parseWireMessage,
  subscribedReply,
  unsubscribedReply,
  type ErrorCode,
  type RelayReply,
} from '../protocol';
import type { Broker, Subscriber } from './broker';
import type { RelayLogger } from './log';
import type { RelayMetrics } from './metrics';

export interface ConnectionContext {
  broker: Broker;
  metrics: RelayMetrics;
  log: RelayLogger;
}

export class RelayConnection implements Subscriber {
  readonly channels = new Set<string>();
  /** Cleared on each heartbeat, set again by any sign of life from the peer. */
  alive = true;

  constructor(
    readonly id: number,
    readonly remote: string,
    private readonly socket: WebSocket,
    private readonly context: ConnectionContext,
  ) {}

  deliver(frame: Buffer): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.socket.send(frame, { binary: false });
    this.context.metrics.messagesDelivered++;
  }

  handleFrame(data: Buffer, isBinary: boolean): void {
    this.alive = true;
    this.context.metrics.messagesReceived++;
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
        this.subscribe(parsed.message.payload.channel);
        return;
      case 'unsubscribe':
        this.unsubscribe(parsed.message.payload.channel);
        return;
      case 'channel':
        this.context.metrics.messagesPublished++;
        // The frame goes out as the very bytes that came in: serialized once, by its publisher.
        this.context.broker.publish(parsed.message.type, data);
        return;
      default:
        this.replyError('reserved_type', `"${parsed.kind}" is a relay reply and cannot be sent by clients`);
    }
  }

  /** Removes every subscription; called once the socket has closed. */
  dispose(): void {
    for (const channel of this.channels) this.context.broker.unsubscribe(channel, this);
    this.channels.clear();
  }

  private subscribe(channel: string): void {
    this.context.broker.subscribe(channel, this);
    this.channels.add(channel);
    this.reply(subscribedReply(channel));
  }

  private unsubscribe(channel: string): void {
    this.context.broker.unsubscribe(channel, this);
    this.channels.delete(channel);
    this.reply(unsubscribedReply(channel));
  }

  private replyError(code: ErrorCode, message: string, channel?: string): void {
    this.context.metrics.countError(code);
    this.context.log.warn(`#${this.id} ${this.remote} sent a bad frame (${code}): ${message}`);
    this.reply(errorReply(code, message, channel));
  }

  private reply(message: RelayReply): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }
}
