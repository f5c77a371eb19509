// Fuzz: 10,000 random and malformed frames from several clients at a relay process.
// The relay answers errors, never crashes, and a well-behaved pair on the same relay
// keeps exchanging every message, in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ERROR_CODES, channelMessage, responseDeltaPayload } from '../../src/protocol';
import { spawnRelay } from '../support/relay-process';
import { seededRandom } from '../support/random';
import { WsPeer } from '../support/ws-peer';

const STRANGE_STRINGS = [
  '', ' ', '\u0000', '\ud800', '\udfff', '\ufeff', '\u202e', 'e\u0301', '😀', '𝕏'.repeat(50), '\u200b\u200d', 'null',
  '<script>alert(1)</script>', '../../etc/passwd', '%00', 'subscribe', 'error', 'a'.repeat(129), 'x:y.z-_', '\\', '"',
];

function frameMaker(next: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)];
  const value = (depth = 0): unknown => {
    const kind = Math.floor(next() * (depth > 3 ? 5 : 8));
    switch (kind) {
      case 0: return pick(STRANGE_STRINGS);
      case 1: return Math.floor(next() * 2 ** 40) * (next() < 0.5 ? -1 : 1);
      case 2: return pick([true, false, null, 1e308, -0, 0.1]);
      case 3: return next().toString(36);
      case 4: return 'x'.repeat(Math.floor(next() * 2000));
      case 5: return [value(depth + 1), value(depth + 1)];
      default: return { [pick(['type', 'payload', 'message', 'channel', 'thread_id'])]: value(depth + 1), k: value(depth + 1) };
    }
  };
  const goodPayload = () => ({ message: 'm', timestamp: 1, thread_id: 't', type: 'response' });
  return (): { data: string | Buffer; binary: boolean } => {
    switch (Math.floor(next() * 12)) {
      case 0: return { data: Buffer.from(Array.from({ length: 1 + Math.floor(next() * 64) }, () => Math.floor(next() * 256))), binary: true };
      case 1: return { data: '{"type":"fuzz","payload":{' + pick(['', '"message":', '"a":[1,2', '}}}}']), binary: false };
      case 2: return { data: '['.repeat(1 + Math.floor(next() * 50_000)), binary: false };
      case 3: return { data: JSON.stringify({ type: 'fuzz', payload: { ...goodPayload(), message: 'y'.repeat(Math.floor(next() * 200_000)) } }), binary: false };
      case 4: return { data: JSON.stringify(value()), binary: false };
      case 5: return { data: JSON.stringify({ type: pick(STRANGE_STRINGS), payload: goodPayload() }), binary: false };
      case 6: return { data: JSON.stringify({ type: 'subscribe', payload: { channel: value() } }), binary: false };
      case 7: return { data: JSON.stringify({ type: 'fuzz', payload: { ...goodPayload(), [pick(['message', 'timestamp', 'thread_id', 'type', 'status', 'seq', 'id'])]: value() } }), binary: false };
      case 8: return { data: JSON.stringify({ type: pick(['subscribed', 'unsubscribed', 'error', '@ack']), payload: value() }), binary: false };
      case 9: return { data: pick(STRANGE_STRINGS), binary: false };
      case 10: return { data: JSON.stringify({ type: 'unsubscribe', payload: { channel: pick(STRANGE_STRINGS) } }), binary: false };
      default: return { data: JSON.stringify({ type: 'fuzz', payload: goodPayload(), extra: value() }), binary: false };
    }
  };
}

test('10,000 hostile frames from 4 clients: errors, no crash, and the good pair gets every message', { timeout: 120_000 }, async () => {
  const relay = await spawnRelay(['--quiet', '--rate', '1000000', '--burst', '1000000', '--max-payload', '262144']);
  try {
    const subscriber = await WsPeer.open(relay.url);
    await subscriber.subscribe('good');
    const publisher = await WsPeer.open(relay.url);
    const goodFrames: string[] = [];

    const fuzzers = 4;
    const perFuzzer = 2_500;
    let sent = 0;
    let reconnects = 0;
    await Promise.all(
      Array.from({ length: fuzzers }, async (_, index) => {
        const make = frameMaker(seededRandom(1000 + index));
        let peer = await WsPeer.open(relay.url);
        for (let i = 0; i < perFuzzer; i++) {
          // Frames past the size limit or with broken UTF-8 close the connection: come back.
          if (peer.socket.readyState !== peer.socket.OPEN) {
            reconnects++;
            peer = await WsPeer.open(relay.url);
          }
          const frame = make();
          peer.socket.send(frame.data, { binary: frame.binary });
          sent++;
          if (i % 50 === 0) {
            const good = JSON.stringify(channelMessage('good', responseDeltaPayload('t', `good ${index}-${i}`, { seq: i })));
            goodFrames.push(good);
            publisher.send(good);
            await new Promise((resolve) => setImmediate(resolve));
          }
        }
        await peer.close();
      }),
    );
    assert.equal(sent, fuzzers * perFuzzer);
    await subscriber.waitForFrames(1 + goodFrames.length, 30_000);
    assert.deepEqual(subscriber.texts.slice(1), goodFrames, 'every good message, in order, nothing else');

    // On Redis a flood can hold up the health check behind a slow disk (appendfsync always) for a moment: it must come back.
    let health = await (await fetch(`${relay.url.replace('ws:', 'http:')}/healthz`)).json();
    for (let i = 0; i < 60 && health.status !== 'ok'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      health = await (await fetch(`${relay.url.replace('ws:', 'http:')}/healthz`)).json();
    }
    assert.equal(health.status, 'ok', JSON.stringify(health));
    const metrics = await (await fetch(`${relay.url.replace('ws:', 'http:')}/metrics`)).text();
    const errors = [...metrics.matchAll(/weather_relay_errors_total\{code="([^"]*)"\} (\d+)/g)].map(([, code, count]) => [code, Number(count)] as const);
    // Labels come from a closed set, whatever the peers sent or the socket layer reported.
    const labels = new Set<string>([...ERROR_CODES, 'bad_request', 'unauthorized', 'forbidden_origin', 'refused', 'slow_consumer', 'invalid_frame', 'socket_error']);
    assert.deepEqual(errors.filter(([code]) => !labels.has(code)), [], 'every error label is a known one');
    const totalErrors = errors.reduce((sum, [, count]) => sum + count, 0);
    assert.ok(totalErrors > 5_000, `most hostile frames were answered with errors (${totalErrors}): ${JSON.stringify(errors)}`);
    assert.ok(relay.child.exitCode === null, 'the relay is still running');
    await Promise.all([subscriber.close(), publisher.close()]);
    assert.equal(await relay.stop('SIGTERM'), 0, `clean exit after the fuzz (reconnects: ${reconnects})`);
  } finally {
    await relay.stop('SIGKILL');
  }
});
