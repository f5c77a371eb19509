/**
 * Which channels have subscribers on the other relay processes sharing one Redis, for the
 * watch page's channel list: behind a load balancer any node may be asked, and each alone
 * knows only its own subscribers. Every few seconds each process writes its channels with
 * their subscriber counts to a hash of its own that expires unless renewed (only when they
 * changed; otherwise it just renews it), so a process that dies drops out within the time to
 * live. A reader sums the other processes' hashes. Counts lag by up to one interval; a
 * listing is for people, and a subscribe never depends on it.
 *
 * What Redis hands back is checked like anything from outside: at most MAX_PROCESSES
 * processes and MAX_CHANNELS_SCANNED channels each are read, names must be channel names
 * and counts whole numbers, or the entry is skipped.
 */
import { channelNameProblem } from '../../protocol/wire/channel';
import { MAX_CHANNELS_SCANNED, type LocalChannel } from '../local-fan-out';
import type { RedisChannelStore } from './channel-store';

/** Processes one listing reads at most (a cluster is a few nodes, each a few workers). */
export const MAX_PROCESSES = 64;
/** The largest subscriber count believed for one channel of one process. */
const MAX_COUNT = 10_000_000;
const COUNT = /^[1-9]\d{0,7}$/;

export interface ChannelCensusOptions {
  store: Pick<RedisChannelStore, 'reportChannels' | 'renewChannels' | 'readCensus' | 'forgetChannels'>;
  /** This process's name in the census. */
  processId: string;
  /** This process's channels with subscribers now (bounded by the caller). */
  local: () => LocalChannel[];
  /** How often the census is written or renewed. */
  intervalMs?: number;
}

export class ChannelCensus {
  private readonly timer: NodeJS.Timeout;
  private readonly intervalMs: number;
  /** What was last written, to renew rather than rewrite an unchanged census. */
  private written: string | undefined;
  private reporting: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: ChannelCensusOptions) {
    this.intervalMs = options.intervalMs ?? 2_000;
    this.timer = setInterval(() => void this.report(), this.intervalMs);
    this.timer.unref();
    void this.report();
  }

  /** Long enough to survive a missed report or two, short enough that a dead process soon drops out. */
  private get ttlMs(): number {
    return this.intervalMs * 3 + 1_000;
  }

  /** Writes (or renews) this process's census now; never rejects: Redis away means the next tick tries again. */
  report(): Promise<void> {
    this.reporting ??= this.reportOnce()
      .catch(() => {
        // Counted by the store as a backplane error; health() says whether Redis is away.
        this.written = undefined;
      })
      .finally(() => (this.reporting = undefined));
    return this.reporting;
  }

  private async reportOnce(): Promise<void> {
    if (this.stopped) return;
    const channels = this.options.local().map(({ name, subscribers }) => [name, subscribers] as const);
    const text = channels.map(([name, subscribers]) => `${name}\n${subscribers}`).join('\n');
    if (text === this.written && channels.length > 0 && (await this.options.store.renewChannels(this.options.processId, this.ttlMs))) return;
    if (text === this.written && channels.length === 0) return;
    await this.options.store.reportChannels(this.options.processId, channels, this.ttlMs);
    this.written = text;
  }

  /** The channels of every other process that reported, summed by name, skipping the processes in `skip`. */
  async elsewhere(skip: ReadonlySet<string>): Promise<LocalChannel[]> {
    const others = new Set(skip).add(this.options.processId);
    const censuses = await this.options.store.readCensus(others, MAX_PROCESSES);
    const subscribers = new Map<string, number>();
    for (const { fields } of censuses) {
      let read = 0;
      for (const name in fields) {
        if (read++ >= MAX_CHANNELS_SCANNED) break;
        const count = fields[name];
        if (!COUNT.test(count) || channelNameProblem(name) !== undefined) continue;
        subscribers.set(name, Math.min(MAX_COUNT, (subscribers.get(name) ?? 0) + Number(count)));
      }
    }
    return [...subscribers].map(([name, count]) => ({ name, subscribers: count }));
  }

  /** Stops reporting and removes this process's census, so listings forget it at once rather than after its time to live. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.reporting;
    await this.options.store.forgetChannels(this.options.processId).catch(() => undefined);
  }
}
