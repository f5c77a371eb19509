/**
 * The Live Activity webview view. The store is the truth; this view only forwards its
 * changes in batches (at most one message per ~16 ms) and sends a full snapshot whenever
 * the webview (re)loads, which is how its state survives hide/show and reloads without
 * retainContextWhenHidden. Messages from the webview are validated intents only.
 */
import * as vscode from 'vscode';
import { PanelBatcher, type ActivityStore } from '../activity';
import { parsePanelMessage, type HeaderView, type HostToPanel, type PanelToHost } from '../protocol';
import { renderPanelHtml } from './webview-html';

export const VIEW_ID = 'weatherAssistant.liveActivity';

export class ActivityViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  /** Focus the composer as soon as the panel is ready (asked before it loaded). */
  private focusWhenReady = false;
  private readonly batcher: PanelBatcher;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: ActivityStore,
    private readonly header: () => HeaderView,
    private readonly onIntent: (intent: PanelToHost) => void,
  ) {
    this.batcher = new PanelBatcher((batch) => this.post(batch));
    const forward = (change: HostToPanel) => {
      if (this.ready) this.batcher.push(change);
    };
    store.on('change', forward);
    this.subscriptions.push({ dispose: () => store.off('change', forward) });
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [dist, media] };
    view.webview.html = renderPanelHtml({
      cspSource: view.webview.cspSource,
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'panel.js')).toString(),
      styleUris: [
        view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'codicons', 'codicon.css')).toString(),
        view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
      ],
    });
    this.subscriptions.push(
      view.webview.onDidReceiveMessage((raw: unknown) => {
        const intent = parsePanelMessage(raw);
        if (!intent) return;
        if (intent.kind === 'ready') this.sendSnapshot();
        else this.onIntent(intent);
      }),
      view.onDidChangeVisibility(() => {
        // A hidden webview is torn down; it asks for a snapshot when it comes back.
        if (!view.visible) {
          this.ready = false;
          this.batcher.discard();
        }
      }),
      view.onDidDispose(() => {
        if (this.view === view) {
          this.view = undefined;
          this.ready = false;
          this.batcher.discard();
        }
      }),
    );
  }

  /**
   * Shows the panel without taking keyboard focus from where the user is (typing in the
   * composer, in an editor). Before the view first resolves VS Code can only open it focused.
   */
  reveal(): void {
    if (this.view) this.view.show(true);
    else void vscode.commands.executeCommand(`${VIEW_ID}.focus`);
  }

  /** Puts focus in the composer once the panel is showing (it may still be loading). */
  focusComposer(): void {
    if (!this.ready) {
      this.focusWhenReady = true;
      return;
    }
    this.batcher.push({ kind: 'focusComposer' });
    this.batcher.flush();
  }

  /** The connection or key state changed. */
  refreshHeader(): void {
    if (this.ready) this.batcher.push({ kind: 'header', header: this.header() });
  }

  dispose(): void {
    this.batcher.discard();
    for (const subscription of this.subscriptions) subscription.dispose();
  }

  private sendSnapshot(): void {
    this.ready = true;
    this.batcher.push({ kind: 'snapshot', header: this.header(), threads: this.store.snapshot() });
    if (this.focusWhenReady) this.batcher.push({ kind: 'focusComposer' });
    this.focusWhenReady = false;
    this.batcher.flush();
  }

  private post(batch: HostToPanel[]): void {
    void this.view?.webview.postMessage(batch);
  }
}
