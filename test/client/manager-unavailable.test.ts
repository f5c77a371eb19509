/**
 * WebSocketManager against a relay (in this process, loopback) whose channel storage goes
 * out of reach while the connection stays up: refused publishes are resent on the same
 * connection with growing pauses, delivered once each and in order when the storage is
 * back, and the resends end with the connection.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test, type TestContext } from 'node:test';
import { WebSocketManager, type WebSocketManagerOptions } from '../../src/client';
import { responseDeltaPayload, type ChannelPayload } from '../../src/protocol';
import { startRelay, type RunningRelay } from '../../src/relay';
import { RemoteLikeEngine } from '../support/remote-like-engine';
import { failOnUnhandledRejections } from '../support/unhandled';
import { delay, waitUntil } from '../support/wait';
import { WsPeer } from '../support/ws-peer';
import { disconnectAfter, disconnectAllManagers, fastOptions, recordStates, within } from './helpers';

failOnUnhandledRejections();

const OUTAGE = 'the store is unreachable';
const part = (i: number, thread = 't'): ChannelPayload => responseDeltaPayload(thread, `part ${i} `, { id: `${thread}-${i}` });

describe('a publisher whose relay cannot store messages for a while', () => {
  const engine = new RemoteLikeEngine();
  let relay: RunningRelay;
  const refusals = () => relay.metrics.errors.get('unavailable') ?? 0;

  before(async () => {
    relay = await startRelay({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 0, engine });
  });
  beforeEach(() => {
    engine.outage = undefined;
  });
  after(async () => {
    engine.outage = undefined;
    await disconnectAllManagers();
    await relay.close();
  });

  /**
   * A connected publisher on `channel`, and a seed subscriber watching it (no resume, no
   * de-duplication, so a repeat would show).
   */
  async function publisherAndWatcher(t: TestContext, channel: string, options: WebSocketManagerOptions = {}) {
    const seed = await WsPeer.open(relay.url);
    t.after(() => seed.close());
    await seed.subscribe(channel);
    const manager = new WebSocketManager(relay.url, channel, fastOptions(options));
    disconnectAfter(t, manager);
    await within(manager.connect(), 5000, 'connect()');
    return { seed, manager };
  }

  test('refused publishes go out again on the same connection: once each, in order, acknowledged', async (t) => {
    const lines: string[] = [];
    const { seed, manager } = await publisherAndWatcher(t, 'refused', { log: (level, line) => lines.push(`${level}: ${line}`) });
    const states = recordStates(manager);
    const serverErrors: string[] = [];
    manager.on('serverError', (error) => serverErrors.push(error.code));
    const connections = relay.metrics.connectionsTotal;

    engine.outage = OUTAGE;
    for (let i = 0; i < 5; i++) assert.equal(manager.send(part(i)), 'sent');
    // Known to the client, not only counted by the relay: under load its replies may still be on the way.
    await waitUntil(() => refusals() >= 5 && serverErrors.length > 0, 5000, 'all five refused, and the client told');
    // Sent once the refusals are known: it waits behind the refused ones rather than overtaking them.
    assert.equal(manager.send(part(5)), 'queued');
    await waitUntil(() => refusals() >= 5 + 6, 5000, 'a resend, refused again');
    assert.equal(seed.frames.length, 1, 'nothing delivered while the storage is away');

    engine.outage = undefined;
    await seed.waitForFrames(1 + 6, 15_000);
    await seed.settle(400);
    assert.deepEqual(
      seed.messages.slice(1).map((m) => m.payload.id),
      ['t-0', 't-1', 't-2', 't-3', 't-4', 't-5'],
      'every message delivered once, in publish order',
    );
    assert.deepEqual(manager.takeUndelivered(), [], 'every message acknowledged');
    assert.equal(relay.metrics.connectionsTotal, connections, 'no new connection');
    assert.deepEqual(states, [], 'connected throughout, never reconnecting');
    assert.deepEqual(serverErrors, ['unavailable'], 'the outage reported once, not per message or retry');
    assert.equal(lines.filter((line) => line.includes('cannot store messages')).length, 1, lines.join('\n'));
    assert.equal(lines.filter((line) => line.includes('stores messages on "refused" again')).length, 1, lines.join('\n'));
  });

  test('while the storage stays away, resends slow down: one timer however many messages wait', async (t) => {
    const { seed, manager } = await publisherAndWatcher(t, 'slow');
    engine.outage = OUTAGE;
    const before = refusals();
    for (let i = 0; i < 5; i++) manager.send(part(i, 's'));
    const windowMs = 3000;
    await delay(windowMs);
    // A round of five still under way counts whole; a timer per message would make five times as many.
    const resends = Math.ceil((refusals() - before) / 5) - 1;
    // Pauses of at least 125, 250, 500, 1000, 2000 ms: at most log2(3000 / 250) + 2 rounds fit.
    const bound = Math.ceil(Math.log2(windowMs / 250)) + 2;
    t.diagnostic(`${resends} resend rounds of five in ${windowMs} ms (bound ${bound})`);
    assert.ok(resends >= 2 && resends <= bound, `${resends} resend rounds in ${windowMs} ms (expected 2 to ${bound})`);
    engine.outage = undefined;
    await seed.waitForFrames(6, 15_000);
    await seed.settle(200);
    assert.deepEqual(seed.messages.slice(1).map((m) => m.payload.id), ['s-0', 's-1', 's-2', 's-3', 's-4']);
  });

  test('a disconnect during the pause cancels the resend; a reconnect hands the refused messages to its own resend', async (t) => {
    const { seed, manager } = await publisherAndWatcher(t, 'ended');
    engine.outage = OUTAGE;
    let before = refusals();
    manager.send(part(0, 'e'));
    manager.send(part(1, 'e'));
    await waitUntil(() => refusals() >= before + 2, 5000, 'both refused');
    assert.deepEqual(await within(manager.disconnect(), 5000, 'disconnect()'), { unsent: 0 });
    before = refusals();
    await delay(600); // past the longest first pause (250 ms)
    assert.equal(refusals(), before, 'nothing resent after disconnect()');
    assert.equal(manager.state, 'closed');

    // Connected again: the new connection resends what was never confirmed, refused again, and
    // a reconnect() during the pause leaves it to the next connection's resend.
    await within(manager.connect(), 5000, 'connect() again');
    await waitUntil(() => refusals() >= before + 2, 5000, 'the reconnect resend, refused');
    const connections = relay.metrics.connectionsTotal;
    manager.reconnect();
    await waitUntil(() => relay.metrics.connectionsTotal === connections + 1, 5000, 'the new connection');
    engine.outage = undefined;
    await seed.waitForFrames(3, 15_000);
    await seed.settle(600);
    assert.deepEqual(seed.messages.slice(1).map((m) => m.payload.id), ['e-0', 'e-1']);
    assert.deepEqual(manager.takeUndelivered(), []);
  });
});
