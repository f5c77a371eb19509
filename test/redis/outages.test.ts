/**
 * The Redis channel store when Redis restarts or goes away: offsets survive a restart that
 * kept its data (AOF), a Redis back empty starts new epochs, and while Redis is down every
 * operation is refused promptly with the retryable unavailable error, then works again.
 */
import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, it } from 'node:test';
import { RedisChannelStore } from '../../src/relay/redis/channel-store';
import { RedisUnavailableError } from '../../src/relay/redis/errors';
import { startRedisServer, type RedisServer } from '../support/redis-server';
import { failOnUnhandledRejections } from '../support/unhandled';
import { delay, waitUntil, within } from '../support/wait';

failOnUnhandledRejections();

let server: RedisServer | undefined;
let store: RedisChannelStore | undefined;

beforeEach(async () => {
  server = await startRedisServer();
  // The reply timeout is well above the 1 s within which a refusal is expected: it must come from the dead connection, not the timer.
  store = new RedisChannelStore({ url: server.url, maxReconnectDelayMs: 100, commandTimeoutMs: 5000, connectTimeoutMs: 500 });
  await store.ready(5000);
});

afterEach(async () => {
  await store?.close();
  await server?.stop();
});

// A failing afterEach must not leave a redis-server behind.
after(async () => {
  await server?.stop();
});

/** Bounded wait until the store reports healthy again. */
async function healthy(current: RedisChannelStore): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const health = await current.health();
    if (health.ok) return;
    if (Date.now() > deadline) throw new Error(`the store did not recover within 10 s: ${health.reason}`);
    await delay(50);
  }
}

const frame = (text: string) => Buffer.from(text);

it('keeps epoch and offsets across a restart that kept its data (AOF, appendfsync always)', async () => {
  const first = await store!.publish('kept', frame('1'));
  await store!.publish('kept', frame('2'));
  await server!.restart({ keepData: true });
  await healthy(store!);
  // A restarted Redis has an empty script cache: the reconnected store sends the script whole again.
  const third = await store!.publish('kept', frame('3'));
  assert.deepEqual([third.offset, third.epoch], [3, first.epoch]);
  const read = await store!.history('kept', 0, 10);
  assert.deepEqual(read.entries.map((entry) => [entry.offset, entry.frame.toString()]), [[1, '1'], [2, '2'], [3, '3']]);
  assert.equal(read.epoch, first.epoch);
});

it('starts a new epoch with offsets from 1 when Redis comes back empty, and forgets published ids', async () => {
  const first = await store!.publish('emptied', frame('1'), 'id-1');
  await store!.publish('emptied', frame('2'));
  await server!.restart({ keepData: false });
  await healthy(store!);
  const read = await store!.history('emptied', 2, 10);
  assert.notEqual(read.epoch, first.epoch, 'a resuming subscriber must see another epoch');
  assert.equal(read.top, 0);
  const again = await store!.publish('emptied', frame('1'), 'id-1');
  assert.deepEqual([again.offset, again.epoch, again.duplicate], [1, read.epoch, false]);
});

it('refuses promptly with the unavailable error while Redis is down, reports it in health(), and resumes with a pub/sub re-sync', async () => {
  const heard: number[] = [];
  const heardOther: number[] = [];
  const restored: string[][] = [];
  store!.onPubSubRestored((channels) => restored.push(channels));
  await store!.subscribe('outage', (offset) => heard.push(offset));
  assert.equal((await store!.publish('outage', frame('before'))).offset, 1);
  await waitUntil(() => heard.length === 1, 5000, 'the message before the outage');

  await server!.kill();
  const refusal = await within(store!.publish('outage', frame('during'), 'during-1').then(
    () => assert.fail('a publish while Redis is down must be refused'),
    (error: unknown) => error,
  ), 1000, 'the refused publish');
  assert.ok(refusal instanceof RedisUnavailableError, `got ${String(refusal)}`);
  assert.equal(refusal.code, 'unavailable');
  assert.equal(refusal.retryable, true);
  assert.match(refusal.message, /^Redis could not publish on channel outage: [^\n]+\.$/);
  await assert.rejects(within(store!.history('outage', 0, 10), 1000, 'the refused history read'), RedisUnavailableError);
  await assert.rejects(within(store!.subscribe('outage.other', (offset) => heardOther.push(offset)), 1000, 'the refused subscribe'), RedisUnavailableError);
  const health = await within(store!.health(), 1000, 'health()');
  assert.equal(health.ok, false);
  assert.match(health.ok ? '' : health.reason, /^Redis could not answer PING: .+\.$/);
  assert.ok(store!.metrics().backplaneErrors >= 4);

  await server!.start();
  await healthy(store!);
  await waitUntil(() => restored.length > 0, 10_000, 'the pub/sub re-sync callback');
  assert.deepEqual(restored[0].sort(), ['outage', 'outage.other']);
  assert.ok(store!.metrics().pubsubReconnects >= 1);
  // The resend of the refused message is a first publish: nothing of it was stored.
  const resent = await store!.publish('outage', frame('during'), 'during-1');
  assert.deepEqual([resent.offset, resent.duplicate], [2, false]);
  await waitUntil(() => heard.length === 2, 5000, 'the live message after the outage');
  assert.deepEqual(heard, [1, 2]);
  // The channel first subscribed while Redis was down is subscribed on Redis now.
  await store!.publish('outage.other', frame('first'));
  await waitUntil(() => heardOther.length === 1, 5000, 'the channel subscribed during the outage');
  const health2 = await store!.health();
  assert.ok(health2.ok && store!.metrics().roundTripMs !== undefined);
});

it('gives up on a hung Redis after the reply timeout, drops its silent pub/sub connection and resumes when it answers again', async () => {
  const hung = new RedisChannelStore({
    url: server!.url,
    commandTimeoutMs: 300,
    // Silent connections are dropped after 3 × 200 ms, after the 300 ms reply timeout.
    livenessIntervalMs: 200,
    maxReconnectDelayMs: 100,
    connectTimeoutMs: 300,
  });
  try {
    await hung.ready(5000);
    const restored: string[][] = [];
    // PINGs keep a quiet but healthy connection from looking silent: five liveness intervals, no reconnect.
    await delay(1000);
    assert.equal(hung.metrics().pubsubReconnects, 0);
    hung.onPubSubRestored((channels) => restored.push(channels));
    const heard: number[] = [];
    await hung.subscribe('hung', (offset) => heard.push(offset));
    server!.pause();
    await assert.rejects(within(hung.publish('hung', frame('x')), 2000, 'the publish to a hung Redis'), (error: unknown) =>
      error instanceof RedisUnavailableError && /^Redis could not publish on channel hung: no reply in time\.$/.test(error.message),
    );
    // Only PINGs cross the pub/sub connection: once one goes unanswered it falls silent and is dropped.
    await waitUntil(() => !hung.metrics().pubsubConnected, 5000, 'the silent pub/sub connection to be dropped');
    server!.resume();
    await healthy(hung);
    // The frozen pub/sub connection was found silent, dropped and re-made: the channel must be re-read.
    await waitUntil(() => restored.length > 0, 10_000, 'the pub/sub re-sync after the hang');
    assert.deepEqual(restored.at(-1), ['hung']);
    const published = await hung.publish('hung', frame('y'));
    await waitUntil(() => heard.includes(published.offset), 5000, 'a live message after the hang');
  } finally {
    server!.resume();
    await hung.close();
  }
});

it('waits for a Redis that is not there yet only as long as asked, and closes cleanly', async () => {
  await server!.kill();
  const late = new RedisChannelStore({ url: server!.url, maxReconnectDelayMs: 100, connectTimeoutMs: 500 });
  try {
    await assert.rejects(late.ready(300), (error: unknown) =>
      error instanceof RedisUnavailableError && /^Redis did not answer within 300 ms: .+\.$/.test(error.message),
    );
    await assert.rejects(late.publish('late', frame('x')), RedisUnavailableError);
    await server!.start();
    await late.ready(5000);
    assert.equal((await late.publish('late', frame('x'))).offset, 1);
  } finally {
    await late.close();
    await late.close();
  }
  await assert.rejects(late.publish('late', frame('y')), { message: 'The Redis channel store is closed.' });
});

it('closes promptly a store that never reached Redis, with nothing left unhandled', async () => {
  await server!.kill();
  const never = new RedisChannelStore({ url: server!.url, maxReconnectDelayMs: 100, connectTimeoutMs: 500 });
  await assert.rejects(never.subscribe('never', () => undefined), RedisUnavailableError);
  await within(never.close(), 1000, 'close() of a store that never connected');
  assert.deepEqual(await never.health(), { ok: false, reason: 'The Redis channel store is closed.' });
});
