/** Network failures in words; no SDK import, so the extension's own bundle can use it. */

/** The most specific reason in a fetch error's cause chain ("connection refused", not "fetch failed"). */
export function networkReason(error: Error): string {
  let deepest: (Error & { code?: string }) | undefined = error;
  for (let depth = 0; deepest?.cause instanceof Error && depth < 5; depth++) deepest = deepest.cause as Error & { code?: string };
  switch (deepest?.code) {
    case 'ECONNREFUSED':
      return 'connection refused (is the server running?)';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'the connection was dropped';
    default:
      return deepest?.message || error.message || 'network error';
  }
}
