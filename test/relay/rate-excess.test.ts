// The rate limit punishes sustained excess only: a relay process with a small --rate and
// --burst keeps a client whose bursts are separated by quiet periods (warning it once per
// burst), and still closes one that keeps flooding with 4029.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLOSE_CODES, channelMessage, responseDeltaPayload } from '../../src/protocol';
import { spawnRelay } from '../support/relay-process';
import { delay } from '../support/wait';
import { WsPeer } from '../support/ws-peer';

const publish = (text: string) => JSON.stringify(channelMessage('r', responseDeltaPayload('t', text)));
const warnings = (peer: WsPeer) => peer.messages.filter((message) => message.type === 'error' && message.payload.code === 'rate_limited');

test('bursts of excess with quiet periods between never close the connection', { timeout: 30_000 }, async () => {
  // 50 a second, bursts of 10: a run of excess ends after 200 ms without a dropped message.
  const relay = await spawnRelay(['--quiet', '--rate', '50', '--burst', '10']);
  try {
    const subscriber = await WsPeer.open(relay.url);
    await subscriber.subscribe('r');
    const publisher = await WsPeer.open(relay.url);
    const rounds = 5;
    for (let round = 0; round < rounds; round++) {
      // 18 at once: 10 pass, about 8 are dropped, never more than the burst of 10.
      for (let i = 0; i < 18; i++) publisher.send(publish(`${round}-${i}`));
      await publisher.until(() => warnings(publisher).length === round + 1, 5000, `the warning of burst ${round}`);
      await delay(1000);
    }
    const last = publish('after the bursts');
    publisher.send(last);
    await subscriber.until(() => subscriber.texts.at(-1) === last, 5000, 'the last message');
    assert.equal(publisher.closeCode, undefined, 'still open');
    assert.equal(warnings(publisher).length, rounds, 'one warning per burst');
    assert.equal(publisher.frames.length, rounds, 'and nothing else');
    const delivered = subscriber.frames.length - 2;
    const metrics = await (await fetch(`http://127.0.0.1:${relay.port}/metrics`)).text();
    const dropped = rounds * 18 - delivered;
    assert.ok(dropped > 10, `more dropped in all (${dropped}) than one burst allows: a lifetime count would have closed it`);
    assert.ok(metrics.split('\n').includes(`weather_relay_errors_total{code="rate_limited"} ${dropped}`), metrics);
    await Promise.all([subscriber.close(), publisher.close()]);
  } finally {
    await relay.stop('SIGKILL');
  }
});

test('sustained excess still closes with 4029, after one warning', { timeout: 30_000 }, async () => {
  const relay = await spawnRelay(['--quiet', '--rate', '50', '--burst', '10']);
  try {
    const flooder = await WsPeer.open(relay.url);
    // 250 a second, five times the rate, for at most 5 s.
    for (let i = 0; i < 250 && flooder.closeCode === undefined; i++) {
      for (let j = 0; j < 5 && flooder.socket.readyState === flooder.socket.OPEN; j++) flooder.send(publish(`flood ${i}-${j}`));
      await delay(20);
    }
    assert.equal(await flooder.closed, CLOSE_CODES.rateLimited);
    assert.equal(flooder.closeReason, 'rate limit exceeded');
    assert.equal(warnings(flooder).length, 1);
  } finally {
    await relay.stop('SIGKILL');
  }
});
