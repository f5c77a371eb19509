// When frames leave: a broadcast's single frame to an idle socket at once, a stream's frames of
// one tick together. Driven with recording stand-ins for sockets; the relay suites cover real ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { beforeWrite, type Corkable } from '../../src/relay/write-batching';

class RecordingSocket implements Corkable {
  lastWriteTick = 0;
  corked = false;
  readonly events: string[] = [];
  cork(): void {
    this.events.push('cork');
  }
  uncork(): void {
    this.events.push('uncork');
  }
  /** What the connection does for each frame: ask, then write. */
  write(frame: string): void {
    beforeWrite(this);
    this.events.push(`write ${frame}${this.corked ? ' (held)' : ''}`);
  }
}

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

test('an idle socket gets its first frame at once; more frames in the same tick wait for its end, together', async () => {
  await delay(20); // whatever ran before has gone quiet
  const socket = new RecordingSocket();
  socket.write('a');
  assert.deepEqual(socket.events, ['write a'], 'written at once, no cork');
  socket.write('b');
  socket.write('c');
  assert.deepEqual(socket.events, ['write a', 'cork', 'write b (held)', 'write c (held)']);
  await nextTick();
  assert.deepEqual(socket.events.slice(-1), ['uncork'], 'released once, when the tick ends');
  assert.equal(socket.corked, false);
});

test('a broadcast to many idle sockets: each frame at once, nothing corked, nothing to release', async () => {
  await delay(20);
  const sockets = Array.from({ length: 1000 }, () => new RecordingSocket());
  for (const socket of sockets) socket.write('x');
  await nextTick();
  for (const socket of sockets) assert.deepEqual(socket.events, ['write x']);
});

test('a stream: a socket also written in the tick just before is corked from its first frame', async () => {
  await delay(20);
  const socket = new RecordingSocket();
  socket.write('1');
  await nextTick(); // the tick ends; the next one follows at once
  socket.write('2');
  socket.write('3');
  assert.deepEqual(socket.events, ['write 1', 'cork', 'write 2 (held)', 'write 3 (held)']);
  await nextTick();
  assert.equal(socket.events.at(-1), 'uncork');
});

test('after a pause the stream is over: the first frame goes at once again', async () => {
  await delay(20);
  const socket = new RecordingSocket();
  socket.write('1');
  await nextTick();
  await delay(20); // longer than the 5 ms that still counts as one stream
  socket.write('2');
  assert.deepEqual(socket.events, ['write 1', 'write 2']);
});
