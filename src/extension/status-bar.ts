/**
 * The status bar item: connection state and channel, and why it stopped when it will not
 * retry by itself (the full problem is in the tooltip and the accessible label); a click
 * shows the panel.
 */
import * as vscode from 'vscode';
import type { ConnectionStatus } from './connection-controller';

const LOOK: Record<ConnectionStatus['view'], { icon: string; text: string }> = {
  connecting: { icon: '$(sync~spin)', text: 'connecting' },
  connected: { icon: '$(broadcast)', text: 'connected' },
  embedded: { icon: '$(broadcast)', text: 'relay embedded' },
  reconnecting: { icon: '$(sync~spin)', text: 'reconnecting' },
  offline: { icon: '$(debug-disconnect)', text: 'offline' },
};

export class ConnectionStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('weatherAssistant.connection', vscode.StatusBarAlignment.Left, 50);

  constructor(showCommand: string) {
    this.item.name = 'Weather Assistant connection';
    this.item.command = showCommand;
    this.item.show();
  }

  update(status: ConnectionStatus): void {
    const look = LOOK[status.view];
    const halted = status.halted ? ` (${status.halted})` : status.warning ? ' (watch only)' : '';
    this.item.text = `${look.icon} ${status.channel || 'Weather Assistant'} · ${look.text}${halted}`;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendText(`Weather Assistant — ${look.text}\nRelay: ${status.uri}\nChannel: ${status.channel}`);
    if (status.problem) tooltip.appendText(`\n\n${status.problem}`);
    if (status.warning) tooltip.appendText(`\n\n${status.warning}`);
    tooltip.appendMarkdown('\n\nClick to show the Live Activity panel.');
    this.item.tooltip = tooltip;
    const problem = status.problem ? `: ${status.problem}` : status.warning ? `: ${status.warning}` : '';
    this.item.accessibilityInformation = { label: `Weather Assistant relay ${look.text}, channel ${status.channel}${problem}` };
    this.item.backgroundColor =
      status.view === 'offline' ? new vscode.ThemeColor('statusBarItem.errorBackground') : status.view === 'reconnecting' ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
  }

  dispose(): void {
    this.item.dispose();
  }
}
