// Shared by the extension's Node tests: a ConnectionController that records its log and
// statuses, with a short backoff, and a loopback port with nothing listening on it.
import { createServer } from 'node:net';
import { ConnectionController, type ConnectionStatus } from '../../src/extension/connection-controller';

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export function controller(reconnect = { initialDelayMs: 20, maxDelayMs: 100 }) {
  const lines: string[] = [];
  const statuses: ConnectionStatus[] = [];
  const connection = new ConnectionController({ log: (level, line) => lines.push(`${level} ${line}`), reconnect });
  connection.on('status', (status) => statuses.push(status));
  return { connection, lines, statuses };
}
