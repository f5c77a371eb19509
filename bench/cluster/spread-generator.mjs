#!/usr/bin/env node
/**
 * Runs bench/relay/generator.mjs unchanged against a cluster: its connections are routed
 * to the cluster's nodes by rewriting the port of each `net.connect` it makes, in order.
 * The generator opens its N subscribers first (in index order), then the publisher; so
 * subscriber i goes to node i mod K and the publisher to node 0.
 *
 *   node bench/cluster/spread-generator.mjs '{...generator config..., "nodePorts":[P0,P1,P2], "paceMessagesPerSec":1000}'
 *
 * With `paceMessagesPerSec`, the publisher's messages leave at that steady rate instead of
 * as fast as the generator's flow-control window allows: each is held, then re-stamped with
 * the moment it is actually written, so publish→deliver latency excludes the hold.
 */
import net from 'node:net';
import { syncBuiltinESMExports } from 'node:module';
import { performance } from 'node:perf_hooks';
import { MARK, writeTime } from '../relay/message.mjs';

const config = JSON.parse(process.argv[2] ?? '{}');
const nodePorts = config.nodePorts ?? [];
if (!Number.isInteger(config.subscribers) || nodePorts.length === 0) {
  process.stdout.write(`${JSON.stringify({ failed: 'spread-generator: needs subscribers and nodePorts' })}\n`);
  process.exit(2);
}

const connect = net.connect;
let connections = 0;
net.connect = (options, ...rest) => {
  const index = connections++;
  const isPublisher = index === config.subscribers;
  const socket = connect({ ...options, port: nodePorts[isPublisher ? 0 : index % nodePorts.length] }, ...rest);
  if (isPublisher && config.paceMessagesPerSec) pace(socket, config.paceMessagesPerSec);
  return socket;
};
syncBuiltinESMExports(); // lite-ws.mjs imports { connect } by name

function pace(socket, perSecond) {
  const write = socket.write.bind(socket);
  const held = [];
  let started = 0;
  let sent = 0;
  let timer;
  const release = () => {
    const due = Math.floor(((performance.now() - started) * perSecond) / 1000) + 1;
    // Never burst to catch up after the generator's window ran dry: stay on a steady beat.
    if (held.length === 0) sent = Math.max(sent, due - 1);
    while (sent < due && held.length > 0) {
      const frame = held.shift();
      writeTime(frame, frame.indexOf(MARK), Math.round(performance.now() * 1000));
      write(frame);
      sent++;
    }
  };
  socket.write = (chunk, ...rest) => {
    if (!Buffer.isBuffer(chunk) || chunk.indexOf(MARK) < 0) return write(chunk, ...rest);
    held.push(chunk);
    if (!timer) {
      started = performance.now();
      timer = setInterval(release, 1);
      timer.unref();
      release();
    }
    return true;
  };
}

await import('../relay/generator.mjs');
