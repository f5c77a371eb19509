/**
 * Entry point of the Live Activity webview. Renders what the host sends and posts back
 * only user intents. On every (re)load it asks the host for a snapshot, so its state
 * survives hide/show and reloads without retainContextWhenHidden.
 */
import type { HostToPanel, PanelToHost } from '../protocol';
import type { StateStore } from './panel-memory';
import { PanelView } from './view';

interface VsCodeApi extends StateStore {
  postMessage(message: PanelToHost): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const view = new PanelView(document.getElementById('app')!, (message) => vscode.postMessage(message), vscode);

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  // Only arrays of host messages are expected; anything else is ignored.
  if (Array.isArray(event.data)) view.apply(event.data as HostToPanel[]);
});
vscode.postMessage({ kind: 'ready' });
