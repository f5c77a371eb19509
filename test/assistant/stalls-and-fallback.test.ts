/**
 * A stream that stalls mid-way ends the turn after the idle timeout, and a server that
 * keeps no stored responses makes the Responses adapter fall back to sending history.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interruptedReply, textReply } from '../fakes/openai-server';
import { APIS, harness, within } from './helpers';

for (const api of APIS) {
  test(
    `${api}: a stream that stalls after its headers ends the turn within timeoutMs`,
    {
      timeout: 10_000,
    },
    async (t) => {
      const h = await harness(t, api, { model: { timeoutMs: 300 } });
      h.fake.enqueue(interruptedReply('It is warm in Makati today.', 'stall', { afterDeltas: 2 }));
      // The fake drops the stalled stream when it closes (after this test), which ends the turn either way.
      const result = await within(h.assistant.ask('Weather?'), 1_500, 'the stalled turn');
      assert.equal(result.status, 'failed');
      assert.match(result.error ?? '', /0\.3 s/);
    },
  );
}

test(
  'Responses with server state against a server that keeps no responses falls back to resending the history',
  {
    timeout: 10_000,
  },
  async (t) => {
    const h = await harness(t, 'responses', { model: { conversationState: 'server' }, fake: { stateless: true } });
    h.fake.enqueue(textReply('One.'), textReply('Two.'));
    assert.equal((await within(h.assistant.ask('First', { threadId: 'thread_s' }), 5_000)).status, 'completed');
    const second = await within(h.assistant.ask('Second', { threadId: 'thread_s' }), 5_000);
    assert.equal(second.status, 'completed', second.error);
    const last = h.fake.requests.at(-1)!.body as any;
    assert.equal(last.previous_response_id, undefined);
    assert.deepEqual(last.input.map((item: any) => item.content), ['First', 'One.', 'Second']);
  },
);
