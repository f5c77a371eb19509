#!/usr/bin/env node
/**
 * One load-generator process of the scale benchmark: holds thousands of idle subscribed
 * WebSocket connections on the light client of bench/relay/lite-ws.mjs (which answers the
 * relay's heartbeat pings), spread over the loopback source addresses it is given, and
 * obeys commands from bench/scale/index.mjs, one JSON object per line on stdin, answering
 * each with one JSON line on stdout ({ id, ...result } or { id, error }):
 *
 *   connect   { host, port, count, addresses, perAddress, channel, concurrency, timeoutMs }
 *             opens `count` connections (at most `concurrency` in flight), each subscribing
 *             to `channel`; connection i binds to addresses[floor(i / perAddress)]
 *   churn     { ...connect's fields without count } drops every subscriber at once, then opens
 *             as many again (as connect does) and answers once all are subscribed again
 *   publisher { host, port, address }     opens one unsubscribed connection to publish with
 *   publish   { seq }                     sends the 200-byte seed message carrying `seq`
 *   received  { seq, expected, timeoutMs } waits until `expected` subscribers have message `seq`
 *   clock     {}                          this process's CLOCK_MONOTONIC reading
 *   stats     {}                          open subscribers, closed by the server, pings answered
 *   closeAll  {}                          drops every connection
 *
 * Times are microseconds on CLOCK_MONOTONIC (process.hrtime), the one clock every process on
 * the machine shares, so the parent can compare them across generator processes.
 * The process exits when its stdin closes (the parent went away) or on SIGTERM.
 */
import net from 'node:net';
import { syncBuiltinESMExports } from 'node:module';
import { createInterface } from 'node:readline';

// lite-ws.mjs connects with net.connect and no source address: give it one, per connection.
let nextLocalAddress;
const connect = net.connect;
net.connect = (options, ...rest) => connect(nextLocalAddress ? { ...options, localAddress: nextLocalAddress } : options, ...rest);
syncBuiltinESMExports(); // lite-ws.mjs imports { connect } by name

const lite = await import('../relay/lite-ws.mjs');
const { MARK, readSeq, seedMessage } = await import('../relay/message.mjs');

const nowUs = () => Number(process.hrtime.bigint() / 1000n);
/** Frames read together arrived together: one clock reading per read (as bench/relay/generator.mjs). */
let clockRead = -1;
let clockUs = 0;
const arrivalUs = () => {
  if (clockRead !== lite.readCount) {
    clockRead = lite.readCount;
    clockUs = nowUs();
  }
  return clockUs;
};

const SUBSCRIBED = Buffer.from('"type":"subscribed"');
let subscribers = [];
let publisher;
let closedByServer = 0;
let pingsOfDropped = 0;
let duplicates = 0;
/** seq → receive times (µs) of that broadcast, one per subscriber that got it. */
const receipts = new Map();

function onSubscriberText(sub, buffer, start, end) {
  const frame = buffer.subarray(start, end);
  const at = frame.indexOf(MARK);
  if (at >= 0 && at + 40 <= frame.length) {
    const seq = readSeq(frame, at);
    if (sub.lastSeq === seq) {
      duplicates++;
      return;
    }
    sub.lastSeq = seq;
    let list = receipts.get(seq);
    if (!list) receipts.set(seq, (list = []));
    list.push(arrivalUs());
    return;
  }
  if (sub.onSubscribed && frame.indexOf(SUBSCRIBED) >= 0) sub.onSubscribed();
}

/** Opens one connection from `address` and subscribes it; resolves true once subscribed. */
function openSubscriber({ host, port, channel, timeoutMs }, address, subscribeFrame, errors) {
  return new Promise((resolve) => {
    const sub = { client: undefined, lastSeq: -1, onSubscribed: undefined };
    let done = false;
    const finish = (ok, why) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sub.onSubscribed = undefined;
      if (ok) subscribers.push(sub);
      else {
        errors.failed++;
        errors.first ||= why;
        if (sub.client) {
          sub.client.destroyedByUs = true;
          sub.client.destroy();
        }
      }
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false, `not subscribed within ${timeoutMs} ms`), timeoutMs);
    nextLocalAddress = address;
    let opening;
    try {
      opening = lite.openLiteWebSocket({
        host,
        port,
        path: '/',
        onText: (buffer, start, end) => onSubscriberText(sub, buffer, start, end),
        onClose: (client) => {
          if (client.destroyedByUs) return;
          if (done) closedByServer++;
          finish(false, `closed by the server before subscribing (${client.closeCode ?? 'no close frame'})`);
        },
      });
    } finally {
      nextLocalAddress = undefined;
    }
    opening.then(
      (client) => {
        sub.client = client;
        if (done) {
          client.destroyedByUs = true;
          client.destroy();
          return;
        }
        sub.onSubscribed = () => finish(true);
        client.send(subscribeFrame);
      },
      (error) => finish(false, error.message),
    );
  });
}

async function connectMany({ host, port, count, addresses, perAddress, channel, concurrency, timeoutMs }) {
  const subscribeFrame = lite.clientFrame(JSON.stringify({ type: 'subscribe', payload: { channel } }));
  const errors = { failed: 0, first: '' };
  const startUs = nowUs();
  const deadline = Date.now() + timeoutMs;
  let next = 0;
  let subscribed = 0;
  let lastUs = startUs;
  const worker = async () => {
    while (next < count && Date.now() < deadline) {
      const i = next++;
      const address = addresses[Math.min(addresses.length - 1, Math.floor(i / perAddress))];
      const ok = await openSubscriber({ host, port, channel, timeoutMs: Math.max(1, Math.min(20_000, deadline - Date.now())) }, address, subscribeFrame, errors);
      if (ok) {
        subscribed++;
        lastUs = nowUs();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
  return { subscribed, failed: errors.failed, notTried: count - next, firstError: errors.first, startUs, endUs: lastUs };
}

function dropSubscribers() {
  for (const sub of subscribers) {
    pingsOfDropped += sub.client.pingsIn;
    sub.client.destroyedByUs = true;
    sub.client.destroy();
  }
  const dropped = subscribers.length;
  subscribers = [];
  return dropped;
}

const commands = {
  connect: (args) => connectMany(args),

  async churn(args) {
    const startUs = nowUs();
    const count = dropSubscribers();
    const droppedUs = nowUs();
    const result = await connectMany({ ...args, count });
    return { ...result, dropped: count, startUs, droppedUs };
  },

  async publisher({ host, port, address }) {
    nextLocalAddress = address;
    let opening;
    try {
      opening = lite.openLiteWebSocket({ host, port, path: '/', onText: () => {} });
    } finally {
      nextLocalAddress = undefined;
    }
    publisher = await opening;
    return { ok: true };
  },

  publish({ seq }) {
    if (!publisher || publisher.closed) throw new Error('no open publisher');
    const frame = lite.clientFrame(seedMessage(seq, 0));
    const sentUs = nowUs();
    publisher.send(frame);
    return { sentUs };
  },

  received({ seq, expected, timeoutMs }) {
    return new Promise((resolve) => {
      const deadline = Date.now() + timeoutMs;
      const check = () => {
        const list = receipts.get(seq) ?? [];
        if (list.length >= expected || Date.now() >= deadline) {
          clearInterval(timer);
          receipts.delete(seq);
          resolve({ count: list.length, timesUs: list });
        }
      };
      const timer = setInterval(check, 5);
      check();
    });
  },

  clock: () => ({ us: nowUs() }),

  stats() {
    let pings = pingsOfDropped;
    let open = 0;
    for (const sub of subscribers) {
      pings += sub.client.pingsIn;
      if (!sub.client.closed) open++;
    }
    return { subscribers: subscribers.length, open, closedByServer, pingsAnswered: pings, duplicates };
  },

  closeAll() {
    const dropped = dropSubscribers();
    if (publisher) {
      publisher.destroyedByUs = true;
      publisher.destroy();
      publisher = undefined;
    }
    receipts.clear();
    return new Promise((resolve) => setTimeout(() => resolve({ dropped }), 50));
  },
};

const reply = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  let request;
  try {
    request = JSON.parse(line);
  } catch {
    return;
  }
  try {
    const command = commands[request.cmd];
    if (!command) throw new Error(`unknown command ${request.cmd}`);
    reply({ id: request.id, ...(await command(request.args ?? {})) });
  } catch (error) {
    reply({ id: request.id, error: String(error?.message ?? error) });
  }
});
const quit = () => {
  dropSubscribers();
  process.exit(0);
};
lines.on('close', quit);
process.on('SIGTERM', quit);
