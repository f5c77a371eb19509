/**
 * The one place the relay's ws server is built. The relay writes each broadcast as a
 * pre-encoded frame straight to the TCP socket (RelayConnection.deliver), next to ws's own
 * writes. That is only correct while ws writes synchronously, in call order: with
 * permessage-deflate ws compresses asynchronously and queues its frames, and ours would
 * overtake them (and an uncompressed frame would break a compressed stream). So
 * compression is refused here, as a startup error, not left to a comment.
 *
 * It also picks the subprotocol: `weather-relay` whenever a client offers it (the watch page
 * does, with its token as a second entry that is never echoed), else the first one offered, as
 * ws would, passing over any that carries a token.
 */
import { WebSocketServer, type ServerOptions } from 'ws';
import { BEARER_SUBPROTOCOL_PREFIX, RELAY_SUBPROTOCOL } from '../protocol';

export function createWebSocketServer(options: ServerOptions): WebSocketServer {
  if (options.perMessageDeflate !== undefined && options.perMessageDeflate !== false) {
    throw new Error(
      'the relay cannot use permessage-deflate: it writes pre-encoded frames straight to the socket, which only works while ws sends uncompressed frames synchronously',
    );
  }
  return new WebSocketServer({ ...options, perMessageDeflate: false, handleProtocols: selectSubprotocol });
}

/** The subprotocol to answer with among those a client offered (never one carrying a token); false for none. */
export function selectSubprotocol(offered: Set<string>): string | false {
  if (offered.has(RELAY_SUBPROTOCOL)) return RELAY_SUBPROTOCOL;
  for (const protocol of offered) if (!protocol.startsWith(BEARER_SUBPROTOCOL_PREFIX)) return protocol;
  return false;
}
