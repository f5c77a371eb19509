// The relay over a channel engine that answers later and can be out of reach (as a Redis
// backplane will), through a relay in this process: publishes answered later are
// acknowledged in order; an unreachable engine gives `unavailable` errors and no receipt,
// /healthz answers 503 with the reason, and all is well again once the engine is back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { channelMessage, responseDeltaPayload, type ChannelPayload } from '../../src/protocol';
import { startRelay, type RunningRelay } from '../../src/relay';
import { EngineUnavailableError, type ChannelEngine, type Published, type Resumed } from '../../src/relay/channel-engine';
import type { Subscriber } from '../../src/relay/local-fan-out';
import { InMemoryChannelEngine } from '../../src/relay/memory-engine';
import { WsPeer } from '../support/ws-peer';

/**
 * The only stand-in for an engine: the in-memory one, answering on a later turn, and out of
 * reach while `outage` says why. `holdResumes` keeps resumes unanswered until released.
 */
class RemoteLikeEngine implements ChannelEngine {
  outage: string | undefined;
  holdResumes = false;
  private readonly held: Array<() => void> = [];
  private readonly inner = new InMemoryChannelEngine({ perChannel: 100, channels: 100, bytes: 1 << 20 });

  get epoch(): string {
    return this.inner.epoch;
  }
  subscribe(channel: string, subscriber: Subscriber): boolean {
    return this.inner.subscribe(channel, subscriber);
  }
  unsubscribe(channel: string, subscriber: Subscriber): boolean {
    return this.inner.unsubscribe(channel, subscriber);
  }
  publish(channel: string, frame: Buffer, payload: ChannelPayload): Promise<Published> {
    return this.later(() => this.inner.publish(channel, frame, payload));
  }
  resume(channel: string, since: number, epoch: string | undefined): Promise<Resumed> {
    if (!this.holdResumes) return this.later(() => this.inner.resume(channel, since, epoch));
    return new Promise((resolve) => this.held.push(() => resolve(this.inner.resume(channel, since, epoch))));
  }
  releaseResumes(): void {
    for (const release of this.held.splice(0)) release();
  }
  health() {
    return this.outage === undefined ? ({ ok: true } as const) : ({ ok: false, reason: this.outage } as const);
  }
  gauges() {
    return this.inner.gauges();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  private async later<T>(answer: () => T): Promise<T> {
    await new Promise((resolve) => setImmediate(resolve));
    if (this.outage !== undefined) throw new EngineUnavailableError(this.outage);
    return answer();
  }
}

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
      assert.match(refused.payload.message, /the store is unreachable.*not published; send it again later/);
      resuming.send({ type: 'subscribe', payload: { channel: 'down', since: 0 } });
      const notSubscribed = await resuming.next();
      assert.deepEqual([notSubscribed.type, notSubscribed.payload.code, notSubscribed.payload.channel], ['error', 'unavailable', 'down']);
      const { status, body } = await health(relay);
      assert.deepEqual([status, body.status, body.reason], [503, 'unavailable', 'the store is unreachable']);
      await Promise.all([seed.settle(100), publisher.settle(100)]);
      assert.equal(seed.frames.length, 1, 'nothing was delivered');
      assert.equal(publisher.frames.length, 1, 'no receipt');
      assert.equal(relay.metrics.errors.get('unavailable'), 2);
    } finally {
      engine.outage = undefined;
    }
    // Back: the resend is published once, the resume works on the same connection.
    assert.equal((await health(relay)).status, 200);
    publisher.send(publish('down', 'kept by its publisher', 'd1'));
    await publisher.waitForFrames(2);
    assert.deepEqual([publisher.messages[1].type, publisher.messages[1].payload.offset], ['@ack', 1]);
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
