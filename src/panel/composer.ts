/**
 * The composer at the foot of the panel: a multi-line question box. Enter sends, Shift+Enter
 * starts a new line, Up and Down (at the first or last line) walk through the questions sent
 * before. While a turn runs, a question sent is queued by the host and listed here, each with
 * a Remove button. With no model configured it is disabled, and says why.
 */
import { clip, MAX_COMPOSER_QUESTION, MAX_QUEUED_QUESTIONS, type HeaderView, type PanelToHost } from '../protocol/panel';
import { el, icon } from './dom';

/** Questions remembered for Up / Down. */
const MAX_HISTORY = 50;
const NO_MODEL = 'No model is configured: set an API key, or point the base URL setting at a local OpenAI-compatible server.';

export class Composer {
  readonly root: HTMLElement;
  private readonly input: HTMLTextAreaElement;
  private readonly send: HTMLButtonElement;
  private readonly reason: HTMLElement;
  private readonly queue: HTMLElement;
  private readonly history: string[] = [];
  /** Where Up / Down are in `history`; history.length means the draft. */
  private position = 0;
  private draft = '';
  private shownQueue = '[]';

  constructor(
    private readonly post: (message: PanelToHost) => void,
    setApiKey: () => void,
  ) {
    this.input = el('textarea', {
      id: 'composer-input',
      rows: '2',
      maxlength: String(MAX_COMPOSER_QUESTION),
      placeholder: 'Ask about the weather (Enter sends)',
      'aria-describedby': 'composer-reason',
    });
    this.send = el('button', { type: 'button', title: 'Send the question', 'aria-label': 'Send the question' }, icon('send'), el('span', {}, 'Send'));
    const keyButton = el('button', { type: 'button', 'aria-label': 'Set API Key' }, icon('key'), el('span', {}, 'Set API Key'));
    keyButton.addEventListener('click', setApiKey);
    this.reason = el('p', { id: 'composer-reason', class: 'composer-reason', hidden: '' }, NO_MODEL, ' ', keyButton);
    this.queue = el('ul', { class: 'queued', 'aria-label': 'Queued questions', hidden: '' });
    this.root = el(
      'div',
      { class: 'composer' },
      this.queue,
      el('label', { for: 'composer-input', class: 'visually-hidden' }, 'Ask the weather assistant'),
      el('div', { class: 'composer-row' }, this.input, this.send),
      this.reason,
    );
    this.send.addEventListener('click', () => this.submit());
    this.input.addEventListener('keydown', (event) => this.onKey(event));
  }

  /** Focuses the question box; while it is disabled, the button that fixes why. */
  focus(): void {
    // The composer sits at the foot whatever the scroll: focusing it must not scroll the feed.
    if (this.input.disabled) this.reason.querySelector('button')?.focus({ preventScroll: true });
    else this.input.focus({ preventScroll: true });
  }

  /** Follows the host's state: enabled only with a model, and the queue as the host holds it. */
  update(header: HeaderView): void {
    const disabled = !header.hasApiKey;
    this.input.disabled = disabled;
    this.send.disabled = disabled;
    this.reason.hidden = !disabled;
    const queued = (header.queued ?? []).slice(0, MAX_QUEUED_QUESTIONS);
    // Header updates come with every turn's start and end: the list is rebuilt only when it changed.
    const key = JSON.stringify(queued);
    if (key === this.shownQueue) return;
    this.shownQueue = key;
    const buttons = () => Array.from(this.queue.querySelectorAll('button'));
    const focusedAt = buttons().indexOf(document.activeElement as HTMLButtonElement);
    this.queue.hidden = queued.length === 0;
    this.queue.replaceChildren(
      ...queued.map((question, index) => {
        const remove = el('button', { type: 'button', 'aria-label': `Remove queued question ${index + 1}` }, icon('close'), el('span', {}, 'Remove'));
        remove.addEventListener('click', () => this.post({ kind: 'removeQueued', index }));
        return el('li', {}, el('span', { class: 'queued-label' }, 'Queued: '), el('span', {}, clip(question, 200)), ' ', remove);
      }),
    );
    // A reader on a Remove button (the one pressed, usually) lands on the next one, else in the box.
    if (focusedAt >= 0) (buttons()[Math.min(focusedAt, queued.length - 1)] ?? this.input).focus({ preventScroll: true });
  }

  private onKey(event: KeyboardEvent): void {
    // An input method composing a word owns Enter.
    if (event.isComposing) return;
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      this.submit();
    } else if (event.key === 'ArrowUp' && this.caretOnFirstLine() && this.position > 0) {
      event.preventDefault();
      if (this.position === this.history.length) this.draft = this.input.value;
      this.show(this.history[--this.position]);
    } else if (event.key === 'ArrowDown' && this.caretOnLastLine() && this.position < this.history.length) {
      event.preventDefault();
      this.position++;
      this.show(this.position === this.history.length ? this.draft : this.history[this.position]);
    }
  }

  private submit(): void {
    const text = this.input.value.trim();
    if (text === '' || this.input.disabled) return;
    this.post({ kind: 'askText', text });
    if (this.history.at(-1) !== text) this.history.push(text);
    if (this.history.length > MAX_HISTORY) this.history.shift();
    this.position = this.history.length;
    this.draft = '';
    this.input.value = '';
  }

  private show(text: string): void {
    this.input.value = text;
    this.input.setSelectionRange(text.length, text.length);
  }

  private caretOnFirstLine(): boolean {
    return !this.input.value.slice(0, this.input.selectionStart).includes('\n');
  }

  private caretOnLastLine(): boolean {
    return !this.input.value.slice(this.input.selectionEnd).includes('\n');
  }
}
