/**
 * One published message on its way out. Its WebSocket frame is encoded once, at publish,
 * into one buffer: the history keeps that buffer, and every seed subscriber's socket is
 * handed that same buffer, so a message costs one copy however many hold it. Subscribers
 * that asked for offsets get the message with `payload.offset` added, built at most once
 * per Delivery and never kept: a live broadcast builds it once for all of them, a replay
 * rebuilds it from the kept frame.
 */
import type { ChannelPayload } from '../protocol';
import { encodeTextFrame, textFramePayload } from './frame';

/** A message as the relay keeps it: where it was published, its offset, its encoded frame. */
export interface StoredMessage {
  readonly channel: string;
  readonly offset: number;
  /** The frame of the message exactly as published. */
  readonly frame: Buffer;
}

export class Delivery {
  private annotatedFrame: Buffer | undefined;

  constructor(
    private readonly message: StoredMessage,
    /** The parsed payload when the publisher's frame was just parsed; read back from the frame otherwise. */
    private payload?: ChannelPayload,
  ) {}

  get channel(): string {
    return this.message.channel;
  }

  /** The encoded frame of the message as published. */
  frame(): Buffer {
    return this.message.frame;
  }

  /** The encoded frame of the message with its offset, for subscribers that resume with `since`. */
  annotated(): Buffer {
    if (!this.annotatedFrame) {
      // Kept frames were validated at publish: they parse, and hold a payload object.
      const payload = this.payload ?? JSON.parse(textFramePayload(this.message.frame).toString('utf8')).payload;
      const text = JSON.stringify({ type: this.message.channel, payload: { ...payload, offset: this.message.offset } });
      this.annotatedFrame = encodeTextFrame(Buffer.from(text));
      this.payload = undefined; // no longer needed: let it go
    }
    return this.annotatedFrame;
  }
}
