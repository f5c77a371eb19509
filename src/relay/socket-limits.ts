/**
 * Bounds on raw TCP sockets, before any request or WebSocket exists: `--max-connections`
 * counts WebSockets, so without these a peer that opens sockets and never finishes a
 * request (slowloris) would be held back only by Node's 60 s header timeout and the
 * file-descriptor limit. A request must arrive whole within a short time; sockets past a
 * total cap (WebSockets included) are closed at once; and a socket we answer and end is
 * destroyed shortly after, even if its peer never closes its side.
 */
import type { ServerOptions } from 'node:http';
import type { Server, Socket } from 'node:net';

export interface SocketLimits {
  /** TCP sockets open at once, WebSockets included; more are closed at once. */
  maxSockets: number;
  /** Time for a request to arrive whole (headers and any body); then it is answered 408 and closed. */
  requestTimeoutMs: number;
}

/** How long a peer has to read our last answer and close before its socket is destroyed. */
const LINGER_MS = 1000;

/** Why `maxSockets` cannot work beside `maxConnections`, if it cannot. */
export function socketLimitsProblem(maxSockets: number, maxConnections: number): string | undefined {
  return maxSockets > maxConnections
    ? undefined
    : `the socket limit (${maxSockets}) must be above the connection limit (${maxConnections}), so that health checks get through while WebSockets are at their limit`;
}

/** Options for `createServer`: the timeouts are only checked as often as Node is told to. */
export function requestTimeoutOptions(limits: SocketLimits): ServerOptions {
  return {
    headersTimeout: limits.requestTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.requestTimeoutMs / 4))),
  };
}

export interface SocketCount {
  /** TCP sockets open now, WebSockets included. */
  open(): number;
  /**
   * For a socket whose close something else already hears (an accepted WebSocket's 'close'):
   * the cap stops listening to it, and that listener must call `release()` once. Two
   * listeners on one event cost every idle socket an array.
   */
  handOver(socket: Socket): void;
  /** Counts a handed-over socket as closed. */
  release(): void;
}

/** Caps `server`'s sockets; `onDrop` hears of each one closed for being over the cap. */
export function capSockets(server: Server, limits: SocketLimits, onDrop: () => void): SocketCount {
  let open = 0;
  // One listener for every socket ('close' comes once): `once` would wrap it anew per socket.
  const closed = (): void => {
    open--;
  };
  server.maxConnections = limits.maxSockets;
  server.on('drop', onDrop);
  server.on('connection', (socket: Socket) => {
    open++;
    socket.on('close', closed);
  });
  return {
    open: () => open,
    handOver: (socket) => {
      socket.removeListener('close', closed);
    },
    release: closed,
  };
}

/** Sends `answer` and ends the socket; destroys it if the peer has not closed it soon after. */
export function endSocket(socket: Socket, answer: string): void {
  socket.end(answer);
  setTimeout(() => socket.destroy(), LINGER_MS).unref();
}
