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

/** Which worker answered: /healthz is served by whichever worker takes the connection. */
async function healthzFrom(port: number): Promise<{ connections: number }> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { connection: 'close' } });
  return (await response.json()) as { connections: number };
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
    // Each worker counts its own connections: both hold some (the cluster hands them out in turn).
    const counts = new Set<number>();
    for (let i = 0; i < 20 && counts.size < 2; i++) counts.add((await healthzFrom(relay.port)).connections);
    assert.ok([...counts].every((count) => count > 0 && count < 20), `connections on both workers: ${[...counts]}`);

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
