// The Live Activity panel under axe-core's WCAG 2.0/2.1 A and AA rules, in the real VS Code,
// in a dark, a light and both high-contrast themes. The panel holds what a user sees: this
// window's turns (a weather check with its card and raw result open, a streamed Markdown answer
// with a list, a table, code and a link, a failed question) and two threads of another
// publisher on the channel (one answered, one still checking). axe runs inside the webview
// through setup.ts's UI driver; each theme leaves test-output/panel-<theme>.png and
// test-output/panel-<theme>.axe.json (what axe flagged and what it could not decide).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { channelMessage, newThreadId, responseCompletedPayload, responseDeltaPayload, toolExecutedPayload, toolStartedPayload, type ChannelPayload } from '../../../src/protocol/wire';
import { modelNotFound, splitIntoDeltas, textReply, toolCallReply, type Scenario } from '../../fakes/openai-scenarios';
import { WsPeer } from '../../support/ws-peer';
import { api, connectedTo, fakes, requireFixture, ui, waitFor, type AxeReport, type ExtensionApi, type PanelLayout } from './fixture';
import { skipWithReason } from './harness';

/** One built-in theme of each kind a webview is told about. */
const THEMES = [
  // Formerly 'Default Dark Modern' and 'Default Light Modern', which VS Code 1.139 migrates to these.
  { id: 'Dark Modern', kind: 'vscode-dark' },
  { id: 'Light Modern', kind: 'vscode-light' },
  { id: 'Default High Contrast', kind: 'vscode-high-contrast' },
  { id: 'Default High Contrast Light', kind: 'vscode-high-contrast-light' },
];
const CHANNEL = 'weather-update';
/** Wide enough for the screenshots to read like a real side bar, not a strip. */
const SIDEBAR_WIDTH = 560;

const MARKDOWN_ANSWER = [
  'Three days in **Berlin**, mild and mostly dry:',
  '',
  '1. Pack a light jacket for the evenings.',
  '2. Check the [DWD forecast](https://www.dwd.de/) before you go.',
  '',
  '| day | high | low |',
  '| --- | ---: | ---: |',
  '| Fri | 21 °C | 12 °C |',
  '| Sat | 19 °C | 11 °C |',
  '',
  '```json',
  '{ "location": "Berlin", "units": "metric" }',
  '```',
].join('\n');

const REYKJAVIK = {
  location: 'Reykjavík, Capital Region, Iceland',
  temperature: 4.1,
  apparent_temperature: -0.6,
  humidity: 81,
  wind_speed: 31.7,
  condition: 'Light rain',
  units: { system: 'metric', temperature: '°C', wind_speed: 'km/h', humidity: '%' },
  source: 'open-meteo',
};

type AxeRule = AxeReport['violations'][number];

suite('accessibility: the Live Activity panel under axe-core in four themes', () => {
  let ext: ExtensionApi;
  let publisher: WsPeer | undefined;
  /** Why the theme tests cannot run (no UI driver), said by each of them. */
  let skipReason: string | undefined;
  let savedTheme: { value: string | undefined } | undefined;
  let savedLayout: PanelLayout | undefined;

  suiteSetup(async function () {
    this.timeout(60_000);
    const fx = requireFixture(this);
    const installed = new Set(vscode.extensions.all.flatMap((e) => (e.packageJSON.contributes?.themes ?? []).map((t: { id?: string; label: string }) => t.id ?? t.label)));
    assert.deepEqual(THEMES.map((t) => t.id).filter((id) => !installed.has(id)), [], 'built-in themes of this VS Code');

    ext = await api();
    await connectedTo(ext, fx.relayA, CHANNEL);
    await vscode.commands.executeCommand('weatherAssistant.showActivity');
    const layout = await ui.layout({ sidebarWidth: SIDEBAR_WIDTH }); // unavailable when the UI driver is off or cannot attach
    if (!layout.available) {
      skipReason = layout.reason;
      return;
    }
    savedLayout = layout.before;
    savedTheme = { value: vscode.workspace.getConfiguration('workbench').inspect<string>('colorTheme')?.globalValue };
    await vscode.commands.executeCommand('weatherAssistant.clearActivity');
    await fakes.resetOpenAI();
    await fakes.resetWeather();
    await askInNewThread("What's the weather in Makati right now?", 'completed', toolCallReply('get_weather', { location: 'Makati' }), textReply('**Makati** is partly cloudy at 31.2 °C.'));
    await askInNewThread('Plan for three days in Berlin?', 'completed', textReply(MARKDOWN_ANSWER));
    await askInNewThread('Is it snowing in Tromsø?', 'failed', modelNotFound('gpt-test-mini'));
    publisher = await WsPeer.open(fx.relayA);
    publishChannelTurn(publisher, 'Reykjavík', REYKJAVIK, 'Windy with **light rain** in Reykjavík; 4 °C, feeling like -1 °C.');
    publishChannelTurn(publisher, 'Oslo'); // still checking: a running card and "Working…"

    let seen = '';
    await waitFor('the webview to show the five threads as built', async () => {
      const panel = await ui.panel();
      seen = panel.available ? panel.threads.map((thread) => thread.turns.map((turn) => turn.status).join('+')).sort().join() : panel.reason;
      return seen === 'completed,completed,completed,error,running';
    }, 10_000, 200).catch((error: Error) => {
      throw new Error(`${error.message}; it showed: ${seen}`);
    });
  });

  suiteTeardown(async function () {
    this.timeout(20_000);
    if (savedTheme) await vscode.workspace.getConfiguration('workbench').update('colorTheme', savedTheme.value, vscode.ConfigurationTarget.Global);
    if (savedLayout) await ui.layout(savedLayout);
    await publisher?.close();
    // The threads built here are no other suite's business.
    if (ext) await vscode.commands.executeCommand('weatherAssistant.clearActivity');
  });

  for (const theme of THEMES) {
    const name = `panel-${theme.id.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
    test(`${theme.id}: no WCAG 2.1 A/AA violations (test-output/${name}.png)`, async function () {
      this.timeout(40_000);
      if (skipReason) return skipWithReason(this, skipReason);
      await vscode.workspace.getConfiguration('workbench').update('colorTheme', theme.id, vscode.ConfigurationTarget.Global);
      await waitFor(`the webview to be told of ${theme.id}`, async () => {
        const now = await ui.panelTheme();
        return now.available && now.id === theme.id && now.kind === theme.kind ? now : undefined;
      }, 10_000, 100);
      // Collapsed content is still content: open the raw results (and anything closed since).
      await ui.openPanelDetails();
      // The whole feed in view: axe cannot judge the contrast of text under the sticky header or
      // composer, and the picture shows everything. A theme's borders may make it taller.
      await ui.layout({ height: 'fit-panel' });
      const report = await ui.axe();
      if (!report.available) return skipWithReason(this, report.reason);
      const shot = await ui.screenshotSidebar(name);
      saveReport(name, theme.id, report);
      console.log(
        `${theme.id}: ${report.violations.length} violations, ${report.passes} rules passed, needs review: ${report.incomplete.map((r) => `${r.id} ×${r.nodeCount}`).join(', ') || 'none'}` +
          (shot.available ? `; ${shot.file}` : ''),
      );
      assert.ok(report.passes > 0, 'axe checked the panel');
      assert.equal(report.violations.length, 0, `axe found in ${theme.id}:\n${describeRules(report.violations)}`);
    });
  }
});

/** Asks `question` in a thread of its own, the model playing `scenarios`. */
async function askInNewThread(question: string, expected: 'completed' | 'failed', ...scenarios: Scenario[]): Promise<void> {
  await vscode.commands.executeCommand('weatherAssistant.newChat');
  await fakes.enqueue(...scenarios);
  const result = await vscode.commands.executeCommand<{ status: string }>('weatherAssistant.ask', question);
  assert.equal(result?.status, expected, `${question} → ${JSON.stringify(result)}`);
}

/** Another publisher's turn: a weather check, its result and a streamed answer; without a result it stays running. */
function publishChannelTurn(peer: WsPeer, location: string, report?: object, answer?: string): void {
  const threadId = newThreadId();
  const payloads: ChannelPayload[] = [toolStartedPayload(threadId, location, { callId: 'call_1' })];
  if (report) payloads.push(toolExecutedPayload(threadId, JSON.stringify(report), { callId: 'call_1' }));
  if (answer) payloads.push(...splitIntoDeltas(answer).map((delta) => responseDeltaPayload(threadId, delta)), responseCompletedPayload(threadId, answer));
  payloads.forEach((payload, seq) => peer.send(channelMessage(CHANNEL, { ...payload, seq })));
}

/** axe's findings as lines a person reads: rule, impact, each node and why it fails. */
function describeRules(rules: AxeRule[]): string {
  return rules
    .map((rule) =>
      [
        `${rule.id} (${rule.impact}, ${rule.nodeCount} node${rule.nodeCount === 1 ? '' : 's'}): ${rule.help}`,
        ...rule.nodes.map((node) => `  ${node.target}  ${node.html}\n    ${node.summary.replace(/\s*\n\s*/g, ' ')}`),
        ...(rule.nodeCount > rule.nodes.length ? [`  … and ${rule.nodeCount - rule.nodes.length} more`] : []),
      ].join('\n'),
    )
    .join('\n');
}

/** Keeps the whole report beside the screenshot, for reading what axe could not decide. */
function saveReport(name: string, theme: string, report: AxeReport): void {
  const dir = process.env.WEATHER_VSCODE_SCREENSHOT_DIR;
  if (dir) fs.writeFileSync(path.join(dir, `${name}.axe.json`), JSON.stringify({ theme, ...report }, null, 2));
}
