/**
 * Keeps the offsets of channels that are watched. A channel's meta hash (its epoch and top
 * offset) expires metaTtlSeconds after its last publish, so that channels nobody uses stop
 * costing memory. But a quiet channel may still have subscribers holding receipts of its
 * offsets: were its hash to expire, its next publish would count from 1 again in the same
 * epoch, and a subscriber resuming with `since` would take the new messages up to its old
 * offset for ones it had seen, and miss them. So each node restarts the TTL of its channels
 * with subscribers a few times per TTL (at most hourly), in batches, so a node with thousands
 * of channels never floods Redis.
 */
import type { RedisChannelStore } from './channel-store';

/** Channels renewed per round trip. */
const BATCH = 500;

export interface ChannelKeepaliveOptions {
  store: Pick<RedisChannelStore, 'keepChannels'>;
  /** The names of this process's channels with subscribers now (bounded by the caller). */
  channels: () => string[];
  /** The meta TTL the renewals must stay ahead of. */
  metaTtlSeconds: number;
}

export class ChannelKeepalive {
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> | undefined;

  constructor(private readonly options: ChannelKeepaliveOptions) {
    this.timer = setInterval(() => void this.renew(), keepaliveIntervalMs(options.metaTtlSeconds));
    this.timer.unref();
  }

  /** Renews every watched channel's meta TTL now; never rejects (a failed round is retried at the next interval). */
  renew(): Promise<void> {
    this.running ??= this.renewAll()
      .catch(() => undefined)
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async renewAll(): Promise<void> {
    const names = this.options.channels();
    for (let at = 0; at < names.length; at += BATCH) await this.options.store.keepChannels(names.slice(at, at + BATCH));
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}

/** A quarter of the TTL (so three rounds may fail before a watched channel is lost), at most an hour, at least 250 ms. */
export function keepaliveIntervalMs(metaTtlSeconds: number): number {
  return Math.max(250, Math.min((metaTtlSeconds * 1000) / 4, 3_600_000));
}
