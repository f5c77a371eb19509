/**
 * The channel list the watch page shows (GET /api/channels): the channels with subscribers on
 * this node, exact (this process, or with --workers every worker's, gathered over IPC), and,
 * with a Redis backplane, those on every other process sharing it, from their census. Counts
 * of one channel are summed over all of them; any node behind the load balancer gives the
 * same list. When the census cannot be read, the node's own list is still given, saying so.
 */
import type { ChannelEngine } from './channel-engine';
import type { LocalChannel } from './local-fan-out';

/** One process's channels with subscribers, and its name in the census (with a backplane). */
export interface ProcessChannels {
  processId?: string;
  channels: LocalChannel[];
}

export interface ChannelListing {
  /** By name, at most the limit asked for. */
  channels: LocalChannel[];
  /** Why channels on other nodes are missing, in one sentence; absent when none are. */
  incomplete?: string;
}

/** Lists channels with subscribers that `include` accepts: at most `limit`, by name. */
export type ChannelLister = (include: (channel: string) => boolean, limit: number) => Promise<ChannelListing>;

/** `here`: this node's processes and their channels, exactly; `engine`: the rest of the cluster. */
export function channelLister(here: () => Promise<ProcessChannels[]>, engine: Pick<ChannelEngine, 'elsewhereChannels'>): ChannelLister {
  return async (include, limit) => {
    const processes = await here();
    const parts = processes.map((process) => process.channels);
    let incomplete: string | undefined;
    if (engine.elsewhereChannels) {
      const skip = new Set(processes.flatMap((process) => (process.processId === undefined ? [] : [process.processId])));
      try {
        parts.push(await engine.elsewhereChannels(skip));
      } catch {
        // Why stays with the operator (/healthz, the log): a page's visitor needs no Redis address.
        incomplete = "Only this node's channels are listed: the other nodes' could not be read from Redis just now.";
      }
    }
    const subscribers = new Map<string, number>();
    for (const part of parts) {
      for (const channel of part) if (include(channel.name)) subscribers.set(channel.name, (subscribers.get(channel.name) ?? 0) + channel.subscribers);
    }
    const channels = [...subscribers]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, limit)
      .map(([name, count]) => ({ name, subscribers: count }));
    return incomplete === undefined ? { channels } : { channels, incomplete };
  };
}
