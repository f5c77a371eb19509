/** Tiny DOM helpers: elements are built with text only, never from markup strings. */

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  element.append(...children);
  return element;
}

export function icon(name: string): HTMLElement {
  return el('span', { class: `codicon codicon-${name}`, 'aria-hidden': 'true' });
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * Shortens untrusted one-line text for display. Besides keeping the panel readable,
 * it bounds layout work: Chromium wraps one very long unbroken word in quadratic time,
 * so a hostile publisher could otherwise freeze the panel with a single message.
 */
export function clamp(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

export const LIMITS = { toolMessage: 300, error: 2000, question: 2000, header: 500 } as const;
