// `npm start`'s script (scripts/start.mjs, server mode: desktop VS Code is not on this machine)
// opens VS Code with the Live Activity panel already showing: the URL it prints, opened in
// headless Chromium as a user would open it in a browser, shows the panel's welcome without a
// click. The extension is pointed at a loopback port where nothing listens, with no embedded
// relay, so it contacts nothing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { chromium, type Frame } from 'playwright-core';
import { unusedPort } from '../support/ports';

const repo = resolve(__dirname, '..', '..', '..');

test('npm start opens VS Code with the Live Activity panel showing', { timeout: 180_000 }, async (t) => {
  const workspace = mkdtempSync(join(tmpdir(), 'weather-start-'));
  t.after(() => rmSync(workspace, { recursive: true, force: true }));
  const [port, deadRelay] = [await unusedPort(), await unusedPort()];
  const start = spawn(process.execPath, ['scripts/start.mjs', '--server'], {
    cwd: repo,
    detached: true, // its own process group: stopped whole, server included
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      WEATHER_START_FRESH: '1',
      WEATHER_START_WORKSPACE: workspace,
      WEATHER_VSCODE_SETTINGS: JSON.stringify({ 'weatherAssistant.server.uri': `ws://127.0.0.1:${deadRelay}`, 'weatherAssistant.server.autoStart': false }),
      OPENAI_API_KEY: '',
    },
  });
  let output = '';
  start.stdout.on('data', (chunk) => (output += chunk));
  start.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((done) => start.once('exit', done));
  t.after(async () => {
    try {
      process.kill(-start.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    await Promise.race([exited, new Promise((done) => setTimeout(done, 15_000))]);
  });

  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no URL printed within 120 s:\n${output}`)), 120_000);
    const look = () => {
      const found = /^\s+(http:\/\/127\.0\.0\.1:\d+\/\S+)$/m.exec(output)?.[1];
      if (found) {
        clearTimeout(timer);
        done(found);
      }
    };
    start.stdout.on('data', look);
    start.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`start.mjs exited (${code}) before printing a URL:\n${output}`));
    });
  });
  assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/`));
  const tasks = JSON.parse(readFileSync(join(workspace, '.vscode', 'tasks.json'), 'utf8'));
  assert.equal(tasks.tasks[0].runOptions.runOn, 'folderOpen');

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
  // Nothing is clicked: the panel must come up by itself, showing its welcome.
  const deadline = Date.now() + 90_000;
  let panel: Frame | undefined;
  while (!panel && Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (await frame.locator('.welcome-steps').count().catch(() => 0)) panel = frame;
    }
    if (!panel) await page.waitForTimeout(500);
  }
  if (!panel) {
    await page.screenshot({ path: join(repo, 'test-output', 'npm-start.png') }).catch(() => undefined);
    assert.fail(`the Live Activity panel did not show within 90 s (see test-output/npm-start.png)\n${output}`);
  }
  assert.match(await panel.locator('.welcome-steps').innerText(), /Choose a model/);
  assert.ok(existsSync(join(workspace, '.vscode', 'tasks.json')));
});
