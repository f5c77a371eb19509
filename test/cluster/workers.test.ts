// `--workers N`: one relay node on every core. The real relay (dist/relay.js) forks workers on
// one port that share channels through a real redis-server; connections land on every worker,
// a message published on one reaches subscribers on all, a worker that dies is replaced, and
// SIGTERM stops them all. Without --redis the flag is refused with the reason.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { channelMessage, responseDeltaPayload } from '../../src/protocol';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { RELAY_BIN, spawnRelayCommand, type RelayProcess } from '../support/relay-process';
import { WsPeer } from '../support/ws-peer';

let redis: RedisServer;
before(async () => {
  redis = await startRedisServer();
});
after(() => redis?.stop());

/** The process's children now (ps exits 1 when there are none). */
const childrenOf = (pid: number): number[] =>
  spawnSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((line) => Number(line.trim()))
    .filter((child) => child > 0);

interface NodeHealth {
  status: string;
  reason?: string;
  connections: number;
  channels: number;
  subscriptions: number;
  workers: number;
}

/** /healthz on a fresh connection (so the cluster may hand it to either worker), or undefined if no answer in 3 s. */
async function healthz(port: number): Promise<{ status: number; body: NodeHealth } | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { connection: 'close' }, signal: AbortSignal.timeout(3_000) });
    return { status: response.status, body: (await response.json()) as NodeHealth };
  } catch {
    return undefined;
  }
}

/** Each worker's `name` series from /metrics, by worker id. */
async function perWorker(port: number, name: string): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { connection: 'close' } })).text();
  const found = new Map<string, number>();
  for (const match of text.matchAll(new RegExp(`^${name}\\{worker="(\\d+)"\\} (\\d+)$`, 'gm'))) found.set(match[1], Number(match[2]));
  return found;
}

function startWorkers(count: number): Promise<RelayProcess> {
  return spawnRelayCommand([process.execPath, RELAY_BIN, '--host', '127.0.0.1', '--port', '0', '--workers', String(count), '--redis', `${redis.url}/3`, '--quiet'], { timeoutMs: 20_000 });
}

test('--workers without --redis is refused with the reason (exit 2)', () => {
  const run = spawnSync(process.execPath, [RELAY_BIN, '--port', '0', '--workers', '2'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(run.status, 2);
  assert.match(run.stderr, /^weather-relay: --workers needs --redis URL: the workers are separate processes and share channels only through Redis\n/);
});

test('2 workers on one port: connections spread over both, a publish reaches subscribers on every worker, a dead worker is replaced, SIGTERM stops all', { timeout: 60_000 }, async () => {
  const relay = await startWorkers(2);
  const peers: WsPeer[] = [];
  try {
    assert.equal(childrenOf(relay.child.pid!).length, 2, 'two worker processes');
    for (let i = 0; i < 20; i++) {
      const peer = await WsPeer.open(relay.url);
      await peer.subscribe('weather-update');
      peers.push(peer);
    }
    // Both workers hold some (the cluster hands connections out in turn); whichever worker is
    // asked, /metrics shows every worker's series and /healthz the node's sums.
    for (let i = 0; i < 4; i++) {
      const connections = await perWorker(relay.port, 'weather_relay_connections');
      assert.equal(connections.size, 2, `a series per worker: ${[...connections]}`);
      assert.ok([...connections.values()].every((count) => count > 0 && count < 20), `connections on both workers: ${[...connections]}`);
      assert.equal([...connections.values()].reduce((a, b) => a + b), 20);
      const health = await healthz(relay.port);
      assert.deepEqual(health, { status: 200, body: { status: 'ok', connections: 20, channels: 2, subscriptions: 20, workers: 2 } });
      // The watch page's channel list is the node's too: one channel, its subscribers on both workers summed.
      const listing = await fetch(`http://127.0.0.1:${relay.port}/api/channels`, { headers: { connection: 'close' } });
      assert.deepEqual(await listing.json(), { channels: [{ name: 'weather-update', subscribers: 20 }] });
    }

    peers[0].send(channelMessage('weather-update', responseDeltaPayload('thread_w', 'Sunny', { id: 'w-1' })));
    for (const peer of peers) {
      await peer.until(() => peer.frames.some((frame) => frame.text.includes('"w-1"')), 5_000, 'the message on every worker');
    }

    // A worker dies: the primary starts another; its clients are dropped, new ones are served.
    const [victim] = childrenOf(relay.child.pid!);
    process.kill(victim, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    let workers = childrenOf(relay.child.pid!);
    while (Date.now() < deadline && (workers.length !== 2 || workers.includes(victim))) {
      await sleep(100);
      workers = childrenOf(relay.child.pid!);
    }
    assert.equal(workers.length, 2, `replaced; stderr: ${relay.stderr()}`);
    assert.ok(!workers.includes(victim));
    assert.match(relay.stderr(), new RegExp(`worker ${victim} ended \\(SIGKILL\\); starting another in 1 s`));
    const late = await WsPeer.open(relay.url);
    peers.push(late);
    await late.subscribe('weather-update');
    // The node's figures count the new worker once it listens, and no longer the dead one's clients.
    const survivors = peers.filter((peer) => peer.closeCode === undefined).length;
    let health = await healthz(relay.port);
    for (let i = 0; i < 50 && (health?.body.connections !== survivors || health.status !== 200 || health.body.workers !== 2); i++) {
      await sleep(100);
      health = await healthz(relay.port);
    }
    const { channels, ...rest } = health!.body;
    assert.deepEqual(rest, { status: 'ok', connections: survivors, subscriptions: survivors, workers: 2 });
    // Each worker counts the channel once if any of its clients watch it.
    assert.ok(channels === 1 || channels === 2, `channels: ${channels}`);
    const running = childrenOf(relay.child.pid!);
    assert.equal(await relay.stop('SIGTERM'), 0);
    for (const worker of running) assert.throws(() => process.kill(worker, 0), 'every worker is gone');
  } finally {
    for (const peer of peers) peer.socket.terminate();
    // On a failure above: nothing may outlive the test.
    for (const worker of childrenOf(relay.child.pid!)) process.kill(worker, 'SIGKILL');
    await relay.stop('SIGKILL');
  }
});

test('a worker that stops answering makes the node unhealthy, named with its pid, without hanging the health check', { timeout: 60_000 }, async () => {
  const relay = await startWorkers(2);
  const [stalled] = childrenOf(relay.child.pid!);
  try {
    process.kill(stalled, 'SIGSTOP');
    // A request the cluster hands to the stopped worker waits with it; the other worker answers
    // within the collection timeout (1 s), naming the stalled one.
    let answer: Awaited<ReturnType<typeof healthz>>;
    for (let i = 0; i < 6 && answer === undefined; i++) answer = await healthz(relay.port);
    assert.ok(answer, 'the running worker answered');
    assert.equal(answer.status, 503);
    assert.equal(answer.body.status, 'unavailable');
    assert.match(answer.body.reason ?? '', new RegExp(`^worker \\d+ \\(pid ${stalled}\\) did not answer$`));
    assert.equal(answer.body.workers, 2);
    process.kill(stalled, 'SIGCONT');
    let again = await healthz(relay.port);
    for (let i = 0; i < 20 && again?.status !== 200; i++) again = await healthz(relay.port);
    assert.equal(again?.status, 200, 'healthy again once the worker runs');
  } finally {
    try {
      process.kill(stalled, 'SIGCONT');
    } catch {
      // gone
    }
    for (const worker of childrenOf(relay.child.pid!)) process.kill(worker, 'SIGKILL');
    await relay.stop('SIGKILL');
  }
});
