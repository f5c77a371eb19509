/**
 * How a relay ends a connection, and what a client should make of it. Both the relay
 * and WebSocketManager decide from here, so the two can never disagree.
 */

/** Close codes the relay uses. 4000–4499: try again later; 4500–4999: do not retry. */
export const CLOSE_CODES = {
  /** The subscriber read too slowly; its outbound buffer passed the high-water mark. */
  slowConsumer: 4001,
  /** Too many messages per second from this connection. */
  rateLimited: 4029,
  /** The relay has as many connections as it allows. */
  tooManyConnections: 4013,
  /** The client broke the protocol badly enough that retrying the same way cannot help. */
  protocolViolation: 4500,
} as const;

/** 4500–4999: the relay says trying again the same way cannot help (bad auth, protocol violation). */
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

