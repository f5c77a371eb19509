#!/usr/bin/env node
/**
 * NOT an anchor: a reference for optimization work on our relay. The bare ws server of
 * bare-ws.mjs plus the two known ways past the naive ceiling:
 *   1. the broadcast's WebSocket frame is encoded once (WebSocket.Sender.frame, header and
 *      payload merged into one Buffer) and that same Buffer is written to every socket;
 *   2. writes are batched: a socket is corked on its first write in a tick and every corked
 *      socket is uncorked once, in process.nextTick — so all the messages read from the
 *      publisher in one chunk leave for each subscriber in a single writev.
 * Run it with `npm run bench -- --only relay --servers ours,bare,sio,batched`.
 * Prints `listening on ws://HOST:PORT` as its first stdout line.
 */
import { createServer } from 'node:http';
import { Sender, WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 0);
const channels = new Map();
const server = createServer((_request, response) => response.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false });
const FRAME_OPTIONS = { fin: true, rsv1: false, opcode: 1, mask: false, readOnly: false };

const corked = [];
let flushScheduled = false;
function flush() {
  flushScheduled = false;
  for (let i = 0; i < corked.length; i++) corked[i].uncork();
  corked.length = 0;
}
function writeFrame(ws, frame) {
  const socket = ws._socket;
  if (socket.writableCorked === 0) {
    socket.cork();
    corked.push(socket);
    if (!flushScheduled) {
      flushScheduled = true;
      process.nextTick(flush);
    }
  }
  socket.write(frame);
}

wss.on('connection', (ws) => {
  const mine = new Set();
  ws.on('message', (data) => {
    let message;
    try {
      message = JSON.parse(data.toString());
    } catch {
      return;
    }
    if (message?.type === 'subscribe') {
      const channel = message.payload?.channel;
      let sockets = channels.get(channel);
      if (!sockets) channels.set(channel, (sockets = new Set()));
      sockets.add(ws);
      mine.add(channel);
      ws.send(JSON.stringify({ type: 'subscribed', payload: { channel, message: 'subscribed' } }));
      return;
    }
    const sockets = channels.get(message?.type);
    if (!sockets) return;
    const frame = Buffer.concat(Sender.frame(data, FRAME_OPTIONS));
    for (const peer of sockets) if (peer.readyState === 1) writeFrame(peer, frame);
  });
  ws.on('close', () => {
    for (const channel of mine) {
      const sockets = channels.get(channel);
      sockets?.delete(ws);
      if (sockets?.size === 0) channels.delete(channel);
    }
  });
  ws.on('error', () => {});
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening on ws://127.0.0.1:${server.address().port}\n`);
});
