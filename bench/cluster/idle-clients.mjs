#!/usr/bin/env node
/**
 * Holds N idle subscribed WebSocket connections to one server, for the idle-memory
 * measurement. Config (JSON, argv[2]): { host, port, connections, channels, concurrency,
 * timeoutMs }. Opens them `concurrency` at a time, each subscribing (seed protocol) to one of
 * `channels` channels, prints one JSON line once every one has its `subscribed` reply (or the
 * time is up), then holds them until it gets SIGTERM or its stdin closes.
 */
import WebSocket from 'ws';

const config = JSON.parse(process.argv[2]);
const sockets = [];
let subscribed = 0;
let failed = 0;
let firstError = '';

function open(index) {
  return new Promise((resolve) => {
    const socket = new WebSocket(`ws://${config.host}:${config.port}/`, { perMessageDeflate: false });
    sockets.push(socket);
    const channel = `idle-${index % config.channels}`;
    let done = false;
    const finish = (ok, why) => {
      if (done) return;
      done = true;
      if (ok) subscribed++;
      else {
        failed++;
        firstError ||= why;
      }
      resolve();
    };
    socket.once('open', () => socket.send(JSON.stringify({ type: 'subscribe', payload: { channel } })));
    socket.once('message', () => finish(true));
    socket.once('error', (error) => finish(false, error.message));
    socket.once('close', () => finish(false, 'closed before subscribed'));
  });
}

const deadline = Date.now() + config.timeoutMs;
let next = 0;
async function worker() {
  while (next < config.connections && Date.now() < deadline) await open(next++);
}
await Promise.all(Array.from({ length: config.concurrency }, worker));
process.stdout.write(`${JSON.stringify({ subscribed, failed, firstError })}\n`);

const stop = () => {
  for (const socket of sockets) socket.terminate();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
