/**
 * Delta → wire latency (issue 6, "Host and engine").
 *
 * The extension's own wiring, minus VS Code: AssistantSession (WeatherAssistant on the real
 * OpenAI SDK, Responses API) → ChannelPublisher → ConnectionController → WebSocketManager →
 * ws, plus the ActivityStore → PanelBatcher the panel hangs off, exactly as extension.ts wires
 * them. The model is the project's fake OpenAI server in its own process (real HTTP + SSE,
 * schema-checked); the relay is dist/relay.js in its own process.
 *
 * Two spans per delta, on the machine's monotonic clock (process.hrtime, shared by processes):
 *   in-process  from the moment the SDK hands the delta to our code (the first listener on the
 *               assistant's `event` stream, prepended ahead of the session's own) to the return
 *               of ws's WebSocket#send for its channel message, the frame by then written to the
 *               kernel (checked: the socket's userland write buffer is empty after the send);
 *   end to end  from the fake server writing the SSE event to that same point (adds loopback
 *               TCP, HTTP and SSE parsing in the SDK).
 * Anchor, same process, interleaved turns: the seed's MyEventHandler pattern, the bare minimum
 * — the same SDK stream, `for await` each text delta `ws.send(JSON.stringify({type, payload}))`
 * on a plain ws socket to the same relay.
 */
import { fork, spawn } from 'node:child_process';
import { PerformanceObserver } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answerDeltas } from '../panel/corpus.mjs';
import { machineBusyMs, waitForQuiet } from '../panel/machine.mjs';

const CHILD = fileURLToPath(new URL('./fake-openai-child.cjs', import.meta.url));
const CHANNEL = 'weather-update';

const hr = () => process.hrtime.bigint();

function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index];
}

export function stats(valuesUs) {
  const sorted = [...valuesUs].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.at(-1) ?? NaN,
    mean: sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1),
  };
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
    }),
  ]);
}

function startFake(root) {
  const child = fork(CHILD, [root], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const waiters = [];
  let exited;
  child.on('message', (message) => waiters.shift()?.resolve(message));
  child.once('exit', (code) => {
    exited = new Error(`fake OpenAI exited (${code}): ${stderr.slice(-2000)}`);
    for (const waiter of waiters.splice(0)) waiter.reject(exited);
  });
  const next = (what) =>
    withTimeout(
      new Promise((resolve, reject) => {
        if (exited) reject(exited);
        else waiters.push({ resolve, reject });
      }),
      20_000,
      what,
    );
  const request = (message, what) => {
    const answer = next(what);
    child.send(message);
    return answer;
  };
  return next('fake OpenAI start').then(({ baseUrl }) => ({
    baseUrl,
    script: (deltas, delayMs) => request({ type: 'script', deltas, delayMs }, 'fake OpenAI script'),
    writes: async () => (await request({ type: 'writes' }, 'fake OpenAI writes')).times.map((t) => BigInt(t)),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'stop' });
      }),
  }));
}

function startRelay(root) {
  const child = spawn(process.execPath, [join(root, 'dist/relay.js'), '--host', '127.0.0.1', '--port', '0', '--quiet', '--rate', '1000000', '--burst', '1000000'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill('SIGTERM');
    });
  return withTimeout(
    new Promise((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk) => {
        out += chunk;
        const match = /listening on (ws:\/\/\S+)/.exec(out);
        if (match) resolve({ url: match[1], pid: child.pid, stop });
      });
      child.once('exit', (code) => reject(new Error(`relay exited (${code}): ${stderr.slice(-2000)}`)));
    }),
    15_000,
    'relay start',
  ).catch(async (error) => {
    await stop();
    throw error;
  });
}

/**
 * @param {object} options
 * @param {string} options.root
 * @param {number} [options.rounds]      measured turns per variant and pacing (default 3)
 * @param {number} [options.deltas]      deltas per turn (default 600)
 * @param {(line: string) => void} [options.log]
 */
export async function measureLatency({ root, rounds = 3, deltas: perTurn = 600, log = () => {} }) {
  const require = createRequire(join(root, 'package.json'));
  const { AssistantSession } = require(join(root, 'out/src/extension/assistant-session.js'));
  const { ConnectionController } = require(join(root, 'out/src/extension/connection-controller.js'));
  const { ActivityStore, PanelBatcher } = require(join(root, 'out/src/activity/index.js'));
  const { DEFAULT_SETTINGS } = require(join(root, 'out/src/extension/settings.js'));
  // The very `ws` and `openai` the compiled client and engine load.
  const clientRequire = createRequire(join(root, 'out/src/client/websocket-manager.js'));
  const WebSocket = clientRequire('ws');
  const OpenAI = createRequire(join(root, 'out/src/assistant/assistant.js'))('openai').default;

  // Every WebSocket#send in this process, stamped when it returns.
  const sends = new WeakMap();
  const originalSend = WebSocket.prototype.send;
  WebSocket.prototype.send = function timedSend(data, ...rest) {
    const result = originalSend.call(this, data, ...rest);
    const at = hr();
    const list = sends.get(this);
    if (list) list.push({ at, data, userlandBytes: this._socket?.writableLength ?? -1 });
    return result;
  };

  // GC pauses in this process, to tell which slow deltas waited for one.
  const gcPauses = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push({ start: entry.startTime, end: entry.startTime + entry.duration, kind: entry.detail?.kind });
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const hrBase = hr();
  const nowBase = performance.now();
  const toNow = (ns) => nowBase + Number(ns - hrBase) / 1e6;
  const overlapsGc = (fromNs, toNs) => {
    const from = toNow(fromNs);
    const to = toNow(toNs);
    return gcPauses.some((pause) => pause.start < to && pause.end > from);
  };

  const [fake, relay] = await Promise.all([startFake(root), startRelay(root)]);
  const cleanups = [() => fake.stop(), () => relay.stop()];
  try {
    // ---- ours: the extension's wiring (extension.ts) ----
    const logs = [];
    const write = (level, line) => logs.push(`${level}: ${line}`);
    const store = new ActivityStore({ maxThreads: 50 });
    const connection = new ConnectionController({ log: write });
    const session = new AssistantSession({ store, publish: (payload) => connection.send(payload), log: write });
    connection.on('message', (message) => store.ingest(message.payload, 'channel'));
    // What ActivityViewProvider does with store changes: batch them and hand them to the webview
    // (serialised here, as postMessage would).
    let panelBytes = 0;
    const batcher = new PanelBatcher((batch) => (panelBytes += JSON.stringify(batch).length), 16);
    store.on('change', (change) => batcher.push(change));
    cleanups.unshift(async () => {
      batcher.discard();
      await connection.dispose();
    });
    const settings = {
      ...DEFAULT_SETTINGS,
      server: { uri: relay.url, channel: CHANNEL, autoStart: false },
      model: { api: 'responses', baseUrl: fake.baseUrl, model: 'gpt-5-mini' },
    };
    session.configure(settings, 'sk-bench');
    const connected = new Promise((resolve) => {
      const check = () => connection.manager?.state === 'subscribed' && resolve();
      connection.on('status', check);
    });
    await connection.apply(settings.server);
    await withTimeout(connected, 10_000, `connecting to the relay at ${relay.url}`);
    // The manager's socket, found through the controller (private fields, read at run time only).
    const managerSocket = () => connection.manager?.socket;

    // The assistant the session will use, so a first listener can stamp each delta.
    const assistant = session.engine();
    let oursDeltaTimes = [];
    assistant.prependListener('event', (event) => {
      if (event.type === 'delta') oursDeltaTimes.push({ at: hr(), text: event.text });
    });

    // ---- anchor: the seed's handler on a plain ws socket ----
    // Subscribed to the channel like the seed's client (and like ours), so the relay echoes to both.
    const seedSocket = new WebSocket(relay.url, { perMessageDeflate: false });
    await withTimeout(new Promise((resolve, reject) => seedSocket.once('open', resolve).once('error', reject)), 10_000, 'anchor socket');
    const subscribed = new Promise((resolve) => seedSocket.on('message', (data) => String(data).includes('"subscribed"') && resolve()));
    seedSocket.send(JSON.stringify({ type: 'subscribe', payload: { channel: CHANNEL } }));
    await withTimeout(subscribed, 10_000, 'anchor subscribe');
    cleanups.unshift(() => seedSocket.close());
    const client = new OpenAI({ apiKey: 'sk-bench', baseURL: fake.baseUrl, maxRetries: 0 });
    const seedTurn = async (threadId) => {
      const stamps = [];
      const stream = await client.responses.create({ model: 'gpt-5-mini', input: 'What is the weather in Makati?', stream: true });
      for await (const event of stream) {
        if (event.type === 'response.output_text.delta') {
          stamps.push({ at: hr(), text: event.delta });
          seedSocket.send(JSON.stringify({ type: CHANNEL, payload: { message: event.delta, timestamp: Math.floor(Date.now() / 1000), thread_id: threadId } }));
        }
      }
      return stamps;
    };

    const answer = answerDeltas(perTurn, 5).deltas;
    const samples = {};
    const record = (mode, variant, stamps, socketSends, serverWrites) => {
      const key = `${mode}:${variant}`;
      const bucket = (samples[key] ??= { inProcessUs: [], endToEndUs: [], deltas: 0, userlandBuffered: 0, mismatched: 0, over1ms: 0, over1msWithGc: 0 });
      if (stamps.length !== socketSends.length || stamps.length !== serverWrites.length) {
        throw new Error(`${key}: ${stamps.length} deltas, ${socketSends.length} frames sent, ${serverWrites.length} SSE writes — cannot pair them`);
      }
      stamps.forEach((stamp, i) => {
        const sent = socketSends[i];
        const message = JSON.parse(sent.data);
        if (message.payload.message !== stamp.text) bucket.mismatched++;
        const us = Number(sent.at - stamp.at) / 1000;
        bucket.inProcessUs.push(us);
        if (us > 1000) {
          bucket.over1ms++;
          if (overlapsGc(stamp.at, sent.at)) bucket.over1msWithGc++;
        }
        bucket.endToEndUs.push(Number(sent.at - serverWrites[i]) / 1000);
        if (sent.userlandBytes !== 0) bucket.userlandBuffered++;
        bucket.deltas++;
      });
    };

    const turn = async (mode, variant, measured) => {
      await fake.script(answer, mode === 'paced' ? 1 : 0);
      await fake.writes(); // drop stale
      if (variant === 'ours') {
        session.newChat();
        oursDeltaTimes = [];
        const socket = managerSocket();
        if (!socket) throw new Error('the connection has no socket');
        sends.set(socket, []);
        const result = await withTimeout(session.ask('What is the weather in Makati?'), 60_000, 'a turn of ours');
        if (result.status !== 'completed') throw new Error(`our turn ended ${result.status}: ${result.error}`);
        const frames = sends.get(socket).filter((s) => {
          const payload = JSON.parse(s.data).payload;
          return payload?.type === 'response' && payload.status === undefined;
        });
        sends.delete(socket);
        const writes = await fake.writes();
        if (measured) record(mode, 'ours', oursDeltaTimes, frames, writes);
      } else {
        sends.set(seedSocket, []);
        const stamps = await withTimeout(seedTurn(`thread_seed_${Date.now()}`), 60_000, 'an anchor turn');
        const frames = sends.get(seedSocket);
        sends.set(seedSocket, []);
        const writes = await fake.writes();
        if (measured) record(mode, 'seed', stamps, frames, writes);
      }
      // Let echoes and receipts drain before the next turn.
      await new Promise((resolve) => setTimeout(resolve, 100));
    };

    // Warm-up (JIT, connections), not measured.
    for (const variant of ['ours', 'seed']) await turn('burst', variant, false);
    const machineLoad = {};
    for (const mode of ['paced', 'burst']) {
      const before = machineBusyMs();
      const started = performance.now();
      for (let r = 0; r < rounds; r++) {
        await waitForQuiet({ maxCores: 0.5, maxWaitMs: 2_000 });
        for (const variant of r % 2 === 0 ? ['ours', 'seed'] : ['seed', 'ours']) await turn(mode, variant, true);
      }
      machineLoad[mode] = (machineBusyMs() - before) / (performance.now() - started);
      const ours = stats(samples[`${mode}:ours`].inProcessUs);
      const seed = stats(samples[`${mode}:seed`].inProcessUs);
      log(`host: delta → wire (${mode}) ours p50 ${ours.p50.toFixed(0)} µs p99 ${ours.p99.toFixed(0)} µs; seed handler p50 ${seed.p50.toFixed(0)} µs p99 ${seed.p99.toFixed(0)} µs`);
    }
    const summary = {};
    for (const [key, bucket] of Object.entries(samples)) {
      summary[key] = {
        deltas: bucket.deltas,
        inProcessUs: stats(bucket.inProcessUs),
        endToEndUs: stats(bucket.endToEndUs),
        framesLeftInUserlandBuffer: bucket.userlandBuffered,
        /** In-process spans over 1 ms, and how many of them overlapped a GC pause of this process. */
        over1ms: bucket.over1ms,
        over1msDuringGc: bucket.over1msWithGc,
        textMismatches: bucket.mismatched,
      };
    }
    return {
      summary,
      machineBusyCores: machineLoad,
      gcPauses: gcPauses.length,
      perTurn,
      rounds,
      relay: relay.url,
      relayArgs: '--rate 1000000 --burst 1000000 --quiet',
      panelBytes,
      warnings: logs.filter((line) => !line.startsWith('info')).slice(0, 20),
    };
  } finally {
    gcObserver.disconnect();
    WebSocket.prototype.send = originalSend;
    for (const cleanup of cleanups) await Promise.resolve().then(cleanup).catch(() => undefined);
  }
}
