// Issue 12: a thread exported as Markdown (Export Thread as Markdown), and the latest answer
// opened as plain Markdown in an editor (Open Answer in Editor), where a screen reader reads it
// like any document.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { textReply } from '../../fakes/openai-scenarios';
import { api, connectedTo, fakes, requireFixture, type ExtensionApi, type Fixture } from './fixture';

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
});
