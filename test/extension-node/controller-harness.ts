// Shared by the extension's Node tests: a ConnectionController that records its log and
// statuses, with a short backoff, and a loopback port with nothing listening on it.
import { ConnectionController, type ConnectionStatus } from '../../src/extension/connection-controller';

export { freePort } from '../support/free-port';

export function controller(reconnect = { initialDelayMs: 20, maxDelayMs: 100 }) {
  const lines: string[] = [];
  const statuses: ConnectionStatus[] = [];
  const connection = new ConnectionController({ log: (level, line) => lines.push(`${level} ${line}`), reconnect });
  connection.on('status', (status) => statuses.push(status));
  return { connection, lines, statuses };
}
