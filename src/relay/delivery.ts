/**
 * One published message on its way out. Seed subscribers get the very bytes that came
 * in; subscribers that asked for offsets get the same message with `payload.offset`
 * added. Each form is built, and encoded as a WebSocket frame, at most once per publish,
 * whatever the number of subscribers; every socket is then handed the same buffer.
 */
import type { ChannelPayload } from '../protocol';
import { encodeTextFrame } from './frame';

export class Delivery {
  private rawFrame: Buffer | undefined;
  private annotatedFrame: Buffer | undefined;

  constructor(
    readonly channel: string,
    readonly offset: number,
    /** The message exactly as published. */
    readonly raw: Buffer,
    private payload: ChannelPayload | undefined,
  ) {}

  /** The encoded frame of the message as published. */
  frame(): Buffer {
    this.rawFrame ??= encodeTextFrame(this.raw);
    return this.rawFrame;
  }

  /** The encoded frame of the message with its offset, for subscribers that resume with `since`. */
  annotated(): Buffer {
    if (!this.annotatedFrame) {
      const text = JSON.stringify({ type: this.channel, payload: { ...this.payload, offset: this.offset } });
      this.annotatedFrame = encodeTextFrame(Buffer.from(text));
      this.payload = undefined; // no longer needed: let it go
    }
    return this.annotatedFrame;
  }
}
