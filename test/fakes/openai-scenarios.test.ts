import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitIntoDeltas, toolCallReply } from './openai-scenarios';

test('splitIntoDeltas: small token-like pieces that reassemble exactly', () => {
  for (const text of [
    'It is 31°C and sunny in Makati.',
    'Grüße — 東京は雨。 ☀️👍🏽 done',
    '  leading and trailing spaces  ',
    'line one\nline two\n\n- bullet: "quoted", {json: [1, 2]}',
    'Supercalifragilisticexpialidocious',
    '',
  ]) {
    const deltas = splitIntoDeltas(text);
    assert.equal(deltas.join(''), text);
    assert.ok(deltas.every((d) => d.length > 0 && Array.from(d).length <= 6), JSON.stringify(deltas));
    assert.ok(deltas.every((d) => !/[\uD800-\uDBFF]$/.test(d)), 'a delta ends inside a surrogate pair');
  }
  assert.deepEqual(splitIntoDeltas('Hi, Makati!'), ['Hi', ',', ' Maka', 'ti', '!']);
});

test('toolCallReply keeps an optional preface and a fixed call id', () => {
  assert.deepEqual(toolCallReply('get_weather', { location: 'Makati' }, { callId: 'call_1', text: 'Checking.' }), {
    kind: 'reply',
    text: 'Checking.',
    toolCalls: [{ name: 'get_weather', arguments: { location: 'Makati' }, callId: 'call_1' }],
  });
});
