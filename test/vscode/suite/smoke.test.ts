// Proves the real-VS-Code harness: runs inside the extension host of VS Code 1.139.1 with the
// driver's environment, and (once the extension is built) finds and activates the extension.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, test } from 'mocha';
import * as vscode from 'vscode';
import { devPath, extensionId, manifest, screenshot, skipWithReason } from './harness';

const EXPECTED_ID = 'weather-assistant-live.weather-assistant-live';
const built = () => fs.existsSync(path.join(devPath, 'dist', 'extension.js'));

suite('harness smoke', () => {
  test('runs inside a real VS Code 1.139.1', () => {
    assert.equal(vscode.version, '1.139.1');
    assert.equal(vscode.env.uiKind, vscode.UIKind.Web); // the workbench is a browser page
  });

  test('the driver\'s environment reaches the extension host', () => {
    assert.equal(process.env.WEATHER_VSCODE_HARNESS, '1');
  });

  test('an empty workspace folder is open', () => {
    assert.equal(vscode.workspace.workspaceFolders?.length, 1);
  });

  test('the extension is installed from the development path', function () {
    if (!built()) return skipWithReason(this, `${path.join(devPath, 'dist', 'extension.js')} is not built yet`);
    assert.equal(extensionId(), EXPECTED_ID, 'package.json publisher.name');
    const extension = vscode.extensions.getExtension(EXPECTED_ID);
    assert.ok(extension, `vscode.extensions.getExtension('${EXPECTED_ID}')`);
    assert.equal(path.resolve(extension.extensionPath), path.resolve(devPath));
  });

  test('the extension activates and registers its contributed commands', async function () {
    if (!built()) return skipWithReason(this, 'dist/extension.js is not built yet');
    const extension = vscode.extensions.getExtension(EXPECTED_ID);
    assert.ok(extension);
    await extension.activate();
    assert.ok(extension.isActive);
    const contributed: string[] = (manifest().contributes?.commands ?? []).map((c: { command: string }) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((id) => !registered.has(id)), [], 'contributed commands that are not registered');
  });

  test('the launcher takes a screenshot on request', async function () {
    if (!process.env.WEATHER_VSCODE_SCREENSHOT_DIR) return skipWithReason(this, 'WEATHER_VSCODE_SCREENSHOT_DIR is not set');
    const file = await screenshot('vscode-smoke');
    assert.ok(file && fs.statSync(file).size > 1000, `screenshot ${file}`);
  });
});
