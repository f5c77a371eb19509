/**
 * Relay addresses. Only ws:// and wss:// are relay URIs; anything else gets a message
 * that says what was expected instead of a low-level failure later on.
 */
import { printable } from './channel';

/** Returns why `uri` is not a usable relay address, or undefined when it is. */
export function relayUriProblem(uri: unknown): string | undefined {
  if (typeof uri !== 'string' || uri.trim() === '') return 'relay URI must be a non-empty string such as ws://localhost:4000';
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return `"${printable(uri)}" is not a valid URI; expected something like ws://localhost:4000`;
  }
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') {
    const suggested = parsed.protocol === 'https:' ? 'wss' : 'ws';
    return `relay URI must use ws:// or wss://, not ${parsed.protocol}// (try ${suggested}://${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname})`;
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    return `relay URI must use ws:// or wss://, got "${printable(parsed.protocol)}"`;
  }
  if (parsed.hostname === '') return `relay URI "${printable(uri)}" has no host`;
  if (parsed.hash) return `relay URI must not contain a #fragment`;
  return undefined;
}

/**
 * The origin a relay's token belongs to (`wss://relay.team:4000`): a token is only ever sent
 * to the origin it was set for. Undefined for a URI that has none.
 */
export function relayOrigin(uri: string): string | undefined {
  try {
    const origin = new URL(uri).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/** Tokens longer than this are not tokens (a JWT is a few hundred bytes; our relay reads at most 8 KiB). */
export const MAX_BEARER_TOKEN_LENGTH = 8 * 1024;

/** Why `token` cannot travel as `Authorization: Bearer <token>`, or undefined when it can. */
export function bearerTokenProblem(token: string): string | undefined {
  if (token.length > MAX_BEARER_TOKEN_LENGTH) return `a relay token is at most ${MAX_BEARER_TOKEN_LENGTH} characters`;
  if (!/^[\x21-\x7e]+$/.test(token)) return 'a relay token is printable ASCII without spaces';
  return undefined;
}

/** True when `uri` points at this machine, where the extension may start its own relay. */
export function isLoopbackUri(uri: string): boolean {
  try {
    const host = new URL(uri).hostname.replace(/^\[|\]$/g, '');
    return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
  } catch {
    return false;
  }
}

/**
 * The URI as it may be shown in logs, statuses and errors: credentials in the user-info
 * part and every query value (where `?token=…` travels) are masked. Unparseable text is
 * shown escaped and shortened.
 */
export function displayUri(uri: string): string {
  let parsed: URL;
  try {
    parsed = new URL(uri);
  } catch {
    return printable(uri, 80);
  }
  // Shown as written when there is nothing to mask (URL would drop a default port, say).
  if (!parsed.username && !parsed.password && !parsed.search) return printable(uri, 200);
  if (parsed.username || parsed.password) {
    parsed.username = '***';
    parsed.password = '';
  }
  for (const key of new Set(parsed.searchParams.keys())) parsed.searchParams.set(key, '***');
  return printable(parsed.href.replace(/%2A%2A%2A/g, '***').replace(/\/$/, ''), 200);
}
