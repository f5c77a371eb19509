// Offsets per channel and idempotent publishes, through a relay process: each channel counts
// from 1 whatever is published elsewhere, a resume is per channel, and a resend of a payload.id
// already published is acknowledged with its original offset and delivered to nobody again.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { channelMessage, responseDeltaPayload } from '../../src/protocol';
import { spawnRelay, type RelayProcess } from '../support/relay-process';
import { WsPeer } from '../support/ws-peer';

const ACKS = { headers: { 'x-weather-relay-features': 'ack' } };
const publish = (channel: string, text: string, id?: string) =>
  JSON.stringify(channelMessage(channel, responseDeltaPayload('t', text, id ? { id } : {})));

describe('offsets per channel', () => {
  let relay: RelayProcess;
  let epoch: string;
  before(async () => {
    relay = await spawnRelay(['--quiet']);
    const probe = await WsPeer.open(relay.url);
    probe.send({ type: 'subscribe', payload: { channel: 'probe', since: 0 } });
    epoch = (await probe.next()).payload.epoch;
    await probe.close();
  });
  after(() => relay.stop('SIGKILL'));

  test('two channels published interleaved each count 1, 2, 3, in receipts and in what subscribers get', async () => {
    const watchers = await Promise.all(['x1', 'y1'].map(async (channel) => {
      const peer = await WsPeer.open(relay.url);
      peer.send({ type: 'subscribe', payload: { channel, since: 0 } });
      await peer.next();
      return peer;
    }));
    const publisher = await WsPeer.open(relay.url, ACKS);
    for (const text of ['1', '2', '3']) for (const channel of ['x1', 'y1']) publisher.send(publish(channel, `${channel}-${text}`));
    await publisher.waitForFrames(6);
    assert.deepEqual(publisher.messages.map((ack) => [ack.payload.channel, ack.payload.offset, ack.payload.epoch]), [
      ['x1', 1, epoch], ['y1', 1, epoch], ['x1', 2, epoch], ['y1', 2, epoch], ['x1', 3, epoch], ['y1', 3, epoch],
    ]);
    for (const [index, channel] of ['x1', 'y1'].entries()) {
      await watchers[index].waitForFrames(4);
      assert.deepEqual(watchers[index].messages.slice(1).map((m) => [m.payload.offset, m.payload.message]), [
        [1, `${channel}-1`], [2, `${channel}-2`], [3, `${channel}-3`],
      ]);
    }
    await Promise.all([publisher, ...watchers].map((peer) => peer.close()));
  });

  test('a resume is per channel: since counts in its channel, and the reply gives that channel’s top offset', async () => {
    const publisher = await WsPeer.open(relay.url, ACKS);
    for (const text of ['a', 'b', 'c']) for (const channel of ['x2', 'y2']) publisher.send(publish(channel, `${channel}-${text}`));
    publisher.send(publish('y2', 'y2-d'));
    await publisher.waitForFrames(7);

    const resumeX = await WsPeer.open(relay.url);
    resumeX.send({ type: 'subscribe', payload: { channel: 'x2', since: 1, epoch } });
    await resumeX.waitForFrames(3);
    const resumeY = await WsPeer.open(relay.url);
    resumeY.send({ type: 'subscribe', payload: { channel: 'y2', since: 3, epoch } });
    await resumeY.waitForFrames(2);
    await Promise.all([resumeX.settle(100), resumeY.settle(100)]);
    const [replyX, ...replayX] = resumeX.messages;
    assert.deepEqual(replyX, { type: 'subscribed', payload: { channel: 'x2', message: 'subscribed', epoch, offset: 3, recovered: true } });
    assert.deepEqual(replayX.map((m) => [m.payload.offset, m.payload.message]), [[2, 'x2-b'], [3, 'x2-c']]);
    const [replyY, ...replayY] = resumeY.messages;
    assert.deepEqual(replyY, { type: 'subscribed', payload: { channel: 'y2', message: 'subscribed', epoch, offset: 4, recovered: true } });
    assert.deepEqual(replayY.map((m) => [m.payload.offset, m.payload.message]), [[4, 'y2-d']]);
    await Promise.all([publisher, resumeX, resumeY].map((peer) => peer.close()));
  });

  test('a resend of a payload.id already published gets the original receipt and reaches nobody twice', async () => {
    const seed = await WsPeer.open(relay.url);
    await seed.subscribe('z1');
    const resuming = await WsPeer.open(relay.url);
    resuming.send({ type: 'subscribe', payload: { channel: 'z1', since: 0 } });
    await resuming.next();
    const publisher = await WsPeer.open(relay.url, ACKS);
    publisher.send(publish('z1', 'first', 'evt-1'));
    publisher.send(publish('z1', 'second', 'evt-2'));
    await publisher.waitForFrames(2);
    // The resend comes on another connection, as after a reconnect; then a marker: had the resend
    // been delivered, it would arrive before the marker.
    const again = await WsPeer.open(relay.url, ACKS);
    again.send(publish('z1', 'first', 'evt-1'));
    again.send(publish('z1', 'marker', 'evt-3'));
    await again.waitForFrames(2);
    assert.deepEqual(again.messages.map((ack) => [ack.payload.id, ack.payload.offset, ack.payload.epoch]), [['evt-1', 1, epoch], ['evt-3', 3, epoch]]);
    await seed.waitForFrames(4);
    await resuming.waitForFrames(4);
    assert.deepEqual(seed.messages.slice(1).map((m) => m.payload.message), ['first', 'second', 'marker']);
    assert.deepEqual(resuming.messages.slice(1).map((m) => [m.payload.offset, m.payload.message]), [[1, 'first'], [2, 'second'], [3, 'marker']]);

    // A resume replays it once too: the history holds it once.
    const late = await WsPeer.open(relay.url);
    late.send({ type: 'subscribe', payload: { channel: 'z1', since: 0, epoch } });
    await late.waitForFrames(4);
    await late.settle(100);
    assert.deepEqual(late.messages.map((m) => m.payload.offset), [3, 1, 2, 3]);
    await Promise.all([seed, resuming, publisher, again, late].map((peer) => peer.close()));
  });
});
