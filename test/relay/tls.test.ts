// A relay process serving wss:// and https:// with a certificate from a CA made in the test:
// clients that trust the CA connect, health and metrics answer over HTTPS, a plain-text
// client is refused without harm, and SIGHUP swaps the certificate for new connections while
// the open ones carry on.
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { channelMessage, responseDeltaPayload } from '../../src/protocol';
import { requestRelay } from '../support/http-request';
import { rawExchange, spawnRelay, type RelayProcess } from '../support/relay-process';
import { makeTestCa, type TestCa } from '../support/test-ca';
import { waitUntil } from '../support/wait';
import { WsPeer } from '../support/ws-peer';

let ca: TestCa;
let relay: RelayProcess;
let certFile: string;
let keyFile: string;

before(async () => {
  ca = makeTestCa();
  const first = ca.issue('first');
  // The relay reads these paths; SIGHUP re-reads them after they are replaced in place.
  certFile = `${ca.dir}/relay.pem`;
  keyFile = `${ca.dir}/relay.key`;
  copyFileSync(first.certFile, certFile);
  copyFileSync(first.keyFile, keyFile);
  relay = await spawnRelay(['--tls-cert', certFile, '--tls-key', keyFile, '--heartbeat-ms', '0']);
});
after(async () => {
  await relay?.stop('SIGKILL');
  ca?.dispose();
});

/** The serial number of the certificate a new TLS connection to the relay is shown. */
function servedSerial(): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port: relay.port, ca: ca.ca, servername: 'localhost' }, () => {
      resolve(socket.getPeerCertificate().serialNumber);
      socket.end();
    });
    socket.on('error', reject);
  });
}

function httpsText(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpsGet({ host: '127.0.0.1', port: relay.port, path, ca: ca.ca, agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

test('the watch page over HTTPS announces wss://, in the page and in its CSP', async () => {
  const page = await requestRelay(relay.port, '/watch/secure', { ca: ca.ca });
  assert.equal(page.status, 200, page.body);
  assert.match(page.body, new RegExp(` data-relay-url="wss://127\\.0\\.0\\.1:${relay.port}/" `));
  assert.match(page.headers['content-security-policy'] as string, new RegExp(`connect-src 'self' wss://127\\.0\\.0\\.1:${relay.port};`));
  const script = /<script defer src="(\/assets\/[^"]+)">/.exec(page.body)?.[1];
  assert.ok(script, page.body);
  const asset = await requestRelay(relay.port, script, { ca: ca.ca });
  assert.equal(asset.status, 200);
  assert.equal(asset.headers['content-type'], 'text/javascript; charset=utf-8');
});

test('serves wss:// and https:// to clients that trust its CA', async () => {
  assert.match(relay.url, /^wss:\/\/127\.0\.0\.1:\d+$/);
  const subscriber = await WsPeer.open(relay.url, { ca: ca.ca });
  await subscriber.subscribe('secure');
  const publisher = await WsPeer.open(relay.url, { ca: ca.ca });
  publisher.send(JSON.stringify(channelMessage('secure', responseDeltaPayload('t', 'over TLS'))));
  assert.equal((await subscriber.next()).payload.message, 'over TLS');
  const health = await httpsText('/healthz');
  assert.equal(health.status, 200);
  assert.equal(JSON.parse(health.body).status, 'ok');
  assert.match((await httpsText('/metrics')).body, /^weather_relay_connections 2$/m);
  await Promise.all([subscriber.close(), publisher.close()]);
  // Under TLS the socket count hears the TCP socket beneath each WebSocket's TLS socket: every
  // closed one is counted closed once (each reading is a fresh HTTPS connection: agent false).
  let sockets = '';
  for (let i = 0; i < 100; i++) {
    sockets = /^weather_relay_sockets (\d+)$/m.exec((await httpsText('/metrics')).body)?.[1] ?? '';
    if (sockets === '1') break;
    await delay(50);
  }
  assert.equal(sockets, '1', 'only the metrics request is open');
});

test('a client that does not trust the CA, or speaks plain HTTP, gets nowhere and costs the relay nothing', async () => {
  await assert.rejects(WsPeer.open(relay.url), /self-signed|unable to (get|verify)/);
  const plain = await rawExchange(relay.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 2000);
  assert.equal(plain.status, undefined, 'no HTTP answer in the clear');
  assert.equal((await httpsText('/healthz')).status, 200, 'still serving');
});

test('SIGHUP reloads the certificate: new connections get the new one, open connections stay', async () => {
  const before = await servedSerial();
  const open = await WsPeer.open(relay.url, { ca: ca.ca });
  await open.subscribe('through-reload');
  const second = ca.issue('second');
  copyFileSync(second.certFile, certFile);
  copyFileSync(second.keyFile, keyFile);
  relay.child.kill('SIGHUP');
  await waitUntil(() => relay.stderr().includes('SIGHUP: reloaded the TLS certificate'), 5000, 'the reload to be logged');
  const afterReload = await servedSerial();
  assert.notEqual(afterReload, before);
  const publisher = await WsPeer.open(relay.url, { ca: ca.ca });
  publisher.send(JSON.stringify(channelMessage('through-reload', responseDeltaPayload('t', 'still here'))));
  assert.equal((await open.next()).payload.message, 'still here', 'the connection opened before the reload carries on');
  // A broken pair is refused and the served certificate kept.
  copyFileSync(ca.caFile, keyFile);
  relay.child.kill('SIGHUP');
  await waitUntil(() => relay.stderr().includes('SIGHUP: kept the current certificate'), 5000, 'the refusal to be logged');
  assert.equal(await servedSerial(), afterReload);
  await Promise.all([open.close(), publisher.close()]);
});
