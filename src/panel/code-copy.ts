/**
 * A Copy button on each code block of a rendered answer. The buttons are added to the
 * sanitized DOM (the sanitizer forbids buttons in markup); clicks are handled by the view,
 * which sends the block's text to the host's clipboard.
 */
import { el, icon } from './dom';

export const CODE_COPY_CLASS = 'code-copy';

/** Wraps every `pre` under `root` not yet wrapped, with a Copy button before it. */
export function addCodeCopyButtons(root: HTMLElement): void {
  for (const pre of Array.from(root.querySelectorAll('pre'))) {
    if (pre.parentElement?.classList.contains('code-block')) continue;
    const wrapper = el('div', { class: 'code-block' });
    pre.replaceWith(wrapper);
    const button = el('button', { type: 'button', class: CODE_COPY_CLASS, title: 'Copy this code', 'aria-label': 'Copy code' }, icon('copy'), el('span', {}, 'Copy'));
    wrapper.append(button, pre);
  }
}

/** The code a Copy button stands for, if `target` is (inside) one. */
export function codeOfCopyButton(target: Element | null): { button: HTMLElement; code: string } | undefined {
  const button = target?.closest?.(`.${CODE_COPY_CLASS}`) as HTMLElement | null | undefined;
  const pre = button?.nextElementSibling;
  if (!button || pre?.tagName !== 'PRE') return undefined;
  // The code as written: without the line break Markdown adds after its last line.
  return { button, code: (pre.textContent ?? '').replace(/\n$/, '') };
}

/** Says "Copied" on the button for a moment: the result is seen where the click was. */
export function acknowledgeCopy(button: HTMLElement): void {
  const label = button.querySelector('span:last-child');
  if (!label) return;
  label.textContent = 'Copied';
  button.setAttribute('aria-label', 'Code copied');
  setTimeout(() => {
    label.textContent = 'Copy';
    button.setAttribute('aria-label', 'Copy code');
  }, 1500);
}
