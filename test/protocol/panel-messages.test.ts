// Messages from the panel's webview are intents, validated by the host: known kinds only, and
// the thread and turn a button names checked for type and size.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePanelMessage, TEXT_LIMITS } from '../../src/protocol';

test('the turn actions are taken with a thread id and a whole turn index; anything else is ignored', () => {
  assert.deepEqual(parsePanelMessage({ kind: 'stop' }), { kind: 'stop' });
  assert.deepEqual(parsePanelMessage({ kind: 'copyAnswer', threadId: 't', turnIndex: 0, extra: 'dropped' }), { kind: 'copyAnswer', threadId: 't', turnIndex: 0 });
  assert.deepEqual(parsePanelMessage({ kind: 'retry', threadId: 't', turnIndex: 3 }), { kind: 'retry', threadId: 't', turnIndex: 3 });
  assert.deepEqual(parsePanelMessage({ kind: 'exportThread', threadId: 't', turnIndex: 'x' }), { kind: 'exportThread', threadId: 't' });
  for (const bad of [
    { kind: 'copyAnswer', threadId: 't' },
    { kind: 'copyAnswer', threadId: 't', turnIndex: -1 },
    { kind: 'copyAnswer', threadId: 't', turnIndex: 1.5 },
    { kind: 'retry', threadId: '', turnIndex: 0 },
    { kind: 'retry', threadId: 'x'.repeat(257), turnIndex: 0 },
    { kind: 'exportThread' },
    { kind: 'exportThread', threadId: 42 },
    { kind: 'runCommand', command: 'workbench.action.terminal.new' },
    null,
    'stop',
  ]) {
    assert.equal(parsePanelMessage(bad), undefined, JSON.stringify(bad));
  }
});

test('a composer question is text of at most 4,000 characters; a queued one is removed by its place', () => {
  assert.deepEqual(parsePanelMessage({ kind: 'askText', text: 'Rain in Oslo?' }), { kind: 'askText', text: 'Rain in Oslo?' });
  assert.deepEqual(parsePanelMessage({ kind: 'removeQueued', index: 9 }), { kind: 'removeQueued', index: 9 });
  for (const bad of [
    { kind: 'askText', text: '   ' },
    { kind: 'askText', text: 'x'.repeat(4001) },
    { kind: 'askText', text: 7 },
    { kind: 'removeQueued', index: 10 },
    { kind: 'removeQueued', index: -1 },
    { kind: 'removeQueued', index: '0' },
  ]) {
    assert.equal(parsePanelMessage(bad), undefined, JSON.stringify(bad).slice(0, 80));
  }
});

test('code to copy is text of at most one answer; the host only puts it on the clipboard', () => {
  assert.deepEqual(parsePanelMessage({ kind: 'copyCode', text: 'npm test\n' }), { kind: 'copyCode', text: 'npm test\n' });
  assert.deepEqual(parsePanelMessage({ kind: 'copyCode', text: '' }), { kind: 'copyCode', text: '' });
  const longest = 'x'.repeat(TEXT_LIMITS.answer);
  assert.equal((parsePanelMessage({ kind: 'copyCode', text: longest }) as { text: string }).text.length, TEXT_LIMITS.answer);
  for (const bad of [{ kind: 'copyCode' }, { kind: 'copyCode', text: 42 }, { kind: 'copyCode', text: `${longest}x` }, { kind: 'copyCode', text: ['a'] }]) {
    assert.equal(parsePanelMessage(bad), undefined, JSON.stringify(bad).slice(0, 80));
  }
});

test("the welcome's steps are plain intents: extra fields are dropped", () => {
  for (const kind of ['chooseModel', 'useLocalServer', 'setServerUri', 'setRelayToken', 'openWalkthrough']) {
    assert.deepEqual(parsePanelMessage({ kind, href: 'https://example.com', text: 'x' }), { kind });
  }
  assert.equal(parsePanelMessage({ kind: 'runCommand', command: 'workbench.action.terminal.new' }), undefined, 'no door to arbitrary commands');
});
