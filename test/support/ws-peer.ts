/**
 * A bare `ws` peer for tests: sends raw text and records every frame it receives,
 * so assertions can compare the exact bytes on the wire.
 */
import WebSocket from 'ws';

export interface ReceivedFrame {
  text: string;
  isBinary: boolean;
}

export class WsPeer {
  readonly frames: ReceivedFrame[] = [];
  closeCode: number | undefined;
  closeReason = '';
  private waiters: Array<() => void> = [];
  readonly closed: Promise<number>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      this.frames.push({ text: data.toString('utf8'), isBinary });
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString('utf8');
        this.wake();
        resolve(code);
      });
    });
    socket.on('error', () => {});
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<WsPeer> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { perMessageDeflate: false, ...options });
      socket.once('open', () => resolve(new WsPeer(socket)));
      socket.once('error', reject);
    });
  }

  send(data: string | Buffer | object, options: { binary?: boolean } = {}): void {
    const raw = typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data);
    this.socket.send(raw, { binary: options.binary ?? false });
  }

  get texts(): string[] {
    return this.frames.map((frame) => frame.text);
  }

  /** JSON of every frame received so far. */
  get messages(): any[] {
    return this.frames.map((frame) => JSON.parse(frame.text));
  }

  /** Waits until `count` frames have arrived in total; returns them all. */
  async waitForFrames(count: number, timeoutMs = 5000): Promise<string[]> {
    await this.until(() => this.frames.length >= count, timeoutMs, `${count} frames (have ${this.frames.length})`);
    return this.texts;
  }

  /** Waits for the next frame after the ones already seen, and returns its JSON. */
  async next(timeoutMs = 5000): Promise<any> {
    const seen = this.frames.length;
    await this.waitForFrames(seen + 1, timeoutMs);
    return JSON.parse(this.frames[seen].text);
  }

  /** Sends a subscribe and waits for the relay's reply. */
  async subscribe(channel: string): Promise<any> {
    const reply = this.next();
    this.send({ type: 'subscribe', payload: { channel } });
    return reply;
  }

  async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.socket.readyState === WebSocket.CLOSED) {
        if (condition()) return;
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 100));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once no new frame has arrived for `quietMs`: for asserting that nothing comes. */
  async settle(quietMs = 150): Promise<void> {
    let count = -1;
    for (let i = 0; i < 100 && count !== this.frames.length; i++) {
      count = this.frames.length;
      await new Promise((resolve) => setTimeout(resolve, quietMs));
    }
  }

  close(code = 1000): Promise<number> {
    if (this.socket.readyState === WebSocket.OPEN) this.socket.close(code);
    else if (this.socket.readyState !== WebSocket.CLOSED) this.socket.terminate();
    return this.closed;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
