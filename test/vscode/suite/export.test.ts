// Issue 12: a thread exported as Markdown (Export Thread as Markdown), the latest answer
// opened as plain Markdown in an editor (Open Answer in Editor), where a screen reader reads it
// like any document, and the panel's turn actions (Copy, Retry, Stop) as the host runs them.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { modelNotFound, textReply } from '../../fakes/openai-scenarios';
import { api, connectedTo, fakes, requireFixture, waitFor, type ExtensionApi, type Fixture } from './fixture';

const ANSWER = 'Cold and **clear** in Oslo tonight.\n\n- low: -8 °C';

suite('Export Thread as Markdown, Open Answer in Editor', () => {
  let fx: Fixture;
  let ext: ExtensionApi;
  let dir: string;
  let threadId: string;

  suiteSetup(async function () {
    fx = requireFixture(this);
    ext = await api();
    await connectedTo(ext, fx.relayA);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weather-export-'));
    threadId = (await vscode.commands.executeCommand<string>('weatherAssistant.newChat'))!;
    await fakes.resetOpenAI();
    await fakes.enqueue(textReply(ANSWER));
    const result = await vscode.commands.executeCommand<{ status: string }>('weatherAssistant.ask', 'Frost in Oslo tonight?');
    assert.equal(result?.status, 'completed', JSON.stringify(result));
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the current thread is written as Markdown: its question, its answer as written', async () => {
    const target = vscode.Uri.file(path.join(dir, 'thread.md'));
    const written = await vscode.commands.executeCommand<vscode.Uri>('weatherAssistant.exportThread', undefined, target);
    assert.equal(written?.fsPath, target.fsPath);
    const text = fs.readFileSync(target.fsPath, 'utf8');
    assert.match(text, new RegExp(`^# Weather Assistant — thread ${threadId}\n`));
    assert.match(text, /\n## 1\. Frost in Oslo tonight\?\n/);
    assert.ok(text.includes(`\n${ANSWER}\n`), text);
  });

  test('the latest answer opens as plain Markdown in an editor', async () => {
    const uri = await vscode.commands.executeCommand<vscode.Uri>('weatherAssistant.openAnswer');
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.toString(), uri?.toString());
    assert.equal(editor?.document.languageId, 'markdown');
    assert.equal(editor?.document.getText(), `# Frost in Oslo tonight?\n\n${ANSWER}\n`);
    assert.ok(ext.store.snapshot().some((thread) => thread.threadId === threadId));
  });

  test('Copy puts the answer, as written, on the clipboard', async () => {
    const copied = await vscode.commands.executeCommand<boolean>('weatherAssistant.copyAnswer', threadId, 0);
    assert.equal(copied, true);
    assert.equal(await vscode.env.clipboard.readText(), ANSWER);
  });

  test('Retry asks a failed question again: the model is asked it once more', async () => {
    await fakes.resetOpenAI();
    await fakes.enqueue(modelNotFound('gpt-test'));
    const failed = await vscode.commands.executeCommand<{ status: string }>('weatherAssistant.ask', 'Snow in Tromsø?');
    assert.equal(failed?.status, 'failed');
    const turnIndex = ext.store.snapshot().find((thread) => thread.threadId === threadId)!.turns.at(-1)!.index;
    await fakes.enqueue(textReply('Yes, snow.'));
    const retried = await vscode.commands.executeCommand<{ status: string; text: string }>('weatherAssistant.retry', threadId, turnIndex);
    assert.deepEqual([retried?.status, retried?.text], ['completed', 'Yes, snow.']);
    const requests = await fakes.openaiRequests();
    assert.equal(requests.length, 2);
    assert.ok(JSON.stringify(requests[1].body).includes('Snow in Tromsø?'), 'the same question');
  });

  test('Stop cancels the running turn; the turn ends as stopped', async () => {
    await fakes.resetOpenAI();
    await fakes.enqueue(textReply('A long, slow answer that never gets to finish.', { delayMs: 400 }));
    const asking = vscode.commands.executeCommand<{ status: string }>('weatherAssistant.ask', 'Fog in London?');
    await waitFor('the turn to be running', () => ext.session.busy);
    assert.equal(await vscode.commands.executeCommand('weatherAssistant.stop'), true);
    const result = await asking;
    assert.equal(result?.status, 'cancelled');
    assert.equal(ext.session.busy, false);
    assert.equal(await vscode.commands.executeCommand('weatherAssistant.stop'), false, 'nothing left to stop');
  });

  test('a question from the composer while a turn runs is queued and asked next, in the same thread', async () => {
    await fakes.resetOpenAI();
    await fakes.enqueue(textReply('First answer, slowly.', { delayMs: 300 }), textReply('Second answer.'));
    const first = vscode.commands.executeCommand<{ status: string }>('weatherAssistant.askFromPanel', 'Sun in Seville?');
    await waitFor('the first turn to run', () => ext.session.busy);
    assert.equal(await vscode.commands.executeCommand('weatherAssistant.askFromPanel', 'And in Porto?'), 'queued');
    assert.equal((await first)?.status, 'completed');
    await waitFor('the queued question to be answered', async () => (await fakes.openaiRequests()).length === 2 && !ext.session.busy);
    const requests = await fakes.openaiRequests();
    assert.ok(JSON.stringify(requests[1].body).includes('And in Porto?'));
    // Asked in the same thread: the model saw the first question too (a follow-up).
    assert.ok(JSON.stringify(requests[1].body).includes('Sun in Seville?'), 'the earlier turn went with it');
  });
});
