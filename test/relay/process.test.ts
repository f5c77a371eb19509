// The relay as users run it: dist/relay.js in its own process.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { RELAY_BIN, spawnRelay } from '../support/relay-process';
import { WsPeer } from '../support/ws-peer';

test('first stdout line is exactly the listening line, and /healthz and /metrics answer', async () => {
  const relay = await spawnRelay();
  try {
    assert.equal(relay.firstLine, `weather-relay listening on ws://127.0.0.1:${relay.port}`);
    const peer = await WsPeer.open(relay.url);
    await peer.subscribe('weather-update');
    const base = relay.url.replace('ws:', 'http:');
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.match(health.headers.get('content-type')!, /application\/json/);
    assert.deepEqual(await health.json(), { status: 'ok', connections: 1, channels: 1, subscriptions: 1 });

    peer.send('{"type":"weather-update","payload":{"message":"m","timestamp":1,"thread_id":"t","type":"response"}}');
    peer.send('nonsense');
    await peer.waitForFrames(3);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const line of [
      'weather_relay_connections 1',
      'weather_relay_subscriptions 1',
      'weather_relay_channels 1',
      'weather_relay_messages_received_total 3',
      'weather_relay_messages_published_total 1',
      'weather_relay_messages_delivered_total 1',
      'weather_relay_errors_total{code="invalid_json"} 1',
      '# TYPE weather_relay_messages_delivered_total counter',
    ]) {
      assert.ok(metrics.split('\n').includes(line), `metrics should contain "${line}":\n${metrics}`);
    }
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200, 'the watch page (web.test.ts has the rest; with --no-web, / answers 426)');
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal((await fetch(`${base}/healthz`, { method: 'POST' })).status, 405);
    await peer.close();
    assert.match(relay.stderr(), /#1 connected from 127\.0\.0\.1:\d+ \(1 open\)/);
  } finally {
    await relay.stop('SIGKILL');
  }
});

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} closes every client with 1001, then exits 0`, async () => {
    const relay = await spawnRelay();
    const peers = await Promise.all([WsPeer.open(relay.url), WsPeer.open(relay.url)]);
    await peers[0].subscribe('c');
    const exit = await relay.stop(signal);
    assert.equal(exit, 0);
    assert.deepEqual(await Promise.all(peers.map((peer) => peer.closed)), [1001, 1001]);
    assert.equal(peers[0].closeReason, 'relay shutting down');
  });
}

test('a port already in use is a clear error and exit code 1', async () => {
  const first = await spawnRelay();
  try {
    const second = spawnSync(process.execPath, [RELAY_BIN, '--port', String(first.port)], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(second.status, 1);
    assert.equal(second.stderr.trim(), `weather-relay: port ${first.port} is already in use on 127.0.0.1 (is another relay running?)`);
    assert.equal(second.stdout, '');
  } finally {
    await first.stop();
  }
});

test('bad flags are refused with usage and exit code 2', () => {
  for (const [args, message] of [
    [['--port', 'abc'], '--port must be a whole number from 0 to 65535, got "abc"'],
    [['--port', '70000'], '--port must be a whole number from 0 to 65535, got "70000"'],
    [['--heartbeat-ms', '-5'], '--heartbeat-ms'],
    [['--history-bytes', 'abc'], '--history-bytes must be a whole number from 0 to 17179869184, got "abc"'],
    [['--history-bytes=-1'], '--history-bytes must be a whole number from 0 to 17179869184, got "-1"'],
    [['--history-bytes', '1e6'], '--history-bytes must be a whole number from 0 to 17179869184, got "1e6"'],
    [['--host', ''], '--host must not be empty'],
    [['--token', ''], '--token must not be empty'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['--max-connections', '5', '--max-sockets', '5'], '--max-sockets: the socket limit (5) must be above the connection limit (5)'],
    [['--max-sockets', '10000'], 'must be above the connection limit (10000)'],
    [['--request-timeout-ms', '50'], '--request-timeout-ms must be a whole number from 100 to 3600000, got "50"'],
    [['--replay-stall-ms', '0'], '--replay-stall-ms must be a whole number from 100 to 86400000, got "0"'],
  ] as const) {
    const run = spawnSync(process.execPath, [RELAY_BIN, ...args], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(run.status, 2, `${args.join(' ')}: ${run.stderr}`);
    assert.ok(run.stderr.includes(message), run.stderr);
    assert.ok(run.stderr.includes('Usage: weather-relay'), 'usage follows the error');
  }
  const help = spawnSync(process.execPath, [RELAY_BIN, '--help'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /--heartbeat-ms/);
});

test('--quiet suppresses connection logs', async () => {
  const relay = await spawnRelay(['--quiet']);
  const peer = await WsPeer.open(relay.url);
  await peer.close();
  await relay.stop();
  assert.equal(relay.stderr().includes('connected'), false, relay.stderr());
});
