// Every exchange the seed document shows, byte for byte, against a real relay.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningRelay } from '../../src/relay';
import { startTestRelay } from '../support/relay-mode';
import { waitUntil } from '../support/wait';
import { WsPeer } from '../support/ws-peer';

const SEED_EVENTS = [
  '{"type":"weather-update","payload":{"message":"Executing weather check for Makati","timestamp":1234567890,"thread_id":"thread_xyz","status":"started","type":"tool"}}',
  '{"type":"weather-update","payload":{"message":"{\\"temperature\\": 30.14, ...}","timestamp":1234567890,"thread_id":"thread_xyz","status":"tool_executed","type":"tool"}}',
  '{"type":"weather-update","payload":{"message":"Current weather in Makati...","timestamp":1234567890,"thread_id":"thread_xyz","type":"response"}}',
  '{"type":"weather-update","payload":{"message":"Complete response...","timestamp":1234567890,"thread_id":"thread_xyz","status":"completed","type":"response"}}',
];

describe('seed exchanges', () => {
  let relay: RunningRelay;
  before(async () => {
    relay = await startTestRelay({ host: '127.0.0.1', port: 0 });
  });
  after(() => relay.close());

  test('subscribe is answered exactly as the seed shows', async () => {
    const peer = await WsPeer.open(relay.url);
    // The seed's pretty-printed subscribe message, whitespace and all.
    peer.send('{\n  "type": "subscribe",\n  "payload": {\n    "channel": "weather-update"\n  }\n}');
    await peer.waitForFrames(1);
    assert.equal(peer.texts[0], '{"type":"subscribed","payload":{"channel":"weather-update","message":"subscribed"}}');
    await peer.close();
  });

  test('the four seed events reach a subscriber as the very bytes that were published', async () => {
    const subscriber = await WsPeer.open(relay.url);
    await subscriber.subscribe('weather-update');
    const publisher = await WsPeer.open(relay.url);
    const pretty = JSON.stringify(JSON.parse(SEED_EVENTS[0]), null, 2); // formatting is kept too
    for (const event of [pretty, ...SEED_EVENTS.slice(1)]) publisher.send(event);
    await subscriber.waitForFrames(5);
    assert.deepEqual(subscriber.texts.slice(1), [pretty, ...SEED_EVENTS.slice(1)]);
    await publisher.settle(100);
    assert.deepEqual(publisher.texts, [], 'a publisher that is not subscribed gets nothing back');
    await Promise.all([subscriber.close(), publisher.close()]);
  });

  test('unsubscribe is confirmed and stops delivery', async () => {
    const subscriber = await WsPeer.open(relay.url);
    await subscriber.subscribe('weather-update');
    subscriber.send('{"type":"unsubscribe","payload":{"channel":"weather-update"}}');
    await subscriber.waitForFrames(2);
    assert.equal(subscriber.texts[1], '{"type":"unsubscribed","payload":{"channel":"weather-update","message":"unsubscribed"}}');
    const publisher = await WsPeer.open(relay.url);
    publisher.send(SEED_EVENTS[2]);
    await subscriber.settle(150);
    assert.equal(subscriber.frames.length, 2);
    await Promise.all([subscriber.close(), publisher.close()]);
  });

  test('a subscribed sender receives its own message', async () => {
    const peer = await WsPeer.open(relay.url);
    await peer.subscribe('weather-update');
    peer.send(SEED_EVENTS[3]);
    await peer.waitForFrames(2);
    assert.equal(peer.texts[1], SEED_EVENTS[3]);
    await peer.close();
  });

  test('subscribing twice is harmless and delivers once', async () => {
    const peer = await WsPeer.open(relay.url);
    await peer.subscribe('twice');
    assert.deepEqual(await peer.subscribe('twice'), { type: 'subscribed', payload: { channel: 'twice', message: 'subscribed' } });
    peer.send(SEED_EVENTS[2].replace('weather-update', 'twice'));
    await peer.waitForFrames(3);
    await peer.settle(100);
    assert.equal(peer.frames.length, 3);
    // Earlier tests' peers may still be closing on the relay's side.
    await waitUntil(() => relay.gauges().subscriptions <= 1, 5000, 'earlier subscribers to be gone');
    assert.equal(relay.gauges().subscriptions, 1);
    await peer.close();
  });
});
