/**
 * Connection failures: every one ends in a clear error, retryable ones are retried
 * with bounded backoff (no busy loop), final ones stop at once. Loopback only: the
 * DNS case stubs the resolver so that no query leaves the machine.
 */
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, test, type TestContext } from 'node:test';
import { WebSocketServer } from 'ws';
import { RelayConnectionError, WebSocketManager } from '../../src/client';
import { startRelay } from '../../src/relay';
import { delay } from '../support/wait';
import {
  CHANNEL,
  disconnectAfter,
  disconnectAllManagers,
  fastOptions,
  recordStates,
  relayLike,
  samplePayload,
  unusedPort,
  within,
} from './helpers';
import { failOnUnhandledRejections } from '../support/unhandled';

failOnUnhandledRejections();
after(disconnectAllManagers);

/** Starts `server` on 127.0.0.1:0, closes it (and destroys its sockets) after the test. */
async function listenLoopback(t: TestContext, server: Server | ReturnType<typeof createHttpServer>): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as AddressInfo).port;
}

/** A plain HTTP server that answers every upgrade with `status`; counts the attempts. */
async function httpRefuser(t: TestContext, status: number, text: string): Promise<{ url: string; attempts: () => number }> {
  let attempts = 0;
  const server = createHttpServer((_request, response) => {
    response.writeHead(status, { 'content-type': 'text/plain' });
    response.end(`${text}\n`);
  });
  server.on('upgrade', (_request: IncomingMessage, socket: Socket) => {
    attempts++;
    socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nConnection: close\r\n\r\n<p>no</p>\n`);
  });
  const port = await listenLoopback(t, server);
  return { url: `ws://127.0.0.1:${port}`, attempts: () => attempts };
}

test('connection refused: connect() rejects with "connection refused"; retries with capped, growing backoff', { timeout: 10_000 }, async (t) => {
  const uri = `ws://127.0.0.1:${await unusedPort()}`;
  const manager = new WebSocketManager(uri, CHANNEL, fastOptions({ reconnect: { initialDelayMs: 20, maxDelayMs: 200, minDelayMs: 1 } }));
  disconnectAfter(t, manager);
  const states = recordStates(manager);
  const retries: Array<[number, number, Error]> = [];
  manager.on('retry', (attempt, delayMs, error) => retries.push([attempt, delayMs, error]));

  await assert.rejects(manager.connect(), (error: Error) => {
    assert.ok(error instanceof RelayConnectionError);
    assert.equal(error.message, `cannot connect to ${uri}: connection refused (is the relay running?)`);
    assert.equal(error.retryable, true);
    assert.equal((error.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    return true;
  });
  assert.equal(manager.lastError?.message, `cannot connect to ${uri}: connection refused (is the relay running?)`);
  await delay(1000);
  await manager.disconnect();
  const count = retries.length;

  assert.ok(count >= 4, `only ${count} retries in 1 s`);
  assert.ok(count < 60, `${count} retries in 1 s is a busy loop`);
  retries.forEach(([attempt, delayMs, error], i) => {
    assert.equal(attempt, i + 1, 'attempts are numbered 1, 2, 3, ...');
    const ceiling = Math.min(200, 20 * 2 ** i);
    assert.ok(delayMs >= 1 && delayMs < ceiling, `retry ${attempt}: delay ${delayMs} outside [1, ${ceiling})`);
    assert.match(error.message, /connection refused/);
  });
  assert.ok(states.some((entry) => entry.state === 'reconnecting' && /connection refused/.test(entry.error?.message ?? '')));
  await delay(300);
  assert.equal(retries.length, count, 'no retries after disconnect()');
  assert.equal(manager.state, 'closed');
});

test('connection refused with reconnect: false: state closed at once, no retry', { timeout: 10_000 }, async (t) => {
  const uri = `ws://127.0.0.1:${await unusedPort()}`;
  const manager = new WebSocketManager(uri, CHANNEL, fastOptions({ reconnect: false }));
  disconnectAfter(t, manager);
  const states = recordStates(manager);
  let retries = 0;
  manager.on('retry', () => retries++);
  await assert.rejects(manager.connect(), /connection refused/);
  assert.equal(manager.state, 'closed');
  assert.deepEqual(states.map((entry) => entry.state), ['connecting', 'closed']);
  assert.match(states[1].error?.message ?? '', /connection refused/);
  await delay(150);
  assert.equal(retries, 0);
});

test('DNS failure (.invalid host): connect() rejects with "not found" naming the host', { timeout: 10_000 }, async (t) => {
  // The system resolver here would ask a non-loopback name server, so the lookup is
  // answered locally with the error getaddrinfo gives for an unknown name.
  const asked: string[] = [];
  const original = dns.lookup;
  const mutable = dns as unknown as { lookup: unknown };
  mutable.lookup = (hostname: string, options: unknown, callback?: (error: Error) => void) => {
    asked.push(hostname);
    const done = (typeof options === 'function' ? options : callback) as (error: Error) => void;
    const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
      code: 'ENOTFOUND',
      errno: -3008,
      syscall: 'getaddrinfo',
      hostname,
    });
    process.nextTick(done, error);
  };
  t.after(() => {
    mutable.lookup = original;
  });

  const manager = new WebSocketManager('ws://no-such-host.invalid:4000', CHANNEL, fastOptions({ reconnect: false }));
  disconnectAfter(t, manager);
  await assert.rejects(manager.connect(), {
    name: 'RelayConnectionError',
    message: 'cannot connect to ws://no-such-host.invalid:4000: host "no-such-host.invalid" not found',
  });
  assert.deepEqual(asked, ['no-such-host.invalid']);
  assert.equal(manager.state, 'closed');
});

test('wss:// against the plain relay: a clear message about TLS, and no retry', { timeout: 10_000 }, async (t) => {
  const relay = await startRelay({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 0 });
  t.after(() => relay.close());
  const uri = `wss://127.0.0.1:${relay.port}`;
  const manager = new WebSocketManager(uri, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  let retries = 0;
  manager.on('retry', () => retries++);
  await assert.rejects(manager.connect(), (error: Error) => {
    assert.equal(error.message, `${uri} does not speak TLS: use ws:// instead of wss://`);
    assert.equal((error as RelayConnectionError).retryable, false);
    return true;
  });
  assert.equal(manager.state, 'closed');
  await delay(200);
  assert.equal(retries, 0);
  assert.equal(relay.metrics.connectionsTotal, 0);
});

test('HTTP 401 on upgrade: final error, state closed, no further attempts', { timeout: 10_000 }, async (t) => {
  const server = await httpRefuser(t, 401, 'Unauthorized');
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  const states = recordStates(manager);
  let retries = 0;
  manager.on('retry', () => retries++);
  const subscribed = manager.subscribe().then(
    () => 'resolved',
    (error: Error) => error.message,
  );
  await assert.rejects(manager.connect(), (error: Error) => {
    assert.ok(error instanceof RelayConnectionError);
    assert.equal(error.message, `relay at ${server.url} refused the token (HTTP 401 Unauthorized): check the access token`);
    assert.equal(error.retryable, false);
    return true;
  });
  assert.equal(manager.state, 'closed');
  assert.equal(states.at(-1)?.state, 'closed');
  assert.match(states.at(-1)?.error?.message ?? '', /HTTP 401/);
  assert.match(await subscribed, /HTTP 401/, 'a pending subscribe() fails with the same reason');
  await delay(400);
  assert.equal(server.attempts(), 1, 'no further attempts');
  assert.equal(retries, 0);
});

test('HTTP 403 on upgrade is final too', { timeout: 10_000 }, async (t) => {
  const server = await httpRefuser(t, 403, 'Forbidden');
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await assert.rejects(manager.connect(), /refused the connection \(HTTP 403 Forbidden\): check the access token and origin/);
  await delay(300);
  assert.equal(server.attempts(), 1);
  assert.equal(manager.state, 'closed');
});

test('HTTP 503 on upgrade is retried with backoff', { timeout: 10_000 }, async (t) => {
  const server = await httpRefuser(t, 503, 'Service Unavailable');
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await assert.rejects(manager.connect(), {
    message: `relay at ${server.url} answered HTTP 503 Service Unavailable instead of a WebSocket upgrade`,
  });
  await delay(500);
  assert.equal(manager.state, 'reconnecting');
  assert.ok(server.attempts() >= 2, `${server.attempts()} attempts`);
  assert.ok(server.attempts() < 30, `${server.attempts()} attempts in 500 ms is a busy loop`);
});

test('headers option: the Authorization header reaches the relay and unlocks it', { timeout: 10_000 }, async (t) => {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const seen: Array<string | undefined> = [];
  const server = createHttpServer();
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    seen.push(request.headers.authorization);
    if (request.headers.authorization !== 'Bearer s3cret') {
      socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      ws.on('message', (data: Buffer) => relayLike({ send: (text: string) => ws.send(text) } as never, data.toString('utf8')));
    });
  });
  const port = await listenLoopback(t, server);
  t.after(() => {
    for (const client of wss.clients) client.terminate();
    wss.close();
  });
  const uri = `ws://127.0.0.1:${port}`;

  const anonymous = new WebSocketManager(uri, CHANNEL, fastOptions());
  disconnectAfter(t, anonymous);
  await assert.rejects(anonymous.connect(), /HTTP 401/);

  const authorized = new WebSocketManager(uri, CHANNEL, fastOptions({ headers: { Authorization: 'Bearer s3cret' } }));
  disconnectAfter(t, authorized);
  await authorized.connect();
  await authorized.subscribe();
  assert.equal(authorized.isSubscribed, true);
  assert.deepEqual(seen, [undefined, 'Bearer s3cret']);
});

test('no busy loop: a server that drops every connection at once sees a bounded number of attempts', { timeout: 10_000 }, async (t) => {
  let attempts = 0;
  const server = createNetServer((socket) => {
    attempts++;
    socket.destroy();
  });
  const port = await listenLoopback(t, server);
  const uri = `ws://127.0.0.1:${port}`;
  const manager = new WebSocketManager(uri, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  let retries = 0;
  manager.on('retry', () => retries++);
  const firstFailure = await manager.connect().then(
    () => 'resolved',
    (error: Error) => error.message,
  );
  assert.match(firstFailure, new RegExp(`^(${uri} did not answer as a WebSocket relay.*socket hang up|connection to ${uri} was reset by the peer)`));
  await delay(500);
  await manager.disconnect();
  const retriesAtDisconnect = retries;
  // A connection the client opened just before disconnect() may still be accepted a moment later.
  await delay(200);
  const total = attempts;
  assert.ok(total >= 2, `${total} attempts: it should keep retrying`);
  assert.ok(total < 30, `${total} attempts in ~500 ms is a busy loop`);
  await delay(300);
  assert.equal(attempts, total, 'no attempts after disconnect()');
  assert.equal(retries, retriesAtDisconnect, 'no retry scheduled after disconnect()');
});

test('no busy loop: a relay that accepts and immediately closes each connection', { timeout: 10_000 }, async (t) => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  let attempts = 0;
  wss.on('connection', (ws) => {
    attempts++;
    ws.close(1000);
  });
  t.after(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  });
  const manager = new WebSocketManager(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, CHANNEL, fastOptions());
  disconnectAfter(t, manager);
  await manager.connect().catch(() => {});
  await delay(500);
  await manager.disconnect();
  assert.ok(attempts >= 2 && attempts < 30, `${attempts} attempts in ~500 ms`);
});

test('handshake timeout: a server that accepts TCP but never answers → "timed out waiting for the relay"', { timeout: 10_000 }, async (t) => {
  const server = createNetServer(() => {});
  const port = await listenLoopback(t, server);
  const uri = `ws://127.0.0.1:${port}`;
  const manager = new WebSocketManager(uri, CHANNEL, fastOptions({ connectTimeoutMs: 200, reconnect: false }));
  disconnectAfter(t, manager);
  const started = Date.now();
  await assert.rejects(manager.connect(), { message: `cannot connect to ${uri}: timed out waiting for the relay` });
  const elapsed = Date.now() - started;
  assert.ok(elapsed >= 180 && elapsed < 2000, `timed out after ${elapsed} ms`);
  assert.equal(manager.state, 'closed');
});

test('disconnect() while the handshake is pending: resolves, pending connect() rejects, nothing is left running', { timeout: 10_000 }, async (t) => {
  let attempts = 0;
  const server = createNetServer(() => attempts++);
  const port = await listenLoopback(t, server);
  const manager = new WebSocketManager(`ws://127.0.0.1:${port}`, CHANNEL, fastOptions({ connectTimeoutMs: 5000 }));
  disconnectAfter(t, manager);
  const states = recordStates(manager);
  const connecting = manager.connect().then(
    () => 'resolved',
    (error: Error) => error.message,
  );
  manager.send(samplePayload(1));
  await delay(100);
  assert.equal(manager.state, 'connecting');
  const result = await within(manager.disconnect(), 3000, 'disconnect()');
  assert.deepEqual(result, { unsent: 1 });
  assert.equal(await connecting, 'disconnected');
  assert.equal(manager.state, 'closed');
  assert.equal(states.at(-1)?.state, 'closed');
  await delay(200);
  assert.equal(attempts, 1);
});

test('a subscribe() made while the relay is unreachable waits for the connection instead of timing out unsent', { timeout: 10_000 }, async (t) => {
  // The subscribe timeout counts from the subscribe frame being sent: here none can be, for three timeouts' time.
  const port = await unusedPort();
  const manager = new WebSocketManager(`ws://127.0.0.1:${port}`, CHANNEL, fastOptions({ subscribeTimeoutMs: 300 }));
  disconnectAfter(t, manager);
  let outcome = 'pending';
  const subscribed = manager.subscribe().then(
    () => void (outcome = 'resolved'),
    (error: Error) => void (outcome = `rejected: ${error.message}`),
  );
  await manager.connect().catch(() => {});
  await delay(900);
  assert.equal(outcome, 'pending');
  assert.equal(manager.state, 'reconnecting');
  const relay = await startRelay({ host: '127.0.0.1', port, heartbeatIntervalMs: 0 });
  t.after(() => relay.close());
  await within(subscribed, 3000, 'the subscription once the relay is up');
  assert.equal(outcome, 'resolved');
  assert.equal(manager.isSubscribed, true);
  assert.equal(relay.gauges().subscriptions, 1);
});

test('connect() after a final failure tries again (and succeeds once the relay is there)', { timeout: 10_000 }, async (t) => {
  const port = await unusedPort();
  const manager = new WebSocketManager(`ws://127.0.0.1:${port}`, CHANNEL, fastOptions({ reconnect: false }));
  disconnectAfter(t, manager);
  await assert.rejects(manager.connect(), /connection refused/);
  assert.equal(manager.state, 'closed');
  const relay = await startRelay({ host: '127.0.0.1', port, heartbeatIntervalMs: 0 });
  t.after(() => relay.close());
  await manager.connect();
  await manager.subscribe();
  assert.equal(manager.isSubscribed, true);
  assert.equal(manager.lastError, undefined, 'lastError is cleared once connected');
  assert.deepEqual(relay.gauges(), { connections: 1, channels: 1, subscriptions: 1 });
});
