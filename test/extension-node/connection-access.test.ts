// The window's connection with relay credentials, in Node against real relays: the token
// goes as a bearer header to the relay it was set for, a new token reconnects with it, a
// wss:// relay with a private CA is trusted through the extra CAs, and the CA file and
// token checks name each problem in words.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { bearerTokenProblem, relayOrigin, responseDeltaPayload } from '../../src/protocol';
import { mintToken } from '../../src/relay/auth/mint-token';
import { readCaFile } from '../../src/client/ca-file';
import { readSettings } from '../../src/extension/settings';
import { startTestRelay } from '../support/relay-mode';
import { makeTestCa } from '../support/test-ca';
import { waitUntil } from '../support/wait';
import { WsPeer } from '../support/ws-peer';
import { controller } from './controller-harness';

const SECRET = 'a-relay-secret-for-the-window-tests-32b';

test('the token reaches the relay that requires it; a new token reconnects with it, over wss:// with a private CA', async (t) => {
  const ca = makeTestCa();
  t.after(() => ca.dispose());
  const issued = ca.issue('relay');
  const relay = await startTestRelay({ host: '127.0.0.1', port: 0, jwt: { secret: SECRET }, tls: { cert: issued.cert, key: issued.key } });
  t.after(() => relay.close());
  const server = { uri: relay.url.replace('127.0.0.1', 'localhost'), channel: 'weather-update', autoStart: false };
  const { connection, lines } = controller();
  t.after(() => connection.dispose());

  // No token: refused at the upgrade, and not retried.
  await connection.apply(server, { extraCa: ca.ca });
  await waitUntil(() => connection.status.halted === 'refused', 5000, 'the refusal');
  assert.match(connection.status.problem!, /refused the token \(HTTP 401 Unauthorized\): an access token is required/);

  const watchOnly = await mintToken({ secret: SECRET, sub: 'window', subscribe: ['weather-update'], publish: [], ttlSeconds: 600 });
  await connection.apply(server, { token: watchOnly, extraCa: ca.ca });
  await waitUntil(() => connection.status.view === 'connected' && relay.gauges().subscriptions === 1, 5000, 'subscribed with the token');

  // A token that may publish too: the connection is re-made with it, and publishes arrive.
  const full = await mintToken({ secret: SECRET, sub: 'window', subscribe: ['weather-update'], publish: ['weather-update'], ttlSeconds: 600 });
  const watcher = await WsPeer.open(relay.url, { ca: ca.ca, headers: { authorization: `Bearer ${watchOnly}` } });
  await watcher.subscribe('weather-update');
  await connection.apply(server, { token: full, extraCa: ca.ca });
  await waitUntil(() => connection.status.view === 'connected' && relay.gauges().subscriptions === 2, 5000, 'reconnected with the new token');
  connection.send(responseDeltaPayload('thread_a', 'shared'));
  assert.equal((await watcher.next()).payload.message, 'shared');
  assert.ok(!lines.some((line) => line.includes(full) || line.includes(watchOnly)), 'no token in the log');
  await watcher.close();
});

test('a token is kept for one origin: scheme, host and port all count', () => {
  assert.equal(relayOrigin('wss://relay.team:4000/path?x=1'), 'wss://relay.team:4000');
  assert.equal(relayOrigin('ws://localhost:4000'), 'ws://localhost:4000');
  assert.notEqual(relayOrigin('ws://relay.team:4000'), relayOrigin('wss://relay.team:4000'));
  assert.notEqual(relayOrigin('ws://relay.team:4000'), relayOrigin('ws://relay.team:4001'));
  assert.equal(relayOrigin('not a uri'), undefined);
  assert.equal(bearerTokenProblem('eyJ.abc.def'), undefined);
  assert.equal(bearerTokenProblem('has space'), 'a relay token is printable ASCII without spaces');
  assert.equal(bearerTokenProblem('line\nbreak'), 'a relay token is printable ASCII without spaces');
  assert.equal(bearerTokenProblem('x'.repeat(9000)), 'a relay token is at most 8192 characters');
});

test('server.caFile: checked as a setting, then read as PEM with each problem in words', async (t) => {
  const ca = makeTestCa();
  t.after(() => ca.dispose());
  const read = (value: unknown) => readSettings((key) => (key === 'server.caFile' ? value : undefined));
  assert.equal(read('/etc/team-ca.pem').settings.server.caFile, '/etc/team-ca.pem');
  assert.equal(read('~/ca.pem').settings.server.caFile, '~/ca.pem');
  assert.match(read('relative/ca.pem').settings.server.problem!, /server\.caFile: must be an absolute path/);
  assert.match(read(42).settings.server.problem!, /server\.caFile: must be a string/);
  assert.equal(read(undefined).settings.server.problem, undefined);

  assert.match(await readCaFile(ca.caFile), /^-----BEGIN CERTIFICATE-----/);
  await assert.rejects(readCaFile(join(ca.dir, 'missing.pem')), { message: `${join(ca.dir, 'missing.pem')} does not exist` });
  await assert.rejects(readCaFile(ca.dir), { message: `${ca.dir} is not a file` });
  const notPem = join(ca.dir, 'not.pem');
  writeFileSync(notPem, 'hello');
  await assert.rejects(readCaFile(notPem), /holds no PEM certificate/);
  const broken = join(ca.dir, 'broken.pem');
  writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
  await assert.rejects(readCaFile(broken), /holds a certificate that cannot be read/);
});

test('a watch-only token: the window stays connected and says its turns are not shared; each refused event is reported by id', async (t) => {
  const relay = await startTestRelay({ host: '127.0.0.1', port: 0, jwt: { secret: SECRET } });
  t.after(() => relay.close());
  const { connection, lines } = controller();
  t.after(() => connection.dispose());
  const refused: string[] = [];
  connection.on('refused', (id) => refused.push(id));
  const watchOnly = await mintToken({ secret: SECRET, sub: 'dashboard', subscribe: ['weather-update'], publish: [], ttlSeconds: 600 });
  await connection.apply({ uri: relay.url, channel: 'weather-update', autoStart: false }, { token: watchOnly });
  await waitUntil(() => connection.status.view === 'connected' && relay.gauges().subscriptions === 1, 5000, 'subscribed');
  connection.send(responseDeltaPayload('thread_w', 'one', { id: 'w-1' }));
  connection.send(responseDeltaPayload('thread_w', 'two', { id: 'w-2' }));
  await waitUntil(() => refused.length === 2, 5000, 'both refusals');
  assert.deepEqual(refused, ['w-1', 'w-2']);
  assert.equal(connection.status.view, 'connected');
  assert.equal(connection.status.warning, 'not allowed to publish on weather-update: your turns are shown here but not shared');
  // Said once, not per event: the relay's own words (from the client) and what they mean here.
  assert.equal(lines.filter((line) => line.includes('relay error (forbidden)')).length, 1, lines.join('\n'));
  assert.equal(lines.filter((line) => line.includes('your turns are shown here but not shared')).length, 1, lines.join('\n'));
});
