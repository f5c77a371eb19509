/**
 * The tab's session storage, which may refuse (storage turned off, a full quota): reads give
 * nothing and writes are dropped rather than throw, so the page works without it, only
 * forgetting more on a reload.
 */

export function readSession(key: string): string | undefined {
  try {
    return sessionStorage.getItem(key) ?? undefined;
  } catch {
    return undefined;
  }
}

export function writeSession(key: string, value: string): void {
  try {
    sessionStorage.setItem(key, value);
  } catch {
    // Not kept: asked again after a reload.
  }
}

export function removeSession(key: string): void {
  try {
    sessionStorage.removeItem(key);
  } catch {
    // Nothing was kept.
  }
}
