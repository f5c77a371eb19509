// Recovery beyond the seed: offsets, `since`, `recovered`, epochs, receipts. Seed clients see none of it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { channelMessage, responseDeltaPayload } from '../../src/protocol';
import type { RunningRelay } from '../../src/relay';
import { startTestRelay } from '../support/relay-mode';
import { WsPeer } from '../support/ws-peer';

const publish = (channel: string, text: string, id?: string) =>
  JSON.stringify(channelMessage(channel, responseDeltaPayload('t', text, id ? { id } : {})));

describe('history and resume', () => {
  let relay: RunningRelay;
  before(async () => {
    relay = await startTestRelay({ host: '127.0.0.1', port: 0, historySize: 5 });
  });
  after(() => relay.close());

  test('a seed subscriber gets the exact bytes; a since-subscriber gets offsets; replay fills the gap', async () => {
    const publisher = await WsPeer.open(relay.url);
    const sent = ['one', 'two', 'three'].map((text) => publish('h1', text));
    for (const frame of sent) publisher.send(frame);
    await new Promise((resolve) => setTimeout(resolve, 50));

    const seed = await WsPeer.open(relay.url);
    assert.deepEqual(await seed.subscribe('h1'), { type: 'subscribed', payload: { channel: 'h1', message: 'subscribed' } });

    const resuming = await WsPeer.open(relay.url);
    resuming.send({ type: 'subscribe', payload: { channel: 'h1', since: 0 } });
    await resuming.waitForFrames(4);
    const [reply, ...replayed] = resuming.messages;
    assert.deepEqual(reply, {
      type: 'subscribed',
      payload: { channel: 'h1', message: 'subscribed', epoch: relay.epoch, offset: reply.payload.offset, recovered: true },
    });
    assert.deepEqual(replayed.map((message) => message.payload.message), ['one', 'two', 'three']);
    const offsets = replayed.map((message) => message.payload.offset);
    assert.ok(offsets[0] < offsets[1] && offsets[1] < offsets[2], 'offsets increase');
    assert.equal(reply.payload.offset, offsets[2]);

    const live = publish('h1', 'four');
    publisher.send(live);
    await seed.waitForFrames(2);
    await resuming.waitForFrames(5);
    assert.equal(seed.texts[1], live, 'seed subscriber: the bytes as published');
    assert.equal(resuming.messages[4].payload.offset, offsets[2] + 1);
    assert.equal(resuming.messages[4].payload.message, 'four');

    // Resuming from the second message replays the rest, and says nothing was lost.
    const again = await WsPeer.open(relay.url);
    again.send({ type: 'subscribe', payload: { channel: 'h1', since: offsets[1], epoch: relay.epoch } });
    await again.waitForFrames(3);
    assert.equal(again.messages[0].payload.recovered, true);
    assert.deepEqual(again.messages.slice(1).map((message) => message.payload.message), ['three', 'four']);
    await Promise.all([publisher, seed, resuming, again].map((peer) => peer.close()));
  });

  test('a gap longer than the history says recovered:false and replays what is left', async () => {
    const publisher = await WsPeer.open(relay.url);
    for (let i = 0; i < 9; i++) publisher.send(publish('h2', `m${i}`));
    const probe = await WsPeer.open(relay.url);
    probe.send({ type: 'subscribe', payload: { channel: 'h2', since: 0 } });
    await probe.waitForFrames(6);
    assert.equal(probe.messages[0].payload.recovered, false);
    assert.deepEqual(probe.messages.slice(1).map((message) => message.payload.message), ['m4', 'm5', 'm6', 'm7', 'm8']);
    await Promise.all([publisher.close(), probe.close()]);
  });

  test('an offset from another epoch (a restarted relay) replays everything held, recovered:false', async () => {
    const publisher = await WsPeer.open(relay.url);
    publisher.send(publish('h3', 'only'));
    const peer = await WsPeer.open(relay.url);
    peer.send({ type: 'subscribe', payload: { channel: 'h3', since: 999, epoch: 'an-old-epoch' } });
    await peer.waitForFrames(2);
    assert.equal(peer.messages[0].payload.recovered, false);
    assert.equal(peer.messages[1].payload.message, 'only');
    await Promise.all([publisher.close(), peer.close()]);
  });

  test('receipts only for connections that ask for them at the upgrade', async () => {
    const plain = await WsPeer.open(relay.url);
    const asking = await WsPeer.open(relay.url, { headers: { 'x-weather-relay-features': 'ack' } });
    plain.send(publish('h4', 'no receipt'));
    asking.send(publish('h4', 'receipt', 'evt-1'));
    const ack = await asking.next();
    assert.deepEqual(Object.keys(ack.payload).sort(), ['channel', 'epoch', 'id', 'offset']);
    assert.deepEqual({ type: ack.type, id: ack.payload.id, channel: ack.payload.channel, epoch: ack.payload.epoch }, {
      type: '@ack',
      id: 'evt-1',
      channel: 'h4',
      epoch: relay.epoch,
    });
    await plain.settle(100);
    assert.equal(plain.frames.length, 0);
    await Promise.all([plain.close(), asking.close()]);
  });

  test('the epoch is announced in the upgrade response', async () => {
    const peer = await WsPeer.open(relay.url);
    let epoch: string | undefined;
    await new Promise<void>((resolve, reject) => {
      const { request } = require('node:http') as typeof import('node:http');
      const req = request(relay.url.replace('ws:', 'http:'), {
        headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      req.on('upgrade', (response, socket) => {
        epoch = response.headers['x-weather-relay-epoch'] as string;
        socket.destroy();
        resolve();
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(epoch, relay.epoch);
    await peer.close();
  });
});
