// A thread as Markdown (Export, and an answer opened in an editor): questions, tool cards with
// their results fenced so no result can break out, the answer as written, and the outcome.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerToMarkdown, threadToMarkdown } from '../../src/activity';
import type { ThreadView } from '../../src/protocol';

const thread: ThreadView = {
  threadId: 'thread_abc',
  origin: 'local',
  undelivered: 0,
  notShared: 0,
  turns: [
    {
      index: 0,
      question: 'Rain in\nOslo?',
      startedAt: 1,
      tools: [{ key: 'c1', message: 'Executing weather check for Oslo', status: 'executed', durationMs: 120.4, result: '{"note":"```\\n# not a heading"}\n```' }],
      answer: 'Light **rain**.\n\n- morning\n- evening\n',
      status: 'completed',
    },
    { index: 1, startedAt: 2, tools: [], answer: '', status: 'error', error: 'model request failed: 429' },
  ],
};

test('a thread exports as a document: headings per turn, results fenced beyond any backticks inside, outcomes in words', () => {
  const text = threadToMarkdown(thread, new Date('2026-11-30T10:00:00Z'));
  assert.equal(
    text,
    [
      '# Weather Assistant — thread thread_abc',
      '',
      '_asked in this window; exported 2026-11-30T10:00:00.000Z_',
      '',
      '## 1. Rain in Oslo?',
      '',
      '- Executing weather check for Oslo — done (120 ms)',
      '',
      '  ````',
      '  {"note":"```\\n# not a heading"}',
      '  ```',
      '  ````',
      '',
      'Light **rain**.',
      '',
      '- morning',
      '- evening',
      '',
      '## 2. Turn',
      '',
      '_Failed: model request failed: 429_',
      '',
    ].join('\n'),
  );
});

test('an answer opens as its question and text, or says there is none yet', () => {
  assert.equal(answerToMarkdown(thread.turns[0]), '# Rain in Oslo?\n\nLight **rain**.\n\n- morning\n- evening\n\n');
  assert.equal(answerToMarkdown({ index: 0, startedAt: 0, tools: [], answer: '', status: 'running' }), '_(no answer yet)_\n');
});
