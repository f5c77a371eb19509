#!/usr/bin/env node
/**
 * The cluster anchor: bench/relay/servers/socketio.mjs's relay (Socket.IO 4 rooms) with
 * `@socket.io/redis-streams-adapter` 0.3.1, so that a broadcast on one node reaches the
 * room's sockets on every node sharing the Redis stream. Chosen over `@socket.io/redis-adapter`
 * because, like our relay on Redis, it survives a Redis disconnection without losing
 * messages (Redis streams, not fire-and-forget pub/sub) — the like-for-like comparison.
 *
 *   node bench/cluster/servers/socketio-redis.mjs PORT REDIS_URL STREAM_NAME
 *
 * STREAM_NAME keeps separate clusters on one Redis from hearing each other.
 * Prints `listening on ws://HOST:PORT` as its first stdout line.
 */
import { createClient } from '@redis/client';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { runSocketIoRelay } from '../../relay/servers/socketio-relay.mjs';

const [portArg = '0', redisUrl, streamName = 'socket.io'] = process.argv.slice(2);
if (!redisUrl) {
  process.stderr.write('usage: socketio-redis.mjs PORT REDIS_URL [STREAM_NAME]\n');
  process.exit(2);
}
const redis = createClient({ url: redisUrl });
redis.on('error', (error) => process.stderr.write(`redis: ${error.message}\n`));
await redis.connect();
runSocketIoRelay(Number(portArg), { adapter: createAdapter(redis, { streamName }) });
