// Issue 9, the connection's part: a relay that refuses us is not retried in a loop, quick
// settings changes leave exactly one connection and lose nothing, and a bad server setting
// leaves the window disconnected with the problem named instead of trying a default relay.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { WebSocketServer } from 'ws';
import { readSettings } from '../../src/extension/settings';
import { responseDeltaPayload, type ChannelPayload } from '../../src/protocol';
import { startRelay } from '../../src/relay';
import { watchDefaultRelayPort } from '../support/default-port';
import { spawnRelay } from '../support/relay-process';
import { failOnUnhandledRejections } from '../support/unhandled';
import { WsPeer } from '../support/ws-peer';
import { delay, waitUntil, within } from '../support/wait';
import { controller, freePort } from './controller-harness';

failOnUnhandledRejections();

async function unauthorizedCount(wsUrl: string): Promise<number> {
  const text = await (await fetch(`${wsUrl.replace(/^ws/, 'http')}/metrics`)).text();
  return Number(/^weather_relay_errors_total\{code="unauthorized"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

test('a relay refusing the token (HTTP 401) is tried once: no retry loop, no embedded relay, the status names the refusal', async () => {
  const relay = await spawnRelay(['--token', 'the-right-token', '--quiet']);
  // autoStart on and a loopback URI: the case that used to start (and fail) an embedded relay on every refusal
  const { connection, lines } = controller();
  try {
    await connection.apply({ uri: relay.url, channel: 'weather-update', autoStart: true });
    await delay(2000);
    const attempts = await unauthorizedCount(relay.url);
    assert.ok(attempts >= 1 && attempts < 5, `${attempts} connection attempts in 2 s`);
    assert.equal(lines.length, 1, `one log line in 2 s, not ${lines.length}:\n${lines.slice(0, 10).join('\n')}`);
    const status = connection.status;
    assert.equal(status.view, 'offline');
    assert.match(status.problem ?? '', /^relay at ws:\/\/127\.0\.0\.1:\d+ refused the token \(HTTP 401 Unauthorized\): an access token is required \(Authorization: Bearer <token>\)$/);
    assert.equal(connection.embeddedRelayUrl, undefined);
    assert.ok(!lines.some((line) => /embedded relay/.test(line)), lines.join('\n'));
  } finally {
    await connection.dispose();
    await relay.stop();
  }
});

test('apply A, B, A in quick succession: one connection to A, every event there exactly once, none after dispose', async () => {
  const a = await startRelay({ host: '127.0.0.1', port: 0 });
  const b = await startRelay({ host: '127.0.0.1', port: 0 });
  // It starts on a relay of its own (embedded), whose shutdown is the wait that let two switches interleave.
  const embeddedUri = `ws://127.0.0.1:${await freePort()}`;
  const { connection } = controller();
  const watcherA = await WsPeer.open(a.url);
  const watcherB = await WsPeer.open(b.url);
  try {
    await watcherA.subscribe('weather-update');
    await watcherB.subscribe('weather-update');
    await connection.apply({ uri: embeddedUri, channel: 'weather-update', autoStart: true });
    await waitUntil(() => connection.status.view === 'embedded', 5000, 'the embedded relay');

    const sent: string[] = [];
    const send = () => {
      const payload: ChannelPayload = responseDeltaPayload('thread_race', `event ${sent.length}`);
      sent.push(payload.message);
      connection.send(payload);
    };
    const applies = [
      connection.apply({ uri: a.url, channel: 'weather-update', autoStart: true }),
      (send(), connection.apply({ uri: b.url, channel: 'weather-update', autoStart: true })),
      (send(), connection.apply({ uri: a.url, channel: 'weather-update', autoStart: true })),
    ];
    send();
    for (let i = 0; i < 5; i++) {
      await delay(1);
      send();
    }
    await within(Promise.all(applies), 10_000, 'the three applies');
    send();
    await waitUntil(() => connection.status.view === 'connected', 5000, 'connected');
    send();

    const received = () => watcherA.messages.filter((m) => m.payload?.thread_id === 'thread_race').map((m) => m.payload.message as string);
    await watcherA.until(() => received().length >= sent.length, 5000, `${sent.length} events on relay A`).catch((error: Error) => {
      throw new Error(`${error.message}; got ${JSON.stringify(received())}; status ${JSON.stringify(connection.status)}`);
    });
    await watcherA.settle(200);
    assert.deepEqual(received().sort(), [...sent].sort(), 'every event exactly once at the final relay');
    assert.deepEqual(watcherB.messages.slice(1), [], 'nothing reached relay B');
    assert.deepEqual(a.gauges(), { connections: 2, channels: 1, subscriptions: 2 }, 'relay A: the watcher and one connection of ours');
    assert.equal(b.gauges().connections, 1, 'relay B: only its watcher');
    assert.equal(connection.embeddedRelayUrl, undefined, 'the embedded relay was stopped');
    assert.deepEqual({ view: connection.status.view, uri: connection.status.uri }, { view: 'connected', uri: a.url });

    await connection.dispose();
    // dispose() resolves when our side is closed; the relay notices a moment later.
    await waitUntil(() => a.gauges().connections === 1, 2000, 'relay A to keep only its watcher after dispose');
    assert.equal(b.gauges().connections, 1, 'after dispose: relay B has only its watcher');
  } finally {
    await connection.dispose();
    await Promise.all([watcherA.close(), watcherB.close()]);
    await Promise.all([a.close(), b.close()]);
  }
});

test('an embedded relay being started when the controller is disposed does not outlive it', async () => {
  // Disposed from inside the refusal's status event (before the start), and a tick later (during it).
  for (const when of ['at once', 'a tick later'] as const) {
    const uri = `ws://127.0.0.1:${await freePort()}`;
    const { connection } = controller();
    let disposed: Promise<void> | undefined;
    connection.on('status', (status) => {
      if (!status.problem || disposed) return;
      if (when === 'at once') disposed = connection.dispose();
      else disposed = new Promise<void>((resolve) => setImmediate(resolve)).then(() => connection.dispose());
    });
    await connection.apply({ uri, channel: 'weather-update', autoStart: true });
    await waitUntil(() => disposed !== undefined, 5000, 'the first refusal');
    await within(disposed!, 5000, 'dispose');
    await delay(200);
    assert.equal(connection.embeddedRelayUrl, undefined, when);
    await assert.rejects(WsPeer.open(uri), /ECONNREFUSED/, `${when}: nothing listens on the port after dispose`);
  }
});


test('a bad server.uri: no connection anywhere, nothing started, the status is offline and names the setting', async (t) => {
  const watch = await watchDefaultRelayPort();
  if (!watch) t.diagnostic('port 4000 is busy here: the "nothing reached port 4000" check is skipped');
  const { connection, lines } = controller();
  try {
    const { settings, problems } = readSettings((key) => ({ 'server.uri': 'http://localhost:4000', 'server.autoStart': true })[key]);
    assert.equal(problems.length, 1, problems.join('\n'));
    await connection.apply(settings.server);
    await delay(300);
    const status = connection.status;
    assert.equal(status.view, 'offline');
    assert.equal(status.uri, 'http://localhost:4000', 'the status shows what the user wrote');
    assert.equal(
      status.problem,
      'weatherAssistant.server.uri: relay URI must use ws:// or wss://, not http:// (try ws://localhost:4000); not connecting to any relay until it is fixed',
    );
    assert.equal(status.problem, problems[0]);
    assert.equal(connection.embeddedRelayUrl, undefined);
    if (watch) assert.equal(watch.connections(), 0, 'nothing connected to the default address');
    assert.ok(!lines.some((line) => /connected to|started the embedded relay/.test(line)), lines.join('\n'));

    // Fixing the setting connects, and what was sent meanwhile is delivered there.
    connection.send(responseDeltaPayload('thread_bad_uri', 'sent while the setting was bad'));
    const relay = await startRelay({ host: '127.0.0.1', port: 0 });
    const watcher = await WsPeer.open(relay.url);
    try {
      await watcher.subscribe('weather-update');
      await connection.apply(readSettings((key) => ({ 'server.uri': relay.url })[key]).settings.server);
      const message = await watcher.next();
      assert.equal(message.payload.message, 'sent while the setting was bad');
      assert.equal(connection.status.problem, undefined);
    } finally {
      await connection.dispose();
      await watcher.close();
      await relay.close();
    }
  } finally {
    await connection.dispose();
    await watch?.close();
  }
});

test('a bad server.channel: no connection, the status names the setting (never the default channel)', async () => {
  const relay = await startRelay({ host: '127.0.0.1', port: 0 });
  const { connection } = controller();
  try {
    const { settings } = readSettings((key) => ({ 'server.uri': relay.url, 'server.channel': 'bad channel!' })[key]);
    await connection.apply(settings.server);
    await delay(200);
    assert.equal(connection.status.view, 'offline');
    assert.equal(connection.status.channel, 'bad channel!');
    assert.match(connection.status.problem ?? '', /^weatherAssistant\.server\.channel: channel "bad channel!" may only contain letters, digits and \. _ : -; not connecting to any relay until it is fixed$/);
    assert.equal(relay.gauges().connections, 0);
  } finally {
    await connection.dispose();
    await relay.close();
  }
});

test('a frame bigger than a relay lets anyone publish (1 MiB) is refused, never handed on', async () => {
  // A hostile "relay": it confirms the subscription, then sends a 2 MiB channel message.
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  let connections = 0;
  server.on('connection', (socket) => {
    connections++;
    socket.on('message', (data) => {
      const message = JSON.parse(String(data));
      if (message.type !== 'subscribe') return;
      socket.send(JSON.stringify({ type: 'subscribed', payload: { channel: 'weather-update', message: 'subscribed' } }));
      socket.send(JSON.stringify({ type: 'weather-update', payload: responseDeltaPayload('thread_huge', 'x'.repeat(2 * 1024 * 1024)) }));
    });
  });
  const { connection, lines } = controller({ initialDelayMs: 200, maxDelayMs: 400 });
  const received: unknown[] = [];
  connection.on('message', (message) => received.push(message));
  try {
    await connection.apply({ uri: `ws://127.0.0.1:${(server.address() as { port: number }).port}`, channel: 'weather-update', autoStart: false });
    await waitUntil(() => connections >= 2, 5000, 'the refusal and a reconnect');
    assert.deepEqual(received, []);
    assert.ok(lines.some((line) => /sent a message larger than this client accepts/.test(line)), lines.join('\n'));
  } finally {
    await connection.dispose();
    await new Promise((resolve) => server.close(resolve));
  }
});

test('an event that waited through a settings change and is then found malformed is dropped alone, with a log line', async () => {
  const relay = await startRelay({ host: '127.0.0.1', port: 0 });
  const watcher = await WsPeer.open(relay.url);
  const { connection, lines } = controller();
  try {
    await watcher.subscribe('weather-update');
    const applied = connection.apply({ uri: relay.url, channel: 'weather-update', autoStart: false });
    connection.send({ message: 42 } as unknown as ChannelPayload);
    connection.send(responseDeltaPayload('thread_after', 'still delivered'));
    await applied;
    const message = await watcher.next();
    assert.equal(message.payload.message, 'still delivered');
    assert.ok(lines.some((line) => /^warn dropped an event: cannot send this message: /.test(line)), lines.join('\n'));
  } finally {
    await connection.dispose();
    await watcher.close();
    await relay.close();
  }
});

test('asked for B and back to A before B was applied: B is never contacted, what was sent meanwhile goes to A once', async () => {
  const a = await startRelay({ host: '127.0.0.1', port: 0 });
  const b = await startRelay({ host: '127.0.0.1', port: 0 });
  const watcher = await WsPeer.open(a.url);
  const { connection } = controller();
  try {
    await watcher.subscribe('weather-update');
    await connection.apply({ uri: a.url, channel: 'weather-update', autoStart: false });
    await waitUntil(() => connection.status.view === 'connected', 5000, 'connected to A');
    const toB = connection.apply({ uri: b.url, channel: 'weather-update', autoStart: false });
    connection.send(responseDeltaPayload('thread_back', 'one'));
    const backToA = connection.apply({ uri: a.url, channel: 'weather-update', autoStart: false });
    connection.send(responseDeltaPayload('thread_back', 'two'));
    await Promise.all([toB, backToA]);
    await watcher.waitForFrames(3);
    await watcher.settle(200);
    assert.deepEqual(watcher.messages.slice(1).map((m) => m.payload.message), ['one', 'two']);
    assert.equal(b.metrics.connectionsTotal, 0, 'relay B was never contacted');
    assert.equal(a.metrics.connectionsTotal, 2, 'relay A: the watcher and our one connection, never replaced');
  } finally {
    await connection.dispose();
    await watcher.close();
    await Promise.all([a.close(), b.close()]);
  }
});
