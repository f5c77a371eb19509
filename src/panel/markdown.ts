/**
 * Markdown for untrusted answers, rendered incrementally while they stream: text before
 * the last blank line outside a code fence is final and rendered once; only the growing
 * tail is re-rendered on each frame, so the cost of a delta does not grow with the answer.
 * Split rendering is not always what the whole text means (a loose list becomes several
 * lists, a reference link defined further down stays text), so once the turn ends the
 * answer is rendered once more, whole.
 *
 * Safety: markdown-it with raw HTML off, images shown as plain links (nothing remote
 * loads by itself), and DOMPurify over the result with only http(s)/mailto links.
 */
import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';
import { splitLongTextNodes } from './text-runs';

const markdown = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false });

// An image in model output would load a remote URL as soon as it renders (a data leak):
// show it as a link the user may choose to open instead.
markdown.renderer.rules.image = (tokens, index) => {
  const token = tokens[index];
  const src = token.attrGet('src') ?? '';
  const alt = token.content || 'image';
  return `<a href="${markdown.utils.escapeHtml(src)}">${markdown.utils.escapeHtml(`[image: ${alt}]`)}</a>`;
};

// Aligned table cells come out as style="text-align:…", which the CSP refuses (and reports
// as a violation) even while DOMPurify parses it: use the plain align attribute instead.
for (const rule of ['th_open', 'td_open']) {
  markdown.renderer.rules[rule] = (tokens, index, options, _env, self) => {
    const token = tokens[index];
    const style = token.attrGet('style');
    if (style !== null) {
      token.attrs = (token.attrs ?? []).filter(([name]) => name !== 'style');
      const align = /^text-align:(left|center|right)$/.exec(style)?.[1];
      if (align) token.attrSet('align', align);
    }
    return self.renderToken(tokens, index, options);
  };
}

const SAFE_URI = /^(?:https?:|mailto:)/i;

export function renderMarkdown(source: string): string {
  return DOMPurify.sanitize(markdown.render(source), {
    ALLOWED_URI_REGEXP: SAFE_URI,
    FORBID_TAGS: ['img', 'style', 'form', 'input', 'button', 'iframe', 'svg', 'math'],
    FORBID_ATTR: ['style', 'class', 'id'],
    // With a custom ALLOWED_URI_REGEXP, DOMPurify checks every other attribute's value against
    // it too: without this, <ol start="2"> (lists split into blocks while streaming, or
    // starting past 1) and table alignment would be stripped. Neither is ever a URL.
    ADD_URI_SAFE_ATTR: ['start', 'align'],
  });
}

/** The most text re-rendered on one frame while an answer streams (see `scan`). */
export const MAX_TAIL_LENGTH = 16_000;

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

/** Keeps the rendered form of one growing markdown text inside `container`. */
export class IncrementalMarkdown {
  private text = '';
  /** Characters of `text` already rendered into final blocks. */
  private stableEnd = 0;
  /** Where scanning for fences and blank lines resumes (always at a line start). */
  private scanPos = 0;
  private fence: string | undefined;
  private safeSplit = 0;
  /** The text is final: render it whole, once. */
  private whole = false;
  private wholeRendered = false;
  private readonly stable: HTMLElement;
  private readonly tail: HTMLElement;

  /** `decorate` adds controls to freshly rendered (sanitized) blocks, e.g. Copy on code. */
  constructor(
    container: HTMLElement,
    private readonly decorate: (rendered: HTMLElement) => void = () => {},
  ) {
    container.replaceChildren();
    this.stable = container.ownerDocument.createElement('div');
    this.tail = container.ownerDocument.createElement('div');
    container.append(this.stable, this.tail);
  }

  append(delta: string): void {
    this.text += delta;
    this.wholeRendered = false;
  }

  /** The text is complete: the next render shows exactly what markdown-it makes of all of it. */
  finish(): void {
    if (this.whole) return;
    this.whole = true;
    this.wholeRendered = false;
  }

  /** Replaces the whole text (a completion that differs from the deltas). */
  reset(text: string): void {
    this.text = text;
    this.stableEnd = 0;
    this.scanPos = 0;
    this.fence = undefined;
    this.safeSplit = 0;
    this.whole = false;
    this.wholeRendered = false;
    this.stable.replaceChildren();
    this.tail.replaceChildren();
  }

  /** Brings the DOM up to date with the text; call at most once per frame. */
  render(): void {
    if (this.whole) {
      if (!this.wholeRendered) this.renderWhole();
      return;
    }
    this.scan();
    if (this.safeSplit > this.stableEnd) {
      const block = this.stable.ownerDocument.createElement('div');
      block.className = 'md-block';
      block.innerHTML = renderMarkdown(this.text.slice(this.stableEnd, this.safeSplit));
      splitLongTextNodes(block);
      this.decorate(block);
      this.stable.append(block);
      this.stableEnd = this.safeSplit;
    }
    keepFocusByPosition(this.tail, () => {
      this.tail.innerHTML = renderMarkdown(this.text.slice(this.stableEnd));
      splitLongTextNodes(this.tail);
      this.decorate(this.tail);
    });
  }

  private renderWhole(): void {
    const block = this.stable.ownerDocument.createElement('div');
    block.className = 'md-block';
    block.innerHTML = renderMarkdown(this.text);
    splitLongTextNodes(block);
    this.decorate(block);
    const container = this.stable.parentElement ?? this.stable;
    keepFocusByPosition(container, () => {
      this.stable.replaceChildren(block);
      this.tail.replaceChildren();
    });
    this.wholeRendered = true;
  }

  /**
   * Finds the last blank line outside a fence among the complete lines not yet scanned.
   * A tail that still grows past MAX_TAIL_LENGTH without one (few answers have a paragraph,
   * list or table that long; a flood does) is cut at a line break or space anyway, so no
   * frame re-renders more than that: the view may differ from the whole text's until the
   * turn ends and the answer is rendered whole. Code fences are never cut (code costs
   * little to re-render).
   */
  private scan(): void {
    let lineStart = this.scanPos;
    for (;;) {
      const newline = this.text.indexOf('\n', lineStart);
      if (newline < 0) break;
      const line = this.text.slice(lineStart, newline);
      const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
      if (this.fence === undefined) {
        if (marker) this.fence = marker;
        else if (line.trim() === '') this.safeSplit = newline + 1;
      } else if (marker && marker[0] === this.fence[0] && marker.length >= this.fence.length && line.trim() === marker) {
        this.fence = undefined;
      }
      lineStart = newline + 1;
    }
    this.scanPos = lineStart;
    if (this.fence === undefined && this.text.length - this.safeSplit > MAX_TAIL_LENGTH) this.safeSplit = this.forcedSplit();
  }

  /** The last line break in the second half of the overlong tail, else its last whitespace, else a margin from its end. */
  private forcedSplit(): number {
    const from = this.text.length - MAX_TAIL_LENGTH / 2;
    const newline = this.text.lastIndexOf('\n');
    if (newline >= from) return newline + 1;
    for (let at = this.text.length - 1; at >= from; at--) {
      if (/\s/.test(this.text[at])) return at + 1;
    }
    // One unbroken run: cut it between two characters that are not halves of a pair.
    const at = from;
    return isLowSurrogate(this.text.charCodeAt(at)) ? at + 1 : at;
  }
}

const FOCUSABLE = 'a[href], button';

/**
 * Runs `rerender`, which replaces what is inside `container`. A reader whose focus was on a
 * link or button in there is put back on the one at the same position (the re-rendered text
 * is the same text, a little longer), never dropped to <body>.
 */
function keepFocusByPosition(container: HTMLElement, rerender: () => void): void {
  const active = container.ownerDocument.activeElement;
  const focusables = () => Array.from(container.querySelectorAll<HTMLElement>(FOCUSABLE));
  const at = active && active !== container && container.contains(active) ? focusables().indexOf(active as HTMLElement) : -1;
  rerender();
  if (at < 0) return;
  const all = focusables();
  (all[at] ?? all.at(-1) ?? container.closest<HTMLElement>('[tabindex]'))?.focus({ preventScroll: true });
}
