#!/usr/bin/env node
/**
 * Anchor (b): the same relay written with Socket.IO 4 rooms — what most people would pick.
 * A client `send`s the seed message (`42["message",{...}]` on the wire); `subscribe` joins
 * the room named by the channel, anything else is emitted to the room named by its `type`.
 * WebSocket transport only (no long-polling), Engine.IO's own ping/pong on (its defaults).
 * Socket.IO encodes a broadcast once and writes the same pre-built WebSocket frame to every
 * socket (socket.io-adapter `wsPreEncodedFrame`).
 * Prints `listening on ws://HOST:PORT` as its first stdout line.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.argv[2] ?? 0);
const httpServer = createServer();
const io = new Server(httpServer, { transports: ['websocket'], serveClient: false });

io.on('connection', (socket) => {
  socket.on('message', (message) => {
    if (message?.type === 'subscribe') {
      const channel = message.payload?.channel;
      if (typeof channel !== 'string') return;
      socket.join(channel);
      socket.emit('message', { type: 'subscribed', payload: { channel, message: 'subscribed' } });
      return;
    }
    if (typeof message?.type === 'string') io.to(message.type).emit('message', message);
  });
});

process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
httpServer.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening on ws://127.0.0.1:${httpServer.address().port}\n`);
});
