import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PanelBatcher } from '../../src/activity';
import { RecentIds } from '../../src/collections/recent-ids';
import type { HeaderView, HostToPanel, TurnHeader } from '../../src/protocol';

const header: HeaderView = { connection: 'connected', uri: 'ws://localhost:4000', channel: 'weather-update', hasApiKey: true, busy: false };
const turn: TurnHeader = { index: 0, startedAt: 0, status: 'running' };
const answer = (append: string, threadId = 't', turnIndex = 0): HostToPanel => ({ kind: 'answer', threadId, turnIndex, append });

function collector(intervalMs: number) {
  const batches: HostToPanel[][] = [];
  const batcher = new PanelBatcher((batch) => batches.push(batch), intervalMs);
  return { batches, batcher };
}

describe('PanelBatcher', () => {
  test('appends to the same answer become one, also with other changes between; other changes keep their order', () => {
    const { batches, batcher } = collector(1000);
    batcher.push(answer('a'));
    batcher.push(answer('b'));
    batcher.push(answer('c'));
    batcher.push({ kind: 'turn', threadId: 't', turn });
    batcher.push(answer('d'));
    batcher.push(answer('e', 't', 1)); // another turn: not merged
    batcher.push(answer('f', 'u')); // another thread: not merged
    batcher.push(answer('g', 'u'));
    batcher.flush();
    assert.deepEqual(batches, [[answer('abcd'), { kind: 'turn', threadId: 't', turn }, answer('e', 't', 1), answer('fg', 'u')]]);
    // A publisher interleaving one-character deltas over many threads costs one append per answer.
    for (let i = 0; i < 5_000; i++) batcher.push(answer('x', `t${i % 50}`));
    batcher.flush();
    assert.equal(batches[1].length, 50);
    assert.ok(batches[1].every((message) => message.kind === 'answer' && message.append === 'x'.repeat(100)));
  });

  test('merging never changes the messages it was given', () => {
    const { batcher } = collector(1000);
    const first = answer('a');
    batcher.push(first);
    batcher.push(answer('b'));
    batcher.flush();
    assert.deepEqual(first, answer('a'));
  });

  test('delivers at most once per interval, however many changes arrive', async () => {
    const { batches, batcher } = collector(40);
    const started = Date.now();
    for (let i = 0; i < 500; i++) batcher.push(answer(String(i % 10)));
    assert.equal(batches.length, 0, 'nothing is delivered synchronously');
    await sleep(10);
    assert.equal(batches.length, 0, 'nothing before the interval');
    await sleep(80);
    assert.equal(batches.length, 1);
    assert.ok(Date.now() - started >= 40);
    assert.equal(batches[0].length, 1);
    assert.equal((batches[0][0] as Extract<HostToPanel, { kind: 'answer' }>).append.length, 500);
    // A quiet batcher sends nothing more.
    await sleep(60);
    assert.equal(batches.length, 1);
    // The next change starts a new interval.
    batcher.push(answer('z'));
    await sleep(80);
    assert.deepEqual(batches[1], [answer('z')]);
  });

  test('a steady stream gives roughly one batch per interval, not one per change', async () => {
    const { batches, batcher } = collector(20);
    const end = Date.now() + 200;
    let pushed = 0;
    while (Date.now() < end) {
      batcher.push(answer('x'));
      pushed++;
      await sleep(1);
    }
    batcher.flush();
    const delivered = batches.flat().reduce((sum, message) => sum + (message as Extract<HostToPanel, { kind: 'answer' }>).append.length, 0);
    assert.equal(delivered, pushed, 'nothing is lost');
    assert.ok(batches.length <= 200 / 20 + 2, `${batches.length} batches for ${pushed} changes`);
    assert.ok(batches.length < pushed);
  });

  test('flush delivers now and cancels the timer; an empty flush delivers nothing', async () => {
    const { batches, batcher } = collector(30);
    batcher.flush();
    assert.equal(batches.length, 0);
    batcher.push(answer('a'));
    batcher.flush();
    assert.equal(batches.length, 1);
    await sleep(60);
    assert.equal(batches.length, 1, 'the cancelled timer does not deliver an empty batch');
  });

  test('a snapshot or clear makes everything queued before it irrelevant', () => {
    const { batches, batcher } = collector(1000);
    batcher.push(answer('a'));
    batcher.push({ kind: 'removed', threadIds: ['x'] });
    batcher.push({ kind: 'snapshot', header, threads: [] });
    batcher.push(answer('b'));
    batcher.flush();
    batcher.push(answer('c'));
    batcher.push({ kind: 'cleared' });
    batcher.flush();
    assert.deepEqual(batches, [[{ kind: 'snapshot', header, threads: [] }, answer('b')], [{ kind: 'cleared' }]]);
  });

  test('discard drops what is queued and the pending timer', async () => {
    const { batches, batcher } = collector(20);
    batcher.push(answer('a'));
    batcher.discard();
    await sleep(50);
    assert.equal(batches.length, 0);
    batcher.push(answer('b'));
    batcher.flush();
    assert.deepEqual(batches, [[answer('b')]]);
  });

  test('a newer thread marker, turn header or tool card overwrites the queued one in its place', () => {
    const { batches, batcher } = collector(1000);
    const card = (status: 'running' | 'executed'): HostToPanel => ({ kind: 'tool', threadId: 't', turnIndex: 0, position: 0, tool: { key: 'k', message: 'm', status } });
    batcher.push({ kind: 'thread', threadId: 't', origin: 'remote', undelivered: 0, notShared: 0 });
    batcher.push({ kind: 'turn', threadId: 't', turn });
    batcher.push(card('running'));
    batcher.push(answer('a'));
    for (let i = 1; i <= 1_000; i++) batcher.push({ kind: 'turn', threadId: 't', turn: { ...turn, omittedTools: i } });
    batcher.push(card('executed'));
    batcher.push(answer('b'));
    batcher.push({ kind: 'thread', threadId: 't', origin: 'remote', undelivered: 3, notShared: 0 });
    batcher.flush();
    assert.deepEqual(batches, [
      [
        { kind: 'thread', threadId: 't', origin: 'remote', undelivered: 3, notShared: 0 },
        { kind: 'turn', threadId: 't', turn: { ...turn, omittedTools: 1_000 } },
        card('executed'),
        answer('ab'),
      ],
    ]);
  });

  test('a header that replaces the answer is never moved before appends queued after the old one', () => {
    const { batches, batcher } = collector(1000);
    batcher.push({ kind: 'turn', threadId: 't', turn });
    batcher.push(answer('partial'));
    batcher.push({ kind: 'turn', threadId: 't', turn: { ...turn, status: 'completed' }, answer: 'whole' });
    batcher.push(answer(' and more'));
    batcher.flush();
    assert.deepEqual(batches[0], [
      { kind: 'turn', threadId: 't', turn },
      answer('partial'),
      { kind: 'turn', threadId: 't', turn: { ...turn, status: 'completed' }, answer: 'whole' },
      answer(' and more'),
    ]);
  });

  test('what is queued for removed threads and turns is dropped; removals go only for threads the panel has', () => {
    const { batches, batcher } = collector(1000);
    batcher.push({ kind: 'thread', threadId: 'shown', origin: 'remote', undelivered: 0, notShared: 0 });
    batcher.flush();
    for (let i = 0; i < 1_000; i++) {
      batcher.push({ kind: 'thread', threadId: `flood${i}`, origin: 'remote', undelivered: 0, notShared: 0 });
      batcher.push({ kind: 'turn', threadId: `flood${i}`, turn });
      batcher.push(answer('x', `flood${i}`));
      batcher.push({ kind: 'removed', threadIds: [`flood${i}`] });
    }
    batcher.push(answer('kept', 'shown'));
    batcher.push({ kind: 'removed', threadIds: ['shown'] });
    batcher.push({ kind: 'thread', threadId: 'shown', origin: 'local', undelivered: 1, notShared: 0 });
    batcher.flush();
    assert.deepEqual(batches[1], [
      { kind: 'removed', threadIds: ['shown'] },
      { kind: 'thread', threadId: 'shown', origin: 'local', undelivered: 1, notShared: 0 },
    ]);

    batcher.push({ kind: 'turn', threadId: 'shown', turn: { ...turn, index: 4 } });
    batcher.push(answer('old', 'shown', 4));
    batcher.push({ kind: 'turn', threadId: 'shown', turn: { ...turn, index: 5 } });
    batcher.push({ kind: 'turnsRemoved', threadId: 'shown', below: 3 });
    batcher.push({ kind: 'turnsRemoved', threadId: 'shown', below: 5 });
    batcher.flush();
    assert.deepEqual(batches[2], [
      { kind: 'turn', threadId: 'shown', turn: { ...turn, index: 5 } },
      { kind: 'turnsRemoved', threadId: 'shown', below: 5 },
    ]);
  });
});
