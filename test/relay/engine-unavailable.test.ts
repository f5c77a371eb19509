// The relay over a channel engine that answers later and can be out of reach (as a Redis
// backplane will), through a relay in this process: publishes answered later are
// acknowledged in order; an unreachable engine gives `unavailable` errors and no receipt,
// /healthz answers 503 with the reason, and all is well again once the engine is back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { channelMessage, responseDeltaPayload } from '../../src/protocol';
import { startRelay, type RunningRelay } from '../../src/relay';
import { RemoteLikeEngine } from '../support/remote-like-engine';
import { WsPeer } from '../support/ws-peer';

const ACKS = { headers: { 'x-weather-relay-features': 'ack' } };
const publish = (channel: string, text: string, id: string) => JSON.stringify(channelMessage(channel, responseDeltaPayload('t', text, { id })));
const health = async (relay: RunningRelay) => {
  const response = await fetch(`${relay.url.replace('ws:', 'http:')}/healthz`);
  return { status: response.status, body: await response.json() };
};

describe('a channel engine that answers later, or not at all', () => {
  const engine = new RemoteLikeEngine();
  let relay: RunningRelay;
  before(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0, engine });
  });
  after(() => relay.close());

  test('publishes answered later are acknowledged in order, and delivered', async () => {
    const seed = await WsPeer.open(relay.url);
    await seed.subscribe('later');
    const publisher = await WsPeer.open(relay.url, ACKS);
    for (const id of ['l1', 'l2', 'l3']) publisher.send(publish('later', id, id));
    await publisher.waitForFrames(3);
    assert.deepEqual(publisher.messages.map((ack) => [ack.type, ack.payload.id, ack.payload.offset, ack.payload.epoch]), [
      ['@ack', 'l1', 1, relay.epoch], ['@ack', 'l2', 2, relay.epoch], ['@ack', 'l3', 3, relay.epoch],
    ]);
    await seed.waitForFrames(4);
    assert.deepEqual(seed.messages.slice(1).map((m) => m.payload.message), ['l1', 'l2', 'l3']);
    await Promise.all([seed.close(), publisher.close()]);
  });

  test('while out of reach: unavailable errors, no receipt, nothing delivered, /healthz 503; then back', async () => {
    const seed = await WsPeer.open(relay.url);
    await seed.subscribe('down');
    const publisher = await WsPeer.open(relay.url, ACKS);
    const resuming = await WsPeer.open(relay.url);
    engine.outage = 'the store is unreachable';
    try {
      publisher.send(publish('down', 'kept by its publisher', 'd1'));
      const refused = await publisher.next();
      assert.equal(refused.type, 'error');
      assert.equal(refused.payload.code, 'unavailable');
      assert.equal(refused.payload.channel, 'down');
      assert.equal(refused.payload.id, 'd1', 'the reply names the refused message');
      assert.match(refused.payload.message, /the store is unreachable.*not published; send it again later/);
      resuming.send({ type: 'subscribe', payload: { channel: 'down', since: 0 } });
      const notSubscribed = await resuming.next();
      assert.deepEqual([notSubscribed.type, notSubscribed.payload.code, notSubscribed.payload.channel], ['error', 'unavailable', 'down']);
      const { status, body } = await health(relay);
      assert.deepEqual([status, body.status, body.reason], [503, 'unavailable', 'the store is unreachable']);
      await Promise.all([seed.settle(100), publisher.settle(100)]);
      assert.equal(seed.frames.length, 1, 'nothing was delivered');
      assert.equal(publisher.frames.length, 1, 'no receipt');
      // An id longer than an error reply echoes is left out, not cut; a publish without one gets none.
      publisher.send(publish('down', 'long id', 'x'.repeat(257)));
      publisher.send(JSON.stringify(channelMessage('down', { ...responseDeltaPayload('t', 'no id'), id: undefined })));
      publisher.send(publish('down', 'longest echoed id', 'y'.repeat(256)));
      await publisher.waitForFrames(4);
      assert.deepEqual(publisher.messages.slice(1).map((m) => [m.payload.code, m.payload.id]), [
        ['unavailable', undefined], ['unavailable', undefined], ['unavailable', 'y'.repeat(256)],
      ]);
      assert.equal(seed.frames.length, 1, 'nothing was delivered');
      assert.equal(relay.metrics.errors.get('unavailable'), 5);
    } finally {
      engine.outage = undefined;
    }
    // Back: the resend is published once, the resume works on the same connection.
    assert.equal((await health(relay)).status, 200);
    publisher.send(publish('down', 'kept by its publisher', 'd1'));
    await publisher.waitForFrames(5);
    assert.deepEqual([publisher.messages[4].type, publisher.messages[4].payload.offset], ['@ack', 1]);
    await seed.waitForFrames(2);
    assert.equal(seed.messages[1].payload.message, 'kept by its publisher');
    resuming.send({ type: 'subscribe', payload: { channel: 'down', since: 0 } });
    await resuming.waitForFrames(3);
    assert.deepEqual(resuming.messages[1].payload, { channel: 'down', message: 'subscribed', epoch: relay.epoch, offset: 1, recovered: true });
    assert.equal(resuming.messages[2].payload.offset, 1);
    await Promise.all([seed.close(), publisher.close(), resuming.close()]);
  });

  test('a resume answered after its channel was left, or subscribed afresh, counts for nothing', async () => {
    const peer = await WsPeer.open(relay.url);
    engine.holdResumes = true;
    try {
      peer.send({ type: 'subscribe', payload: { channel: 'gone', since: 0 } });
      peer.send({ type: 'unsubscribe', payload: { channel: 'gone' } });
      peer.send({ type: 'subscribe', payload: { channel: 'again', since: 0 } });
      peer.send({ type: 'subscribe', payload: { channel: 'again', since: 0 } });
      await peer.next();
      await new Promise((resolve) => setTimeout(resolve, 50)); // every frame has reached the relay
    } finally {
      engine.holdResumes = false;
      engine.releaseResumes();
    }
    await peer.waitForFrames(2);
    await peer.settle(100);
    assert.deepEqual(peer.messages.map((m) => [m.type, m.payload.channel]), [['unsubscribed', 'gone'], ['subscribed', 'again']]);
    assert.deepEqual(relay.gauges().subscriptions, 1);
    await peer.close();
  });
});
