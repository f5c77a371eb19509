/**
 * One published message on its way out. Seed subscribers get the very bytes that came
 * in; subscribers that asked for offsets get the same message with `payload.offset`
 * added. Each form is built at most once per publish, whatever the number of
 * subscribers, and each frame is encoded once and shared by every socket.
 */
import type { ChannelPayload } from '../protocol';

export class Delivery {
  private annotatedFrame: Buffer | undefined;

  constructor(
    readonly channel: string,
    readonly offset: number,
    /** The frame exactly as published. */
    readonly raw: Buffer,
    private payload: ChannelPayload | undefined,
  ) {}

  /** The message with its offset, for subscribers that resume with `since`. */
  annotated(): Buffer {
    if (!this.annotatedFrame) {
      this.annotatedFrame = Buffer.from(JSON.stringify({ type: this.channel, payload: { ...this.payload, offset: this.offset } }));
      this.payload = undefined; // no longer needed: let it go
    }
    return this.annotatedFrame;
  }
}
