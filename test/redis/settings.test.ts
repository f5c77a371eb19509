/** Settings of the Redis channel store: defaults, bounds and key names, refused in one sentence. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { KeyNames } from '../../src/relay/redis/keys';
import { databaseOf, REDIS_STORE_DEFAULTS, redisStoreSettings } from '../../src/relay/redis/options';

it('fills in bounded defaults', () => {
  const settings = redisStoreSettings({ url: 'redis://127.0.0.1:6379', historySize: undefined });
  assert.deepEqual(settings, { url: 'redis://127.0.0.1:6379', ...REDIS_STORE_DEFAULTS });
  assert.equal(settings.idempotencyTtlSeconds, 300);
});

it('refuses settings out of bounds, one sentence each', () => {
  const url = 'redis://127.0.0.1:6379';
  assert.throws(() => redisStoreSettings({ url: 'http://127.0.0.1' }), { message: 'The Redis URL must start with redis:// or rediss://.' });
  assert.throws(() => redisStoreSettings({ url, historySize: -1 }), {
    name: 'RangeError',
    message: 'The Redis setting historySize must be a whole number from 0 to 1000000.',
  });
  assert.throws(() => redisStoreSettings({ url, maxHistoryRead: 1.5 }), RangeError);
  assert.throws(() => redisStoreSettings({ url, idempotencyTtlSeconds: 0 }), RangeError);
  assert.throws(() => redisStoreSettings({ url, historyTtlSeconds: 600, metaTtlSeconds: 60 }), /must be at least historyTtlSeconds/);
  assert.throws(() => redisStoreSettings({ url, keyPrefix: 'a{b}' }), {
    message: 'The Redis key prefix may only be 1 to 64 letters, digits and . _ : - characters.',
  });
});

it('names every key of a channel with the channel as hash tag, and hashes message ids', () => {
  const names = new KeyNames('team');
  assert.deepEqual(names.channel('weather.live'), {
    stream: 'team:{weather.live}:stream',
    meta: 'team:{weather.live}:meta',
    topic: 'team:{weather.live}:live:0',
  });
  // Pub/sub ignores SELECT: a topic names its database, or two deployments would cross-talk.
  assert.equal(new KeyNames('team', 3).channel('weather.live').topic, 'team:{weather.live}:live:3');
  assert.equal(new KeyNames('team', 3).channel('weather.live').stream, 'team:{weather.live}:stream');
  const key = names.idempotency('weather.live', 'x'.repeat(10_000));
  assert.match(key, /^team:\{weather\.live\}:id:[A-Za-z0-9_-]{43}$/);
  assert.notEqual(names.idempotency('weather.live', 'a'), names.idempotency('weather.live', 'b'));
});

it('reads the database a Redis URL selects, and refuses any other path in one sentence', () => {
  assert.equal(databaseOf('redis://127.0.0.1:6379'), 0);
  assert.equal(databaseOf('redis://127.0.0.1:6379/'), 0);
  assert.equal(databaseOf('rediss://user:pw@cache:6380/12'), 12);
  for (const bad of ['redis://h/abc', 'redis://h/1/2', 'redis://h/-1', 'redis://h/1234567890']) {
    assert.throws(() => databaseOf(bad), { name: 'RangeError', message: 'The path of a Redis URL may only be a database number, such as /1.' }, bad);
    assert.throws(() => redisStoreSettings({ url: bad }), RangeError, bad);
  }
});
