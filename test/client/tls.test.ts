// wss:// to a relay with a self-signed certificate is refused with a clear message,
// and not retried (trying again cannot make the certificate trusted).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { WebSocketManager } from '../../src/client';

test('wss:// with a self-signed certificate: refused clearly, no retries', { timeout: 20_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'weather-tls-'));
  let connections = 0;
  const server = (() => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore', timeout: 15_000 });
    return createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) });
  })();
  const wss = new WebSocketServer({ server });
  wss.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const uri = `wss://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const manager = new WebSocketManager(uri, 'weather-update', { reconnect: { initialDelayMs: 10, maxDelayMs: 20 } });
  const states: string[] = [];
  manager.on('state', (state) => states.push(state));
  try {
    await assert.rejects(manager.connect(), {
      name: 'RelayConnectionError',
      message: `refusing the TLS connection to ${uri}: its certificate is self-signed or from an unknown authority`,
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(manager.state, 'closed', 'not retried');
    assert.deepEqual(states, ['connecting', 'closed']);
    assert.equal(connections, 0);
  } finally {
    await manager.disconnect();
    wss.close();
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
});
