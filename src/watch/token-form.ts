/**
 * The form a protected relay's pages show for its token (never `prompt()`): a password field,
 * since a token is a secret; what is typed is checked as the relay will read it and handed
 * over, and the field is emptied. Where it is kept is the token store's business.
 */
import { bearerTokenProblem } from '../protocol';
import { el } from '../panel/dom';

let forms = 0;

export class TokenForm {
  readonly root: HTMLFormElement;
  private readonly reason: HTMLElement;
  private readonly input: HTMLInputElement;

  constructor(submitted: (token: string) => void) {
    const id = `relay-token-${++forms}`;
    // Said when it changes: a refusal can come while the reader is elsewhere on the page.
    this.reason = el('p', { id: `${id}-reason`, class: 'token-reason', role: 'alert' });
    this.input = el('input', {
      id,
      type: 'password',
      autocomplete: 'off',
      spellcheck: 'false',
      autocapitalize: 'off',
      'aria-describedby': `${id}-reason ${id}-hint`,
    });
    this.root = el(
      'form',
      { class: 'token-form', 'aria-label': 'Relay token', hidden: '' },
      this.reason,
      el('div', { class: 'token-row' }, el('label', { for: id }, 'Relay token'), this.input, el('button', { type: 'submit' }, 'Use this token')),
      el('p', { id: `${id}-hint`, class: 'token-hint' }, 'Kept in this browser tab only, until it is closed; never put in the address.'),
    );
    this.root.addEventListener('submit', (event) => {
      // Nothing is ever submitted anywhere (the page's CSP allows no form action): the page reads the field.
      event.preventDefault();
      const token = this.input.value.trim();
      const problem = token === '' ? 'Enter the token first.' : bearerTokenProblem(token);
      if (problem !== undefined) {
        this.reason.textContent = `${problem.charAt(0).toUpperCase()}${problem.slice(1).replace(/[^.]$/, '$&.')}`;
        this.input.focus();
        return;
      }
      this.input.value = '';
      submitted(token);
    });
  }

  get shown(): boolean {
    return !this.root.hidden;
  }

  /** Shows the form saying why a token is needed; `focus` when the reader is expected to type now. */
  show(reason: string, focus: boolean): void {
    this.root.hidden = false;
    if (this.reason.textContent !== reason) this.reason.textContent = reason;
    if (focus) this.input.focus();
  }

  /** Hides the form; focus in it goes to `focusAfter` (else it would fall to <body>). */
  hide(focusAfter: HTMLElement | undefined): void {
    const hadFocus = this.root.contains(document.activeElement);
    this.root.hidden = true;
    if (hadFocus) focusAfter?.focus({ preventScroll: true });
  }
}
