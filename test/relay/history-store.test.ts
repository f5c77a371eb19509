// RelayHistory on its own: what it keeps, what it forgets first, and what a resume learns.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Delivery } from '../../src/relay/delivery';
import { encodeTextFrame } from '../../src/relay/frame';
import type { StoredMessage } from '../../src/relay/delivery';
import { LOST, RelayHistory, type InMemoryCursor } from '../../src/relay/history';

const frameOf = (channel: string, text: string) =>
  encodeTextFrame(Buffer.from(JSON.stringify({ type: channel, payload: { message: text, timestamp: 1, thread_id: 't', type: 'response' } })));
/** Reads `cursor` until it has nothing left (or says LOST); bounded. */
function drain(cursor: InMemoryCursor): Array<StoredMessage | typeof LOST> {
  const read: Array<StoredMessage | typeof LOST> = [];
  for (let i = 0; i < 1000; i++) {
    const next = cursor.next();
    if (next === undefined) return read;
    read.push(next);
    if (next === LOST) return read;
  }
  throw new Error('the cursor never ended');
}
const offsets = (history: RelayHistory, channel: string, since = 0) =>
  drain(history.resume(channel, since, undefined).cursor).map((m) => (m === LOST ? 'lost' : m.offset));

test('one copy: the kept message, its live delivery and its replay share the publisher’s frame buffer', () => {
  const history = new RelayHistory({ perChannel: 10, channels: 10, bytes: 1 << 20 });
  const frame = frameOf('c', 'hello');
  const stored = history.append('c', frame);
  assert.equal(stored.frame, frame);
  assert.equal(new Delivery(stored).frame(), frame);
  assert.equal((history.resume('c', 0, undefined).cursor.next() as StoredMessage).frame, frame);
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
  // Each channel counts its own offsets. Held: b's 1, a's 3, b's 2.
  assert.deepEqual([offsets(history, 'a'), offsets(history, 'b')], [[3], [1, 2]]);
  assert.equal(history.bytes, size * 3);
  assert.equal(history.resume('a', 1, undefined).recovered, false, 'offset 2 of a is gone');
  assert.equal(history.resume('a', 2, undefined).recovered, true);
  assert.equal(history.resume('b', 0, undefined).recovered, true, 'nothing of b went');
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
  assert.equal(history.resume('a', 0, undefined).recovered, false);
  assert.equal(history.resume('never-seen', 1, undefined).recovered, false, 'it may have had offset 2');
  const { offset, recovered } = history.resume('never-seen', 2, undefined);
  assert.deepEqual({ offset, recovered }, { offset: 2, recovered: true }, 'its next offset would be 3');
  // The oldest entry relay-wide is now b's: the budget keeps working after the eviction.
  assert.deepEqual([offsets(history, 'b'), offsets(history, 'c')], [[1], [1]]);
  // A forgotten channel counts on above every offset forgotten so: no offset is used twice in an epoch.
  assert.equal(history.append('a', frameOf('a', 'm4')).offset, 3);
  assert.equal(history.resume('a', 2, undefined).recovered, true);
  assert.deepEqual(offsets(history, 'a', 2), [3]);
});

test('each channel counts its own offsets from 1, and a resume gives that channel’s top offset', () => {
  const history = new RelayHistory({ perChannel: 10, channels: 10, bytes: 1 << 20 });
  for (const channel of ['a', 'b', 'a', 'b', 'a', 'b']) history.append(channel, frameOf(channel, 'm'));
  history.append('a', frameOf('a', 'm'));
  assert.deepEqual([offsets(history, 'a'), offsets(history, 'b')], [[1, 2, 3, 4], [1, 2, 3]]);
  assert.deepEqual([history.resume('a', 0, undefined).offset, history.resume('b', 0, undefined).offset, history.resume('c', 0, undefined).offset], [4, 3, 0]);
  assert.deepEqual(offsets(history, 'b', 2), [3]);
});

test('with no history every publish is lost to a resume, and said to be', () => {
  const history = new RelayHistory({ perChannel: 0, channels: 10, bytes: 1 << 20 });
  history.append('a', frameOf('a', 'm0'));
  assert.equal(history.bytes, 0);
  assert.deepEqual([history.resume('a', 0, undefined).recovered, offsets(history, 'a')], [false, []]);
  assert.equal(history.resume('a', 1, undefined).recovered, true);
});

test('a cursor goes on into what is published while it is read, and says LOST when the history forgets a message unread', () => {
  const size = frameOf('a', 'm0').length;
  const history = new RelayHistory({ perChannel: 100, channels: 10, bytes: size * 3 });
  history.append('a', frameOf('a', 'm0'));
  history.append('a', frameOf('a', 'm1'));
  const { cursor } = history.resume('a', 0, undefined);
  assert.equal((cursor.next() as StoredMessage).offset, 1);
  history.append('a', frameOf('a', 'm2'));
  assert.deepEqual(drain(cursor).map((m) => (m === LOST ? 'lost' : m.offset)), [2, 3], 'published meanwhile, in turn');
  history.append('a', frameOf('a', 'm3'));
  assert.equal((cursor.next() as StoredMessage).offset, 4);

  const slow = history.resume('a', 3, undefined).cursor; // has offset 4 still to read
  for (const i of [5, 6, 7]) history.append('b', frameOf('b', `m${i}`)); // a's 2, 3 and 4 go
  history.append('a', frameOf('a', 'm8'));
  assert.equal((cursor.next() as StoredMessage).offset, 5, 'the last one read was forgotten: nothing unread was');
  assert.equal(cursor.next(), undefined);
  assert.deepEqual(drain(slow), [LOST], 'offset 4 was forgotten unread');
});

test('a message too large to keep: lost to a resume made after it, LOST to a cursor it passes', () => {
  const size = frameOf('a', 'm0').length;
  const history = new RelayHistory({ perChannel: 100, channels: 10, bytes: size * 3 });
  history.append('a', frameOf('a', 'm0'));
  history.append('a', frameOf('a', 'x'.repeat(size * 3))); // offset 2, never kept
  history.append('a', frameOf('a', 'm2'));
  const before = history.resume('a', 0, undefined);
  assert.equal(before.recovered, false);
  assert.equal((before.cursor.next() as StoredMessage).offset, 1);
  history.append('a', frameOf('a', 'x'.repeat(size * 3))); // offset 4, never kept
  history.append('a', frameOf('a', 'm4'));
  // Offset 2 was lost before the resume, and told; offset 4 went while the cursor read.
  assert.deepEqual(drain(before.cursor).map((m) => (m === LOST ? 'lost' : m.offset)), [3, 'lost']);
});
