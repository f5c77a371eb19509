// A conversation per thread: the second question on a thread carries the first.
// Responses keeps it on the server (previous_response_id) where responses are stored,
// or resends the whole input history where they are not (Ollama-like, stateless);
// Chat resends the message list. Threads do not see each other.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { interruptedReply, textReply, toolCallReply, toolOutputsOf } from '../fakes/openai-server';
import { bodyOf, harness, within } from './helpers';

/** For a whole describe(): the sum of its tests, with room for a busy machine. */
const SUITE_TIMEOUT = { timeout: 120_000 };

/** A tool turn then a text turn on `thread`, a text turn on another thread. */
async function twoTurns(h: Awaited<ReturnType<typeof harness>>, thread = 'thread_conv'): Promise<void> {
  h.fake.enqueue(
    toolCallReply('get_weather', { location: 'Makati' }, { callId: 'call_turn1' }),
    textReply('It is 31.2 °C in Makati.'),
    textReply('Tomorrow looks similar.'),
  );
  const first = await within(h.assistant.ask("What's the weather in Makati?", { threadId: thread }), 5_000);
  assert.equal(first.status, 'completed', first.error);
  const second = await within(h.assistant.ask('And tomorrow?', { threadId: thread }), 5_000);
  assert.equal(second.status, 'completed', second.error);
  assert.equal(second.text, 'Tomorrow looks similar.');
  for (const request of h.fake.requests) assert.equal(request.rejected, undefined, request.rejected);
}

describe('conversation per thread: Responses', SUITE_TIMEOUT, () => {
  test('server state (stateful fake): follow-ups send only what is new, with previous_response_id', async (t) => {
    const h = await harness(t, 'responses', { model: { conversationState: 'server' } });
    assert.equal(h.assistant.config.conversationState, 'server');
    await twoTurns(h);
    assert.equal(h.fake.requests.length, 3);
    const [first, toolFollowUp, secondTurn] = [0, 1, 2].map((i) => bodyOf(h.fake, i));

    assert.equal(first.previous_response_id, undefined);
    assert.equal(first.store, true);
    assert.deepEqual(first.input, [{ role: 'user', content: "What's the weather in Makati?" }]);

    assert.equal(toolFollowUp.previous_response_id, h.fake.requests[0].responseId);
    assert.deepEqual(toolFollowUp.input.map((item: any) => item.type), ['function_call_output']);
    assert.deepEqual(toolOutputsOf(h.fake.requests[1]).map((o) => o.callId), ['call_turn1']);

    assert.equal(secondTurn.previous_response_id, h.fake.requests[1].responseId);
    assert.deepEqual(secondTurn.input, [{ role: 'user', content: 'And tomorrow?' }]);
    assert.equal(secondTurn.store, true);
  });

  test('server state: another thread starts without previous_response_id', async (t) => {
    const h = await harness(t, 'responses', { model: { conversationState: 'server' } });
    h.fake.enqueue(textReply('One.'), textReply('Two.'), textReply('Three.'));
    await within(h.assistant.ask('First on A', { threadId: 'thread_a' }), 5_000);
    await within(h.assistant.ask('First on B', { threadId: 'thread_b' }), 5_000);
    await within(h.assistant.ask('Second on A', { threadId: 'thread_a' }), 5_000);
    const bodies = [0, 1, 2].map((i) => bodyOf(h.fake, i));
    assert.equal(bodies[0].previous_response_id, undefined);
    assert.equal(bodies[1].previous_response_id, undefined, 'thread B does not continue thread A');
    assert.equal(bodies[2].previous_response_id, h.fake.requests[0].responseId, 'thread A continues its own response');
  });

  test('client state (stateless fake): every request resends the whole history, store false, no previous_response_id', async (t) => {
    const h = await harness(t, 'responses', { model: { conversationState: 'client' }, fake: { stateless: true } });
    await twoTurns(h);
    assert.equal(h.fake.requests.length, 3);
    const bodies = [0, 1, 2].map((i) => bodyOf(h.fake, i));
    for (const body of bodies) {
      assert.equal(body.previous_response_id, undefined);
      assert.equal(body.store, false);
    }
    assert.deepEqual(bodies[0].input, [{ role: 'user', content: "What's the weather in Makati?" }]);
    // The tool follow-up carries the call it answers.
    assert.deepEqual(
      bodies[1].input.map((item: any) => item.type ?? item.role),
      ['user', 'function_call', 'function_call_output'],
    );
    assert.equal(bodies[1].input[1].call_id, 'call_turn1');
    assert.equal(bodies[1].input[1].name, 'get_weather');
    assert.deepEqual(JSON.parse(bodies[1].input[1].arguments), { location: 'Makati' });
    assert.equal(bodies[1].input[2].call_id, 'call_turn1');
    // The second turn: the whole first turn, the answer, then the new question.
    const history = bodies[2].input;
    assert.deepEqual(history.map((item: any) => item.type ?? item.role), ['user', 'function_call', 'function_call_output', 'assistant', 'user']);
    assert.equal(history[0].content, "What's the weather in Makati?");
    assert.equal(history[3].content, 'It is 31.2 °C in Makati.');
    assert.equal(history[4].content, 'And tomorrow?');
  });

  test('auto with a non-OpenAI base URL means client state, which a stateless server accepts', async (t) => {
    const h = await harness(t, 'responses', { fake: { stateless: true } });
    assert.equal(h.assistant.config.conversationState, 'client');
    await twoTurns(h);
    assert.ok(h.fake.requests.every((r) => (r.body as any).previous_response_id === undefined));
    assert.equal(bodyOf(h.fake, 2).input.length, 5);
  });

  test('forget(thread) starts the thread afresh', async (t) => {
    for (const conversationState of ['server', 'client'] as const) {
      const h = await harness(t, 'responses', { model: { conversationState } });
      h.fake.enqueue(textReply('One.'), textReply('Two.'));
      await within(h.assistant.ask('First', { threadId: 'thread_f' }), 5_000);
      h.assistant.forget('thread_f');
      await within(h.assistant.ask('Again', { threadId: 'thread_f' }), 5_000);
      const body = bodyOf(h.fake, 1);
      assert.equal(body.previous_response_id, undefined, conversationState);
      assert.deepEqual(body.input, [{ role: 'user', content: 'Again' }], conversationState);
    }
  });
});

describe('conversation per thread: Chat Completions', SUITE_TIMEOUT, () => {
  test('the second turn includes the first turn’s messages, tool call and tool reply', async (t) => {
    const h = await harness(t, 'chat');
    await twoTurns(h);
    assert.equal(h.fake.requests.length, 3);
    const toolFollowUp = bodyOf(h.fake, 1).messages;
    assert.deepEqual(toolFollowUp.map((m: any) => m.role), ['system', 'user', 'assistant', 'tool']);
    assert.deepEqual(toolFollowUp[2].tool_calls.map((c: any) => [c.id, c.type, c.function.name]), [['call_turn1', 'function', 'get_weather']]);
    assert.deepEqual(JSON.parse(toolFollowUp[2].tool_calls[0].function.arguments), { location: 'Makati' });
    assert.equal(toolFollowUp[3].tool_call_id, 'call_turn1');

    const messages = bodyOf(h.fake, 2).messages;
    assert.deepEqual(messages.map((m: any) => m.role), ['system', 'user', 'assistant', 'tool', 'assistant', 'user']);
    assert.equal(messages[1].content, "What's the weather in Makati?");
    assert.equal(messages[4].content, 'It is 31.2 °C in Makati.');
    assert.equal(messages[5].content, 'And tomorrow?');
  });

  test('threads are separate, and forget(thread) starts afresh', async (t) => {
    const h = await harness(t, 'chat');
    h.fake.enqueue(textReply('One.'), textReply('Two.'), textReply('Three.'));
    await within(h.assistant.ask('On A', { threadId: 'thread_a' }), 5_000);
    await within(h.assistant.ask('On B', { threadId: 'thread_b' }), 5_000);
    h.assistant.forget('thread_a');
    await within(h.assistant.ask('A again', { threadId: 'thread_a' }), 5_000);
    assert.deepEqual(bodyOf(h.fake, 1).messages.map((m: any) => m.role), ['system', 'user']);
    assert.deepEqual(bodyOf(h.fake, 2).messages.map((m: any) => [m.role, m.content]).slice(1), [['user', 'A again']]);
  });
});

// A turn that stops part-way (cancelled mid-tool, stopped at the round cap, or failed
// in its tool follow-up) leaves tool calls without outputs. Both APIs refuse such a
// history with a 400 on every later request, so the thread must go on from its last
// completed turn instead of being broken for good.
const VARIANTS = [
  { name: 'Responses, server state', api: 'responses', model: { conversationState: 'server' }, fake: {} },
  { name: 'Responses, client state (stateless server)', api: 'responses', model: { conversationState: 'client' }, fake: { stateless: true } },
  { name: 'Chat Completions', api: 'chat', model: {}, fake: {} },
] as const;

const BREAKS = {
  'cancelled mid-tool': async (h: Awaited<ReturnType<typeof harness>>) => {
    h.weather.setMode('hang');
    h.fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }));
    const controller = new AbortController();
    const abortOnTool = (e: { type: string }) => e.type === 'tool_started' && setTimeout(() => controller.abort(), 30);
    h.assistant.on('event', abortOnTool);
    const result = await within(h.assistant.ask('Makati?', { threadId: 'thread_r', signal: controller.signal }), 3_000);
    h.assistant.off('event', abortOnTool);
    h.weather.setMode('normal');
    return result.status;
  },
  'stopped at the tool-round cap': async (h: Awaited<ReturnType<typeof harness>>) => {
    h.fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }), toolCallReply('get_weather', { location: 'Tokyo' }));
    return (await within(h.assistant.ask('Makati?', { threadId: 'thread_r' }), 3_000)).status;
  },
  'failed in the tool follow-up': async (h: Awaited<ReturnType<typeof harness>>) => {
    h.fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }), interruptedReply('In Makati', 'error', { afterDeltas: 1 }));
    return (await within(h.assistant.ask('Makati?', { threadId: 'thread_r' }), 3_000)).status;
  },
};

describe('a turn that stops part-way does not break its thread', SUITE_TIMEOUT, () => {
  for (const variant of VARIANTS) {
    for (const [what, breakTurn] of Object.entries(BREAKS)) {
      test(`${variant.name}: ${what}, then the next question works and carries the last completed turn`, async (t) => {
        const h = await harness(t, variant.api, { model: { ...variant.model, maxToolRounds: 2 }, fake: variant.fake });
        h.fake.enqueue(textReply('One.'));
        assert.equal((await within(h.assistant.ask('First', { threadId: 'thread_r' }), 5_000)).status, 'completed');
        const firstResponseId = h.fake.requests[0].responseId;

        const status = await breakTurn(h);
        assert.notEqual(status, 'completed');

        const before = h.fake.requests.length;
        h.fake.enqueue(textReply('Three.'));
        const third = await within(h.assistant.ask('Third', { threadId: 'thread_r' }), 5_000);
        assert.equal(third.status, 'completed', third.error);
        assert.equal(third.text, 'Three.');
        assert.equal(h.fake.requests.length, before + 1);
        const body = bodyOf(h.fake, before);
        if (variant.api === 'chat') {
          assert.deepEqual(body.messages.map((m: any) => [m.role, m.content]).slice(1), [['user', 'First'], ['assistant', 'One.'], ['user', 'Third']]);
        } else if (variant.model.conversationState === 'server') {
          assert.equal(body.previous_response_id, firstResponseId);
          assert.deepEqual(body.input, [{ role: 'user', content: 'Third' }]);
        } else {
          assert.deepEqual(body.input, [{ role: 'user', content: 'First' }, { role: 'assistant', content: 'One.' }, { role: 'user', content: 'Third' }]);
        }
      });
    }
  }
});
