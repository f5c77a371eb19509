/**
 * The transition table of the manager's public state: the moves the README documents,
 * and the properties the rest of the client relies on.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { WebSocketManager } from '../../src/client';
import { nextState, TRANSITIONS, type ConnectionEvent, type ConnectionState } from '../../src/client/transitions';
import { failOnUnhandledRejections } from '../support/unhandled';
import { CHANNEL, disconnectAfter, disconnectAllManagers, fastOptions, nextEvent, rawServer, recordStates, within } from './helpers';

failOnUnhandledRejections();
after(disconnectAllManagers);

const STATES: ConnectionState[] = ['idle', 'connecting', 'connected', 'subscribed', 'reconnecting', 'closed'];
const EVENTS: ConnectionEvent[] = ['opening', 'opened', 'subscribed', 'left', 'lost', 'failed', 'stopped'];

test('the table, move by move', () => {
  const moves = STATES.flatMap((from) =>
    EVENTS.filter((event) => nextState(from, event) !== undefined).map((event) => `${from} --${event}--> ${nextState(from, event)}`),
  );
  assert.deepEqual(moves, [
    'idle --opening--> connecting',
    'idle --stopped--> closed',
    'connecting --opened--> connected',
    'connecting --lost--> reconnecting',
    'connecting --failed--> closed',
    'connecting --stopped--> closed',
    'connected --subscribed--> subscribed',
    'connected --left--> connected',
    'connected --lost--> reconnecting',
    'connected --failed--> closed',
    'connected --stopped--> closed',
    'subscribed --left--> connected',
    'subscribed --lost--> reconnecting',
    'subscribed --failed--> closed',
    'subscribed --stopped--> closed',
    'reconnecting --opening--> reconnecting',
    'reconnecting --opened--> connected',
    'reconnecting --lost--> reconnecting',
    'reconnecting --failed--> closed',
    'reconnecting --stopped--> closed',
    'closed --opening--> connecting',
    'closed --stopped--> closed',
  ]);
  assert.deepEqual(Object.keys(TRANSITIONS), STATES);
});

test('disconnect() ends in closed from every state; only closed sockets are reopened', () => {
  for (const state of STATES) assert.equal(nextState(state, 'stopped'), 'closed', state);
  const reopenable = STATES.filter((state) => nextState(state, 'opening') !== undefined);
  assert.deepEqual(reopenable, ['idle', 'reconnecting', 'closed'], 'a state with a live socket never opens a second one');
});

test('subscribed is entered only from connected, on the relay\'s confirmation; every state is reachable from idle', () => {
  for (const state of STATES) {
    for (const event of EVENTS) {
      if (nextState(state, event) === 'subscribed') assert.deepEqual([state, event], ['connected', 'subscribed']);
    }
  }
  const reached = new Set<ConnectionState>(['idle']);
  for (let round = 0; round < STATES.length; round++) {
    for (const state of [...reached]) for (const event of EVENTS) {
      const next = nextState(state, event);
      if (next) reached.add(next);
    }
  }
  assert.deepEqual([...reached].sort(), [...STATES].sort());
});

test('a manager driven through a whole life only ever makes moves from the table', { timeout: 10_000 }, async (t) => {
  const server = await rawServer(t);
  const lines: string[] = [];
  const manager = new WebSocketManager(server.url, CHANNEL, fastOptions({ log: (level, line) => lines.push(`${level}: ${line}`) }));
  disconnectAfter(t, manager);
  const states = recordStates(manager);
  await manager.connect();
  await manager.subscribe();
  const dropped = nextEvent(manager, 'state', 3000, (state) => state === 'subscribed');
  server.connections[0].ws.terminate();
  await dropped;
  await manager.unsubscribe();
  const replaced = nextEvent(manager, 'state', 3000, (state) => state === 'connected');
  manager.reconnect();
  await replaced;
  await within(manager.disconnect(), 3000, 'disconnect()');
  await manager.connect();
  await within(manager.disconnect(), 3000, 'second disconnect()');

  const path = ['idle', ...states.map((entry) => entry.state)] as ConnectionState[];
  assert.deepEqual(path, [
    'idle', 'connecting', 'connected', 'subscribed', 'reconnecting', 'connected', 'subscribed', 'connected',
    'reconnecting', 'connected', 'closed', 'connecting', 'connected', 'closed',
  ]);
  for (let i = 1; i < path.length; i++) {
    const from = path[i - 1];
    assert.ok(EVENTS.some((event) => nextState(from, event) === path[i]), `${from} → ${path[i]} is not in the table`);
  }
  assert.deepEqual(lines.filter((line) => line.startsWith('error:')), []);
});
