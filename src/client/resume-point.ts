/**
 * Where a subscriber is in its channel: the last offset it received and the relay epoch that
 * offset belongs to, so that a re-subscribe asks only for what it missed (README, "Extensions
 * for recovery"). No Node module: the WebSocketManager and the relay's watch page in the
 * browser resume by the same rules.
 */
export interface ResumeFields {
  since: number;
  /** Left out while no epoch is known: the relay then reads `since` in its own. */
  epoch?: string;
}

export class ResumePoint {
  private offset = 0;
  private epoch: string | undefined;

  /** A delivered message's `payload.offset`, when it carries one, moves the point on. */
  passed(offset: unknown): void {
    if (typeof offset === 'number' && offset > this.offset) this.offset = offset;
  }

  /**
   * The resume fields for a subscribe to a relay of `relayEpoch` (undefined when the client
   * cannot know it before subscribing, as a browser, which cannot read the upgrade's headers).
   */
  resumeFrom(relayEpoch: string | undefined, catchUp: boolean): ResumeFields {
    // A first subscribe that does not want history asks for nothing older than now.
    if (this.epoch === undefined && !catchUp) return withEpoch(Number.MAX_SAFE_INTEGER, relayEpoch);
    return withEpoch(this.offset, this.epoch ?? relayEpoch);
  }

  /** The relay confirmed a subscribe: offsets now count in its epoch. */
  subscribed(epoch: string, latestOffset: number | undefined, caughtUpToNow: boolean): void {
    if (this.epoch !== epoch) this.offset = caughtUpToNow && latestOffset !== undefined ? latestOffset : 0;
    this.epoch = epoch;
  }
}

function withEpoch(since: number, epoch: string | undefined): ResumeFields {
  return epoch === undefined ? { since } : { since, epoch };
}
