/** Loopback ports for tests. */
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';

/** A 127.0.0.1 port that nothing listens on (bound and released at once: free a moment ago). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
