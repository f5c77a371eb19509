// Signed tokens (JWTs) against a real relay: who may connect, which channels each token
// may subscribe to and publish on, refusals as one clause and the `forbidden` error
// reply, expiry while connected, and the forgeries a verifier must refuse (alg none,
// HS/RS confusion, a tampered signature).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { CLOSE_CODES, channelMessage, responseDeltaPayload } from '../../src/protocol';
import type { RunningRelay } from '../../src/relay';
import { grantFromClaims } from '../../src/relay/auth/claims';
import { ChannelPatterns } from '../../src/relay/auth/grant';
import { JwtVerifier } from '../../src/relay/auth/jwt-verifier';
import { runTokenCommand } from '../../src/relay/auth/token-command';
import { accessLogLine, parseRelayArgs } from '../../src/relay/cli';
import { parseTtl } from '../../src/relay/auth/mint-token';
import { startTestRelay } from '../support/relay-mode';
import { rawExchange } from '../support/relay-process';
import { WsPeer } from '../support/ws-peer';

const SECRET = 'a-team-secret-of-at-least-32-bytes-long!';
const now = () => Math.floor(Date.now() / 1000);

interface Claims {
  sub?: string;
  exp?: number;
  nbf?: number;
  subscribe?: unknown;
  publish?: unknown;
}

function sign(claims: Claims, key: Uint8Array | Parameters<SignJWT['sign']>[0] = new TextEncoder().encode(SECRET), alg = 'HS256'): Promise<string> {
  const { sub = 'alice', exp = now() + 3600, nbf, subscribe = ['weather-*'], publish = ['weather-update'] } = claims;
  const jwt = new SignJWT({ weather_relay: { subscribe, publish } }).setProtectedHeader({ alg }).setSubject(sub).setExpirationTime(exp);
  if (nbf !== undefined) jwt.setNotBefore(nbf);
  return jwt.sign(key);
}

const b64url = (value: object | string) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const publish = (channel: string, text: string, id?: string) => JSON.stringify(channelMessage(channel, responseDeltaPayload('t', text, id ? { id } : {})));
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
const upgradeRequest = (headers: string[]) =>
  ['GET / HTTP/1.1', 'Host: 127.0.0.1', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', ...headers, '', ''].join('\r\n');

/** The status and body of the relay's answer to an upgrade with `token`. */
async function answerTo(port: number, token: string): Promise<{ status: number | undefined; body: string }> {
  const answer = await rawExchange(port, upgradeRequest([`Authorization: Bearer ${token}`]));
  return { status: answer.status, body: answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4).trim() };
}

describe('channel patterns', () => {
  test('exact names and * patterns, matched without backtracking', () => {
    const patterns = new ChannelPatterns(['weather-*', 'team.*.live', 'exact', '*-audit']);
    for (const yes of ['weather-update', 'weather-', 'team.a.live', 'team..live', 'team.x.y.live', 'exact', 'ops-audit', '-audit']) assert.ok(patterns.matches(yes), yes);
    for (const no of ['weather', 'weatherX', 'xweather-update', 'team.live', 'exactly', 'audit', 'team.a.livex']) assert.ok(!patterns.matches(no), no);
    assert.ok(new ChannelPatterns(['*']).matches('anything'));
    assert.ok(new ChannelPatterns(['a*b*c']).matches('abc') && new ChannelPatterns(['a*b*c']).matches('aXbYc'));
    assert.ok(!new ChannelPatterns(['a*b*c']).matches('acb'));
    assert.ok(!new ChannelPatterns(['ab*ba']).matches('aba'), 'the two ends may not overlap');
    assert.ok(!new ChannelPatterns([]).matches('weather-update'), 'an empty list allows nothing');
    const slow = new ChannelPatterns(['*a*a*a*a*a*a*a*a*a*a*a*a*b']);
    const started = performance.now();
    assert.ok(!slow.matches('a'.repeat(128)));
    assert.ok(performance.now() - started < 50, 'a hostile pattern costs no backtracking');
  });

  test('claims are checked and bounded, each problem in one clause', () => {
    const good = grantFromClaims({ sub: 'dash', exp: now() + 60, weather_relay: { subscribe: ['weather-*'] } });
    assert.ok(!('problem' in good) && good.subscribe.matches('weather-x') && !good.publish.matches('weather-x'));
    const problems: Array<[Record<string, unknown>, RegExp]> = [
      [{ exp: now() + 60 }, /"sub" must be a name/],
      [{ sub: 'a' }, /no expiry/],
      [{ sub: 'a', exp: now() + 60, weather_relay: ['x'] }, /must be an object/],
      [{ sub: 'a', exp: now() + 60, weather_relay: { publish: 'weather-update' } }, /"weather_relay.publish" must be a list/],
      [{ sub: 'a', exp: now() + 60, weather_relay: { subscribe: Array(101).fill('a') } }, /at most 100/],
      [{ sub: 'a', exp: now() + 60, weather_relay: { subscribe: ['bad channel'] } }, /holds "bad channel": a channel pattern may only be/],
      [{ sub: 'a', exp: now() + 60, weather_relay: { subscribe: [7] } }, /must be a string/],
    ];
    for (const [claims, expected] of problems) {
      const result = grantFromClaims(claims);
      assert.ok('problem' in result, JSON.stringify(claims));
      assert.match(result.problem, expected);
    }
  });

  test('keys that could not check tokens safely are refused when the relay starts', () => {
    assert.throws(() => JwtVerifier.fromKey({ secret: 'short' }), /at least 32 bytes long \(got 5\)/);
    assert.throws(() => JwtVerifier.fromKey({ publicKeyPem: 'not a key' }), /not a PEM public key/);
    const ed = generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }) as string;
    assert.throws(() => JwtVerifier.fromKey({ publicKeyPem: ed }), /RSA key \(RS256\) or a P-256 EC key/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    assert.throws(() => JwtVerifier.fromKey({ publicKeyPem: rsa }), /shorter than 2048 bits/);
  });
});

describe('a relay with --jwt-secret (and the shared --token too)', () => {
  let relay: RunningRelay;
  before(async () => {
    relay = await startTestRelay({ host: '127.0.0.1', port: 0, jwt: { secret: SECRET }, token: 'shared-token-for-admins' });
  });
  after(() => relay.close());

  test('says how it checks connections', () => {
    assert.equal(relay.access, 'access: the shared --token (everything) or signed tokens (HS256, channels as their claims say)');
  });

  test('refuses every bad token at the upgrade with 401 and one clause, never echoing it', async () => {
    const [header, payload] = (await sign({})).split('.');
    const other = await sign({}, new TextEncoder().encode('another-secret-of-at-least-32-bytes!!'));
    const cases: Array<[string, string]> = [
      [await sign({ exp: now() - 60 }), 'the token expired'],
      [await sign({ nbf: now() + 600 }), 'the token is not valid yet'],
      [other, "the token's signature does not match this relay's key"],
      [`${header}.${payload}.${'A'.repeat(43)}`, "the token's signature does not match this relay's key"],
      [`${b64url({ alg: 'none' })}.${payload}.`, 'the token is not signed with HS256, the only algorithm this relay accepts'],
      [`${b64url({ alg: 'HS512' })}.${payload}.${'A'.repeat(86)}`, 'the token is not signed with HS256, the only algorithm this relay accepts'],
      ['not.a.jwt', 'the token is not a well-formed JWT'],
      [await sign({ sub: '' }), 'the token\'s "sub" must be a name of 1 to 200 characters'],
      ['x'.repeat(9000), 'the token is longer than 8192 characters'],
    ];
    for (const [token, reason] of cases) {
      const answer = await answerTo(relay.port, token);
      assert.equal(answer.status, 401, reason);
      assert.ok(answer.body.endsWith(reason) || answer.body.includes(reason), `${answer.body} ≠ ${reason}`);
      assert.ok(!answer.body.includes(token.slice(0, 20)), 'the token is never echoed');
    }
    assert.equal(relay.gauges().connections, 0);
  });

  test('a token may subscribe and publish where its claims say; elsewhere `forbidden`, and the connection stays', async () => {
    const token = await sign({ sub: 'dashboard', subscribe: ['weather-*'], publish: [] });
    const watcher = await WsPeer.open(relay.url, bearer(token));
    assert.deepEqual(await watcher.subscribe('ops-secrets'), {
      type: 'error',
      payload: { code: 'forbidden', channel: 'ops-secrets', action: 'subscribe', message: 'not allowed to subscribe to ops-secrets: the access token does not grant it' },
    });
    assert.equal((await watcher.subscribe('weather-update')).type, 'subscribed', 'still usable');
    watcher.send(publish('weather-update', 'from the dashboard', 'd-1'));
    assert.deepEqual(await watcher.next(), {
      type: 'error',
      payload: { code: 'forbidden', channel: 'weather-update', id: 'd-1', action: 'publish', message: 'not allowed to publish on weather-update: the access token does not grant it' },
    });
    // A token allowed to publish reaches the dashboard; the shared token may do everything.
    const publisher = await WsPeer.open(relay.url, bearer(await sign({ sub: 'assistant', subscribe: [], publish: ['weather-update'] })));
    publisher.send(publish('weather-update', 'allowed'));
    const delivered = await watcher.next();
    assert.equal(delivered.payload.message, 'allowed');
    const admin = await WsPeer.open(relay.url, bearer('shared-token-for-admins'));
    assert.equal((await admin.subscribe('ops-secrets')).type, 'subscribed');
    const metrics = await (await fetch(`http://127.0.0.1:${relay.port}/metrics`)).text();
    assert.match(metrics, /^weather_relay_errors_total\{code="forbidden"\} 2$/m);
    await Promise.all([watcher.close(), publisher.close(), admin.close()]);
  });

  test('a token that expires while connected closes the connection with 4501, which our client does not retry', async () => {
    const peer = await WsPeer.open(relay.url, bearer(await sign({ exp: now() + 2 })));
    assert.equal((await peer.subscribe('weather-update')).type, 'subscribed');
    const started = Date.now();
    assert.equal(await peer.closed, CLOSE_CODES.tokenExpired);
    assert.equal(peer.closeReason, 'token expired');
    assert.ok(Date.now() - started < 4000, 'closed at its expiry');
  });
});

test('each refusal is logged with who and why, never the token', async () => {
  const lines: string[] = [];
  const logger = { info: (line: string) => lines.push(line), warn: (line: string) => lines.push(line), error: (line: string) => lines.push(line) };
  const relay = await startTestRelay({ host: '127.0.0.1', port: 0, jwt: { secret: SECRET }, logger });
  try {
    const expired = await sign({ sub: 'carol', exp: now() - 60 });
    assert.equal((await answerTo(relay.port, expired)).status, 401);
    const forged = await sign({ sub: 'mallory' }, new TextEncoder().encode('not-the-relay-secret-but-32-bytes-long'));
    assert.equal((await answerTo(relay.port, forged)).status, 401);
    const dashboard = await WsPeer.open(relay.url, bearer(await sign({ sub: 'dashboard', subscribe: ['weather-*'], publish: [] })));
    dashboard.send(publish('weather-update', 'x'));
    dashboard.send(publish('weather-update', 'y'));
    await dashboard.next();
    await dashboard.settle(100);
    await dashboard.close();
    const refusals = lines.filter((line) => /refused|not allowed/.test(line));
    assert.match(refusals[0], /^refused a connection from 127\.0\.0\.1 \(carol\): 401 the token expired$/);
    // A forged token's claims are nobody's word: no name.
    assert.match(refusals[1], /^refused a connection from 127\.0\.0\.1: 401 the token's signature does not match this relay's key$/);
    assert.match(refusals[2], /\(dashboard\) is not allowed to publish on weather-update$/);
    assert.equal(refusals.length, 3, 'the second refused publish is counted, not logged again');
    for (const token of [expired, forged]) assert.ok(!lines.some((line) => line.includes(token.split('.')[2])), 'no token in the log');
  } finally {
    await relay.close();
  }
});

describe('a relay with --jwt-public-key', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const publicKeyPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  let relay: RunningRelay;
  before(async () => {
    relay = await startTestRelay({ host: '127.0.0.1', port: 0, jwt: { publicKeyPem } });
  });
  after(() => relay.close());

  test('accepts RS256 tokens of its issuer, and refuses one signed with the public key as an HMAC secret', async () => {
    const good = await sign({}, rsa.privateKey, 'RS256');
    const peer = await WsPeer.open(relay.url, bearer(good));
    assert.equal((await peer.subscribe('weather-now')).type, 'subscribed');
    await peer.close();
    const confused = await sign({}, new TextEncoder().encode(publicKeyPem), 'HS256');
    assert.deepEqual(await answerTo(relay.port, confused), { status: 401, body: 'the token is not signed with RS256, the only algorithm this relay accepts' });
    const es = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const fromAnotherIssuer = await sign({}, es.privateKey, 'ES256');
    assert.equal((await answerTo(relay.port, fromAnotherIssuer)).status, 401);
  });
});

describe('weather-relay token', () => {
  test('mints a token the relay accepts, with exactly the channels asked for', async () => {
    const token = await runTokenCommand(['--sub', 'bob', '--subscribe', 'weather-*', '--publish', 'weather-update', '--ttl', '1h'], { WEATHER_RELAY_JWT_SECRET: SECRET });
    const verified = await JwtVerifier.fromKey({ secret: SECRET }).verify(token);
    assert.ok('grant' in verified);
    assert.equal(verified.grant.who, 'bob');
    assert.ok(verified.grant.subscribe.matches('weather-x') && verified.grant.publish.matches('weather-update') && !verified.grant.publish.matches('weather-x'));
    assert.ok(Math.abs(verified.grant.expiresAt! - (Date.now() + 3600_000)) < 5000);
  });

  test('refuses what would mint a useless or unsafe token, in one sentence', async () => {
    await assert.rejects(runTokenCommand(['--sub', 'a', '--subscribe', 'x'], {}), /a secret is needed/);
    await assert.rejects(runTokenCommand(['--subscribe', 'x'], { WEATHER_RELAY_JWT_SECRET: SECRET }), /--sub NAME is required/);
    await assert.rejects(runTokenCommand(['--sub', 'a'], { WEATHER_RELAY_JWT_SECRET: SECRET }), /at least one --subscribe or --publish/);
    await assert.rejects(runTokenCommand(['--sub', 'a', '--publish', 'bad name'], { WEATHER_RELAY_JWT_SECRET: SECRET }), /a channel pattern may only be/);
    await assert.rejects(runTokenCommand(['--sub', 'a', '--publish', 'x', '--jwt-secret', 'short'], {}), /at least 32 bytes/);
    assert.equal(parseTtl('30d'), 30 * 86_400);
    assert.equal(parseTtl('15m'), 900);
    assert.equal(parseTtl('3600'), 3600);
    for (const bad of ['0', '1y', '367d', '-5', '', '1.5h']) assert.throws(() => parseTtl(bad), /--ttl must be a lifetime/, bad);
  });
});

describe('the relay command line', () => {
  test('an open relay says so first, and warns when it listens beyond loopback', () => {
    const open = 'open: anyone who can reach this relay may subscribe and publish';
    assert.deepEqual(accessLogLine(open, '127.0.0.1'), { level: 'info', text: open });
    assert.deepEqual(accessLogLine(open, '::1'), { level: 'info', text: open });
    assert.deepEqual(accessLogLine(open, '0.0.0.0'), { level: 'warn', text: `${open}, and it listens beyond loopback (0.0.0.0): give it --jwt-secret or --token` });
    assert.equal(accessLogLine('access: signed tokens (HS256, channels as their claims say)', '0.0.0.0').level, 'info');
  });

  test('token and TLS flags: one secret or one key, a certificate with its key, nothing empty', () => {
    assert.deepEqual(parseRelayArgs([], { WEATHER_RELAY_JWT_SECRET: SECRET }).jwt, { secret: SECRET });
    assert.equal(parseRelayArgs(['--jwt-public-key', 'issuer.pem']).jwtPublicKeyFile, 'issuer.pem');
    assert.throws(() => parseRelayArgs(['--jwt-secret', SECRET, '--jwt-public-key', 'k.pem']), /give --jwt-secret or --jwt-public-key, not both/);
    assert.throws(() => parseRelayArgs(['--tls-cert', 'c.pem']), /--tls-cert and --tls-key go together/);
    assert.throws(() => parseRelayArgs(['--jwt-secret', '']), /--jwt-secret must not be empty/);
  });
});

test('`weather-relay token --help` prints the usage and exits 0; a wrong flag exits 2 with the reason and the usage', () => {
  const relayJs = resolve(__dirname, '../../../dist/relay.js');
  const help = spawnSync(process.execPath, [relayJs, 'token', '--help'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: weather-relay token --sub NAME/);
  assert.equal(help.stderr, '');
  const wrong = spawnSync(process.execPath, [relayJs, 'token', '--bogus'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /^weather-relay token: Unknown option '--bogus'\.?\n\nUsage:/);
});
