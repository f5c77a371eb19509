/**
 * What a subscriber resuming on a Redis node missed, read as it takes it: the channel's
 * stream a page at a time, then on into the messages this node delivers live (the
 * LiveChannel's window), without a gap or a repeat. A page is fetched only when the one
 * before has been written, and pages are sized by the frames' bytes, so a long resume
 * holds about one page of memory however far back it reaches; a subscriber that reads more
 * slowly than the stream is trimmed gets LOST, as it would from the in-memory history.
 */
import type { StoredMessage } from '../delivery';
import { LOST, PENDING, UNAVAILABLE, type CursorStep, type HistoryCursor } from '../history';
import type { HistoryRead } from './channel-store';
import { BEHIND, type LiveChannel } from './live-channel';

/** Frame bytes a page aims at: pages of small messages hold many, of large ones few. */
const PAGE_BYTES = 256 * 1024;

export type ReadPage = (since: number, limit: number) => Promise<HistoryRead>;

export class ReplayCursor implements HistoryCursor {
  private page: StoredMessage[];
  private index = 0;
  /** The offset of the next message to return. */
  private expected: number;
  /** Entries the next page asks for: about PAGE_BYTES of frames the size of the last page's. */
  private pageSize: number;
  private reading = false;
  private failed = false;
  private lost = false;

  /**
   * `first` is the resume's first read (after `since`, in `first.epoch`); the channel must
   * have delivered up to `first.top` already, so the window takes over where pages end.
   */
  constructor(
    private readonly live: LiveChannel,
    private readonly readPage: ReadPage,
    private readonly first: HistoryRead,
    since: number,
    /** The most entries a page may hold, whatever their size. */
    private readonly maxPageEntries: number,
  ) {
    this.pageSize = maxPageEntries;
    this.page = this.toMessages(first.entries.filter((entry) => entry.offset > since));
    this.expected = this.page.length > 0 ? this.page[0].offset : Math.max(first.top, since) + 1;
  }

  next(wake: () => void): CursorStep {
    if (this.index < this.page.length) {
      const message = this.page[this.index++];
      this.expected = message.offset + 1;
      if (this.index === this.page.length) this.page = []; // let the page go before the next is read
      return message;
    }
    if (this.lost) return LOST;
    if (this.failed) return UNAVAILABLE;
    if (this.reading) return PENDING;
    const delivered = this.live.delivered(this.first.epoch, this.expected);
    if (delivered !== BEHIND) {
      if (delivered !== undefined && delivered !== LOST) this.expected++;
      return delivered;
    }
    this.fetch(wake);
    return PENDING;
  }

  /** Reads the page starting at `expected` from the stream; calls `wake` when it is in (or failed). */
  private fetch(wake: () => void): void {
    this.reading = true;
    const wanted = this.expected;
    this.readPage(wanted - 1, this.pageSize).then(
      (read) => {
        const entries = read.entries.filter((entry) => entry.offset >= wanted);
        // Another epoch: Redis lost the channel. No entry at `wanted`: trimmed before it was read.
        if (read.epoch !== this.first.epoch || entries.length === 0 || entries[0].offset !== wanted) {
          this.lost = true;
        } else {
          this.page = this.toMessages(entries);
          this.index = 0;
        }
      },
      () => {
        this.failed = true;
      },
    ).finally(() => {
      this.reading = false;
      wake();
    });
  }

  private toMessages(entries: HistoryRead['entries']): StoredMessage[] {
    if (entries.length > 0) {
      let bytes = 0;
      for (const entry of entries) bytes += entry.frame.length;
      const size = Math.floor(PAGE_BYTES / Math.max(1, bytes / entries.length));
      this.pageSize = Math.max(1, Math.min(this.maxPageEntries, size));
    }
    const channel = this.live.name;
    return entries.map((entry) => ({ channel, offset: entry.offset, frame: entry.frame }));
  }
}
