// Authentication and origin checks happen at the upgrade, before any WebSocket opens.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningRelay } from '../../src/relay';
import { startTestRelay } from '../support/relay-mode';
import { rawExchange } from '../support/relay-process';
import { WsPeer } from '../support/ws-peer';

const upgradeRequest = (target: string, headers: string[] = []) =>
  [`GET ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', ...headers, '', ''].join('\r\n');

/** The body of a raw HTTP answer, read as UTF-8. */
const bodyOf = (text: string) => Buffer.from(text.slice(text.indexOf('\r\n\r\n') + 4), 'latin1').toString('utf8');

function upgradeStatus(url: string, options: { headers?: Record<string, string>; origin?: string } = {}): Promise<number> {
  return WsPeer.open(url, options).then(
    async (peer) => {
      await peer.close();
      return 101;
    },
    (error: Error) => Number(/Unexpected server response: (\d+)/.exec(error.message)?.[1] ?? -1),
  );
}

describe('token', () => {
  let relay: RunningRelay;
  before(async () => {
    relay = await startTestRelay({ host: '127.0.0.1', port: 0, token: 's3cret-token' });
  });
  after(() => relay.close());

  test('no token → 401 before the socket opens, with a reason', async () => {
    assert.equal(await upgradeStatus(relay.url), 401);
    const answer = await rawExchange(relay.port, upgradeRequest('/'));
    assert.equal(answer.status, 401);
    assert.match(answer.text, /^WWW-Authenticate: Bearer realm="weather-relay"\r$/m);
    assert.equal(bodyOf(answer.text), 'an access token is required (Authorization: Bearer <token>)\n');
    assert.equal(relay.gauges().connections, 0);
  });
  test('a wrong token → 401', async () => {
    assert.equal(await upgradeStatus(relay.url, { headers: { authorization: 'Bearer wrong' } }), 401);
    assert.equal(await upgradeStatus(`${relay.url}/?token=s3cret-tokeX`), 401);
  });
  test('the right token, as a header or in the query → connected', async () => {
    assert.equal(await upgradeStatus(relay.url, { headers: { authorization: 'Bearer s3cret-token' } }), 101);
    assert.equal(await upgradeStatus(`${relay.url}/?token=s3cret-token`), 101);
  });
  test('refusals are counted', async () => {
    const metrics = await (await fetch(`${relay.url.replace('ws:', 'http:')}/metrics`)).text();
    assert.ok(metrics.split('\n').includes('weather_relay_errors_total{code="unauthorized"} 4'), metrics);
  });
  test('request targets new URL() cannot read alone are refused, not fatal', async () => {
    // `//` and `/%` once threw out of the token check and ended the process.
    for (const target of ['//', '/%', '//host/x', '/?token=%']) {
      const answer = await rawExchange(relay.port, upgradeRequest(target));
      assert.equal(answer.status, 401, target);
    }
    assert.equal((await rawExchange(relay.port, upgradeRequest('//', ['Authorization: Bearer s3cret-token']))).status, 101);
    for (const target of ['*', 'http://relay.example/']) {
      const answer = await rawExchange(relay.port, upgradeRequest(target, ['Authorization: Bearer s3cret-token']));
      assert.equal(answer.status, 400, target);
      assert.equal(bodyOf(answer.text), `the request target "${target}" is not a path such as /\n`);
    }
    assert.equal(await upgradeStatus(relay.url, { headers: { authorization: 'Bearer s3cret-token' } }), 101, 'still serving');
  });
});

describe('allowed origins', () => {
  let relay: RunningRelay;
  before(async () => {
    relay = await startTestRelay({ host: '127.0.0.1', port: 0, allowOrigins: ['vscode-webview://trusted'] });
  });
  after(() => relay.close());

  test('a foreign Origin → 403; the allowed one and none (non-browser clients) pass', async () => {
    assert.equal(await upgradeStatus(relay.url, { origin: 'https://evil.example' }), 403);
    assert.equal(await upgradeStatus(relay.url, { origin: 'vscode-webview://trusted' }), 101);
    assert.equal(await upgradeStatus(relay.url), 101);
  });
  test('a refusal names the Origin, clamped: a 10 KB header is not echoed back', async () => {
    const origin = `https://${'a'.repeat(10 * 1024)}.example`;
    const answer = await rawExchange(relay.port, upgradeRequest('/', [`Origin: ${origin}`]));
    assert.equal(answer.status, 403);
    assert.equal(bodyOf(answer.text), `origin "https://${'a'.repeat(32)}…" is not allowed\n`);
  });
});

test('past maxConnections the upgrade is refused with 503 (retry later)', async () => {
  const relay = await startTestRelay({ host: '127.0.0.1', port: 0, maxConnections: 2 });
  try {
    const peers = [await WsPeer.open(relay.url), await WsPeer.open(relay.url)];
    assert.equal(await upgradeStatus(relay.url), 503);
    await peers[0].close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await upgradeStatus(relay.url), 101, 'a slot freed up');
    await peers[1].close();
  } finally {
    await relay.close();
  }
});
