import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ActivityStore, type ActivityStoreOptions } from '../../src/activity';
import {
  responseCompletedPayload,
  responseDeltaPayload,
  toolExecutedPayload,
  toolStartedPayload,
  turnFailedPayload,
  turnNoticePayload,
  MAX_EVENT_ID_LENGTH,
  MAX_TOOLS_PER_TURN,
  MAX_TURNS_PER_THREAD,
  TEXT_LIMITS,
  type ChannelPayload,
  type EventStatus,
  type HostToPanel,
  type PayloadType,
} from '../../src/protocol';

/** A controllable clock, so durations and startedAt are exact. */
function clock(start = 1_700_000_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

function storeWithLog(options: ActivityStoreOptions = {}) {
  const store = new ActivityStore(options);
  const changes: HostToPanel[] = [];
  store.on('change', (change) => changes.push(structuredClone(change)));
  return { store, changes };
}

/** What a seed client publishes: no id, no seq, no tool_call_id. */
function seed(threadId: string, type: PayloadType, message: string, status?: EventStatus): ChannelPayload {
  const payload = { message, timestamp: 1_700_000_000, thread_id: threadId } as ChannelPayload;
  if (status !== undefined) payload.status = status;
  payload.type = type;
  return payload;
}

const weatherJson = (location: string, temperature: number) =>
  JSON.stringify({
    location,
    latitude: 14.55,
    longitude: 121.02,
    temperature,
    apparent_temperature: temperature + 4,
    humidity: 70,
    wind_speed: 12,
    condition: 'Partly cloudy',
    units: { system: 'metric', temperature: '°C', wind_speed: 'km/h', humidity: '%' },
    observed_at: '2025-06-01T04:15:00.000Z',
    source: 'open-meteo',
  });

function kinds(changes: HostToPanel[]): string[] {
  return changes.map((change) => change.kind);
}

function undeliveredSeries(changes: HostToPanel[], threadId: string): number[] {
  return changes.flatMap((change) => (change.kind === 'thread' && change.threadId === threadId ? [change.undelivered] : []));
}

describe('local turns and their echoes', () => {
  test('an event the relay refused for good is counted not shared instead of waiting for its echo', () => {
    const { store, changes } = storeWithLog();
    const t = 'thread_watch';
    store.startLocalTurn(t, 'Rain in Oslo?');
    store.ingest(responseDeltaPayload(t, 'Light', { id: 'r1', seq: 0 }), 'local');
    store.ingest(responseDeltaPayload(t, ' rain.', { id: 'r2', seq: 1 }), 'local');
    store.refuseDelivery('r1');
    store.refuseDelivery('r1'); // twice: counted once
    store.refuseDelivery('never-ours');
    assert.deepEqual(
      store.snapshot().map(({ undelivered, notShared }) => ({ undelivered, notShared })),
      [{ undelivered: 1, notShared: 1 }],
    );
    // An echo of a refused event cannot come; one of the other still clears its mark.
    store.ingest({ ...responseDeltaPayload(t, ' rain.', { id: 'r2', seq: 1 }), offset: 1 }, 'channel');
    assert.deepEqual(store.snapshot().map(({ undelivered, notShared }) => ({ undelivered, notShared })), [{ undelivered: 0, notShared: 1 }]);
    const last = changes.filter((change) => change.kind === 'thread').at(-1);
    assert.deepEqual(last, { kind: 'thread', threadId: t, origin: 'local', undelivered: 0, notShared: 1 });
  });


  test('a local turn shows at once, is counted undelivered, and its echo neither duplicates nor lingers', () => {
    const time = clock();
    const { store, changes } = storeWithLog({ now: time.now });
    const t = 'thread_local';
    store.startLocalTurn(t, 'What is the weather in Makati?');
    const published: ChannelPayload[] = [
      toolStartedPayload(t, 'Makati', { id: 'e1', seq: 0, callId: 'call_1' }),
      toolExecutedPayload(t, weatherJson('Makati, Metro Manila, Philippines', 31.2), { id: 'e2', seq: 1, callId: 'call_1' }),
      responseDeltaPayload(t, 'It is **31.2 °C**', { id: 'e3', seq: 2 }),
      responseDeltaPayload(t, ' and partly cloudy.', { id: 'e4', seq: 3 }),
      responseCompletedPayload(t, 'It is **31.2 °C** and partly cloudy.', { id: 'e5', seq: 4 }),
    ];
    time.advance(5);
    for (const payload of published) store.ingest(payload, 'local');
    const beforeEcho = store.snapshot();
    assert.equal(beforeEcho.length, 1);
    assert.equal(beforeEcho[0].undelivered, 5);
    assert.equal(beforeEcho[0].origin, 'local');

    const countBeforeEcho = changes.length;
    // The relay echoes each one back, with its own offset added.
    for (const [offset, payload] of published.entries()) store.ingest({ ...structuredClone(payload), offset }, 'channel');

    const after = store.snapshot();
    assert.equal(after.length, 1);
    assert.equal(after[0].undelivered, 0);
    assert.equal(after[0].turns.length, 1, 'echoes open no new turn');
    const [turn] = after[0].turns;
    assert.equal(turn.question, 'What is the weather in Makati?');
    assert.equal(turn.tools.length, 1, 'the echoed tool start adds no second card');
    assert.equal(turn.tools[0].status, 'executed');
    assert.equal(turn.answer, 'It is **31.2 °C** and partly cloudy.', 'echoed deltas are not appended twice');
    assert.equal(turn.status, 'completed');
    assert.deepEqual(undeliveredSeries(changes, t), [0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 0]);
    // Echoes only ever change the delivery marker.
    assert.deepEqual(new Set(kinds(changes.slice(countBeforeEcho))), new Set(['thread']));

    // A late resend of an already confirmed event is dropped silently.
    const count = changes.length;
    store.ingest(structuredClone(published[2]), 'channel');
    assert.equal(changes.length, count);
    assert.equal(store.snapshot()[0].turns[0].answer, 'It is **31.2 °C** and partly cloudy.');
  });

  test('local payloads without an id are shown but never counted undelivered', () => {
    const { store } = storeWithLog();
    store.startLocalTurn('t', 'q');
    store.ingest(seed('t', 'response', 'hello'), 'local');
    assert.equal(store.snapshot()[0].undelivered, 0);
    assert.equal(store.snapshot()[0].turns[0].answer, 'hello');
  });
});

describe('remote publishers (seed clients without ids)', () => {
  test('messages are grouped by thread_id, one turn each, in arrival order', () => {
    const { store } = storeWithLog();
    const events: ChannelPayload[] = [
      seed('A', 'tool', 'Executing weather check for Makati', 'started'),
      seed('B', 'tool', 'Executing weather check for Tokyo', 'started'),
      seed('A', 'tool', weatherJson('Makati', 31), 'tool_executed'),
      seed('B', 'tool', weatherJson('Tokyo', 18), 'tool_executed'),
      seed('A', 'response', 'Makati is '),
      seed('B', 'response', 'Tokyo is '),
      seed('A', 'response', 'hot.'),
      seed('B', 'response', 'mild.'),
      seed('B', 'response', 'Tokyo is mild.', 'completed'),
      seed('A', 'response', 'Makati is hot.', 'completed'),
    ];
    for (const event of events) store.ingest(event, 'channel');
    const snapshot = store.snapshot();
    assert.deepEqual(
      snapshot.map((thread) => thread.threadId).sort(),
      ['A', 'B'],
    );
    const byId = new Map(snapshot.map((thread) => [thread.threadId, thread]));
    for (const [id, place, answer] of [['A', 'Makati', 'Makati is hot.'], ['B', 'Tokyo', 'Tokyo is mild.']] as const) {
      const thread = byId.get(id)!;
      assert.equal(thread.origin, 'remote');
      assert.equal(thread.undelivered, 0);
      assert.equal(thread.turns.length, 1);
      const [turn] = thread.turns;
      assert.equal(turn.question, undefined, 'the seed protocol carries no question');
      assert.equal(turn.status, 'completed');
      assert.equal(turn.answer, answer);
      assert.equal(turn.tools.length, 1);
      assert.equal(turn.tools[0].message, `Executing weather check for ${place}`);
      assert.equal(turn.tools[0].status, 'executed');
      assert.match(turn.tools[0].result!, new RegExp(`"location":"${place}"`));
    }
  });

  test('without call ids, results pair with starts first in, first out, with durations', () => {
    const time = clock();
    const { store } = storeWithLog({ now: time.now });
    store.ingest(seed('T', 'tool', 'Executing weather check for Makati', 'started'), 'channel');
    time.advance(100);
    store.ingest(seed('T', 'tool', 'Executing weather check for Tokyo', 'started'), 'channel');
    time.advance(250);
    store.ingest(seed('T', 'tool', weatherJson('Makati', 31), 'tool_executed'), 'channel');
    let tools = store.snapshot()[0].turns[0].tools;
    assert.deepEqual(tools.map((tool) => tool.status), ['executed', 'running']);
    time.advance(50);
    store.ingest(seed('T', 'tool', weatherJson('Tokyo', 18), 'tool_executed'), 'channel');
    tools = store.snapshot()[0].turns[0].tools;
    assert.deepEqual(tools.map((tool) => tool.status), ['executed', 'executed']);
    assert.match(tools[0].result!, /Makati/);
    assert.match(tools[1].result!, /Tokyo/);
    assert.equal(tools[0].durationMs, 350);
    assert.equal(tools[1].durationMs, 300);
    assert.notEqual(tools[0].key, tools[1].key);
  });

  test('with tool_call_id, parallel results pair with their own start whatever the order', () => {
    const time = clock();
    const { store } = storeWithLog({ now: time.now });
    store.ingest(toolStartedPayload('P', 'Makati', { id: 'p1', callId: 'call_a' }), 'channel');
    store.ingest(toolStartedPayload('P', 'Tokyo', { id: 'p2', callId: 'call_b' }), 'channel');
    time.advance(40);
    store.ingest(toolExecutedPayload('P', weatherJson('Tokyo', 18), { id: 'p3', callId: 'call_b' }), 'channel');
    time.advance(60);
    store.ingest(toolExecutedPayload('P', JSON.stringify({ error: 'No place called "Makati" was found', source: 'open-meteo' }), { id: 'p4', callId: 'call_a' }), 'channel');
    const tools = store.snapshot()[0].turns[0].tools;
    assert.deepEqual(
      tools.map(({ key, message, status, durationMs }) => ({ key, message, status, durationMs })),
      [
        { key: 'call_a', message: 'Executing weather check for Makati', status: 'failed', durationMs: 100 },
        { key: 'call_b', message: 'Executing weather check for Tokyo', status: 'executed', durationMs: 40 },
      ],
    );
    assert.match(tools[1].result!, /Tokyo/);
  });

  test('a result with no start still shows as a card', () => {
    const { store } = storeWithLog();
    store.ingest(seed('X', 'tool', weatherJson('Oslo', 3), 'tool_executed'), 'channel');
    const [tool] = store.snapshot()[0].turns[0].tools;
    assert.equal(tool.status, 'executed');
    assert.equal(tool.message, 'Tool result');
    assert.equal(tool.durationMs, undefined);
  });
});

describe('answers', () => {
  test('deltas stream as appends; a completion with the same text replaces nothing', () => {
    const { store, changes } = storeWithLog();
    for (const piece of ['# Makati\n\n', '- 31 °C\n', '- humid\n']) store.ingest(seed('S', 'response', piece), 'channel');
    const appends = changes.flatMap((change) => (change.kind === 'answer' ? [change] : []));
    assert.deepEqual(
      appends.map(({ threadId, turnIndex, append }) => ({ threadId, turnIndex, append })),
      [
        { threadId: 'S', turnIndex: 0, append: '# Makati\n\n' },
        { threadId: 'S', turnIndex: 0, append: '- 31 °C\n' },
        { threadId: 'S', turnIndex: 0, append: '- humid\n' },
      ],
    );
    const before = changes.length;
    store.ingest(seed('S', 'response', '# Makati\n\n- 31 °C\n- humid\n', 'completed'), 'channel');
    const after = changes.slice(before);
    assert.deepEqual(kinds(after), ['turn']);
    const turnChange = after[0] as Extract<HostToPanel, { kind: 'turn' }>;
    assert.equal(turnChange.turn.status, 'completed');
    assert.equal('answer' in turnChange, false, 'same text: no replacement sent');
    assert.equal('answer' in turnChange.turn, false, 'turn headers never carry the answer');
    assert.equal(store.snapshot()[0].turns[0].answer, '# Makati\n\n- 31 °C\n- humid\n');
  });

  test('a completion with different text replaces the answer (missed deltas, joined mid-stream)', () => {
    const { store, changes } = storeWithLog();
    store.ingest(seed('S', 'response', 'It is 3'), 'channel'); // the rest was missed
    const before = changes.length;
    store.ingest(seed('S', 'response', 'It is 31 °C in Makati.', 'completed'), 'channel');
    const [change] = changes.slice(before) as Array<Extract<HostToPanel, { kind: 'turn' }>>;
    assert.equal(change.kind, 'turn');
    assert.equal(change.answer, 'It is 31 °C in Makati.');
    assert.equal(store.snapshot()[0].turns[0].answer, 'It is 31 °C in Makati.');

    // Joined after every delta: the completion alone carries the whole answer.
    store.ingest(seed('late', 'response', 'Whole answer.', 'completed'), 'channel');
    const late = store.snapshot().find((thread) => thread.threadId === 'late')!;
    assert.equal(late.turns[0].answer, 'Whole answer.');
    assert.equal(late.turns[0].status, 'completed');
  });

  test('an error ends the turn with its text and stops running tools', () => {
    const { store } = storeWithLog();
    store.ingest(seed('E', 'tool', 'Executing weather check for Atlantis', 'started'), 'channel');
    store.ingest(seed('E', 'response', 'model request failed: 401 invalid API key', 'error'), 'channel');
    const [turn] = store.snapshot()[0].turns;
    assert.equal(turn.status, 'error');
    assert.equal(turn.error, 'model request failed: 401 invalid API key');
    assert.equal(turn.answer, '', 'the error text is not part of the answer');
    assert.equal(turn.tools[0].status, 'failed', 'no tool spins forever after the turn ended');
    assert.match(turn.tools[0].result!, /"error"/);
  });

  test('a completed turn leaves no tool running either', () => {
    const { store } = storeWithLog();
    store.ingest(seed('C', 'tool', 'Executing weather check for Oslo', 'started'), 'channel');
    store.ingest(seed('C', 'response', 'Done.', 'completed'), 'channel');
    assert.equal(store.snapshot()[0].turns[0].tools[0].status, 'failed');
  });

  test('after a completed or failed turn, the next event opens a new turn', () => {
    const { store } = storeWithLog();
    store.ingest(seed('N', 'response', 'first', 'completed'), 'channel');
    store.ingest(seed('N', 'tool', 'Executing weather check for Oslo', 'started'), 'channel');
    store.ingest(seed('N', 'response', 'second', 'error'), 'channel');
    store.ingest(seed('N', 'response', 'third'), 'channel');
    const thread = store.snapshot()[0];
    assert.deepEqual(
      thread.turns.map(({ index, status, answer, error, tools }) => ({ index, status, answer, error, tools: tools.length })),
      [
        { index: 0, status: 'completed', answer: 'first', error: undefined, tools: 0 },
        { index: 1, status: 'error', answer: '', error: 'second', tools: 1 },
        { index: 2, status: 'running', answer: 'third', error: undefined, tools: 0 },
      ],
    );
    // A local question on the same thread opens its own turn too.
    store.startLocalTurn('N', 'and tomorrow?');
    assert.equal(store.snapshot()[0].turns.length, 4);
    assert.equal(store.snapshot()[0].turns[3].question, 'and tomorrow?');
  });

  test('answers longer than maxAnswerLength are cut with a note, and later deltas are ignored', () => {
    const { store } = storeWithLog({ maxAnswerLength: 50 });
    for (let i = 0; i < 8; i++) store.ingest(seed('L', 'response', '0123456789'), 'channel');
    const answer = store.snapshot()[0].turns[0].answer;
    assert.ok(answer.startsWith('0123456789'.repeat(5)));
    assert.match(answer, /answer cut here: longer than 50 characters/);
    assert.equal(answer.split('0123456789').length - 1, 5, 'nothing past the cap is kept');
    store.ingest(seed('L', 'response', 'more'), 'channel');
    assert.equal(store.snapshot()[0].turns[0].answer, answer);

    // A completion longer than the cap is clipped the same way.
    store.ingest(seed('L2', 'response', 'x'.repeat(500), 'completed'), 'channel');
    const clipped = store.snapshot().find((thread) => thread.threadId === 'L2')!.turns[0].answer;
    assert.ok(clipped.startsWith('x'.repeat(50)));
    assert.ok(!clipped.startsWith('x'.repeat(51)));
    assert.match(clipped, /answer cut here/);
  });
});

describe('dedupe, bounds, clear, snapshot', () => {
  test('a payload whose id was already seen is dropped', () => {
    const { store, changes } = storeWithLog();
    const delta = responseDeltaPayload('D', 'once', { id: 'dup-1' });
    store.ingest(delta, 'channel');
    const count = changes.length;
    store.ingest(structuredClone(delta), 'channel');
    store.ingest({ ...structuredClone(delta), offset: 99 }, 'channel');
    assert.equal(changes.length, count);
    assert.equal(store.snapshot()[0].turns[0].answer, 'once');
    // A different id with the same text is a new event.
    store.ingest(responseDeltaPayload('D', 'once', { id: 'dup-2' }), 'channel');
    assert.equal(store.snapshot()[0].turns[0].answer, 'onceonce');
  });

  test('past maxThreads the least recently active threads are removed, with a `removed` change', () => {
    const { store, changes } = storeWithLog({ maxThreads: 3 });
    for (let i = 0; i < 5; i++) store.ingest(seed(`t${i}`, 'response', `answer ${i}`), 'channel');
    assert.equal(store.threadCount, 3);
    const removed = changes.flatMap((change) => (change.kind === 'removed' ? change.threadIds : []));
    assert.deepEqual(removed, ['t0', 't1']);
    assert.deepEqual(store.snapshot().map((thread) => thread.threadId), ['t2', 't3', 't4']);

    // Activity keeps a thread: t2 speaks again, so t3 is the one to go next.
    store.ingest(seed('t2', 'response', ' more'), 'channel');
    store.ingest(seed('t5', 'response', 'answer 5'), 'channel');
    assert.deepEqual(store.snapshot().map((thread) => thread.threadId), ['t4', 't2', 't5']);
    const last = changes.filter((change) => change.kind === 'removed').at(-1);
    assert.deepEqual(last, { kind: 'removed', threadIds: ['t3'] });

    // Memory stays flat on a channel that never stops.
    for (let i = 6; i < 500; i++) store.ingest(seed(`t${i}`, 'response', 'x'), 'channel');
    assert.equal(store.threadCount, 3);
  });

  test('setMaxThreads (the setting changed while the window is open): lowering removes the least recently active at once; raising keeps more', () => {
    const { store, changes } = storeWithLog({ maxThreads: 5 });
    for (let i = 0; i < 5; i++) store.ingest(seed(`t${i}`, 'response', `answer ${i}`), 'channel');
    store.ingest(seed('t0', 'response', ' again'), 'channel'); // t0 is now the most recently active
    store.setMaxThreads(2);
    assert.deepEqual(store.snapshot().map((thread) => thread.threadId), ['t4', 't0']);
    assert.deepEqual(changes.at(-1), { kind: 'removed', threadIds: ['t1', 't2', 't3'] });
    const before = changes.length;
    store.setMaxThreads(4);
    assert.equal(changes.length, before, 'raising removes nothing');
    for (let i = 5; i < 9; i++) store.ingest(seed(`t${i}`, 'response', 'x'), 'channel');
    assert.equal(store.threadCount, 4, 'and the new number holds from then on');
  });

  test('turns per thread are bounded too', () => {
    const { store } = storeWithLog({ maxTurnsPerThread: 4 });
    for (let i = 0; i < 10; i++) store.ingest(seed('busy', 'response', `answer ${i}`, 'completed'), 'channel');
    const turns = store.snapshot()[0].turns;
    assert.deepEqual(turns.map((turn) => turn.index), [6, 7, 8, 9]);
    assert.deepEqual(turns.map((turn) => turn.answer), ['answer 6', 'answer 7', 'answer 8', 'answer 9']);
  });

  test('an evicted local thread is not resurrected by the echo of its events', () => {
    const { store } = storeWithLog({ maxThreads: 1 });
    store.startLocalTurn('mine', 'q');
    const delta = responseDeltaPayload('mine', 'hi', { id: 'm1' });
    store.ingest(delta, 'local');
    store.ingest(seed('other', 'response', 'x'), 'channel');
    assert.deepEqual(store.snapshot().map((thread) => thread.threadId), ['other']);
    store.ingest(structuredClone(delta), 'channel');
    assert.deepEqual(store.snapshot().map((thread) => thread.threadId), ['other']);
  });

  test('clear forgets everything, says so, and late echoes do not bring threads back', () => {
    const { store, changes } = storeWithLog();
    store.startLocalTurn('mine', 'q');
    const delta = responseDeltaPayload('mine', 'hi', { id: 'c1' });
    store.ingest(delta, 'local');
    store.ingest(seed('other', 'response', 'x'), 'channel');
    store.clear();
    assert.deepEqual(changes.at(-1), { kind: 'cleared' });
    assert.equal(store.threadCount, 0);
    assert.deepEqual(store.snapshot(), []);
    store.ingest(structuredClone(delta), 'channel');
    assert.deepEqual(store.snapshot(), []);
    // New activity after a clear shows normally.
    store.ingest(seed('fresh', 'response', 'y'), 'channel');
    assert.deepEqual(store.snapshot().map((thread) => thread.threadId), ['fresh']);
  });

  test('snapshot has exactly the ThreadView shape, oldest thread first', () => {
    const time = clock(1_000);
    const { store } = storeWithLog({ now: time.now });
    store.ingest(seed('remote', 'response', 'Hi', 'completed'), 'channel');
    time.advance(10);
    store.startLocalTurn('local', 'Weather in Oslo?');
    store.ingest(toolStartedPayload('local', 'Oslo', { id: 's1', callId: 'c1' }), 'local');
    time.advance(120);
    store.ingest(toolExecutedPayload('local', weatherJson('Oslo', 3), { id: 's2', callId: 'c1' }), 'local');
    store.ingest(responseDeltaPayload('local', 'Cold', { id: 's3' }), 'local');
    store.ingest(turnFailedPayload('local', 'cancelled', { id: 's4' }), 'local');
    assert.deepEqual(store.snapshot(), [
      {
        threadId: 'remote',
        origin: 'remote',
        undelivered: 0,
        notShared: 0,
        turns: [{ index: 0, startedAt: 1_000, tools: [], answer: 'Hi', status: 'completed' }],
      },
      {
        threadId: 'local',
        origin: 'local',
        undelivered: 4,
        notShared: 0,
        turns: [
          {
            index: 0,
            startedAt: 1_010,
            question: 'Weather in Oslo?',
            tools: [
              { key: 'c1', message: 'Executing weather check for Oslo', status: 'executed', result: weatherJson('Oslo', 3), durationMs: 120 },
            ],
            answer: 'Cold',
            status: 'error',
            error: 'cancelled',
          },
        ],
      },
    ]);
    // The snapshot is a copy: changing it changes nothing in the store.
    const copy = store.snapshot();
    copy[1].turns[0].tools[0].status = 'running';
    copy[1].turns[0].answer = 'tampered';
    assert.equal(store.snapshot()[1].turns[0].tools[0].status, 'executed');
    assert.equal(store.snapshot()[1].turns[0].answer, 'Cold');
  });

  test('every change is structured-cloneable (it crosses postMessage)', () => {
    const { store, changes } = storeWithLog({ maxThreads: 2 });
    store.startLocalTurn('a', 'q');
    store.ingest(toolStartedPayload('a', 'Oslo', { id: 'x1' }), 'local');
    store.ingest(seed('b', 'response', 'x'), 'channel');
    store.ingest(seed('c', 'response', 'x', 'completed'), 'channel');
    store.clear();
    for (const change of changes) assert.deepEqual(JSON.parse(JSON.stringify(change)), change);
  });
});

describe('hostile publishers: every structure is bounded', () => {
  test(`a turn keeps ${MAX_TOOLS_PER_TURN} tool cards and counts the rest; a changed card travels alone`, () => {
    const { store, changes } = storeWithLog({ now: clock().now });
    for (let i = 0; i < MAX_TOOLS_PER_TURN + 10; i++) store.ingest(seed('T', 'tool', `Executing weather check for ${i}`, 'started'), 'channel');
    const [turn] = store.snapshot()[0].turns;
    assert.equal(turn.tools.length, MAX_TOOLS_PER_TURN);
    assert.equal(turn.omittedTools, 10);
    const before = changes.length;
    store.ingest(seed('T', 'tool', weatherJson('Oslo', 3), 'tool_executed'), 'channel');
    const sent = changes.slice(before);
    assert.deepEqual(kinds(sent), ['tool'], 'one message, for the one card that changed');
    assert.deepEqual(sent[0], {
      kind: 'tool',
      threadId: 'T',
      turnIndex: 0,
      position: 0,
      tool: { key: 'tool-0', message: 'Executing weather check for 0', status: 'executed', result: weatherJson('Oslo', 3), durationMs: 0 },
    });
    for (const change of changes) {
      if (change.kind === 'turn') assert.ok(!('tools' in change.turn), 'turn headers carry no cards');
    }
    // A finished card takes no second result: a publisher cannot make one card travel again and again.
    store.ingest({ ...seed('T', 'tool', 'again', 'tool_executed'), tool_call_id: 'tool-0' }, 'channel');
    assert.equal(store.snapshot()[0].turns[0].tools[0].result, weatherJson('Oslo', 3));
  });

  test('every text field and id is cut to its limit; over-long event ids are not remembered', () => {
    const { store, changes } = storeWithLog({ now: clock().now });
    const huge = (letter: string) => letter.repeat(1_000_000);
    store.startLocalTurn(huge('T'), huge('q'));
    const threadId = `${'T'.repeat(TEXT_LIMITS.threadId)}…`;
    store.ingest({ ...seed(huge('T'), 'tool', huge('m'), 'started'), tool_call_id: huge('c') }, 'local');
    store.ingest({ ...seed(huge('T'), 'tool', huge('r'), 'tool_executed'), tool_call_id: huge('c') }, 'local');
    store.ingest({ ...seed(huge('T'), 'response', ''), notice: huge('n') }, 'local');
    store.ingest(seed(huge('T'), 'response', huge('e'), 'error'), 'local');
    const [thread] = store.snapshot();
    assert.equal(thread.threadId, threadId);
    const [turn] = thread.turns;
    assert.equal(turn.question, `${'q'.repeat(TEXT_LIMITS.question)}…`);
    assert.deepEqual(turn.tools, [
      {
        key: `${'c'.repeat(TEXT_LIMITS.toolCallId)}…`,
        message: `${'m'.repeat(TEXT_LIMITS.toolMessage)}…`,
        status: 'executed',
        result: `${'r'.repeat(TEXT_LIMITS.toolResult)}…`,
        durationMs: 0,
      },
    ]);
    assert.equal(turn.error, `${'e'.repeat(TEXT_LIMITS.error)}…`);
    assert.ok(store.retainedChars < 30_000, `${store.retainedChars} characters kept`);
    assert.ok(JSON.stringify(changes).length < 200_000, 'no change carries a huge text');

    // An id too long to remember is treated as none: shown, never counted undelivered.
    store.ingest(responseDeltaPayload('ids', 'x', { id: 'i'.repeat(MAX_EVENT_ID_LENGTH + 1) }), 'local');
    assert.equal(store.snapshot().at(-1)!.undelivered, 0);
    store.ingest(responseDeltaPayload('ids', 'y', { id: 'i'.repeat(MAX_EVENT_ID_LENGTH) }), 'local');
    assert.equal(store.snapshot().at(-1)!.undelivered, 1);
  });

  test('malformed payloads are ignored, never thrown on', () => {
    const { store, changes } = storeWithLog();
    const bad: unknown[] = [
      null,
      42,
      'text',
      [],
      {},
      { ...seed('t', 'response', 'x'), message: 42 },
      { ...seed('t', 'response', 'x'), message: { toString: () => { throw new Error('boom'); } } },
      { ...seed('t', 'response', 'x'), thread_id: { length: 1 } },
      { ...seed('t', 'response', 'x'), thread_id: null },
      { ...seed('t', 'response', 'x'), type: 'other' },
      { ...seed('t', 'response', 'x'), status: 'exploded' },
      { ...seed('t', 'response', 'x'), status: 7 },
      Object.create(null),
    ];
    for (const payload of bad) assert.doesNotThrow(() => store.ingest(payload as ChannelPayload, 'channel'));
    assert.deepEqual(changes, []);
    assert.equal(store.threadCount, 0);
    // Wrongly typed optional fields are dropped, the event itself is kept.
    store.ingest({ ...seed('t', 'tool', 'Executing weather check for Oslo', 'started'), id: 5, tool_call_id: {}, notice: [] } as unknown as ChannelPayload, 'channel');
    assert.equal(store.snapshot()[0].turns[0].tools[0].key, 'tool-0');
  });

  test('the characters kept over all threads are bounded: least recently active threads, then oldest turns, go', () => {
    const { store, changes } = storeWithLog({ maxRetainedChars: 10_000 });
    for (let i = 0; i < 5; i++) store.ingest(seed(`t${i}`, 'response', 'x'.repeat(3_000), 'completed'), 'channel');
    assert.ok(store.retainedChars <= 10_000);
    assert.deepEqual(store.snapshot().map((thread) => thread.threadId), ['t2', 't3', 't4']);
    assert.deepEqual(changes.filter((change) => change.kind === 'removed'), [
      { kind: 'removed', threadIds: ['t0'] },
      { kind: 'removed', threadIds: ['t1'] },
    ]);
    // One thread alone over the budget loses its oldest turns, never the one being written.
    for (let i = 0; i < 6; i++) store.ingest(seed('big', 'response', 'y'.repeat(3_000), 'completed'), 'channel');
    const big = store.snapshot().find((thread) => thread.threadId === 'big')!;
    assert.ok(store.retainedChars <= 10_000);
    assert.deepEqual(big.turns.map((turn) => turn.index), [3, 4, 5]);
    assert.equal(store.threadCount, 1);
    assert.deepEqual(changes.filter((change) => change.kind === 'turnsRemoved').at(-1), { kind: 'turnsRemoved', threadId: 'big', below: 3 });
  });

  test('past the turn cap the panel is told which turns went', () => {
    const { store, changes } = storeWithLog();
    for (let i = 0; i < MAX_TURNS_PER_THREAD + 2; i++) store.ingest(seed('busy', 'response', `answer ${i}`, 'completed'), 'channel');
    assert.deepEqual(
      changes.filter((change) => change.kind === 'turnsRemoved'),
      [
        { kind: 'turnsRemoved', threadId: 'busy', below: 1 },
        { kind: 'turnsRemoved', threadId: 'busy', below: 2 },
      ],
    );
  });
});

describe('notices', () => {
  test('the latest notice stays on the running turn until its next delta, tool event or end', () => {
    const { store, changes } = storeWithLog();
    const noticeOf = () => store.snapshot()[0].turns.at(-1)!.notice;
    store.startLocalTurn('t', 'q');
    store.ingest(turnNoticePayload('t', 'Waiting 20 s to retry: the model server is rate limiting (HTTP 429)'), 'local');
    assert.equal(noticeOf(), 'Waiting 20 s to retry: the model server is rate limiting (HTTP 429)');
    assert.equal(store.snapshot()[0].turns[0].answer, '', 'a notice is not answer text');
    assert.equal(changes.at(-1)!.kind, 'turn');
    store.ingest(turnNoticePayload('t', 'Waiting 40 s to retry'), 'local');
    assert.equal(noticeOf(), 'Waiting 40 s to retry');
    store.ingest(responseDeltaPayload('t', 'It is'), 'local');
    assert.equal(noticeOf(), undefined);
    store.ingest(turnNoticePayload('t', 'again'), 'local');
    store.ingest(toolStartedPayload('t', 'Oslo'), 'local');
    assert.equal(noticeOf(), undefined);
    store.ingest(turnNoticePayload('t', 'again'), 'local');
    store.ingest(responseCompletedPayload('t', 'It is'), 'local');
    assert.equal(noticeOf(), undefined);
    store.ingest(turnNoticePayload('u', 'x'.repeat(5_000)), 'channel');
    assert.equal(store.snapshot().at(-1)!.turns[0].notice, `${'x'.repeat(TEXT_LIMITS.notice)}…`);
    // A notice on an error clears too.
    store.ingest(turnFailedPayload('u', 'failed'), 'channel');
    assert.equal(store.snapshot().at(-1)!.turns[0].notice, undefined);
  });
});
