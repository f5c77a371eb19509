// RelayHistory on its own: what it keeps, what it forgets first, and what a resume learns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Delivery } from '../../src/relay/delivery';
import { encodeTextFrame } from '../../src/relay/frame';
import { RelayHistory } from '../../src/relay/history';

const frameOf = (channel: string, text: string) =>
  encodeTextFrame(Buffer.from(JSON.stringify({ type: channel, payload: { message: text, timestamp: 1, thread_id: 't', type: 'response' } })));
const offsets = (history: RelayHistory, channel: string, since = 0) => history.replay(channel, since, undefined).messages.map((m) => m.offset);

test('one copy: the kept message, its live delivery and its replay share the publisher’s frame buffer', () => {
  const history = new RelayHistory({ perChannel: 10, channels: 10, bytes: 1 << 20 });
  const frame = frameOf('c', 'hello');
  const stored = history.append('c', frame);
  assert.equal(stored.frame, frame);
  assert.equal(new Delivery(stored).frame(), frame);
  assert.equal(history.replay('c', 0, undefined).messages[0].frame, frame);
  assert.equal(history.bytes, frame.length);
  // The form with offsets is rebuilt from that one buffer.
  assert.deepEqual(JSON.parse(new Delivery(stored).annotated().subarray(2).toString()).payload, {
    message: 'hello', timestamp: 1, thread_id: 't', type: 'response', offset: 1,
  });
});

test('over the byte budget the oldest go first, whatever their channel', () => {
  const size = frameOf('a', 'm0').length;
  const history = new RelayHistory({ perChannel: 100, channels: 10, bytes: size * 3 });
  for (const [i, channel] of ['a', 'a', 'b', 'a', 'b'].entries()) history.append(channel, frameOf(channel, `m${i}`));
  // Held: offsets 3 (b), 4 (a), 5 (b).
  assert.deepEqual([offsets(history, 'a'), offsets(history, 'b')], [[4], [3, 5]]);
  assert.equal(history.bytes, size * 3);
  assert.equal(history.replay('a', 1, undefined).recovered, false, 'offset 2 of a is gone');
  assert.equal(history.replay('a', 2, undefined).recovered, true);
  assert.equal(history.replay('b', 0, undefined).recovered, true, 'nothing of b went');
});

test('forgetting a whole channel frees its bytes and makes unknown channels assume the worst', () => {
  const size = frameOf('a', 'm0').length;
  const history = new RelayHistory({ perChannel: 100, channels: 2, bytes: size * 100 });
  history.append('a', frameOf('a', 'm0'));
  history.append('a', frameOf('a', 'm1'));
  history.append('b', frameOf('b', 'm2'));
  history.append('c', frameOf('c', 'm3')); // a, the least recently published, goes
  assert.equal(history.bytes, size * 2);
  assert.deepEqual(offsets(history, 'a'), []);
  assert.equal(history.replay('a', 0, undefined).recovered, false);
  assert.equal(history.replay('never-seen', 1, undefined).recovered, false, 'it may have had offset 2');
  assert.equal(history.replay('never-seen', 2, undefined).recovered, true);
  // The oldest entry relay-wide is now b's: the budget keeps working after the eviction.
  assert.deepEqual([offsets(history, 'b'), offsets(history, 'c')], [[3], [4]]);
});

test('with no history every publish is lost to a resume, and said to be', () => {
  const history = new RelayHistory({ perChannel: 0, channels: 10, bytes: 1 << 20 });
  history.append('a', frameOf('a', 'm0'));
  assert.equal(history.bytes, 0);
  assert.deepEqual(history.replay('a', 0, undefined), { messages: [], recovered: false });
  assert.equal(history.replay('a', 1, undefined).recovered, true);
});
