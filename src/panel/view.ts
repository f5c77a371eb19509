/**
 * The Live Activity panel's DOM: a header with the connection, a toolbar and the feed
 * filter; one section per thread with its turns (question, tool cards, streamed answer,
 * outcome), the newest activity at the foot by the composer. Batches from the host are
 * applied at once; answer text is only re-rendered on the next animation frame, once per
 * frame however many deltas arrived.
 */
import { clip, isSafeLink, MAX_TOOLS_PER_TURN, TEXT_LIMITS } from '../protocol/panel';
import { addCodeCopyButtons, acknowledgeCopy, codeOfCopyButton } from './code-copy';
import { Composer } from './composer';
import type { HeaderView, HostToPanel, PanelToHost, ThreadView, ToolCard, TurnHeader } from '../protocol';
import { DISPLAY_LIMITS, el, formatDuration, icon } from './dom';
import { FeedFilter } from './feed-filter';
import { FollowScroll } from './follow';
import { IncrementalMarkdown } from './markdown';
import { PanelMemory, type StateStore } from './panel-memory';
import { Welcome } from './welcome';
import { renderToolResult } from './tool-result';

interface TurnElements {
  thread: ThreadElements;
  root: HTMLElement;
  question: HTMLElement;
  tools: HTMLElement;
  /** "N more tool events not shown". */
  omitted: HTMLElement;
  answer: IncrementalMarkdown;
  /** A passing state of the running turn, announced politely. */
  notice: HTMLElement;
  outcome: HTMLElement;
  status: TurnHeader['status'];
}

interface ThreadElements {
  threadId: string;
  /** The thread's first question, shown as its title once known. */
  subject: HTMLElement;
  origin: ThreadView['origin'];
  root: HTMLElement;
  badge: HTMLElement;
  /** The turns, hidden while the thread is collapsed. */
  body: HTMLElement;
  collapse: HTMLButtonElement;
  /** What a collapsed thread still says: how many turns, and whether one runs. */
  collapsedNote: HTMLElement;
  turns: Map<number, TurnElements>;
  /** How announcements name the thread: its first question, else where it comes from. */
  name: string;
}

/** Numbers the thread bodies' ids (a collapse button names what it controls). */
let threadBodies = 0;

/** Announcements kept per batch: a flood of turns must not queue minutes of speech. */
const MAX_ANNOUNCEMENTS = 4;

export interface PanelViewOptions {
  /**
   * Read-only, for a teammate watching the channel in a browser (the relay's watch page): no
   * toolbar, composer, welcome steps or Export, nor the filter's "This window" (every thread is
   * the channel's); the empty feed says it waits for activity on the channel; links in answers
   * are followed by the browser itself, in a new tab, with rel="noopener noreferrer". Copy
   * still posts its intent. `controls` (the page's own) go in the header, under the status.
   */
  readOnly?: { controls?: Node[] };
}

const CONNECTION_TEXT: Record<HeaderView['connection'], string> = {
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  embedded: 'Connected (relay embedded)',
};

export class PanelView {
  private readonly threads = new Map<string, ThreadElements>();
  private readonly dirty = new Set<TurnElements>();
  private readonly cardVersions = new WeakMap<HTMLElement, string>();
  private frame: number | undefined;
  private header: HeaderView | undefined;
  private readonly headerStatus: HTMLElement;
  private readonly headerDetail: HTMLElement;
  private readonly headerProblem: HTMLElement;
  private readonly list: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly welcome: Welcome | undefined;
  private readonly announcer: HTMLElement;
  private readonly composer: Composer | undefined;
  private readonly readOnly: boolean;
  /** The channel a read-only view's empty feed says it waits for. */
  private waitingFor: string | undefined;
  private readonly filter: FeedFilter;
  private readonly follow: FollowScroll;
  private readonly memory: PanelMemory;
  /** False while a snapshot is drawn: what happened before the panel (re)opened is not news. */
  private live = true;
  private announcements: string[] = [];
  /** Threads changed by the batch being applied: filtered again, and followed, once it is done. */
  private readonly touched = new Set<ThreadElements>();
  /** Threads with news while the reader was reading further up: moved to the foot when they come back. */
  private readonly pendingMoves = new Set<ThreadElements>();

  constructor(
    root: HTMLElement,
    private readonly post: (message: PanelToHost) => void,
    stateStore?: StateStore,
    options: PanelViewOptions = {},
  ) {
    this.readOnly = options.readOnly !== undefined;
    this.memory = new PanelMemory(stateStore);
    this.headerStatus = el('span', { class: 'connection', role: 'status' });
    this.headerDetail = el('span', { class: 'detail' });
    this.headerProblem = el('div', { class: 'problem', hidden: '' });
    this.empty = el('div', { class: this.readOnly ? 'empty' : 'empty welcome' });
    if (!this.readOnly) {
      this.welcome = new Welcome(this.empty, (label, codicon, intent, description) => this.button(label, codicon, intent, description));
      this.composer = new Composer(post, () => this.post({ kind: 'setApiKey' }));
    }
    this.list = el('div', { class: 'threads', role: 'feed', 'aria-label': 'Assistant activity' });
    this.announcer = el('div', { class: 'visually-hidden', 'aria-live': 'polite' });
    this.filter = new FeedFilter(
      this.memory.filter,
      (state) => {
        this.memory.setFilter(state);
        for (const thread of this.threads.values()) this.refilter(thread);
        this.countShown();
      },
      !this.readOnly,
    );
    // The feed scrolls on its own, between the header and the composer.
    const feed = el('div', { class: 'feed-scroll' }, this.empty, this.list);
    this.follow = new FollowScroll(feed, this.list, () => this.catchUp());
    root.replaceChildren(
      el('header', {}, el('div', { class: 'status-line' }, this.headerStatus, this.headerDetail), this.headerProblem, ...(options.readOnly ? (options.readOnly.controls ?? []) : [this.toolbar()]), this.filter.root),
      feed,
      el('div', { class: 'foot' }, this.follow.button, ...(this.composer ? [this.composer.root] : [])),
      this.announcer,
    );
    root.addEventListener('click', (event) => {
      const copy = codeOfCopyButton(event.target as Element | null);
      if (copy) {
        this.post({ kind: 'copyCode', text: clip(copy.code, TEXT_LIMITS.answer) });
        acknowledgeCopy(copy.button);
        return;
      }
      const anchor = (event.target as Element | null)?.closest?.('a');
      if (!anchor) return;
      const href = anchor.getAttribute('href');
      if (this.readOnly) {
        // A browser page: the browser follows the link (target="_blank", rel="noopener noreferrer"), if it is a web page or mail.
        if (!href || !isSafeLink(href)) event.preventDefault();
        return;
      }
      // Links inside answers are never followed by the webview itself: the host opens them.
      // VS Code's webview wrapper also listens for link clicks on the window and opens them
      // itself, ignoring defaultPrevented: stop the event here so a link opens once, via the host.
      event.preventDefault();
      event.stopPropagation();
      if (href) this.post({ kind: 'openLink', href });
    });
    this.renderEmptyState();
  }

  apply(batch: HostToPanel[]): void {
    for (const message of batch) this.applyOne(message);
    this.renderEmptyState();
    this.flushAnnouncements();
    this.afterChanges();
  }

  /** Filters what changed again, and follows it (or offers to) when it shows. */
  private afterChanges(): void {
    if (this.touched.size === 0) return;
    let visible = false;
    for (const thread of this.touched) {
      this.refilter(thread);
      if (thread.root.isConnected && !thread.root.hidden) visible = true;
    }
    this.touched.clear();
    this.countShown();
    if (visible) this.follow.afterUpdate();
  }

  private applyOne(message: HostToPanel): void {
    switch (message.kind) {
      case 'snapshot':
        this.clear();
        this.setHeader(message.header);
        this.live = false;
        try {
          for (const thread of message.threads) this.addSnapshotThread(thread);
        } finally {
          this.live = true;
        }
        return;
      case 'header':
        this.setHeader(message.header);
        return;
      case 'focusComposer':
        this.composer?.focus();
        return;
      case 'thread': {
        const thread = this.thread(message.threadId, message.origin);
        this.setUndelivered(thread, message.undelivered, message.notShared);
        this.touched.add(thread);
        return;
      }
      case 'turn':
        this.updateTurn(message.threadId, message.turn, message.answer);
        return;
      case 'tool': {
        const owner = this.threads.get(message.threadId);
        const turn = owner?.turns.get(message.turnIndex);
        if (owner && turn) {
          this.setToolCard(owner, turn, message.position, message.tool);
          this.moveToFoot(owner);
        }
        return;
      }
      case 'turnsRemoved': {
        const thread = this.threads.get(message.threadId);
        for (const [index, turn] of thread?.turns ?? []) {
          if (index >= message.below) continue;
          this.dirty.delete(turn);
          turn.root.remove();
          thread!.turns.delete(index);
        }
        if (thread) this.touched.add(thread);
        return;
      }
      case 'answer': {
        const thread = this.threads.get(message.threadId);
        const turn = thread?.turns.get(message.turnIndex);
        if (!thread || !turn) return;
        turn.answer.append(message.append);
        this.markDirty(turn);
        this.moveToFoot(thread);
        return;
      }
      case 'removed':
        for (const threadId of message.threadIds) {
          const thread = this.threads.get(threadId);
          if (!thread) continue;
          for (const turn of thread.turns.values()) this.dirty.delete(turn);
          this.forget(thread);
        }
        this.countShown();
        return;
      case 'cleared':
        this.clear();
        return;
    }
  }

  private toolbar(): HTMLElement {
    const toolbar = el(
      'div',
      { class: 'toolbar', role: 'toolbar', 'aria-label': 'Weather Assistant actions' },
      this.button('Ask', 'comment-discussion', { kind: 'ask' }),
      this.button('New Chat', 'add', { kind: 'newChat' }),
      this.button('Clear', 'clear-all', { kind: 'clear' }),
      this.button('Reconnect', 'debug-restart', { kind: 'reconnect' }),
    );
    rovingFocus(toolbar);
    return toolbar;
  }

  /** Where focus goes when what held it leaves the feed: the composer, or on a read-only page the filter's search. */
  private focusHome(): void {
    if (this.composer) this.composer.focus();
    else this.filter.focus();
  }

  private clear(): void {
    if (this.list.contains(document.activeElement)) this.focusHome();
    this.threads.clear();
    this.dirty.clear();
    this.touched.clear();
    this.pendingMoves.clear();
    this.list.replaceChildren();
    this.countShown();
  }

  /** Takes a thread out of the page, keeping focus in the feed if it was in there. */
  private forget(thread: ThreadElements): void {
    const hadFocus = thread.root.contains(document.activeElement);
    thread.root.remove();
    this.threads.delete(thread.threadId);
    this.touched.delete(thread);
    this.pendingMoves.delete(thread);
    if (hadFocus) this.focusHome();
  }

  private addSnapshotThread(thread: ThreadView): void {
    const elements = this.thread(thread.threadId, thread.origin);
    this.setUndelivered(elements, thread.undelivered, thread.notShared);
    for (const { tools, answer, ...header } of thread.turns) {
      this.updateTurn(thread.threadId, header, answer);
      const turn = elements.turns.get(header.index)!;
      tools.forEach((tool, position) => this.setToolCard(elements, turn, position, tool));
    }
  }

  private thread(threadId: string, origin: ThreadView['origin']): ThreadElements {
    let thread = this.threads.get(threadId);
    if (thread) return thread;
    const badge = el('span', { class: 'badge', hidden: '' });
    const subject = el('span', { class: 'thread-subject', hidden: '' });
    const title = el(
      'h2',
      { class: 'thread-title' },
      icon(origin === 'local' ? 'account' : 'broadcast'),
      el('span', {}, origin === 'local' ? 'This window' : 'Channel'),
      subject,
      el('code', { title: threadId }, threadId),
      badge,
    );
    const body = el('div', { class: 'thread-body', id: `thread-body-${++threadBodies}` });
    const collapse = el('button', { type: 'button', class: 'collapse', 'aria-controls': body.id });
    const collapsedNote = el('span', { class: 'collapsed-note', hidden: '' });
    // The buttons sit beside the heading, not in it: the heading's name stays the thread's.
    const exportButton = this.readOnly ? [] : [this.button('Export', 'export', { kind: 'exportThread', threadId }, `Export thread ${clip(threadId, 40)} as Markdown`)];
    const head = el('div', { class: 'thread-head' }, collapse, title, collapsedNote, ...exportButton);
    // Focusable by script (not a Tab stop): "New activity" takes the reader here.
    const root = el('article', { class: 'thread', tabindex: '-1', 'aria-label': `Thread ${threadId}` }, head, body);
    const name = origin === 'local' ? 'This window' : `Channel thread ${clip(threadId, 24)}`;
    const created: ThreadElements = { threadId, subject, origin, root, badge, body, collapse, collapsedNote, turns: new Map(), name };
    collapse.addEventListener('click', () => this.setCollapsed(created, !body.hidden));
    this.setCollapsed(created, this.memory.collapsed.has(threadId));
    this.threads.set(threadId, created);
    // The newest activity is at the foot, by the composer.
    this.list.append(root);
    this.touched.add(created);
    return created;
  }

  private setCollapsed(thread: ThreadElements, collapsed: boolean): void {
    const wasCollapsed = thread.body.hidden;
    thread.body.hidden = collapsed;
    thread.collapse.setAttribute('aria-expanded', String(!collapsed));
    thread.collapse.setAttribute('aria-label', `${collapsed ? 'Expand' : 'Collapse'} thread ${clip(thread.threadId, 40)}`);
    thread.collapse.title = collapsed ? 'Expand' : 'Collapse';
    thread.collapse.replaceChildren(icon(collapsed ? 'chevron-right' : 'chevron-down'));
    this.noteCollapsed(thread);
    if (wasCollapsed !== collapsed) this.memory.setCollapsed(thread.threadId, collapsed);
  }

  /** A collapsed thread still says how many turns it has and whether one is running. */
  private noteCollapsed(thread: ThreadElements): void {
    thread.collapsedNote.hidden = !thread.body.hidden;
    if (!thread.body.hidden) return;
    const turns = thread.turns.size;
    const running = [...thread.turns.values()].some((turn) => turn.status === 'running');
    thread.collapsedNote.textContent = `${turns} turn${turns === 1 ? '' : 's'}${running ? ' · working…' : ''}`;
  }

  /** Shows or hides a thread by the feed filter; searching reads what it says, not its buttons. */
  private refilter(thread: ThreadElements): void {
    if (!thread.root.isConnected) return;
    const shown = this.filter.matches(thread.origin, () => {
      const parts = [thread.subject.textContent ?? '', thread.threadId];
      for (const node of Array.from(thread.body.querySelectorAll('.question, .tool-message, .weather, .forecast-summary, .answer, .outcome .error'))) parts.push(node.textContent ?? '');
      return parts.join('\n');
    });
    if (thread.root.hidden === !shown) return;
    // A thread the reader is in is not hidden under them by a change of its text.
    if (!shown && thread.root.contains(document.activeElement)) return;
    thread.root.hidden = !shown;
  }

  private countShown(): void {
    let shown = 0;
    for (const thread of this.threads.values()) if (!thread.root.hidden) shown++;
    this.filter.setCounts(shown, this.threads.size);
    // A feed must hold articles (ARIA): with none to show, it is out of the page.
    this.list.hidden = shown === 0;
  }

  /** The thread's delivery badge: events the relay refused for good say so first; words, not colour, carry it. */
  private setUndelivered(thread: ThreadElements, count: number, notShared: number): void {
    const events = (n: number) => `${n} event${n === 1 ? '' : 's'}`;
    thread.badge.hidden = count === 0 && notShared === 0;
    const parts = [notShared > 0 ? `${events(notShared)} not shared` : '', count > 0 ? `${events(count)} not yet delivered` : ''];
    thread.badge.textContent = parts.filter(Boolean).join(', ');
    thread.badge.title =
      notShared > 0
        ? 'Shown here only: the relay token may not publish on this channel'
        : 'Shown here, not yet confirmed by the relay';
  }

  private updateTurn(threadId: string, header: TurnHeader, answer: string | undefined): void {
    const thread = this.threads.get(threadId) ?? this.thread(threadId, 'remote');
    let turn = thread.turns.get(header.index);
    if (!turn) {
      // Attached only when the turn has a question (`.question` sets display, which beats `hidden`).
      const question = el('p', { class: 'question' });
      const tools = el('div', { class: 'tools' });
      const omitted = el('p', { class: 'omitted', hidden: '' });
      const answerBox = el('div', { class: 'answer markdown' });
      // Always in the page (empty when there is none), so screen readers announce its changes.
      const notice = el('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
      const outcome = el('div', { class: 'outcome' });
      const root = el('section', { class: 'turn' }, tools, omitted, answerBox, notice, outcome);
      const decorate = this.readOnly ? decorateForBrowser : addCodeCopyButtons;
      turn = { thread, root, question, tools, omitted, answer: new IncrementalMarkdown(answerBox, decorate), notice, outcome, status: 'running' };
      thread.turns.set(header.index, turn);
      thread.body.append(root);
      if (header.question !== undefined && thread.turns.size === 1) {
        // The first question names the thread: in its heading, and in what is announced.
        thread.name = `“${clip(header.question, 60)}”`;
        thread.subject.textContent = clip(header.question, DISPLAY_LIMITS.toolMessage);
        thread.subject.title = clip(header.question, TEXT_LIMITS.question);
        thread.subject.hidden = false;
      }
      if (header.status === 'running') this.announce(thread, 'started');
    }
    this.moveToFoot(thread);
    if (header.question !== undefined) {
      turn.question.replaceChildren(icon('comment'), el('span', {}, clip(header.question, TEXT_LIMITS.question)));
      if (!turn.question.isConnected) turn.root.prepend(turn.question);
    }
    const omittedTools = header.omittedTools ?? 0;
    turn.omitted.hidden = omittedTools === 0;
    turn.omitted.textContent = omittedTools === 0 ? '' : `${omittedTools} more tool event${omittedTools === 1 ? '' : 's'} not shown`;
    const notice = header.notice === undefined ? '' : clip(header.notice, TEXT_LIMITS.notice);
    if (turn.notice.textContent !== notice) turn.notice.textContent = notice;
    if (answer !== undefined) {
      turn.answer.reset(answer);
      this.markDirty(turn);
    }
    if (header.status !== 'running') {
      // The answer is complete: render it whole, as markdown-it reads all of it.
      turn.answer.finish();
      this.markDirty(turn);
    }
    this.renderOutcome(thread, turn, header);
  }

  /**
   * The most recently active thread goes to the foot, as in the store's snapshot order; but
   * nothing moves under a reader: not the thread they are in (keyboard focus inside it), and
   * nothing at all while they read further up (it moves when they come back to the foot).
   */
  private moveToFoot(thread: ThreadElements): void {
    this.touched.add(thread);
    if (thread.root === this.list.lastElementChild || thread.root.contains(document.activeElement)) return;
    if (!this.follow.isFollowing && this.live) {
      this.pendingMoves.delete(thread);
      this.pendingMoves.add(thread);
      return;
    }
    this.list.append(thread.root);
  }

  /** The reader asked for the new activity: what waited for them moves to the foot; focus goes to the newest thread shown. */
  private catchUp(): HTMLElement | undefined {
    for (const thread of this.pendingMoves) if (thread.root.isConnected && !thread.root.contains(document.activeElement)) this.list.append(thread.root);
    this.pendingMoves.clear();
    const threads = Array.from(this.list.children) as HTMLElement[];
    return threads.reverse().find((thread) => !thread.hidden);
  }

  /**
   * The turn's outcome and what can be done with it: Stop while this window's turn runs, Copy
   * once answered, Retry when this window's question failed. Rebuilt only when the status
   * changes, so a focused button is not replaced under the reader while an answer streams.
   */
  private renderOutcome(thread: ThreadElements, turn: TurnElements, header: TurnHeader): void {
    const changed = turn.status !== header.status;
    if (!changed && turn.outcome.hasChildNodes()) return;
    turn.status = header.status;
    turn.root.dataset.status = header.status;
    this.noteCollapsed(thread);
    // A reader on Stop when the turn ends lands on what replaces it (Copy, Retry), not on <body>.
    const hadFocus = turn.outcome.contains(document.activeElement);
    this.fillOutcome(thread, turn, header, changed);
    if (hadFocus && !turn.outcome.contains(document.activeElement)) (turn.outcome.querySelector('button') ?? thread.root).focus({ preventScroll: true });
  }

  private fillOutcome(thread: ThreadElements, turn: TurnElements, header: TurnHeader, changed: boolean): void {
    const at = { threadId: thread.threadId, turnIndex: header.index };
    if (header.status === 'running') {
      const running = el('span', { class: 'running' }, icon('loading codicon-modifier-spin'), ' Working…');
      const stop = thread.origin === 'local' && !this.readOnly ? [this.button('Stop', 'debug-stop', { kind: 'stop' }, 'Stop this turn')] : [];
      turn.outcome.replaceChildren(running, ...stop);
    } else if (header.status === 'completed') {
      turn.outcome.replaceChildren(el('span', { class: 'done' }, icon('check'), ' Completed'), this.button('Copy', 'copy', { kind: 'copyAnswer', ...at }, 'Copy the answer'));
      if (changed) this.announce(thread, 'answer completed');
    } else {
      const error = clip(header.error ?? 'Failed', TEXT_LIMITS.error);
      // Announced once through the live region, like every other outcome (an alert role would say it twice).
      const retry = header.question !== undefined && !this.readOnly ? [this.button('Retry', 'refresh', { kind: 'retry', ...at }, 'Retry: ask this question again')] : [];
      turn.outcome.replaceChildren(el('span', { class: 'error' }, icon('error'), ` ${error}`), ...retry);
      if (changed) this.announce(thread, `failed: ${clip(error, 120)}`);
    }
  }

  /**
   * Adds or replaces one card; the others stay in place, so what the user opened or
   * collapsed, and keyboard focus, survive later updates of the turn. Cards only ever
   * come in order, and never more than the host keeps.
   */
  private setToolCard(thread: ThreadElements, turn: TurnElements, position: number, tool: ToolCard): void {
    const current = turn.tools.children[position] as HTMLElement | undefined;
    if (!current && (position !== turn.tools.children.length || position >= MAX_TOOLS_PER_TURN)) return;
    const version = toolVersion(tool);
    if (current && this.cardVersions.get(current) === version) return;
    const card = this.toolCard(tool);
    this.cardVersions.set(card, version);
    // A reader on the card stays on it: replacing the element would otherwise drop focus to <body>.
    const focused = current !== undefined && current.contains(document.activeElement);
    if (current) current.replaceWith(card);
    else turn.tools.append(card);
    if (focused) card.querySelector('summary')?.focus();
    // A card ends once (running → done or failed): said then, in words, with the tool's own message.
    if (tool.status !== 'running' && !current?.classList.contains('executed') && !current?.classList.contains('failed')) {
      this.announce(thread, `${clip(tool.message, 80)}: ${tool.status === 'executed' ? 'done' : 'failed'}`);
    }
  }

  private toolCard(tool: ToolCard): HTMLElement {
    const statusIcon = tool.status === 'running' ? 'loading codicon-modifier-spin' : tool.status === 'executed' ? 'pass' : 'error';
    const statusText = tool.status === 'running' ? 'running' : tool.status === 'executed' ? 'done' : 'failed';
    const summary = el(
      'summary',
      {},
      icon(statusIcon),
      el('span', { class: 'tool-message', title: clip(tool.message, TEXT_LIMITS.toolMessage) }, clip(tool.message, DISPLAY_LIMITS.toolMessage)),
      el('span', { class: 'tool-status' }, tool.durationMs !== undefined ? `${statusText} · ${formatDuration(tool.durationMs)}` : statusText),
    );
    const body: Node[] = [];
    // Built once per result: a card is only rebuilt when its result (or status) changes.
    const view = renderToolResult(tool.result);
    if (view) body.push(view);
    if (tool.result !== undefined) {
      body.push(el('details', { class: 'raw' }, el('summary', {}, 'Raw result'), el('pre', {}, prettyJson(tool.result))));
    }
    const card = el('details', { class: `tool ${tool.status}` }, summary, ...body);
    if (tool.status !== 'running' && view) card.open = true;
    return card;
  }

  private markDirty(turn: TurnElements): void {
    this.dirty.add(turn);
    this.frame ??= requestAnimationFrame(() => this.renderFrame());
  }

  private renderFrame(): void {
    this.frame = undefined;
    for (const turn of this.dirty) {
      turn.answer.render();
      this.touched.add(turn.thread);
    }
    this.dirty.clear();
    // The answers' text is in the page now: search it, and follow it down.
    this.afterChanges();
  }

  private setHeader(header: HeaderView): void {
    this.header = header;
    this.headerStatus.className = `connection ${header.connection}`;
    this.headerStatus.replaceChildren(icon(header.connection === 'connected' || header.connection === 'embedded' ? 'circle-filled' : 'circle-outline'), ` ${CONNECTION_TEXT[header.connection]}`);
    this.headerDetail.textContent = ` · ${header.channel} · ${clip(header.uri, DISPLAY_LIMITS.header)}`;
    this.headerProblem.hidden = !header.problem;
    this.headerProblem.textContent = clip(header.problem ?? '', DISPLAY_LIMITS.header);
    this.composer?.update(header);
  }

  private renderEmptyState(): void {
    const isEmpty = this.threads.size === 0;
    this.empty.hidden = !isEmpty;
    if (!isEmpty) return;
    if (this.welcome) this.welcome.render(this.header);
    else if (this.header && this.waitingFor !== this.header.channel) {
      this.waitingFor = this.header.channel;
      this.empty.replaceChildren(el('p', {}, 'Waiting for activity on ', el('strong', {}, this.header.channel), '…'), el('p', {}, 'Questions, weather checks and answers published on the channel appear here as they happen.'));
    }
  }

  private button(label: string, codicon: string, intent: PanelToHost, description = label): HTMLButtonElement {
    const button = el('button', { type: 'button', title: description, 'aria-label': description }, icon(codicon), el('span', {}, label));
    button.addEventListener('click', () => this.post(intent));
    return button;
  }

  /** Queues one announcement for this batch, naming the thread; never while a snapshot is drawn. */
  private announce(thread: ThreadElements, what: string): void {
    if (!this.live) return;
    this.announcements.push(`${thread.name}: ${what}`);
  }

  /** Says what this batch brought in one polite update (the latest few, if a flood brought many). */
  private flushAnnouncements(): void {
    if (this.announcements.length === 0) return;
    const said = this.announcements.slice(-MAX_ANNOUNCEMENTS);
    this.announcements = [];
    this.announcer.textContent = said.join('. ');
  }
}

/** Copy on code blocks, and the answer's links opened by the browser in a new tab that cannot reach back to this page. */
function decorateForBrowser(rendered: HTMLElement): void {
  addCodeCopyButtons(rendered);
  for (const anchor of Array.from(rendered.querySelectorAll('a[href]'))) {
    anchor.setAttribute('target', '_blank');
    anchor.setAttribute('rel', 'noopener noreferrer');
  }
}

function toolVersion(tool: ToolCard): string {
  return JSON.stringify([tool.message, tool.status, tool.durationMs, tool.result]);
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/**
 * The toolbar is one Tab stop (WAI-ARIA toolbar pattern): Tab enters it on the last button
 * used, the arrow keys (and Home / End) move between its buttons, Tab again leaves it.
 */
function rovingFocus(toolbar: HTMLElement): void {
  const buttons = () => Array.from(toolbar.querySelectorAll('button'));
  buttons().forEach((button, index) => (button.tabIndex = index === 0 ? 0 : -1));
  toolbar.addEventListener('keydown', (event) => {
    const all = buttons();
    const current = all.indexOf(document.activeElement as HTMLButtonElement);
    if (current < 0) return;
    const next =
      event.key === 'ArrowRight' || event.key === 'ArrowDown' ? (current + 1) % all.length
      : event.key === 'ArrowLeft' || event.key === 'ArrowUp' ? (current - 1 + all.length) % all.length
      : event.key === 'Home' ? 0
      : event.key === 'End' ? all.length - 1
      : -1;
    if (next < 0) return;
    event.preventDefault();
    all[current].tabIndex = -1;
    all[next].tabIndex = 0;
    all[next].focus();
  });
}
