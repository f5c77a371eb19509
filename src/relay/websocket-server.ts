/**
 * The one place the relay's ws server is built. The relay writes each broadcast as a
 * pre-encoded frame straight to the TCP socket (RelayConnection.deliver), next to ws's own
 * writes. That is only correct while ws writes synchronously, in call order: with
 * permessage-deflate ws compresses asynchronously and queues its frames, and ours would
 * overtake them (and an uncompressed frame would break a compressed stream). So
 * compression is refused here, as a startup error, not left to a comment.
 */
import { WebSocketServer, type ServerOptions } from 'ws';

export function createWebSocketServer(options: ServerOptions): WebSocketServer {
  if (options.perMessageDeflate !== undefined && options.perMessageDeflate !== false) {
    throw new Error(
      'the relay cannot use permessage-deflate: it writes pre-encoded frames straight to the socket, which only works while ws sends uncompressed frames synchronously',
    );
  }
  return new WebSocketServer({ ...options, perMessageDeflate: false });
}
