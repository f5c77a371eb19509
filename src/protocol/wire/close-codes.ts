/**
 * How a relay ends a connection, and what a client should make of it. Both the relay
 * and WebSocketManager decide from here, so the two can never disagree.
 */

/**
 * Close codes the relay sends, besides the standard 1009 (frame too large, sent by ws
 * itself). Connections past the relay's limit never open: the upgrade answers HTTP 503.
 */
export const CLOSE_CODES = {
  /** Standard "going away": the relay is shutting down after sending everything it confirmed. */
  shuttingDown: 1001,
  /** Standard "try again later": the relay's storage failed mid-replay; reconnect and resume. */
  tryAgainLater: 1013,
  /** The subscriber read too slowly; its outbound buffer passed the high-water mark. */
  slowConsumer: 4001,
  /** Too many messages per second from this connection, for too long. */
  rateLimited: 4029,
  /** The connection's token expired: retrying with the same token cannot help (a new one can). */
  tokenExpired: 4501,
} as const;

/**
 * The retry convention: 4000–4499 try again later; 4500–4999 a relay says trying again the
 * same way cannot help (ours sends 4501 when a token expires).
 */
export function isRetryableCloseCode(code: number): boolean {
  return !(code >= 4500 && code <= 4999);
}

/**
 * HTTP answers to the upgrade worth retrying: the relay is busy or failing (5xx, 429, 408).
 * Any other answer (401/403 refusals, 404 for a wrong path) needs the user to change something.
 */
export function isRetryableUpgradeStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

