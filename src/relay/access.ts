/**
 * Who may open a WebSocket: the request target, the access token and the browser Origin
 * are checked at the upgrade, and every refusal is a plain HTTP answer with one sentence.
 * Everything here reads hostile input, so nothing here throws.
 */
import { timingSafeEqual } from 'node:crypto';
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

export function checkAccess(request: IncomingMessage, token: string | undefined, allowOrigins: string[] | undefined): Refusal | undefined {
  const target = parseRequestTarget(request.url);
  if (!target) return refuse(400, `the request target "${printable(request.url ?? '')}" is not a path such as /`);
  if (token) {
    const header = request.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    const query = target.searchParams.get('token') ?? undefined;
    if (!safeEqual(bearer ?? query ?? '', token)) {
      return refuse(401, bearer || query ? 'the access token is wrong' : 'an access token is required (Authorization: Bearer <token>)');
    }
  }
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

/** Compares in constant time, so the token cannot be guessed a byte at a time. */
function safeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
