#!/usr/bin/env node
/**
 * Anchor (a): the bare `ws` broadcast server — the practical ceiling of a naive Node relay.
 * A Map of channel → Set of sockets; a publish is parsed only to learn its channel and the
 * received frame's bytes are forwarded to every subscriber with `ws.send`. No limits, no
 * history, no heartbeats, no validation beyond JSON.parse.
 * Prints `listening on ws://HOST:PORT` as its first stdout line.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 0);
const channels = new Map();
const server = createServer((_request, response) => response.writeHead(404).end());
const wss = new WebSocketServer({ server, perMessageDeflate: false });

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
    for (const peer of sockets) if (peer.readyState === 1) peer.send(data, { binary: false });
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
