// A connection's channels in their compact form behave exactly as a Map of channel → offsets
// would, through any sequence of subscribes, re-subscribes and unsubscribes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Subscriptions } from '../../src/relay/subscriptions';
import { seededRandom } from '../support/random';

test('Subscriptions matches a Map through 20,000 random operations on 5 channels', () => {
  const random = seededRandom(7);
  const compact = new Subscriptions();
  const model = new Map<string, boolean>();
  const channels = ['a', 'b', 'c', 'd', 'e'];
  for (let step = 0; step < 20_000; step++) {
    const channel = channels[Math.floor(random() * channels.length)];
    const roll = random();
    if (roll < 0.45) {
      const offsets = random() < 0.5;
      compact.set(channel, offsets);
      model.set(channel, offsets);
    } else if (roll < 0.9) {
      assert.equal(compact.delete(channel), model.delete(channel), `step ${step}: delete ${channel}`);
    } else if (roll < 0.92) {
      compact.clear();
      model.clear();
    }
    assert.equal(compact.size, model.size, `step ${step}: size`);
    for (const name of channels) {
      assert.equal(compact.has(name), model.has(name), `step ${step}: has ${name}`);
      assert.equal(compact.get(name), model.get(name), `step ${step}: get ${name}`);
    }
    assert.deepEqual(compact.names().sort(), [...model.keys()].sort(), `step ${step}: names`);
  }
});
