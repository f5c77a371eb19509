/** The palette commands. Each validates its input and says clearly what went wrong. */
import * as vscode from 'vscode';
import { channelNameProblem, relayUriProblem } from '../protocol';
import type { AssistantSession } from './assistant-session';
import type { ActivityStore } from '../activity';
import type { ConnectionController } from './connection-controller';
import { SETTINGS_SECTION } from './settings';
import { VIEW_ID } from './activity-view';
import type { ApiKeyStore } from './api-key';

export const COMMANDS = {
  ask: 'weatherAssistant.ask',
  newChat: 'weatherAssistant.newChat',
  setServerUri: 'weatherAssistant.setServerUri',
  setChannel: 'weatherAssistant.setChannel',
  setApiKey: 'weatherAssistant.setApiKey',
  reconnect: 'weatherAssistant.reconnect',
  showActivity: 'weatherAssistant.showActivity',
  clearActivity: 'weatherAssistant.clearActivity',
} as const;

export interface CommandContext {
  session: AssistantSession;
  store: ActivityStore;
  connection: ConnectionController;
  apiKeys: ApiKeyStore;
  log: vscode.LogOutputChannel;
  /** Called when a turn starts or ends, so the panel header can show it. */
  onBusyChange: () => void;
  /** Rebuilds the engine with the current key; awaited so the next Ask uses the new key. */
  reconfigure: () => Promise<void>;
}

export function registerCommands(context: CommandContext): vscode.Disposable[] {
  const { session, store, connection, apiKeys, log } = context;
  const config = () => vscode.workspace.getConfiguration(SETTINGS_SECTION);
  const showActivity = () => vscode.commands.executeCommand(`${VIEW_ID}.focus`);

  const ask = async (preset?: unknown) => {
    const question =
      typeof preset === 'string' && preset.trim() !== ''
        ? preset
        : await vscode.window.showInputBox({
            title: 'Ask the Weather Assistant',
            prompt: 'A question about the weather anywhere',
            placeHolder: "What's the weather in Makati?",
            ignoreFocusOut: true,
            validateInput: (value) => (value.trim() === '' ? 'Type a question, or press Escape to cancel.' : undefined),
          });
    if (question === undefined || question.trim() === '') return undefined;
    void showActivity();
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Weather Assistant', cancellable: true },
      async (progress, token) => {
        progress.report({ message: 'Thinking…' });
        const controller = new AbortController();
        const cancel = token.onCancellationRequested(() => controller.abort());
        context.onBusyChange();
        try {
          return await session.ask(question, controller.signal);
        } finally {
          cancel.dispose();
          context.onBusyChange();
        }
      },
    );
    if (result.status === 'failed') void vscode.window.showErrorMessage(`Weather Assistant: ${result.error}`);
    return result;
  };

  /** Asks for (or takes) a value, checks it with `problemOf`, and writes the setting. */
  const setCheckedSetting = async (
    key: string,
    box: { title: string; prompt: string },
    problemOf: (value: string) => string | undefined,
    preset?: unknown,
  ) => {
    const value =
      typeof preset === 'string'
        ? preset
        : await vscode.window.showInputBox({
            ...box,
            value: config().get<string>(key),
            ignoreFocusOut: true,
            validateInput: (text) => problemOf(text.trim()),
          });
    if (value === undefined) return;
    const problem = problemOf(value.trim());
    if (problem) {
      void vscode.window.showErrorMessage(`Weather Assistant: ${problem}`);
      return;
    }
    await config().update(key, value.trim(), vscode.ConfigurationTarget.Global);
  };

  const setServerUri = (preset?: unknown) =>
    setCheckedSetting(
      'server.uri',
      { title: 'Relay server URI', prompt: 'The WebSocket relay to publish to and listen on, e.g. ws://localhost:4000' },
      relayUriProblem,
      preset,
    );

  const setChannel = (preset?: unknown) =>
    setCheckedSetting(
      'server.channel',
      { title: 'Relay channel', prompt: 'Channel name: letters, digits and . _ : - (up to 128)' },
      channelNameProblem,
      preset,
    );

  const setApiKey = async (preset?: unknown) => {
    const value =
      typeof preset === 'string'
        ? preset
        : await vscode.window.showInputBox({
            title: 'OpenAI API key',
            prompt: 'Stored in VS Code Secret Storage. Leave empty to remove it (OPENAI_API_KEY is used then, if set).',
            password: true,
            ignoreFocusOut: true,
          });
    if (value === undefined) return;
    await apiKeys.set(value.trim());
    await context.reconfigure();
    void vscode.window.showInformationMessage(value.trim() ? 'Weather Assistant: API key saved.' : 'Weather Assistant: API key removed.');
  };

  return [
    vscode.commands.registerCommand(COMMANDS.ask, ask),
    vscode.commands.registerCommand(COMMANDS.newChat, () => {
      const threadId = session.newChat();
      log.info(`new chat: ${threadId}`);
      return threadId;
    }),
    vscode.commands.registerCommand(COMMANDS.setServerUri, setServerUri),
    vscode.commands.registerCommand(COMMANDS.setChannel, setChannel),
    vscode.commands.registerCommand(COMMANDS.setApiKey, setApiKey),
    vscode.commands.registerCommand(COMMANDS.reconnect, () => {
      log.info('reconnect requested');
      connection.reconnect();
    }),
    vscode.commands.registerCommand(COMMANDS.showActivity, showActivity),
    vscode.commands.registerCommand(COMMANDS.clearActivity, () => store.clear()),
  ];
}
