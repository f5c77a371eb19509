#!/usr/bin/env node
/**
 * The load generator: one process holding one publisher and N subscribers, all on the
 * light client of lite-ws.mjs. Runs one measurement against one server and prints one
 * JSON line on stdout.
 *
 *   node bench/relay/generator.mjs '{"port":1234,"protocol":"seed","subscribers":100,...}'
 *
 * Flow control: the publisher keeps at most `window` messages in flight, a message being
 * in flight until every subscriber has received it (per-message receipt counts, in a
 * ring). So the server is kept busy but its queues never grow: we measure throughput,
 * not buffering. Throughput is measured between the moment the last warm-up message has
 * reached every subscriber and the moment the last measured one has, so the pipeline is
 * full at both ends of the interval.
 *
 * Every subscriber checks that sequence numbers arrive exactly once and in order.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Histogram } from './histogram.mjs';
import { clientFrame, openLiteWebSocket, readCount } from './lite-ws.mjs';
import { machineBusyMs } from './processes.mjs';
import { CHANNEL, MARK, readSeq, readTime, seedMessage, writeSeq, writeTime } from './message.mjs';

const config = {
  host: '127.0.0.1',
  protocol: 'seed', // 'seed' (our relay, bare ws) or 'socketio' (Engine.IO 4 / Socket.IO 5 packets)
  subscribers: 1,
  warmup: 1000,
  messages: 10000,
  window: 64,
  timeoutMs: 60_000,
  connectBatch: 50,
  serverPid: 0,
  ...JSON.parse(process.argv[2] ?? '{}'),
};

const SOCKET_IO_PATH = '/socket.io/?EIO=4&transport=websocket';
const socketIo = config.protocol === 'socketio';
const N = config.subscribers;
const total = config.warmup + config.messages;
const RING = 1 << Math.ceil(Math.log2(Math.max(2, config.window * 2)));
const RING_MASK = RING - 1;

const wrap = (json) => (socketIo ? `42["message",${json}]` : json);
const subscribeFrame = clientFrame(wrap(JSON.stringify({ type: 'subscribe', payload: { channel: CHANNEL } })));
const publishTemplate = clientFrame(wrap(seedMessage(0, 0)));
const publishMarkAt = publishTemplate.indexOf(MARK);
const wireMessageBytes = Buffer.byteLength(seedMessage(0, 0));

const histogram = new Histogram();
const receipts = new Uint32Array(RING);
const errors = [];
let published = 0;
let frontier = 0; // every message up to this seq has reached every subscriber
let measureStart = null;
let measureEnd = null;
let finished = false;
let resolveDone;
const done = new Promise((resolve) => (resolveDone = resolve));

const nowMicros = () => Math.round(performance.now() * 1000);
/** Frames that came in the same read arrived at the same moment: one clock reading per read. */
let clockRead = -1;
let clockMicros = 0;
const arrivalMicros = () => {
  if (clockRead !== readCount) {
    clockRead = readCount;
    clockMicros = nowMicros();
  }
  return clockMicros;
};
/** Where MARK sits in a delivered frame's payload: the same for every message of a run (fixed-width fields). */
let markOffset = -1;
const M0 = MARK[0], M1 = MARK[1], M2 = MARK[2], M3 = MARK[3], M4 = MARK[4];
function findMark(buffer, start, end) {
  const at = start + markOffset;
  if (markOffset >= 0 && at + 40 <= end && buffer[at] === M0 && buffer[at + 1] === M1 && buffer[at + 2] === M2 && buffer[at + 3] === M3 && buffer[at + 4] === M4) {
    return at;
  }
  const found = buffer.indexOf(MARK, start);
  if (found < 0 || found + 40 > end) return -1;
  markOffset = found - start;
  return found;
}

function note(error) {
  if (errors.length < 20) errors.push(error);
}

function cpuSample() {
  const self = process.cpuUsage();
  let server = NaN;
  if (config.serverPid) {
    try {
      // utime + stime in clock ticks (fields 14 and 15; the name in field 2 has no spaces here)
      const fields = readFileSync(`/proc/${config.serverPid}/stat`, 'utf8').split(') ')[1].split(' ');
      server = (Number(fields[11]) + Number(fields[12])) * 10; // ms at 100 Hz
    } catch {
      server = NaN;
    }
  }
  return { wall: performance.now(), generatorMs: (self.user + self.system) / 1000, serverMs: server, machineMs: machineBusyMs(), reads: readCount, monotonicUs: Number(process.hrtime.bigint() / 1000n) };
}

/** Engine.IO / Socket.IO control packets; seed replies are noted as they come. */
function control(peer, ws, text) {
  if (!socketIo) {
    if (text.includes('"type":"subscribed"')) peer.onReady?.();
    else note(`${peer.role}: ${text.slice(0, 200)}`);
    return;
  }
  if (text === '2') return ws.send(PONG); // Engine.IO ping (heartbeat stays on)
  if (text.startsWith('0{')) return ws.send(SIO_CONNECT);
  if (text.startsWith('40')) {
    if (peer.role === 'publisher') peer.onReady?.();
    else ws.send(subscribeFrame);
    return;
  }
  if (text.startsWith('42') && text.includes('"type":"subscribed"')) return peer.onReady?.();
  note(`${peer.role}: ${text.slice(0, 200)}`);
}
const PONG = clientFrame('3');
const SIO_CONNECT = clientFrame('40');

function makeSubscriber(index) {
  const sub = { role: `subscriber ${index}`, expected: 1, received: 0, anomalies: 0, client: undefined };
  const onText = (buffer, start, end, ws) => {
    const at = findMark(buffer, start, end);
    if (at < 0) return control(sub, ws, buffer.toString('utf8', start, end));
    const seq = readSeq(buffer, at);
    if (seq !== sub.expected) {
      sub.anomalies++;
      if (sub.anomalies <= 3) note(`${sub.role}: expected seq ${sub.expected}, got ${seq}`);
      if (seq < sub.expected) return; // duplicate or reordered: never counted twice
      sub.expected = seq;
    }
    sub.expected++;
    sub.received++;
    if (seq > config.warmup) histogram.record(arrivalMicros() - readTime(buffer, at));
    const slot = seq & RING_MASK;
    if (++receipts[slot] === N) {
      receipts[slot] = 0;
      frontier = seq;
      advance();
    }
  };
  return { sub, onText };
}

function advance() {
  if (frontier === config.warmup && measureStart === null) measureStart = cpuSample();
  if (frontier >= total) {
    if (measureEnd === null) measureEnd = cpuSample();
    finish(false);
    return;
  }
  pump();
}

let publisher;
function pump() {
  while (published < total && published - frontier < config.window) {
    const seq = ++published;
    const frame = Buffer.from(publishTemplate);
    writeSeq(frame, publishMarkAt, seq);
    writeTime(frame, publishMarkAt, nowMicros());
    publisher.send(frame);
  }
}

function finish(stalled) {
  if (finished) return;
  finished = true;
  resolveDone(stalled);
}

async function connectClient(role, onText) {
  const client = await openLiteWebSocket({
    host: config.host,
    port: config.port,
    path: socketIo ? SOCKET_IO_PATH : '/',
    onText,
    onClose: (c) => {
      if (!finished && !c.destroyedByUs) note(`${role}: closed by the server (${c.closeCode ?? 'no close frame'} ${c.closeReason ?? ''})`);
    },
  });
  return client;
}

async function main() {
  const subscribers = [];
  const deadline = setTimeout(() => finish(true), config.timeoutMs);

  // Subscribers, a batch at a time (the server's accept backlog is finite).
  for (let first = 0; first < N; first += config.connectBatch) {
    const batch = [];
    for (let i = first; i < Math.min(N, first + config.connectBatch); i++) {
      const { sub, onText } = makeSubscriber(i);
      subscribers.push(sub);
      batch.push(
        (async () => {
          const ready = new Promise((resolve) => (sub.onReady = resolve));
          sub.client = await connectClient(sub.role, onText);
          if (!socketIo) sub.client.send(subscribeFrame);
          await ready;
          sub.onReady = undefined;
        })(),
      );
    }
    await Promise.all(batch);
  }

  const pub = { role: 'publisher' };
  const pubReady = new Promise((resolve) => (pub.onReady = resolve));
  pub.client = await connectClient('publisher', (buffer, start, end, ws) => control(pub, ws, buffer.toString('utf8', start, end)));
  publisher = pub.client;
  if (socketIo) await pubReady;
  pub.onReady = undefined;

  const started = performance.now();
  pump();
  const stalled = await done;
  clearTimeout(deadline);
  // Anything arriving late (a duplicate, a stray resend) still counts against exactness.
  await new Promise((resolve) => setTimeout(resolve, stalled ? 0 : 100));

  const end = measureEnd ?? cpuSample();
  const start = measureStart ?? { wall: started, generatorMs: NaN, serverMs: NaN, machineMs: NaN };
  const elapsedMs = end.wall - start.wall;
  const measuredDeliveries = histogram.count;
  let minReceived = Infinity;
  let maxReceived = 0;
  let anomalies = 0;
  let closedEarly = 0;
  let pings = pub.client.pingsIn;
  for (const sub of subscribers) {
    pings += sub.client.pingsIn;
    minReceived = Math.min(minReceived, sub.received);
    maxReceived = Math.max(maxReceived, sub.received);
    anomalies += sub.anomalies;
    if (sub.client.closed) closedEarly++;
  }
  const exact = !stalled && minReceived === total && maxReceived === total && anomalies === 0 && closedEarly === 0;
  const result = {
    protocol: config.protocol,
    subscribers: N,
    window: config.window,
    warmup: config.warmup,
    messages: config.messages,
    messageBytes: wireMessageBytes,
    stalled,
    elapsedMs,
    deliveries: measuredDeliveries,
    deliveriesPerSec: stalled ? 0 : (config.messages * N) / (elapsedMs / 1000),
    messagesPerSec: stalled ? 0 : config.messages / (elapsedMs / 1000),
    latency: histogram.summary(),
    /** Deliveries per subscriber read (>1 when frames queue up between reads). */
    framesPerRead: (config.messages * N) / (end.reads - start.reads),
    exact: { ok: exact, expectedPerSubscriber: total, minReceived, maxReceived, anomalies, closedEarly },
    cpu: {
      generator: (end.generatorMs - start.generatorMs) / elapsedMs,
      server: (end.serverMs - start.serverMs) / elapsedMs,
      // Everything else the machine did meanwhile (other processes, softirq not charged to us), in cores.
      background: (end.machineMs - start.machineMs - (end.serverMs - start.serverMs) - (end.generatorMs - start.generatorMs)) / elapsedMs,
    },
    /** WebSocket pings answered (the relay's heartbeat; Socket.IO pings at the Engine.IO level are not counted). */
    pingsAnswered: pings,
    /** The measured interval on CLOCK_MONOTONIC (µs), the clock of V8's .cpuprofile timestamps. */
    monotonicUs: [start.monotonicUs, end.monotonicUs],
    errors,
  };
  for (const sub of subscribers) {
    sub.client.destroyedByUs = true;
    sub.client.destroy();
  }
  pub.client.destroyedByUs = true;
  pub.client.destroy();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stdout.write(`${JSON.stringify({ failed: String(error?.stack ?? error) })}\n`);
    process.exit(1);
  },
);
