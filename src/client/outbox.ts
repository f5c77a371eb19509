/**
 * Everything this client still owes the relay: payloads waiting for a connection (the
 * offline queue) and payloads sent but not yet confirmed by a receipt (the delivery
 * tracker). It decides the order they go out in; the manager decides when a connection
 * is ready for them.
 */
import type { ChannelMessage, ChannelPayload } from '../protocol';
import { DeliveryTracker } from './delivery-tracker';
import { OfflineQueue } from './offline-queue';
import type { RelaySession } from './session';

interface Outgoing {
  frame: string;
  id: string | undefined;
}

export class Outbox {
  private readonly queue: OfflineQueue<Outgoing>;
  /** Undefined without receipts (`reliable: false`): a sent message then counts as delivered. */
  private readonly tracker: DeliveryTracker | undefined;

  constructor(maxQueue: number, resendWindow: number | undefined) {
    this.queue = new OfflineQueue(maxQueue);
    if (resendWindow !== undefined) this.tracker = new DeliveryTracker(resendWindow);
  }

  get queued(): number {
    return this.queue.length;
  }

  get capacity(): number {
    return this.queue.capacity;
  }

  /** Sends `frame` on `session` when one is ready and nothing is queued before it; else queues it. */
  submit(frame: string, id: string | undefined, ready: RelaySession | undefined): { sent: boolean; dropped: number } {
    if (ready && this.queue.length === 0) {
      this.write(ready, { frame, id });
      return { sent: true, dropped: 0 };
    }
    return { sent: false, dropped: this.queue.push({ frame, id }) };
  }

  /**
   * On a ready connection: first, once per connection, what its relay cannot vouch for;
   * then the offline queue, for as long as `stillReady()` holds.
   */
  flush(session: RelaySession, stillReady: () => boolean, log: (line: string) => void): void {
    if (session.resendsDue && session.epoch !== undefined && this.tracker) {
      session.resendsDue = false;
      const resends = this.tracker.resendsFor(session.epoch);
      if (resends.length > 0) log(`resending ${resends.length} message(s) this relay has not confirmed`);
      for (const resend of resends) this.write(session, resend);
    }
    while (this.queue.length > 0 && stillReady()) this.write(session, this.queue.shift()!);
  }

  /** A receipt from the relay of `epoch` (the one its connection announced). */
  confirm(id: string | null, epoch: string): void {
    this.tracker?.confirm(id, epoch);
  }

  /** The relay refused `id` for good (forbidden): it is never resent; false when it awaited no receipt here. */
  forget(id: string): boolean {
    return this.tracker?.forget(id) ?? false;
  }

  /** The relay of `epoch` could not store `id` now; false when `id` awaits no receipt here. */
  refuse(id: string, epoch: string): boolean {
    return this.tracker?.refuse(id, epoch) ?? false;
  }

  /** Writes every refused message again, in publish order. */
  resendRefused(session: RelaySession): void {
    for (const frame of this.tracker?.takeRefused() ?? []) session.send(frame);
  }

  /** The relay of `epoch` shut down gracefully, after delivering all it confirmed. */
  drained(epoch: string): void {
    this.tracker?.drained(epoch);
  }

  /**
   * Removes and returns, in publish order and once each, every payload not confirmed:
   * sent and awaiting a receipt, then queued. Nothing is left to resend.
   */
  takeUndelivered(): ChannelPayload[] {
    const all = [...(this.tracker?.takeUnconfirmed() ?? []), ...this.queue.drain()];
    const seen = new Set<string>();
    const payloads: ChannelPayload[] = [];
    for (const { frame, id } of all) {
      if (id !== undefined && seen.has(id)) continue;
      if (id !== undefined) seen.add(id);
      payloads.push((JSON.parse(frame) as ChannelMessage).payload);
    }
    return payloads;
  }

  /** Writes a publish, keeping it for a resend until the relay confirms it. */
  private write(session: RelaySession, { frame, id }: Outgoing): void {
    session.send(frame);
    if (session.epoch !== undefined && id !== undefined) this.tracker?.record(id, frame);
  }
}
