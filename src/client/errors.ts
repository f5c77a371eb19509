/**
 * Turns low-level socket and TLS failures into one sentence that says what went
 * wrong and what to try, e.g. "cannot connect to ws://localhost:4000: connection
 * refused (is the relay running?)".
 */

import { CLOSE_CODES, displayUri, isRetryableCloseCode, isRetryableUpgradeStatus } from '../protocol';

export class RelayConnectionError extends Error {
  /** False when trying again cannot help (bad credentials, refused by policy). */
  readonly retryable: boolean;

  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = 'RelayConnectionError';
    this.retryable = options.retryable ?? true;
  }
}

const UNTRUSTED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function describeConnectionError(error: unknown, uri: string): RelayConnectionError {
  const err = error as NodeJS.ErrnoException;
  const code = err?.code ?? '';
  const text = err?.message ?? String(error);
  const host = hostOf(uri);
  uri = displayUri(uri);
  const wrap = (message: string, retryable = true) => new RelayConnectionError(message, { cause: error, retryable });

  if (code === 'ECONNREFUSED') return wrap(`cannot connect to ${uri}: connection refused (is the relay running?)`);
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return wrap(`cannot connect to ${uri}: host "${host}" not found`);
  if (code === 'ETIMEDOUT' || /handshake has timed out/i.test(text)) {
    return wrap(`cannot connect to ${uri}: timed out waiting for the relay`);
  }
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
    return wrap(`${uri} sent a message larger than this client accepts (raise maxPayloadBytes if it is legitimate)`);
  }
  if (code === 'ECONNRESET') return wrap(`connection to ${uri} was reset by the peer`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return wrap(`cannot connect to ${uri}: network unreachable`);
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    const why = code === 'CERT_HAS_EXPIRED' ? 'its certificate has expired' : code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? `its certificate is not valid for "${host}"` : 'its certificate is self-signed or from an unknown authority';
    return wrap(`refusing the TLS connection to ${uri}: ${why}`, false);
  }
  if (code === 'EPROTO' || /wrong version number|packet length too long/i.test(text)) {
    return wrap(`${uri} does not speak TLS: use ws:// instead of wss://`, false);
  }
  if (/socket hang up|Parse Error|Invalid WebSocket frame|Invalid Sec-WebSocket-Accept/i.test(text)) {
    const hint = uri.startsWith('ws:') ? ' (if it uses TLS, use wss://)' : '';
    return wrap(`${uri} did not answer as a WebSocket relay${hint}: ${text}`);
  }
  return wrap(`connection to ${uri} failed: ${text}`);
}

/** The relay answered the upgrade with a plain HTTP status instead of switching protocols. */
export function describeHttpRefusal(status: number, statusText: string | undefined, uri: string, body?: string): RelayConnectionError {
  const what = `${status}${statusText ? ` ${clip(statusText)}` : ''}`;
  const retryable = isRetryableUpgradeStatus(status);
  const where = displayUri(uri);
  // Our relay's refusals are one sentence of plain text; another server's body may be anything.
  const reason = body && /^[^<{]/.test(body.trim()) ? clip(body.trim().split('\n')[0]) : undefined;
  if (status === 401) {
    return new RelayConnectionError(`relay at ${where} refused the token (HTTP ${what}): ${reason ?? 'check the access token'}`, { retryable });
  }
  if (status === 403) {
    return new RelayConnectionError(`relay at ${where} refused the connection (HTTP ${what}): ${reason ?? 'check the access token and origin'}`, { retryable });
  }
  return new RelayConnectionError(`relay at ${where} answered HTTP ${what} instead of a WebSocket upgrade${reason ? ` (${reason})` : ''}`, { retryable });
}

/** The relay closed the connection (or it dropped: 1006); `reason` is the relay's own text. */
export function describeClose(code: number, reason: string, uri: string): RelayConnectionError {
  if (code === CLOSE_CODES.tokenExpired) {
    return new RelayConnectionError(`connection to ${displayUri(uri)} closed (code ${code}: ${clip(reason) || 'token expired'}); set a new relay token to reconnect`, { retryable: false });
  }
  const why = reason ? `: ${clip(reason)}` : '';
  return new RelayConnectionError(`connection to ${displayUri(uri)} closed (code ${code}${why})`, { retryable: isRetryableCloseCode(code) });
}

/**
 * Relay-supplied text as it goes into one of our sentences: control characters become
 * spaces and it is cut at `max` characters, so a hostile relay cannot flood a log line.
 */
export function clip(text: string, max = 200): string {
  const flat = text.replace(/\p{Cc}/gu, ' ');
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

function hostOf(uri: string): string {
  try {
    return new URL(uri).hostname;
  } catch {
    return uri;
  }
}
