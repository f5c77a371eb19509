/**
 * Redis key and pub/sub topic names for a channel. Every name of a channel carries the
 * hash tag `{channel}`, so all of a channel's keys land in one slot and the one publish
 * script can touch them together, even on a Redis Cluster later. Pub/sub topics are not
 * scoped to a database as keys are, so a topic names its database: deployments that share
 * one Redis through different database numbers never hear each other's messages.
 */
import { createHash } from 'node:crypto';

/** Letters, digits and . _ : - only: braces would break the hash tag, spaces and quotes would confuse operators. */
const PREFIX_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

export const DEFAULT_KEY_PREFIX = 'weather-relay';

export interface ChannelKeys {
  /** The Redis Stream holding the channel's history; entry ids are `<offset>-0`. */
  stream: string;
  /** The hash holding the channel's epoch (`e`) and top offset (`o`). */
  meta: string;
  /** The pub/sub topic carrying live messages of the channel. */
  topic: string;
}

/** Throws a RangeError (one sentence) for a prefix that could not start a key name. */
export function checkKeyPrefix(prefix: string): void {
  if (!PREFIX_PATTERN.test(prefix)) {
    throw new RangeError('The Redis key prefix may only be 1 to 64 letters, digits and . _ : - characters.');
  }
}

export class KeyNames {
  constructor(
    readonly prefix: string = DEFAULT_KEY_PREFIX,
    /** The Redis database the keys live in (SELECT); 0 unless the URL names another. */
    readonly database = 0,
  ) {
    checkKeyPrefix(prefix);
  }

  /** The epoch of the whole data set: created by the first node, gone only if Redis loses its data. */
  get dataSetEpoch(): string {
    return `${this.prefix}:epoch`;
  }

  /** The set of relay processes that reported their channels (channel-census.ts). */
  get census(): string {
    return `${this.prefix}:census`;
  }

  /** The hash of one process's channels with subscribers: name → subscribers, expiring unless renewed. */
  censusOf(processId: string): string {
    return `${this.prefix}:census:${processId}`;
  }

  channel(channel: string): ChannelKeys {
    const base = `${this.prefix}:{${channel}}`;
    return { stream: `${base}:stream`, meta: `${base}:meta`, topic: `${base}:live:${this.database}` };
  }

  /**
   * Where the result of publishing message `id` on `channel` is remembered. The id comes
   * from the publisher, so it is hashed: the key stays short whatever the id's length.
   */
  idempotency(channel: string, id: string): string {
    const digest = createHash('sha256').update(id).digest('base64url');
    return `${this.prefix}:{${channel}}:id:${digest}`;
  }
}
