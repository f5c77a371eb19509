// Routing: many subscribers on several channels, each gets its channel's messages and no others.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { channelMessage, responseDeltaPayload } from '../../src/protocol';
import type { RunningRelay } from '../../src/relay';
import { startTestRelay } from '../support/relay-mode';
import { WsPeer } from '../support/ws-peer';
import { waitUntil } from '../support/wait';

let relay: RunningRelay;
before(async () => {
  relay = await startTestRelay({ host: '127.0.0.1', port: 0 });
});
after(() => relay.close());

test('30 subscribers on 3 channels, one on all three, one on none', async () => {
  const channels = ['alpha', 'beta', 'gamma'];
  const peers: Array<{ peer: WsPeer; channels: string[] }> = [];
  for (let i = 0; i < 30; i++) {
    const peer = await WsPeer.open(relay.url);
    const channel = channels[i % 3];
    await peer.subscribe(channel);
    peers.push({ peer, channels: [channel] });
  }
  const everything = await WsPeer.open(relay.url);
  for (const channel of channels) await everything.subscribe(channel);
  peers.push({ peer: everything, channels });
  const nothing = await WsPeer.open(relay.url);
  peers.push({ peer: nothing, channels: [] });
  assert.deepEqual(relay.gauges(), { connections: 32, channels: 3, subscriptions: 33 });

  const publisher = await WsPeer.open(relay.url);
  const sent: Record<string, string[]> = { alpha: [], beta: [], gamma: [] };
  for (let i = 0; i < 60; i++) {
    const channel = channels[i % 3];
    const text = JSON.stringify(channelMessage(channel, responseDeltaPayload(`thread-${channel}`, `delta ${i}`, { seq: i })));
    sent[channel].push(text);
    publisher.send(text);
  }
  for (const { peer, channels: own } of peers) {
    const expected = own.flatMap((channel) => sent[channel]);
    const already = own.length; // the subscribe replies
    await peer.waitForFrames(already + expected.length);
    const got = peer.texts.slice(already);
    for (const channel of own) {
      assert.deepEqual(got.filter((text) => JSON.parse(text).type === channel), sent[channel], 'in publish order');
    }
    assert.equal(got.length, expected.length);
  }
  await nothing.settle(100);
  assert.equal(nothing.frames.length, 0, 'a connection with no subscription receives nothing');
  assert.equal(relay.metrics.messagesPublished, 60);
  assert.equal(relay.metrics.messagesDelivered, 60 * 10 + 60);

  await Promise.all([...peers.map(({ peer }) => peer.close()), publisher.close()]);
  await waitUntil(() => relay.gauges().connections === 0, 2000, 'connections to close');
  assert.deepEqual(relay.gauges(), { connections: 0, channels: 0, subscriptions: 0 }, 'subscriptions removed on close');
});
