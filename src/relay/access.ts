/**
 * What an upgrade is checked for before a WebSocket opens: its request target, its
 * credential (handed to the Authorizer) and the browser Origin; every refusal is a plain
 * HTTP answer with one sentence. Everything here reads hostile input, so nothing here throws.
 */
import type { IncomingMessage } from 'node:http';
import { printable } from '../protocol';

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

/** The credential of an upgrade: `Authorization: Bearer <token>`, else `?token=<token>`; undefined when neither. */
export function credentialOf(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization ?? '';
  const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
  return bearer || parseRequestTarget(request.url)?.searchParams.get('token') || undefined;
}

/** Refuses a browser whose Origin is not in `allowOrigins` (when given); clients that send no Origin pass. */
export function checkOrigin(request: IncomingMessage, allowOrigins: string[] | undefined): Refusal | undefined {
  const origin = request.headers.origin;
  if (allowOrigins && allowOrigins.length > 0 && origin !== undefined && !allowOrigins.includes(origin)) {
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

