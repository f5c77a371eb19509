/**
 * The seed relay written with Socket.IO 4 rooms, shared by the relay anchor (one process)
 * and the cluster anchor (with a Redis adapter): `subscribe` joins the room named by the
 * channel, anything else is emitted to the room named by its `type`. WebSocket transport
 * only; prints `listening on ws://HOST:PORT` as its first stdout line.
 */
import { createServer } from 'node:http';
import { Server } from 'socket.io';

export function runSocketIoRelay(port, serverOptions = {}) {
  const httpServer = createServer();
  const io = new Server(httpServer, { transports: ['websocket'], serveClient: false, ...serverOptions });
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
}
