// The relay's count of open TCP sockets (the socket cap, and `weather_relay_sockets`) hears an
// accepted WebSocket's end through the WebSocket's own close rather than a second listener on
// the socket. Every way a WebSocket can end must still count it closed exactly once: a count
// that drifts up fills the socket cap with ghosts; one that drifts down lets the cap be passed.
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { readMetric, spawnRelay } from '../support/relay-process';
import { WsPeer } from '../support/ws-peer';

/** `weather_relay_sockets` once it reads `expected` (this reading's own request included), or the last value read. */
async function socketsSettleAt(port: number, expected: number): Promise<number> {
  let sockets = Number.NaN;
  for (let i = 0; i < 100; i++) {
    sockets = await readMetric(port, 'weather_relay_sockets');
    if (sockets === expected) break;
    await delay(50);
  }
  return sockets;
}

test('every way a WebSocket ends counts its socket closed exactly once', async () => {
  const relay = await spawnRelay(['--heartbeat-ms', '0', '--max-payload', '1024']);
  try {
    const url = `ws://127.0.0.1:${relay.port}`;
    const peers = await Promise.all(Array.from({ length: 5 }, () => WsPeer.open(url)));
    // A socket that never upgrades is counted too, and closed by its own listener.
    const plain = createConnection({ host: '127.0.0.1', port: relay.port });
    await new Promise((resolve) => plain.once('connect', resolve));
    assert.equal(await socketsSettleAt(relay.port, 5 + 1 + 1), 7, 'five WebSockets, one plain socket, one metrics request');

    const [politely, abruptly, oversized, plainClose, kept] = peers;
    politely.socket.close(1000, 'bye'); // the client's close handshake
    abruptly.socket.terminate(); // the TCP connection dropped without a close frame
    oversized.socket.send('x'.repeat(2048)); // the relay closes it: 1009, over --max-payload
    assert.equal(await oversized.closed, 1009);
    plain.destroy();
    void plainClose; // stays open, as does `kept`
    assert.equal(await socketsSettleAt(relay.port, 2 + 1), 3, 'two WebSockets left, and the metrics request');

    // The count keeps working for new sockets after the drops: nothing counted twice or lost.
    const more = await Promise.all(Array.from({ length: 3 }, () => WsPeer.open(url)));
    assert.equal(await socketsSettleAt(relay.port, 5 + 1), 6);
    for (const peer of [...more, plainClose, kept]) peer.socket.close();
    assert.equal(await socketsSettleAt(relay.port, 1), 1, 'only the metrics request');
  } finally {
    await relay.stop('SIGKILL');
  }
});
