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
import { rootCertificates } from 'node:tls';
import { WebSocketManager } from '../../src/client';
import { resolveSettings } from '../../src/client/settings';
import { startTestRelay } from '../support/relay-mode';
import { makeTestCa } from '../support/test-ca';

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

test('wss:// to a relay whose certificate comes from a private CA: trusted once the CA is given as extraCa', { timeout: 20_000 }, async (t) => {
  const ca = makeTestCa();
  t.after(() => ca.dispose());
  const issued = ca.issue('relay');
  const relay = await startTestRelay({ host: '127.0.0.1', port: 0, tls: { cert: issued.cert, key: issued.key } });
  t.after(() => relay.close());
  assert.match(relay.url, /^wss:/);
  const untrusting = new WebSocketManager(relay.url, 'weather-update', { reconnect: false });
  await assert.rejects(untrusting.connect(), /certificate is self-signed or from an unknown authority/);
  await untrusting.disconnect();
  const manager = new WebSocketManager(relay.url, 'weather-update', { reconnect: false, extraCa: ca.ca });
  try {
    await manager.connect();
    await manager.subscribe();
    assert.equal(manager.state, 'subscribed');
    // The system's authorities are still trusted beside the extra one.
    assert.ok(resolveSettings({ extraCa: ca.ca }).ca!.length > rootCertificates.length);
  } finally {
    await manager.disconnect();
  }
});
