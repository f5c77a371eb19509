// Authentication and origin checks happen at the upgrade, before any WebSocket opens.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startRelay, type RunningRelay } from '../../src/relay';
import { WsPeer } from '../support/ws-peer';

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
    relay = await startRelay({ host: '127.0.0.1', port: 0, token: 's3cret-token' });
  });
  after(() => relay.close());

  test('no token → 401 before the socket opens, with a reason', async () => {
    assert.equal(await upgradeStatus(relay.url), 401);
    const response = await fetch(relay.url.replace('ws:', 'http:'), {
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
    }).catch(() => undefined);
    if (response) {
      assert.equal(response.status, 401);
      assert.match(await response.text(), /an access token is required/);
    }
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
    assert.match(metrics, /weather_relay_errors_total\{code="unauthorized"\} [3-9]/);
  });
});

describe('allowed origins', () => {
  let relay: RunningRelay;
  before(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0, allowOrigins: ['vscode-webview://trusted'] });
  });
  after(() => relay.close());

  test('a foreign Origin → 403; the allowed one and none (non-browser clients) pass', async () => {
    assert.equal(await upgradeStatus(relay.url, { origin: 'https://evil.example' }), 403);
    assert.equal(await upgradeStatus(relay.url, { origin: 'vscode-webview://trusted' }), 101);
    assert.equal(await upgradeStatus(relay.url), 101);
  });
});

test('past maxConnections the upgrade is refused with 503 (retry later)', async () => {
  const relay = await startRelay({ host: '127.0.0.1', port: 0, maxConnections: 2 });
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
