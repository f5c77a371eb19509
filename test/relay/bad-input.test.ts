// Bad input gets an error reply with a code and a precise message; the connection
// stays usable and nobody else notices.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningRelay } from '../../src/relay';
import { startTestRelay } from '../support/relay-mode';
import { WsPeer } from '../support/ws-peer';

const good = '{"type":"ch","payload":{"message":"ok","timestamp":1,"thread_id":"t","type":"response"}}';

describe('bad input', () => {
  let relay: RunningRelay;
  let bystander: WsPeer;
  before(async () => {
    relay = await startTestRelay({ host: '127.0.0.1', port: 0, maxPayloadBytes: 64 * 1024 });
    bystander = await WsPeer.open(relay.url);
    await bystander.subscribe('ch');
  });
  after(async () => {
    await bystander.close();
    await relay.close();
  });

  const cases: Array<[string, string | Buffer, object]> = [
    ['invalid JSON', '{"type":', { code: 'invalid_json' }],
    ['a JSON string', '"subscribe"', { code: 'invalid_message', message: 'message must be a JSON object, got string' }],
    ['missing type', '{"payload":{}}', { code: 'invalid_message', message: 'type must be a string, got undefined' }],
    ['wrong-typed thread_id', good.replace('"t"', '42'), { code: 'invalid_message', message: 'payload.thread_id must be a string, got number', channel: 'ch' }],
    ['missing payload', '{"type":"ch"}', { code: 'invalid_message', message: 'payload must be an object, got undefined', channel: 'ch' }],
    ['invalid channel', good.replace('"ch"', '"bad channel!"'), { code: 'invalid_channel' }],
    ['subscribe to a reserved name', '{"type":"subscribe","payload":{"channel":"subscribed"}}', { code: 'invalid_channel', message: 'payload."subscribed" is a reserved message type and cannot be a channel' }],
    ['a relay reply sent by a client', '{"type":"subscribed","payload":{"channel":"ch","message":"subscribed"}}', { code: 'reserved_type', message: '"subscribed" is a relay reply and cannot be sent by clients' }],
    ['an error sent by a client', '{"type":"error","payload":{"message":"x","code":"y"}}', { code: 'reserved_type' }],
    ['a binary frame', Buffer.from(good), { code: 'binary_not_supported', message: 'binary frames are not supported: send JSON as a text frame' }],
  ];

  for (const [name, frame, expected] of cases) {
    test(`${name} → error reply, connection still usable`, async () => {
      const peer = await WsPeer.open(relay.url);
      const before = bystander.frames.length;
      peer.send(frame, { binary: Buffer.isBuffer(frame) });
      const reply = await peer.next();
      assert.equal(reply.type, 'error');
      assert.equal(typeof reply.payload.message, 'string');
      for (const [key, value] of Object.entries(expected)) assert.equal(reply.payload[key], value, key);
      // Same connection, next frame works.
      assert.equal((await peer.subscribe('ch')).type, 'subscribed');
      peer.send(good);
      await peer.waitForFrames(3);
      assert.equal(peer.texts[2], good);
      await bystander.waitForFrames(before + 1);
      assert.equal(bystander.texts.at(-1), good, 'the bystander got only the good message');
      await peer.close();
    });
  }

  const fatal: Array<[string, string | Buffer, number]> = [
    ['an oversized frame', good.replace('"ok"', JSON.stringify('x'.repeat(70 * 1024))), 1009],
    ['invalid UTF-8 in a text frame', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 1007],
  ];
  for (const [name, frame, code] of fatal) {
    test(`${name} closes only that connection, with ${code}`, async () => {
      const peer = await WsPeer.open(relay.url);
      peer.send(frame); // a Buffer sent as text: ws does not check what it sends
      assert.equal(await peer.closed, code);
      const before = bystander.frames.length;
      const other = await WsPeer.open(relay.url);
      other.send(good);
      await bystander.waitForFrames(before + 1);
      assert.equal(bystander.texts.at(-1), good);
      await other.close();
    });
  }

  test('errors are counted in /metrics by code, socket-level ones under a fixed set of labels', async () => {
    const metrics = (await (await fetch(relay.url.replace('ws:', 'http:') + '/metrics')).text()).split('\n');
    for (const line of [
      'weather_relay_errors_total{code="invalid_json"} 1',
      'weather_relay_errors_total{code="binary_not_supported"} 1',
      'weather_relay_errors_total{code="message_too_large"} 1',
      'weather_relay_errors_total{code="invalid_frame"} 1',
    ]) {
      assert.ok(metrics.includes(line), `${line} in:\n${metrics.join('\n')}`);
    }
    assert.deepEqual(metrics.filter((line) => /code="WS_ERR|code="E[A-Z]+"/.test(line)), []);
  });
});
