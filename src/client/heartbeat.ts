/**
 * Liveness of one socket: a ping every interval, and a relay that has sent nothing at all
 * (no pong, no frame) since the previous ping is given up on. TCP alone can take minutes
 * to notice a relay that vanished without closing.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private awaitingReply = false;

  /** `intervalMs` ≤ 0 turns the heartbeat off. */
  constructor(
    private readonly intervalMs: number,
    private readonly ping: () => void,
    private readonly silent: () => void,
  ) {}

  start(): void {
    this.stop();
    if (this.intervalMs <= 0) return;
    this.awaitingReply = false;
    this.timer = setInterval(() => {
      if (this.awaitingReply) {
        this.stop();
        this.silent();
        return;
      }
      this.awaitingReply = true;
      this.ping();
    }, this.intervalMs);
  }

  /** Anything from the relay proves it alive. */
  heard(): void {
    this.awaitingReply = false;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
