/**
 * What an upgrade is checked for before a WebSocket opens: its request target, its
 * credential (handed to the Authorizer) and the browser Origin; every refusal is a plain
 * HTTP answer with one sentence. Everything here reads hostile input, so nothing here throws.
 */
import type { IncomingMessage } from 'node:http';
import { BEARER_SUBPROTOCOL_PREFIX, MAX_BEARER_TOKEN_LENGTH, printable } from '../protocol';

export interface Refusal {
  status: number;
  reason: string;
  /** The whole HTTP response, ready to write to the raw socket. */
  response: string;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function refuse(status: number, reason: string): Refusal {
  const body = `${reason}\n`;
  const extra = status === 401 ? 'WWW-Authenticate: Bearer realm="weather-relay"\r\n' : '';
  return {
    status,
    reason,
    response: `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n${extra}Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  };
}

/** Refuses a request target that is not a path (`*`, an absolute URL, junk). */
export function checkTarget(request: IncomingMessage): Refusal | undefined {
  return parseRequestTarget(request.url) ? undefined : refuse(400, `the request target "${printable(request.url ?? '')}" is not a path such as /`);
}

/**
 * The credential of an upgrade: `Authorization: Bearer <token>`, else a browser's
 * `weather-relay.bearer.<base64url(token)>` subprotocol, else `?token=<token>`; undefined when none.
 */
export function credentialOf(request: IncomingMessage): string | undefined {
  return bearerOf(request) ?? subprotocolBearerOf(request) ?? (parseRequestTarget(request.url)?.searchParams.get('token') || undefined);
}

/** The token of `Authorization: Bearer <token>`; undefined without one. The only credential plain HTTP requests (the watch page's API) may carry. */
export function bearerOf(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization ?? '';
  return /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim() || undefined;
}

/** Longest subprotocol list read for a credential: a token of MAX_BEARER_TOKEN_LENGTH in base64url, with room for the rest. */
const MAX_SUBPROTOCOLS_LENGTH = Math.ceil((MAX_BEARER_TOKEN_LENGTH * 4) / 3) + 256;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The token a browser offers as a subprotocol. One that is not base64url is returned as it
 * came, so that the Authorizer refuses it as a wrong token rather than as a missing one.
 */
function subprotocolBearerOf(request: IncomingMessage): string | undefined {
  const header = request.headers['sec-websocket-protocol'];
  if (typeof header !== 'string' || !header.includes(BEARER_SUBPROTOCOL_PREFIX)) return undefined;
  if (header.length > MAX_SUBPROTOCOLS_LENGTH) return header.slice(0, MAX_SUBPROTOCOLS_LENGTH);
  for (const entry of header.split(',')) {
    const protocol = entry.trim();
    if (!protocol.startsWith(BEARER_SUBPROTOCOL_PREFIX)) continue;
    const encoded = protocol.slice(BEARER_SUBPROTOCOL_PREFIX.length);
    return BASE64URL.test(encoded) ? Buffer.from(encoded, 'base64url').toString('utf8') : protocol;
  }
  return undefined;
}

/**
 * Refuses a browser whose Origin is not in `allowOrigins` (when given); clients that send no
 * Origin pass, and so does the relay's own page (`ownOrigin` of the request, when it serves one).
 */
export function checkOrigin(
  request: IncomingMessage,
  allowOrigins: string[] | undefined,
  ownOrigin?: (request: IncomingMessage) => string | undefined,
): Refusal | undefined {
  const origin = request.headers.origin;
  if (allowOrigins && allowOrigins.length > 0 && origin !== undefined && !allowOrigins.includes(origin) && origin.toLowerCase() !== ownOrigin?.(request)) {
    return refuse(403, `origin "${printable(origin)}" is not allowed`);
  }
  return undefined;
}

/**
 * Reads an origin-form request target (`/path?query`, RFC 9112 §3.2.1), which is what
 * WebSocket clients send. Anything else (`*`, an absolute URL, junk) is undefined.
 * `//x` is a valid path, not a host: it is read against a fixed origin, never parsed alone.
 */
function parseRequestTarget(target: string | undefined): URL | undefined {
  if (!target?.startsWith('/')) return undefined;
  try {
    return new URL(`http://relay${target}`);
  } catch {
    return undefined;
  }
}

