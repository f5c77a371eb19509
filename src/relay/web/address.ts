/**
 * Where the watch page tells the browser to connect, and which page origin counts as the
 * relay's own: from `--public-url` when given, else from the request's Host header and
 * whether the relay serves TLS. The Host header is hostile input: only a host name or
 * address with an optional port is used; anything else is never reflected.
 */
import type { IncomingMessage } from 'node:http';
import { printable } from '../../protocol';

export interface PageAddress {
  /** `ws(s)://host[:port]/`: what the page connects to. */
  readonly relayUrl: string;
  /** `ws(s)://host[:port]`: the origin of that URL, for the CSP's connect-src. */
  readonly relayOrigin: string;
  /** `http(s)://host[:port]`: the page's own origin, which browsers send as the WebSocket's Origin. */
  readonly pageOrigin: string;
}

const LABEL = '[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?';
/** A DNS name or IPv4 address, or a bracketed IPv6 address, then an optional port. */
const HOST = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*\\.?|\\[[0-9A-Fa-f:.]{2,45}\\])(?::(\\d{1,5}))?$`);
const MAX_HOST_LENGTH = 260;

/** `host[:port]` as the relay may announce it, lower case; undefined for anything else. */
export function validHost(header: string | undefined): string | undefined {
  if (header === undefined || header.length > MAX_HOST_LENGTH) return undefined;
  const match = HOST.exec(header);
  if (!match || (match[1] !== undefined && Number(match[1]) > 65535)) return undefined;
  return header.toLowerCase();
}

/** The address of a page served to `request`: `fixed` (from --public-url) or its Host; undefined for a Host that is not one. */
export function pageAddressOf(request: IncomingMessage, fixed: PageAddress | undefined, tls: boolean): PageAddress | undefined {
  if (fixed) return fixed;
  const host = validHost(request.headers.host);
  return host === undefined ? undefined : addressOf(tls, host);
}

function addressOf(secure: boolean, host: string): PageAddress {
  const relayOrigin = `${secure ? 'wss' : 'ws'}://${host}`;
  return { relayUrl: `${relayOrigin}/`, relayOrigin, pageOrigin: `${secure ? 'https' : 'http'}://${host}` };
}

/**
 * Whether browsers count `pageOrigin` as potentially trustworthy (a secure context): https, or
 * this machine by name or loopback address. Elsewhere they ignore, and complain in the console
 * about, headers such as Cross-Origin-Opener-Policy.
 */
export function isTrustworthyOrigin(pageOrigin: string): boolean {
  const { protocol, hostname } = new URL(pageOrigin);
  if (protocol === 'https:') return true;
  return hostname === 'localhost' || hostname.endsWith('.localhost') || hostname === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(hostname);
}

const PUBLIC_SCHEMES: Record<string, boolean> = { 'http:': false, 'ws:': false, 'https:': true, 'wss:': true };

/** Why `raw` cannot be the relay's public address (`--public-url`), in one sentence; undefined when it can. */
export function publicUrlProblem(raw: string): string | undefined {
  const shape = 'an address such as https://relay.example.com or http://relay.example.com:4000';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `--public-url must be ${shape}, got "${printable(raw, 100)}"`;
  }
  if (!(url.protocol in PUBLIC_SCHEMES)) return `--public-url must start with http://, https://, ws:// or wss://, got "${printable(raw, 100)}"`;
  if (url.username || url.password) return '--public-url must not hold a user name or password';
  if (url.pathname !== '/' || url.search || url.hash || raw.endsWith('?') || raw.endsWith('#')) {
    return `--public-url must be the relay's address alone, with no path, query or fragment: ${shape}`;
  }
  if (validHost(url.host) === undefined) return `--public-url has no usable host: "${printable(raw, 100)}"`;
  return undefined;
}

/** The address a valid `--public-url` announces (http becomes ws, https wss). */
export function publicAddress(raw: string): PageAddress {
  const url = new URL(raw);
  return addressOf(PUBLIC_SCHEMES[url.protocol], url.host);
}
