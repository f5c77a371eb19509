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
import { runSocketIoRelay } from './socketio-relay.mjs';

runSocketIoRelay(Number(process.argv[2] ?? 0));
