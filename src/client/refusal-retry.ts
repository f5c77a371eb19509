/**
 * When the relay answers a publish `unavailable` (its channel storage is out of reach, the
 * connection itself is fine), the message goes out again on the same connection after a
 * pause that grows while the storage stays away. One timer per manager, however many
 * messages are refused; the caller cancels it when the connection ends, and the resend
 * on the next connection takes over.
 */
import { backoffDelay, type BackoffOptions } from './backoff';

/** 250 ms, doubling up to 10 s: short enough to catch a brief blip, gentle on a long outage. */
const REFUSAL_BACKOFF: BackoffOptions = { initialDelayMs: 250, maxDelayMs: 10_000, factor: 2, minDelayMs: 50 };

/**
 * "Equal jitter": each pause is between half and all of its capped exponential, so retries
 * from many publishers spread out, yet the pauses surely grow: over a window W at most about
 * log2(W / 125 ms) + 1 attempts run, however the dice fall.
 */
const halfToWhole = (random: () => number) => () => 0.5 + random() / 2;

export class RefusalRetry {
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;
  /** Whether this outage was reported; it is reported once, not per refused message or retry. */
  private reported = false;

  constructor(private readonly random: () => number = Math.random) {}

  /** A resend is scheduled: new messages wait behind the refused ones. */
  get waiting(): boolean {
    return this.timer !== undefined;
  }

  /**
   * A message was refused: runs `resend` after the next pause, unless a resend is already
   * scheduled (it will take this message too). True the first time in an outage.
   */
  refused(resend: () => void): boolean {
    if (!this.timer) {
      const delay = backoffDelay(this.attempt++, REFUSAL_BACKOFF, halfToWhole(this.random));
      this.timer = setTimeout(() => {
        this.timer = undefined;
        resend();
      }, delay);
    }
    const first = !this.reported;
    this.reported = true;
    return first;
  }

  /** A receipt came: the relay stores messages again. True when that ends a reported outage. */
  stored(): boolean {
    const ended = this.reported && !this.timer;
    if (ended) {
      this.reported = false;
      this.attempt = 0;
    }
    return ended;
  }

  /** The connection ended (or the manager stopped): nothing more is resent from here. */
  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.attempt = 0;
    this.reported = false;
  }
}
