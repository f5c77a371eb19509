/**
 * Copy for the watch page's Copy buttons. The asynchronous clipboard exists only in secure
 * contexts (https://, or this machine); a relay on plain http:// in a team's network is
 * neither, so there the page copies a selection, which browsers still allow on a click.
 */

/** True when the text reached the clipboard. */
export async function copyText(text: string): Promise<boolean> {
  if (window.isSecureContext && navigator.clipboard) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Refused (no permission, the page not focused): try the selection.
    }
  }
  return copyBySelection(text);
}

function copyBySelection(text: string): boolean {
  const focused = document.activeElement as HTMLElement | null;
  const box = document.createElement('textarea');
  box.value = text;
  box.setAttribute('readonly', '');
  box.setAttribute('aria-hidden', 'true');
  box.className = 'visually-hidden';
  document.body.append(box);
  box.select();
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } catch {
    copied = false;
  } finally {
    box.remove();
    focused?.focus({ preventScroll: true });
  }
  return copied;
}
