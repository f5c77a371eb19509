/**
 * The extensions our relay and client negotiate in the WebSocket upgrade. Seed clients
 * send none of these headers and get the seed protocol unchanged.
 */

/** Request header in which a client asks for extras (`ack`); response header listing what the relay offers. */
export const FEATURES_HEADER = 'x-weather-relay-features';
/** Response header carrying the relay's current epoch, so a client knows what to resend before sending anything. */
export const EPOCH_HEADER = 'x-weather-relay-epoch';

/** Features a relay can offer (the relay announces both); a client asks for `ack`. */
export type RelayFeature = 'ack' | 'history';

/** Reads a comma-separated features header (absent, repeated or junk headers give an empty set). */
export function parseFeatures(header: string | string[] | undefined): Set<string> {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return new Set(
    text
      .slice(0, 256)
      .split(',')
      .map((feature) => feature.trim().toLowerCase())
      .filter((feature) => feature.length > 0),
  );
}

/**
 * The WebSocket subprotocol a browser offers, and the only one the relay selects for it. A
 * browser cannot set `Authorization` on a WebSocket, and a token must never travel in a URL,
 * so the watch page offers its token as a second subprotocol, `BEARER_SUBPROTOCOL_PREFIX`
 * followed by the token in base64url; the relay reads it and never selects (echoes) it.
 */
export const RELAY_SUBPROTOCOL = 'weather-relay';
export const BEARER_SUBPROTOCOL_PREFIX = 'weather-relay.bearer.';
