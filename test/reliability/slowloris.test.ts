// Raw TCP connections that never finish a request (slowloris), through a relay process with
// small limits: sockets past --max-sockets are closed at once, half-sent requests are
// answered 408 and closed after --request-timeout-ms (even when the peer never closes its
// side), a good subscriber receives every message throughout, and /healthz answers again
// once the sockets are free.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { channelMessage, responseDeltaPayload } from '../../src/protocol';
import { readMetric, spawnRelay } from '../support/relay-process';
import { delay, within } from '../support/wait';
import { WsPeer } from '../support/ws-peer';

interface HalfSent {
  socket: Socket;
  /** Everything the relay sent back, as latin1 text. */
  answer: string;
  /** When the relay ended or dropped it (ms since the epoch). */
  ended: Promise<number>;
}

/**
 * Opens a socket and sends the start of a request and nothing more (or nothing at all); it
 * keeps its own side open whatever the relay does.
 */
function halfSend(port: number, start: string): Promise<HalfSent> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const state: HalfSent = {
      socket,
      answer: '',
      ended: new Promise((resolveEnded) => {
        socket.on('end', () => resolveEnded(Date.now())); // the relay finished its side (FIN)
        socket.on('close', () => resolveEnded(Date.now()));
      }),
    };
    socket.on('data', (chunk: Buffer) => {
      state.answer += chunk.toString('latin1');
    });
    socket.on('error', () => {}); // a reset is an end too
    socket.once('connect', () => {
      if (start) socket.write(start);
      resolve(state);
    });
    socket.once('error', reject);
  });
}

/** Asks /healthz the way a health checker does: each try bounded, a few tries while sockets free up. */
async function healthz(port: number): Promise<{ body: unknown; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1000) });
      assert.equal(response.status, 200);
      return { body: await response.json(), attempts: attempt };
    } catch (error) {
      if (attempt === 10) throw error;
      await delay(200);
    }
  }
}

test('half-sent requests cannot hold the relay: excess sockets close, the rest time out, subscribers and /healthz go on', { timeout: 60_000 }, async () => {
  // 2 WebSockets and 4 sockets of headroom; a request must arrive whole within 1 s.
  const relay = await spawnRelay(['--quiet', '--max-connections', '2', '--max-sockets', '6', '--request-timeout-ms', '1000']);
  const slow: HalfSent[] = [];
  try {
    const subscriber = await WsPeer.open(relay.url);
    await subscriber.subscribe('w');
    const publisher = await WsPeer.open(relay.url);
    const sent: string[] = [];
    const publish = (n: number) => {
      for (let i = 0; i < n; i++) {
        const frame = JSON.stringify(channelMessage('w', responseDeltaPayload('t', `m${sent.length}`)));
        sent.push(frame);
        publisher.send(frame);
      }
    };

    // Two send nothing, the others the start of a request; the relay has room for 4.
    for (let i = 0; i < 20; i++) slow.push(await halfSend(relay.port, i < 2 ? '' : 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '));
    publish(50);
    // All are closed by the relay, though none closes its side: the 16 past the cap at once and
    // unanswered, the 4 it took after the timeout, answered 408.
    const endedAt = await within(Promise.all(slow.map((s) => s.ended)), 10_000, 'the relay to close every half-sent request');
    const answers = slow.map((s) => /^HTTP\/1\.1 (\d{3})/.exec(s.answer)?.[1] ?? 'none');
    assert.equal(answers.filter((status) => status === 'none').length, 16, `answers: ${answers.join(',')}`);
    assert.equal(answers.filter((status) => status === '408').length, 4, `answers: ${answers.join(',')}`);
    const lastDropped = Math.max(...endedAt.filter((_, i) => answers[i] === 'none'));
    const firstTimedOut = Math.min(...endedAt.filter((_, i) => answers[i] === '408'));
    assert.ok(lastDropped < firstTimedOut, 'the excess were closed before any request timed out');
    publish(50);

    // Their sockets are freed on the relay's side too: /healthz answers, and only the two WebSockets
    // (and this request) are left.
    const health = await healthz(relay.port);
    assert.deepEqual(health.body, { status: 'ok', connections: 2, channels: 1, subscriptions: 1 });
    let sockets = Infinity;
    for (let i = 0; i < 50 && sockets > 3; i++) {
      sockets = await readMetric(relay.port, 'weather_relay_sockets');
      if (sockets > 3) await delay(100);
    }
    assert.equal(sockets, 3, 'the relay holds no socket of theirs');

    // The WebSockets outlived the request timeout, and the subscriber missed nothing.
    await subscriber.waitForFrames(1 + sent.length);
    assert.deepEqual(subscriber.texts.slice(1), sent);
    // Closed for being over the cap: the 16, and any try of /healthz while the 4 still lingered.
    assert.equal(await readMetric(relay.port, 'weather_relay_errors_total{code="refused"}'), 16 + health.attempts - 1);
    await Promise.all([subscriber.close(), publisher.close()]);
  } finally {
    for (const s of slow) s.socket.destroy();
    await relay.stop('SIGKILL');
  }
});
