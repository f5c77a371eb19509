// The cluster end to end, every part real: redis-server (AOF on), three relay nodes with
// `--redis`, Debian's HAProxy from deploy/haproxy.cfg in front, the CLI (dist/cli.js) streaming
// a 2,000-delta answer from the fake OpenAI server, and two raw `ws` watchers through HAProxy:
// a seed client (plain subscribe, again after each close) and a resuming client (since = the
// last offset it saw). The node serving the watchers is killed with SIGKILL mid-stream, later
// the node serving the CLI. Killed nodes are not restarted. Pass: the CLI exits 0; the resuming
// client gets every message exactly once and in order, checking offsets without de-duplicating;
// the seed client never sees a message twice.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startFakeOpenAI, textReply, type FakeOpenAI } from '../fakes/openai-server';
import { startHaproxy, type RunningHaproxy } from '../support/haproxy';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { healthzConnections, spawnRelay, type RelayProcess } from '../support/relay-process';
import { failOnUnhandledRejections } from '../support/unhandled';
import { delay, waitUntil, within } from '../support/wait';

failOnUnhandledRejections();

const CLI = resolve(__dirname, '../../../dist/cli.js');
const CHANNEL = 'cluster-e2e';
const DELTAS = Array.from({ length: 2000 }, (_, i) => `w${i} `);
const ANSWER = DELTAS.join('');
/** Pause before each SSE event of the fake model: the answer streams for several seconds. */
const DELTA_PACE_MS = 2;
/** Reconnect attempts after one close, 100 ms apart: the balancer has live nodes within this. */
const RECONNECT_ATTEMPTS = 50;

/** A raw `ws` watcher through the balancer that subscribes again after every close. */
abstract class Watcher {
  reconnects = 0;
  subscriptions = 0;
  readonly problems: string[] = [];
  private socket: WebSocket | undefined;
  private stopped = false;

  constructor(private readonly url: string) {}

  /** Resolves once the first subscription is confirmed. */
  async start(): Promise<void> {
    await this.open();
    await waitUntil(() => this.subscriptions > 0 || this.problems.length > 0, 5000, 'the first subscription');
  }

  protected abstract subscribeFrame(): object;
  protected abstract onSubscribed(payload: any): void;
  protected abstract onMessage(payload: any): void;

  private async open(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        const socket = await new Promise<WebSocket>((resolvePromise, reject) => {
          const candidate = new WebSocket(this.url, { perMessageDeflate: false });
          candidate.once('open', () => resolvePromise(candidate));
          candidate.once('error', reject);
        });
        this.attach(socket);
        return;
      } catch (error) {
        if (attempt >= RECONNECT_ATTEMPTS) {
          this.problems.push(`no connection after ${attempt} attempts: ${(error as Error).message}`);
          return;
        }
        await delay(100);
      }
    }
  }

  private attach(socket: WebSocket): void {
    this.socket = socket;
    socket.on('error', () => {}); // 'close' follows
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8'));
      if (frame.type === 'subscribed') {
        this.subscriptions++;
        this.onSubscribed(frame.payload);
      } else if (frame.type === CHANNEL) this.onMessage(frame.payload);
      else this.problems.push(`unexpected frame: ${data.toString('utf8').slice(0, 200)}`);
    });
    socket.on('close', () => {
      if (this.stopped) return;
      this.reconnects++;
      void this.open();
    });
    socket.send(JSON.stringify(this.subscribeFrame()));
  }

  stop(): void {
    this.stopped = true;
    this.socket?.terminate();
  }
}

/** Seed protocol: plain subscribe, no resume, no de-duplication; records every payload id. */
class SeedWatcher extends Watcher {
  readonly ids: string[] = [];
  /** Messages received on each connection, in order of connection. */
  readonly perConnection: number[] = [];

  protected subscribeFrame() {
    return { type: 'subscribe', payload: { channel: CHANNEL } };
  }
  protected onSubscribed() {
    this.perConnection.push(0);
  }
  protected onMessage(payload: any) {
    this.ids.push(payload.id);
    this.perConnection[this.perConnection.length - 1]++;
  }
}

/** Resumes with `since` = the last offset seen; every message must be exactly the next offset. */
class ResumingWatcher extends Watcher {
  readonly payloads: any[] = [];
  last = 0;
  epoch: string | undefined;

  protected subscribeFrame() {
    return { type: 'subscribe', payload: { channel: CHANNEL, since: this.last, ...(this.epoch ? { epoch: this.epoch } : {}) } };
  }
  protected onSubscribed(payload: any) {
    if (this.epoch !== undefined && payload.epoch !== this.epoch) this.problems.push(`epoch changed: ${this.epoch} → ${payload.epoch}`);
    if (this.last > 0 && payload.recovered !== true) this.problems.push(`resume after offset ${this.last} not recovered: ${JSON.stringify(payload)}`);
    this.epoch = payload.epoch;
  }
  protected onMessage(payload: any) {
    // No de-duplication: a repeat or a gap is a failure, not something to skip.
    if (payload.offset !== this.last + 1) this.problems.push(`offset ${payload.offset} after ${this.last} (id ${payload.id})`);
    if (payload.epoch !== undefined && payload.epoch !== this.epoch) this.problems.push(`message in epoch ${payload.epoch}, subscribed in ${this.epoch}`);
    this.last = payload.offset;
    this.payloads.push(payload);
  }
}


/** Polls the nodes' connection counts until `expected` holds; returns the counts. */
async function countsUntil(nodes: RelayProcess[], expected: (counts: number[]) => boolean, what: string): Promise<number[]> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const counts = await Promise.all(nodes.map((node) => healthzConnections(node.port)));
    if (expected(counts)) return counts;
    if (Date.now() > deadline) assert.fail(`${what}: connections per node ${counts}`);
    await delay(20);
  }
}

let redis: RedisServer | undefined;
let nodes: RelayProcess[] = [];
let lb: RunningHaproxy | undefined;
let fake: FakeOpenAI | undefined;
let cli: ChildProcess | undefined;
const watchers: Watcher[] = [];

before(async () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: run the build first`);
  redis = await startRedisServer();
  nodes = await Promise.all([1, 2, 3].map(() => spawnRelay(['--quiet', '--redis', redis!.url])));
  lb = await startHaproxy(nodes.map((node) => node.port));
  fake = await startFakeOpenAI();
});

after(async () => {
  for (const watcher of watchers) watcher.stop();
  if (cli && cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
  await lb?.stop();
  await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
  await redis?.stop();
  await fake?.close();
});

test('the CLI streams 2,000 deltas through HAProxy while the watchers’ node and then the publisher’s node are killed with SIGKILL', { timeout: 60_000 }, async () => {
  const balancer = lb!;
  // Both watchers on relay1: the others drained while they connect.
  await balancer.runtime('set server relays/relay2 state drain');
  await balancer.runtime('set server relays/relay3 state drain');
  const seed = new SeedWatcher(balancer.url);
  const resuming = new ResumingWatcher(balancer.url);
  watchers.push(seed, resuming);
  await seed.start();
  await resuming.start();
  await countsUntil(nodes, (counts) => counts.join() === '2,0,0', 'both watchers on relay1');
  await balancer.runtime('set server relays/relay2 state ready');
  await balancer.runtime('set server relays/relay3 state ready');

  fake!.enqueue(textReply(ANSWER, { deltas: DELTAS, delayMs: DELTA_PACE_MS }));
  const child = spawn(
    process.execPath,
    [CLI, 'ask', 'Tell me a long story', '--server', balancer.url, '--channel', CHANNEL, '--api', 'chat', '--base-url', fake!.baseUrl, '--model', 'gpt-test'],
    { env: { PATH: process.env.PATH ?? '', OPENAI_API_KEY: 'test' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  cli = child;
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exit = new Promise<number | string>((resolvePromise) => child.on('close', (code, signal) => resolvePromise(code ?? signal ?? 'unknown')));

  // leastconn puts the CLI on an idle node: relay2 or relay3.
  const counts = await countsUntil(nodes, (now) => now[0] === 2 && now[1] + now[2] === 1, 'the CLI on an idle node');
  const publisherNode = counts[1] === 1 ? 1 : 2;

  await waitUntil(() => resuming.last >= 300, 20_000, 'the first 300 messages at the resuming client');
  await nodes[0].stop('SIGKILL');
  await waitUntil(() => resuming.reconnects >= 1 && seed.reconnects >= 1, 10_000, 'both watchers seeing the close');

  await waitUntil(() => resuming.last >= 1000, 20_000, 'the first 1,000 messages at the resuming client');
  assert.equal(child.exitCode, null, 'the CLI still streams when its node is killed');
  await nodes[publisherNode].stop('SIGKILL');

  const code = await within(exit, 40_000, 'the CLI exiting');
  assert.equal(code, 0, `exit ${code}; stderr: ${stderr}`);
  assert.equal(stdout, `${ANSWER}\n`);

  await waitUntil(() => resuming.last >= DELTAS.length + 1 || resuming.problems.length > 0, 15_000, 'every message at the resuming client');
  await delay(500); // anything extra (a repeat) would arrive now
  assert.deepEqual(resuming.problems, []);
  assert.deepEqual(seed.problems, []);

  // Resuming client: offsets 1…2,001 once each (checked as they came), the deltas in order, then completed.
  assert.equal(resuming.payloads.length, DELTAS.length + 1);
  assert.deepEqual(resuming.payloads.map((p) => p.message), [...DELTAS, ANSWER]);
  assert.equal(resuming.payloads.at(-1).status, 'completed');
  assert.equal(new Set(resuming.payloads.map((p) => p.id)).size, DELTAS.length + 1, 'one id per message');
  assert.ok(resuming.reconnects >= 1, 'the resuming client lost its node and resumed');

  // Seed client: it may miss messages while reconnecting, but never sees one twice.
  const published = new Set(resuming.payloads.map((p) => p.id));
  const repeated = seed.ids.filter((id, index) => seed.ids.indexOf(id) !== index);
  assert.deepEqual(repeated, [], 'ids the seed client saw twice');
  assert.ok(seed.ids.every((id) => published.has(id)), 'the seed client saw only published messages');
  assert.ok(seed.reconnects >= 1 && seed.perConnection.length >= 2, 'the seed client lost its node and subscribed again');
  assert.ok(seed.perConnection[0] > 0 && seed.perConnection.at(-1)! > 0, `messages before and after the kill: ${seed.perConnection}`);
});
