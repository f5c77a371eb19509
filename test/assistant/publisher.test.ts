// ChannelPublisher: assistant events → the seed's channel payloads, exactly: the
// "Executing weather check for <location>" message, the tool result JSON, the deltas
// with no status, the completed answer, and an `error` payload ending a failed turn.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChannelPublisher, type AssistantEvent } from '../../src/assistant';
import { unknownToolMessage, weatherToolbox } from '../../src/assistant/toolbox';
import { validateWireMessage, type ChannelPayload } from '../../src/protocol';
import { interruptedReply, refusalReply, splitIntoDeltas, textReply, toolCallReply, toolCallsReply } from '../fakes/openai-server';
import { APIS, MAKATI, harness, nextAssistantEvent, within } from './helpers';

/** For a whole describe(): the sum of its tests, with room for a busy machine. */
const SUITE_TIMEOUT = { timeout: 120_000 };
const WITH_STATUS = ['message', 'timestamp', 'thread_id', 'status', 'type', 'id', 'seq'];
const WITHOUT_STATUS = ['message', 'timestamp', 'thread_id', 'type', 'id', 'seq'];

function recordingPublisher(): { publisher: ChannelPublisher; sent: ChannelPayload[] } {
  const sent: ChannelPayload[] = [];
  return { publisher: new ChannelPublisher({ send: (payload) => sent.push(payload) }), sent };
}

/** Checks what every payload must have, and returns [status, type, message] triples. */
function checkCommon(sent: ChannelPayload[], threadId: string, from: number, to: number): [string | undefined, string, string][] {
  const ids = new Set<string>();
  sent.forEach((payload, index) => {
    // The seed's fields in the seed's order, then our extensions (tool events also name their call).
    const keys = payload.status === undefined ? WITHOUT_STATUS : payload.type === 'tool' ? [...WITH_STATUS, 'tool_call_id'] : WITH_STATUS;
    assert.deepEqual(Object.keys(payload), keys, `key order of payload #${index}`);
    assert.equal(payload.thread_id, threadId);
    assert.ok(Number.isInteger(payload.timestamp), 'timestamp in whole seconds');
    assert.ok(payload.timestamp >= from && payload.timestamp <= to, `timestamp ${payload.timestamp} within the turn`);
    assert.equal(typeof payload.id, 'string');
    assert.ok(!ids.has(payload.id!), 'ids are unique');
    ids.add(payload.id!);
    assert.equal(payload.seq, index, 'seq counts up from 0 within the thread');
    const wire = validateWireMessage({ type: 'weather-update', payload });
    assert.ok(wire.ok, `payload #${index} is a valid channel message`);
  });
  return sent.map((p) => [p.status, p.type, p.message]);
}

const seconds = () => Math.floor(Date.now() / 1000);

for (const api of APIS) {
  describe(`ChannelPublisher on a real turn (${api})`, SUITE_TIMEOUT, () => {
    test('tool turn: started → tool_executed → deltas (no status) → completed, in the seed’s shapes', async (t) => {
      const h = await harness(t, api);
      const { publisher, sent } = recordingPublisher();
      const returned: (ChannelPayload | undefined)[] = [];
      h.assistant.on('event', (event) => returned.push(publisher.handle(event)));
      const answer = 'It is 31.2 °C in Makati, partly cloudy.';
      h.fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }), textReply(answer));
      const from = seconds();
      const result = await within(h.assistant.ask("What's the weather in Makati?", { threadId: 'thread_pub' }), 5_000);
      assert.equal(result.status, 'completed', result.error);

      const triples = checkCommon(sent, 'thread_pub', from, seconds());
      const toolResult = h.of('tool_executed')[0].resultJson;
      assert.deepEqual(triples, [
        ['started', 'tool', 'Executing weather check for Makati'],
        ['tool_executed', 'tool', toolResult],
        ...splitIntoDeltas(answer).map((delta): [undefined, string, string] => [undefined, 'response', delta]),
        ['completed', 'response', answer],
      ]);
      assert.equal(JSON.parse(sent[1].message).temperature, MAKATI.temperature);
      const callId = h.of('tool_started')[0].callId;
      assert.deepEqual([sent[0].tool_call_id, sent[1].tool_call_id], [callId, callId]);
      assert.ok(!('status' in sent[2]), 'a delta has no status key at all');
      // turn_started has no wire form; every other event maps to exactly the payload it returned.
      assert.equal(returned[0], undefined);
      assert.deepEqual(returned.slice(1), sent);
    });

    test('parallel calls: one started per call, then one tool_executed per call', async (t) => {
      const h = await harness(t, api);
      const { publisher, sent } = recordingPublisher();
      h.assistant.on('event', (event) => publisher.handle(event));
      h.fake.enqueue(
        toolCallsReply([
          { name: 'get_weather', arguments: { location: 'Makati' } },
          { name: 'get_weather', arguments: { location: 'London' } },
        ]),
        textReply('Done.'),
      );
      await within(h.assistant.ask('Makati and London?', { threadId: 'thread_two' }), 5_000);
      const triples = checkCommon(sent, 'thread_two', 0, seconds());
      assert.deepEqual(triples.slice(0, 2), [
        ['started', 'tool', 'Executing weather check for Makati'],
        ['started', 'tool', 'Executing weather check for London'],
      ]);
      assert.deepEqual(triples.slice(2, 4).map(([status, type]) => [status, type]), [['tool_executed', 'tool'], ['tool_executed', 'tool']]);
      assert.deepEqual(sent.slice(2, 4).map((p) => JSON.parse(p.message).location.split(',')[0]).sort(), ['London', 'Makati']);
      assert.deepEqual(triples.at(-1), ['completed', 'response', 'Done.']);
    });

    test('refusal: its deltas and the completed payload carry the refusal text, as any answer', async (t) => {
      const h = await harness(t, api);
      const { publisher, sent } = recordingPublisher();
      h.assistant.on('event', (event) => publisher.handle(event));
      const refusal = "I'm sorry, but I can't help with that request.";
      h.fake.enqueue(refusalReply(refusal));
      const from = seconds();
      const result = await within(h.assistant.ask('Something harmful?', { threadId: 'thread_refusal' }), 5_000);
      assert.equal(result.status, 'completed', result.error);
      assert.deepEqual(checkCommon(sent, 'thread_refusal', from, seconds()), [
        ...splitIntoDeltas(refusal).map((delta): [undefined, string, string] => [undefined, 'response', delta]),
        ['completed', 'response', refusal],
      ]);
    });

    test('failed turn: the last payload has status "error", type response, and the clear error text', async (t) => {
      const h = await harness(t, api);
      const { publisher, sent } = recordingPublisher();
      h.assistant.on('event', (event) => publisher.handle(event));
      h.fake.enqueue(interruptedReply('Partial answer here.', 'error', { afterDeltas: 2, message: 'Overloaded.' }));
      const result = await within(h.assistant.ask('Weather?', { threadId: 'thread_err' }), 5_000);
      assert.equal(result.status, 'failed');
      const triples = checkCommon(sent, 'thread_err', 0, seconds());
      assert.equal(triples.length, 3);
      assert.deepEqual(triples.slice(0, 2).map(([status, type]) => [status, type]), [[undefined, 'response'], [undefined, 'response']]);
      assert.deepEqual(triples[2], ['error', 'response', result.error]);
      assert.match(sent[2].message, /Overloaded\./);
    });

    test('cancelled turn: ends with status "error" and "The request was cancelled."', async (t) => {
      const h = await harness(t, api);
      const { publisher, sent } = recordingPublisher();
      h.assistant.on('event', (event) => publisher.handle(event));
      h.fake.enqueue(textReply('A long answer that streams slowly, word by word, for a while.', { delayMs: 80 }));
      const controller = new AbortController();
      const turn = h.assistant.ask('Weather?', { threadId: 'thread_cancel', signal: controller.signal });
      await within(nextAssistantEvent(h.assistant, (e) => e.type === 'delta'), 5_000);
      controller.abort();
      assert.equal((await within(turn, 2_000)).status, 'cancelled');
      const last = sent.at(-1)!;
      assert.deepEqual([last.status, last.type, last.message], ['error', 'response', 'The request was cancelled.']);
      checkCommon(sent, 'thread_cancel', 0, seconds());
    });
  });
}

describe('ChannelPublisher mapping', SUITE_TIMEOUT, () => {
  test('seq is counted per thread; unknown tools and missing locations still read sensibly', () => {
    const { publisher, sent } = recordingPublisher();
    const weather = weatherToolbox().find('get_weather')!;
    const events: AssistantEvent[] = [
      { type: 'turn_started', threadId: 'A', question: 'q' },
      { type: 'tool_started', threadId: 'A', callId: 'c1', name: 'get_weather', location: '', arguments: '{}', message: weather.startedMessage('') },
      { type: 'tool_started', threadId: 'B', callId: 'c2', name: 'get_time', location: '', arguments: '{}', message: unknownToolMessage('get_time') },
      { type: 'tool_executed', threadId: 'A', callId: 'c1', name: 'get_weather', location: '', resultJson: '{"error":"x"}', error: 'x', durationMs: 1 },
      { type: 'delta', threadId: 'B', text: 'Hi' },
      { type: 'failed', threadId: 'A', message: 'the model request failed: boom', cancelled: false },
      { type: 'completed', threadId: 'B', text: 'Hi' },
    ];
    for (const event of events) publisher.handle(event);
    assert.deepEqual(
      sent.map((p) => [p.thread_id, p.seq, p.status, p.type, p.message]),
      [
        ['A', 0, 'started', 'tool', 'Executing weather check for an unnamed place'],
        ['B', 0, 'started', 'tool', 'Executing get_time'],
        ['A', 1, 'tool_executed', 'tool', '{"error":"x"}'],
        ['B', 1, undefined, 'response', 'Hi'],
        ['A', 2, 'error', 'response', 'the model request failed: boom'],
        ['B', 2, 'completed', 'response', 'Hi'],
      ],
    );
  });
});
