/**
 * Reading while the feed streams. The newest activity is at the foot of the feed, by the
 * composer. While the reader is scrolled to the bottom the view follows new output; once they
 * scroll up to read, nothing moves under them: updates keep their place (the browser's scroll
 * anchoring keeps what is on screen still), and a "New activity" button offers the way back.
 */
import { el, icon } from './dom';

/** How close to the bottom still counts as "at the bottom" (a line or two of slack). */
const BOTTOM_SLACK_PX = 32;

export class FollowScroll {
  /** The button shown while there is activity below the reader; lives in the composer area. */
  readonly button: HTMLButtonElement;
  private following = true;
  /** Where our own scrolling left the feed: the reader has scrolled up once it is well above. */
  private followedTop = 0;

  constructor(
    private readonly scroller: Element,
    /** What scrolls inside `scroller`: when it changes size, a follower is kept at the bottom. */
    content: Element,
    /** Called when the reader asks for the new activity (moves deferred while they read happen here). */
    private readonly onJump: () => HTMLElement | undefined,
  ) {
    this.button = el(
      'button',
      { type: 'button', class: 'new-activity', hidden: '', title: 'Scroll to the newest activity', 'aria-label': 'New activity: scroll to the newest' },
      el('span', {}, 'New activity'),
      icon('arrow-down'),
    );
    this.button.addEventListener('click', () => this.jump());
    // Only the reader's scrolling changes whether we follow; growth of the feed does not.
    scroller.addEventListener('scroll', () => this.onScroll(), { passive: true });
    // Layout settles after our updates too (blocks laid out only once near the viewport, fonts):
    // whenever the content's size changes, a follower is put back at the bottom, before paint.
    // The feed's own height changes too (the header or the queue above the composer grows).
    const resized = new ResizeObserver(() => {
      if (this.following) this.scrollToBottom();
    });
    resized.observe(content);
    resized.observe(scroller);
    this.setFollowing(true);
  }

  /** Whether new output is followed (the reader is at the bottom). */
  get isFollowing(): boolean {
    return this.following;
  }

  /**
   * After the feed changed: while following, nothing to do (the content's resize observer has
   * kept, or will keep, the view at the bottom, once per layout); else offer the way there.
   */
  afterUpdate(): void {
    if (!this.following) this.button.hidden = false;
  }

  /** Goes to the newest activity and follows again; focus moves with the reader, never to <body>. */
  jump(): void {
    const target = this.onJump();
    this.setFollowing(true);
    this.button.hidden = true;
    target?.focus({ preventScroll: true });
    this.scrollToBottom();
  }

  /**
   * Scroll events arrive a frame late, after more may have been added below: "not at the
   * bottom" then does not mean the reader moved. Following stops only when the feed is well
   * above where our own scrolling left it and not at the bottom (the reader scrolled up; a
   * feed that shrank, as when it is cleared, is still at the bottom); it starts again when the
   * reader comes back to the bottom.
   */
  private onScroll(): void {
    if (this.following) {
      // At the bottom still (the feed shrank, or nothing moved): following, from here.
      if (this.distanceToBottom() <= BOTTOM_SLACK_PX) this.followedTop = this.scroller.scrollTop;
      else if (this.scroller.scrollTop < this.followedTop - BOTTOM_SLACK_PX) this.setFollowing(false);
      return;
    }
    if (this.distanceToBottom() > BOTTOM_SLACK_PX) return;
    this.setFollowing(true);
    // A focused button stays (hiding it would drop focus to <body>); it goes once used.
    if (this.button !== this.scroller.ownerDocument.activeElement) this.button.hidden = true;
  }

  private setFollowing(following: boolean): void {
    this.following = following;
    if (following) this.followedTop = this.scroller.scrollTop;
  }

  private distanceToBottom(): number {
    return this.scroller.scrollHeight - this.scroller.scrollTop - this.scroller.clientHeight;
  }

  private scrollToBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.followedTop = this.scroller.scrollTop;
  }
}
