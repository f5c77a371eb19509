/**
 * Listens on 127.0.0.1:4000, the default relay address, to catch a client that falls back
 * to it. Undefined when something else holds the port (the check is then left out).
 */
import { createServer, type Server } from 'node:net';

export interface DefaultPortWatch {
  /** Connections accepted (and dropped at once) so far. */
  connections(): number;
  close(): Promise<void>;
}

export async function watchDefaultRelayPort(): Promise<DefaultPortWatch | undefined> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(4000, '127.0.0.1', () => resolve(true));
  });
  if (!listening) return undefined;
  return {
    connections: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
