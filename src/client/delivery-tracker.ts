/**
 * End-to-end delivery for a publisher. A relay that is killed forgets everything it
 * held, so receipts alone are not enough: the publisher keeps the messages it sent
 * recently, each with the epoch of the relay that confirmed it, and on connecting to a
 * relay resends whatever that relay cannot vouch for: every message it never confirmed
 * (lost in flight, or refused, say for rate), and every message confirmed by another
 * epoch (a relay that has since crashed). Subscribers drop the duplicates by message id,
 * so only messages with an id are tracked; others are sent once, as in the seed.
 */

interface SentFrame {
  frame: string;
  /** The epoch of the relay that confirmed this frame; undefined while unconfirmed. */
  confirmedBy?: string;
  /** The relay answered it `unavailable`: it goes out again on the same connection. */
  refused?: boolean;
}

export class DeliveryTracker {
  /**
   * Sent messages by id, oldest first (a Map keeps insertion order). Resends move to the
   * end in their old order, so the unconfirmed ones stay in publish order.
   */
  private readonly sent = new Map<string, SentFrame>();

  /** `capacity`: messages kept for resending; the oldest are forgotten past it. */
  constructor(private readonly capacity: number) {}

  /** Records a message just written to a relay that sends receipts. */
  record(id: string, frame: string): void {
    this.sent.delete(id); // a resend moves to the end, where it now is in the stream
    this.sent.set(id, { frame });
    if (this.sent.size > this.capacity) this.sent.delete(this.sent.keys().next().value as string);
  }

  confirm(id: string | null, epoch: string): void {
    if (id === null) return;
    const sent = this.sent.get(id);
    if (sent) {
      sent.confirmedBy = epoch;
      sent.refused = false;
    }
  }

  /** The relay refused `id` for good (its token may not publish here): it is never sent again. */
  forget(id: string): boolean {
    return this.sent.delete(id);
  }

  /**
   * The relay of `epoch` could not store `id` now; false when no such message awaits its
   * confirmation here (unknown, forgotten, or confirmed already).
   */
  refuse(id: string, epoch: string): boolean {
    const sent = this.sent.get(id);
    if (!sent || sent.confirmedBy === epoch) return false;
    sent.refused = true;
    return true;
  }

  /**
   * The refused messages, oldest first, to write again now. Each keeps its place (it is not
   * recorded anew), so a later reconnect still resends everything in publish order.
   */
  takeRefused(): string[] {
    const frames: string[] = [];
    for (const sent of this.sent.values()) {
      if (!sent.refused) continue;
      sent.refused = false;
      frames.push(sent.frame);
    }
    return frames;
  }

  /**
   * The relay of `epoch` closed gracefully: it handed everything it confirmed to its
   * subscribers before going, so those messages need no resend.
   */
  drained(epoch: string): void {
    for (const [id, sent] of this.sent) if (sent.confirmedBy === epoch) this.sent.delete(id);
  }

  /**
   * Hands over everything sent and not yet confirmed, oldest first, and forgets all it
   * kept: whoever takes them (a manager for another relay) now owns their delivery, so
   * nothing is left here to resend.
   */
  takeUnconfirmed(): Array<{ id: string; frame: string }> {
    const unconfirmed: Array<{ id: string; frame: string }> = [];
    for (const [id, sent] of this.sent) if (sent.confirmedBy === undefined) unconfirmed.push({ id, frame: sent.frame });
    this.sent.clear();
    return unconfirmed;
  }

  /** On a new connection to a relay of `epoch`: the messages to write again, oldest first. */
  resendsFor(epoch: string): Array<{ id: string; frame: string }> {
    const resends: Array<{ id: string; frame: string }> = [];
    for (const [id, sent] of this.sent) if (sent.confirmedBy !== epoch) resends.push({ id, frame: sent.frame });
    return resends;
  }
}
