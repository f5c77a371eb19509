// Relay nodes behind Debian's HAProxy, configured by deploy/haproxy.cfg: real relay
// processes, real HAProxy, real WebSocket clients, all on 127.0.0.1. Without a shared
// broker each node is its own relay, so message tests stay within one node.
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkConfig, DEPLOY_HAPROXY_CONFIG, renderTestConfig, startHaproxy, type RunningHaproxy } from '../support/haproxy';
import { requestRelay } from '../support/http-request';
import { healthzConnections, spawnRelay, type RelayProcess } from '../support/relay-process';
import { failOnUnhandledRejections } from '../support/unhandled';
import { delay, within } from '../support/wait';
import { WsPeer } from '../support/ws-peer';

failOnUnhandledRejections();

const UPDATE = '{"type":"weather-update","payload":{"message":"Sunny, 21 °C","timestamp":1700000000,"thread_id":"thread_lb","type":"response"}}';

interface Cluster {
  nodes: RelayProcess[];
  lb: RunningHaproxy;
  peers: WsPeer[];
  stop(): Promise<void>;
}

async function startCluster(size: number): Promise<Cluster> {
  const nodes = await Promise.all(Array.from({ length: size }, () => spawnRelay(['--quiet'])));
  const lb = await startHaproxy(nodes.map((node) => node.port)).catch(async (error) => {
    await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    throw error;
  });
  const peers: WsPeer[] = [];
  return {
    nodes,
    lb,
    peers,
    async stop() {
      await Promise.all(peers.map((peer) => within(peer.close(), 5000, 'a client closing')));
      await lb.stop();
      await Promise.all(nodes.map((node) => node.stop('SIGKILL')));
    },
  };
}

/** GET on a fresh connection (closed after), so no idle keep-alive connection counts anywhere. */
function httpGet(url: string): Promise<{ status: number; body: string }> {
  return within(
    new Promise((resolve, reject) => {
      get(url, { agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body }));
        response.on('error', reject);
      }).on('error', reject);
    }),
    5000,
    `GET ${url}`,
  );
}

/** WebSocket connections each node reports on its own /healthz. */
async function connectionCounts(nodes: RelayProcess[]): Promise<number[]> {
  return Promise.all(nodes.map((node) => healthzConnections(node.port)));
}

async function waitForCounts(nodes: RelayProcess[], expected: number[], timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let counts = await connectionCounts(nodes);
  while (counts.join() !== expected.join()) {
    if (Date.now() > deadline) assert.deepEqual(counts, expected, `connections per node after ${timeoutMs} ms`);
    await delay(20);
    counts = await connectionCounts(nodes);
  }
}

/** Opens a client through the balancer and returns it with the index of the node that took it. */
async function connectThrough(cluster: Cluster, nodes = cluster.nodes): Promise<{ peer: WsPeer; node: number }> {
  const before = await connectionCounts(nodes);
  const peer = await WsPeer.open(cluster.lb.url);
  cluster.peers.push(peer);
  const deadline = Date.now() + 5000;
  for (;;) {
    const now = await connectionCounts(nodes);
    const grew = now.flatMap((count, index) => (count === before[index] + 1 ? [index] : []));
    const others = now.every((count, index) => count === before[index] || grew.includes(index));
    if (grew.length === 1 && others) return { peer, node: grew[0] };
    if (Date.now() > deadline) assert.fail(`a new client should show up on exactly one node: ${before} → ${now}`);
    await delay(20);
  }
}

async function waitForState(lb: RunningHaproxy, node: string, state: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let states = await lb.nodeStates();
  while (states[node] !== state) {
    if (Date.now() > deadline) assert.fail(`HAProxy should report ${node} ${state} within ${timeoutMs} ms: ${JSON.stringify(states)}\n${lb.stderr()}`);
    await delay(50);
    states = await lb.nodeStates();
  }
}

test('deploy/haproxy.cfg passes `haproxy -c`, and so does the config the tests run from it', () => {
  const deploy = checkConfig(DEPLOY_HAPROXY_CONFIG);
  assert.ok(deploy.ok, deploy.output);
  const dir = mkdtempSync(join(tmpdir(), 'weather-haproxy-check-'));
  try {
    const path = join(dir, 'haproxy.cfg');
    const options = { port: 4100, nodePorts: [4101, 4102, 4103], runtimeSocket: join(dir, 'admin.sock'), checkInterval: '100ms' };
    writeFileSync(path, renderTestConfig(readFileSync(DEPLOY_HAPROXY_CONFIG, 'utf8'), options));
    const rendered = checkConfig(path);
    assert.ok(rendered.ok, rendered.output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a deploy config the tests cannot map onto loopback is refused, not tested in another shape', () => {
  const deploy = readFileSync(DEPLOY_HAPROXY_CONFIG, 'utf8');
  const options = { port: 4100, nodePorts: [4101], runtimeSocket: '/nonexistent/admin.sock', checkInterval: '100ms' };
  assert.throws(() => renderTestConfig(deploy.replace(/^(\s*)bind .*$/m, '$1bind :4000\n$1bind :4001'), options), /exactly one line matching \/\^bind\\s\/ in "frontend relay".*found 2/);
  assert.throws(() => renderTestConfig(deploy.replace(/^\s*server .*$/gm, ''), options), /server lines in "backend relays"/);
});

/** A suite around its own cluster of three nodes, started before its tests and stopped after. */
function describeCluster(title: string, tests: (cluster: () => Cluster) => void): void {
  describe(title, () => {
    let cluster: Cluster | undefined;
    before(async () => {
      cluster = await startCluster(3);
    });
    after(async () => {
      await cluster?.stop();
    });
    tests(() => cluster!);
  });
}

describeCluster('three relay nodes behind HAProxy', (current) => {
  test("/healthz through HAProxy is a node's own answer", async () => {
    const cluster = current();
    const health = await httpGet(`http://127.0.0.1:${cluster.lb.port}/healthz`);
    assert.equal(health.status, 200);
    const body = JSON.parse(health.body);
    assert.equal(body.status, 'ok');
    assert.equal(typeof body.connections, 'number');
  });

  test('the watch page and its files through HAProxy, the same from whichever node answers', async () => {
    const cluster = current();
    const built = resolve(__dirname, '../../../dist/watch');
    const { script, style } = JSON.parse(readFileSync(join(built, 'manifest.json'), 'utf8')) as { script: string; style: string };
    const host = { host: `127.0.0.1:${cluster.lb.port}` };
    // Each node asked directly, as HAProxy forwards (the balancer's Host): every one serves the same page.
    const direct = await Promise.all(cluster.nodes.map((node) => requestRelay(node.port, '/watch/weather-update', { headers: host })));
    assert.equal(new Set(direct.map((page) => page.body)).size, 1, 'one page, whichever node');
    for (let i = 0; i < cluster.nodes.length * 2; i++) {
      const page = await requestRelay(cluster.lb.port, '/watch/weather-update');
      assert.equal(page.status, 200, page.body);
      assert.equal(page.body, direct[0].body);
      assert.match(page.body, new RegExp(` data-relay-url="ws://127\\.0\\.0\\.1:${cluster.lb.port}/" `), 'the page connects through the balancer');
      for (const name of [script, style]) {
        const asset = await requestRelay(cluster.lb.port, `/assets/${name}`);
        assert.equal(asset.status, 200, name);
        assert.ok(asset.bytes.equals(readFileSync(join(built, name))), `${name}, byte for byte`);
      }
    }
  });

  test('WebSocket clients through HAProxy are spread evenly over the nodes', async () => {
    const cluster = current();
    const placed: number[] = [];
    for (let i = 0; i < 6; i++) placed.push((await connectThrough(cluster)).node);
    assert.deepEqual(await connectionCounts(cluster.nodes), [2, 2, 2], `nodes taken in turn: ${placed}`);
    await Promise.all(cluster.peers.splice(0).map((peer) => peer.close()));
    await waitForCounts(cluster.nodes, [0, 0, 0]);
  });

  test('subscribe and publish through HAProxy: delivered byte for byte within a node', async () => {
    const cluster = current();
    const { peer: self } = await connectThrough(cluster);
    assert.deepEqual(await self.subscribe('weather-update'), { type: 'subscribed', payload: { channel: 'weather-update', message: 'subscribed' } });
    self.send(UPDATE);
    assert.equal(JSON.stringify(await self.next()), UPDATE);

    // Four more clients over three nodes: two of them share a node.
    const byNode = new Map<number, WsPeer[]>();
    for (let i = 0; i < 4; i++) {
      const { peer, node } = await connectThrough(cluster);
      byNode.set(node, [...(byNode.get(node) ?? []), peer]);
    }
    const [subscriber, publisher] = [...byNode.values()].find((peers) => peers.length >= 2)!;
    await subscriber.subscribe('weather-update');
    publisher.send(UPDATE);
    await subscriber.waitForFrames(2);
    assert.equal(subscriber.texts[1], UPDATE);
    await Promise.all(cluster.peers.splice(0).map((peer) => peer.close()));
  });
});

describeCluster('a node killed with SIGKILL behind HAProxy', (current) => {
  test('is marked down by the health check; new clients go to the others, then to its replacement', async () => {
    const cluster = current();
    const { nodes, lb } = cluster;
    const first = [];
    for (let i = 0; i < 3; i++) first.push(await connectThrough(cluster));
    assert.deepEqual(await lb.nodeStates(), { relay1: 'UP', relay2: 'UP', relay3: 'UP' });

    const victim = first.find(({ node }) => node === 1)!.peer;
    await nodes[1].stop('SIGKILL');
    // HAProxy passes the node's death on, so the client knows to reconnect.
    assert.equal(await within(victim.closed, 5000, 'the killed node’s client seeing the close'), 1006);
    await waitForState(lb, 'relay2', 'DOWN');
    const states = await lb.nodeStates();
    assert.equal(states.relay1, 'UP');
    assert.equal(states.relay3, 'UP');

    const alive = [nodes[0], nodes[2]];
    for (let i = 0; i < 4; i++) await connectThrough(cluster, alive);
    assert.deepEqual(await connectionCounts(alive), [3, 3]);
    const health = await httpGet(`http://127.0.0.1:${lb.port}/healthz`);
    assert.equal(health.status, 200);

    // A replacement on the same port is checked back up, and leastconn fills it first.
    nodes[1] = await spawnRelay(['--quiet', '--port', String(nodes[1].port)]);
    await waitForState(lb, 'relay2', 'UP');
    for (let i = 0; i < 3; i++) await connectThrough(cluster);
    assert.deepEqual(await connectionCounts(nodes), [3, 3, 3]);
  });
});

describeCluster('a node that died before its health check noticed', (current) => {
  test('new clients are redispatched to the other nodes, none refused', async () => {
    const cluster = current();
    const { nodes, lb } = cluster;
    // No more checks on relay2: HAProxy keeps it in service, as in the seconds before a check fails.
    await lb.runtime('disable health relays/relay2');
    await nodes[1].stop('SIGKILL');
    const alive = [nodes[0], nodes[2]];
    for (let i = 0; i < 6; i++) await connectThrough(cluster, alive);
    assert.deepEqual(await connectionCounts(alive), [3, 3]);
    assert.equal((await lb.nodeStates()).relay2, 'no check', 'the dead node was never marked down');
    assert.ok(Number((await lb.backendStats()).wredis) > 0, 'HAProxy tried the dead node and redispatched');
  });
});
