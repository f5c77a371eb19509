/**
 * The headers every response of the watch page's routes carries, as strict as the VS Code
 * webview's: a CSP that allows only the relay's own files (no inline script or style, nothing
 * from a third party) and a connection to the relay, no framing, no sniffing, no referrer.
 */
import { isTrustworthyOrigin, type PageAddress } from './address';

/** The Content-Security-Policy; `relayOrigin` (ws(s)://host:port) is where the page may connect besides 'self'. */
export function contentSecurityPolicy(relayOrigin: string | undefined): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src 'self'${relayOrigin === undefined ? '' : ` ${relayOrigin}`}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The headers for a page served at `address` (undefined: a Host that names no address, so nothing may connect). */
export function securityHeaders(address: PageAddress | undefined): Record<string, string> {
  const headers: Record<string, string> = {
    'content-security-policy': contentSecurityPolicy(address?.relayOrigin),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-resource-policy': 'same-origin',
  };
  // Over plain http on a team's network browsers ignore it, with an error in every viewer's console.
  if (address !== undefined && isTrustworthyOrigin(address.pageOrigin)) headers['cross-origin-opener-policy'] = 'same-origin';
  return headers;
}

/** For the HTML shells and every API answer: never stored, since they name channels and grants. */
export const NO_STORE = { 'cache-control': 'no-store' } as const;
/** For a file whose name holds its content's hash: the same name is always the same bytes. */
export const IMMUTABLE = { 'cache-control': 'public, max-age=31536000, immutable' } as const;
