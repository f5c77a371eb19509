// Broadcast frames are encoded by the relay itself: every length form of RFC 6455
// (7-bit, 16-bit, 64-bit) must reach a standard client byte for byte.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeTextFrame } from '../../src/relay/frame';
import { startTestRelay } from '../support/relay-mode';
import { WsPeer } from '../support/ws-peer';

test('frame headers for each length form', () => {
  assert.deepEqual([...encodeTextFrame(Buffer.from('hi'))], [0x81, 2, 0x68, 0x69]);
  assert.deepEqual([...encodeTextFrame(Buffer.alloc(125)).subarray(0, 2)], [0x81, 125]);
  assert.deepEqual([...encodeTextFrame(Buffer.alloc(126)).subarray(0, 4)], [0x81, 126, 0, 126]);
  assert.deepEqual([...encodeTextFrame(Buffer.alloc(65_535)).subarray(0, 4)], [0x81, 126, 0xff, 0xff]);
  assert.deepEqual([...encodeTextFrame(Buffer.alloc(65_536)).subarray(0, 10)], [0x81, 127, 0, 0, 0, 0, 0, 1, 0, 0]);
  assert.equal(encodeTextFrame(Buffer.alloc(70_000)).length, 70_010);
});

test('messages of every boundary size arrive intact through the relay', async () => {
  const relay = await startTestRelay({ host: '127.0.0.1', port: 0 });
  try {
    const subscriber = await WsPeer.open(relay.url);
    await subscriber.subscribe('sizes');
    const resuming = await WsPeer.open(relay.url);
    resuming.send({ type: 'subscribe', payload: { channel: 'sizes', since: 0 } });
    await resuming.waitForFrames(1);
    const publisher = await WsPeer.open(relay.url);
    const empty = JSON.stringify({ type: 'sizes', payload: { message: '', timestamp: 1, thread_id: 't', type: 'response' } });
    const sent = [125, 126, 127, 65_535, 65_536, 200_000].map((size) =>
      JSON.stringify({ type: 'sizes', payload: { message: 'x'.repeat(size - empty.length), timestamp: 1, thread_id: 't', type: 'response' } }),
    );
    for (const [index, frame] of sent.entries()) assert.equal(Buffer.byteLength(frame), [125, 126, 127, 65_535, 65_536, 200_000][index]);
    for (const frame of sent) publisher.send(frame);
    await subscriber.waitForFrames(1 + sent.length);
    assert.deepEqual(subscriber.texts.slice(1), sent);
    await resuming.waitForFrames(1 + sent.length);
    assert.deepEqual(resuming.messages.slice(1).map((message) => message.payload.message.length), sent.map((frame) => JSON.parse(frame).payload.message.length));
    await Promise.all([subscriber.close(), resuming.close(), publisher.close()]);
  } finally {
    await relay.close();
  }
});
