/**
 * The palette commands. Each validates its input and says clearly what went wrong; none
 * throws past its boundary (a failure is logged and shown as one sentence).
 */
import * as vscode from 'vscode';
import { bearerTokenProblem, channelNameProblem, relayOrigin } from '../protocol';
import { questionProblem, type AssistantSession } from './assistant-session';
import { answerToMarkdown, threadToMarkdown, type ActivityStore } from '../activity';
import type { ThreadView } from '../protocol';
import type { ConnectionController } from './connection-controller';
import { serverUriProblem, SETTINGS_SECTION } from './settings';
import { VIEW_ID } from './activity-view';
import type { SecretKeyStore } from './api-key';
import type { RelayTokenStore } from './relay-tokens';
import { chooseModel, explainUnknownModel, useLocalServer, type ModelServer } from './model-choice';

/** The walkthrough's id as VS Code knows it: `<publisher>.<name>#<walkthrough id>`. */
export const WALKTHROUGH_ID = 'weather-assistant-live.weather-assistant-live#weatherAssistant.gettingStarted';

export const COMMANDS = {
  ask: 'weatherAssistant.ask',
  newChat: 'weatherAssistant.newChat',
  setServerUri: 'weatherAssistant.setServerUri',
  setChannel: 'weatherAssistant.setChannel',
  setApiKey: 'weatherAssistant.setApiKey',
  setOpenWeatherMapKey: 'weatherAssistant.setOpenWeatherMapKey',
  setRelayToken: 'weatherAssistant.setRelayToken',
  reconnect: 'weatherAssistant.reconnect',
  showActivity: 'weatherAssistant.showActivity',
  clearActivity: 'weatherAssistant.clearActivity',
  exportThread: 'weatherAssistant.exportThread',
  openAnswer: 'weatherAssistant.openAnswer',
  stop: 'weatherAssistant.stop',
  focusComposer: 'weatherAssistant.focusComposer',
  /** Not in the palette: the panel's Copy and Retry buttons, by thread and turn. */
  copyAnswer: 'weatherAssistant.copyAnswer',
  retry: 'weatherAssistant.retry',
  /** Not in the palette: a question from the panel's composer, asked now or queued. */
  askFromPanel: 'weatherAssistant.askFromPanel',
  chooseModel: 'weatherAssistant.chooseModel',
  useLocalServer: 'weatherAssistant.useLocalServer',
  openWalkthrough: 'weatherAssistant.openWalkthrough',
} as const;

interface CommandContext {
  session: AssistantSession;
  store: ActivityStore;
  connection: ConnectionController;
  apiKeys: SecretKeyStore;
  weatherKeys: SecretKeyStore;
  relayTokens: RelayTokenStore;
  /** The configured relay's URI (the token is kept for its origin). */
  serverUri: () => string;
  log: vscode.LogOutputChannel;
  /** Called when a turn starts or ends, so the panel header can show it. */
  onBusyChange: () => void;
  /** Shows the panel's composer with keyboard focus in it. */
  focusComposer: () => void;
  /** Shows the panel, leaving keyboard focus where it is. */
  revealActivity: () => void;
  /** Queues a composer question behind the running turn; false when the queue is full. */
  queue: (question: string) => boolean;
  /** Rebuilds the engine with the current keys; awaited so the next Ask uses the new key. */
  reconfigure: () => Promise<void>;
  /** The model server the settings point at, with its key. */
  modelServer: () => Promise<ModelServer>;
}

export function registerCommands(context: CommandContext): vscode.Disposable[] {
  const { session, store, connection, apiKeys, weatherKeys, log } = context;
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
            validateInput: questionProblem,
          });
    if (question === undefined || question.trim() === '') return undefined;
    // Shown, not focused: a question from the composer, Retry or the queue leaves focus where it is.
    context.revealActivity();
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Weather Assistant', cancellable: true },
      async (progress, token) => {
        progress.report({ message: 'Thinking…' });
        const controller = new AbortController();
        const cancel = token.onCancellationRequested(() => controller.abort());
        context.onBusyChange();
        try {
          let shown = 'Thinking…';
          return await session.ask(question, controller.signal, (message) => {
            // Deltas arrive many times a second; the notification changes only when the words do.
            if (message === shown) return;
            shown = message;
            progress.report({ message });
          });
        } finally {
          cancel.dispose();
          context.onBusyChange();
        }
      },
    );
    if (result.status === 'failed' && result.reason === 'model-not-found') {
      void context.modelServer().then((server) => explainUnknownModel(result.error ?? 'the model was not found', server, () => vscode.commands.executeCommand(COMMANDS.chooseModel)));
    } else if (result.status === 'failed') void vscode.window.showErrorMessage(`Weather Assistant: ${result.error}`);
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
            value: currentText(config().get(key)),
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
      serverUriProblem,
      preset,
    );

  const setChannel = (preset?: unknown) =>
    setCheckedSetting(
      'server.channel',
      { title: 'Relay channel', prompt: 'Channel name: letters, digits and . _ : - (up to 128)' },
      channelNameProblem,
      preset,
    );

  /** Asks for (or takes) a key and keeps it in SecretStorage; an empty one removes the stored key. */
  const setSecretKey = async (keys: SecretKeyStore, name: string, preset?: unknown) => {
    const value =
      typeof preset === 'string'
        ? preset
        : await vscode.window.showInputBox({
            title: `${name} key`,
            prompt: `Stored in VS Code Secret Storage. Leave empty to remove it (${keys.spec.envVar} is used then, if set).`,
            password: true,
            ignoreFocusOut: true,
          });
    if (value === undefined) return;
    await keys.set(value.trim());
    await context.reconfigure();
    void vscode.window.showInformationMessage(`Weather Assistant: ${name} key ${value.trim() ? 'saved' : 'removed'}.`);
  };

  /** Asks for (or takes) the token of the configured relay; kept for that relay's origin only. */
  const setRelayToken = async (preset?: unknown) => {
    const uri = context.serverUri();
    const origin = relayOrigin(uri);
    if (origin === undefined) throw new Error(`the relay URI "${uri.slice(0, 100)}" has no origin to keep a token for; fix weatherAssistant.server.uri first`);
    const value =
      typeof preset === 'string'
        ? preset
        : await vscode.window.showInputBox({
            title: `Relay token for ${origin}`,
            prompt: `Sent only to ${origin}, as "Authorization: Bearer …". Stored in VS Code Secret Storage. Leave empty to remove it.`,
            password: true,
            ignoreFocusOut: true,
            validateInput: (text) => (text.trim() ? bearerTokenProblem(text.trim()) : undefined),
          });
    if (value === undefined) return;
    await context.relayTokens.set(uri, value.trim());
    log.info(`relay token ${value.trim() ? 'set' : 'removed'} for ${origin}`);
    void vscode.window.showInformationMessage(`Weather Assistant: relay token ${value.trim() ? 'saved' : 'removed'} for ${origin}.`);
  };

  /** The thread a command acts on: the one named, else this window's current one if it has turns, else the latest. */
  const threadFor = (threadId?: unknown): ThreadView | undefined => {
    const threads = store.snapshot();
    const wanted = typeof threadId === 'string' ? threadId : session.threadId;
    return threads.find((thread) => thread.threadId === wanted && thread.turns.length > 0) ?? (typeof threadId === 'string' ? undefined : threads.at(-1));
  };

  /** Writes a thread as Markdown where the user chooses (or to `target`, for scripts and tests). */
  const exportThread = async (threadId?: unknown, target?: unknown) => {
    const thread = threadFor(threadId);
    if (!thread) {
      void vscode.window.showInformationMessage('Weather Assistant: there is no thread to export yet.');
      return undefined;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `weather-${thread.threadId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60)}.md`;
    const uri =
      target instanceof vscode.Uri
        ? target
        : await vscode.window.showSaveDialog({
            title: 'Export the thread as Markdown',
            defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
            filters: { Markdown: ['md'] },
          });
    if (!uri) return undefined;
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(threadToMarkdown(thread, new Date())));
    log.info(`exported thread ${thread.threadId} to ${uri.toString(true)}`);
    if (!(target instanceof vscode.Uri)) void vscode.window.showInformationMessage(`Weather Assistant: thread exported to ${uri.fsPath || uri.toString(true)}.`);
    return uri;
  };

  /** The latest answer of a thread as plain Markdown in an editor, where a screen reader reads it like any text. */
  const openAnswer = async (threadId?: unknown) => {
    const turn = threadFor(threadId)?.turns.at(-1);
    if (!turn) {
      void vscode.window.showInformationMessage('Weather Assistant: there is no answer to open yet.');
      return undefined;
    }
    const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: answerToMarkdown(turn) });
    await vscode.window.showTextDocument(document, { preview: true });
    return document.uri;
  };

  /** A turn named by the panel, if the store still has it. */
  const turnAt = (threadId: unknown, turnIndex: unknown) =>
    store.snapshot().find((thread) => thread.threadId === threadId)?.turns.find((turn) => turn.index === turnIndex);

  /** Copies a turn's answer (the Markdown as written) to the clipboard. */
  const copyAnswer = async (threadId?: unknown, turnIndex?: unknown) => {
    const turn = turnAt(threadId, turnIndex);
    if (!turn?.answer) {
      void vscode.window.showInformationMessage('Weather Assistant: that answer is no longer here to copy.');
      return false;
    }
    await vscode.env.clipboard.writeText(turn.answer);
    void vscode.window.setStatusBarMessage('Weather Assistant: answer copied', 3000);
    return true;
  };

  /** Asks a failed turn's question again, in this window's current thread. */
  const retry = async (threadId?: unknown, turnIndex?: unknown) => {
    const question = turnAt(threadId, turnIndex)?.question;
    if (question === undefined) {
      void vscode.window.showInformationMessage('Weather Assistant: only a question asked in this window can be asked again.');
      return undefined;
    }
    return ask(question);
  };

  /** A question from the composer: asked now, or queued behind the running turn (shown in the panel). */
  const askFromPanel = async (text?: unknown) => {
    if (typeof text !== 'string') return undefined;
    const problem = questionProblem(text);
    if (problem) throw new Error(problem);
    if (!session.busy) return ask(text);
    if (!context.queue(text)) throw new Error('ten questions are already waiting; remove one or wait for the answers');
    log.info('question queued behind the running turn');
    return 'queued';
  };

  /** Stops this window's running turn: the model stream and the tool are cancelled, and watchers see the turn end. */
  const stop = () => {
    if (!session.busy) return false;
    log.info('stop requested');
    session.cancel();
    return true;
  };

  /** Registers `handler` so that a failure is logged and shown, never thrown at the caller. */
  const command = (id: string, handler: (...args: any[]) => unknown) =>
    vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await handler(...args);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        log.error(`${id} failed: ${message}`);
        void vscode.window.showErrorMessage(`Weather Assistant: ${message}`);
        return undefined;
      }
    });

  return [
    command(COMMANDS.ask, ask),
    command(COMMANDS.newChat, () => {
      const threadId = session.newChat();
      log.info(`new chat: ${threadId}`);
      return threadId;
    }),
    command(COMMANDS.setServerUri, setServerUri),
    command(COMMANDS.setChannel, setChannel),
    command(COMMANDS.setApiKey, (preset?: unknown) => setSecretKey(apiKeys, 'OpenAI API', preset)),
    command(COMMANDS.setOpenWeatherMapKey, (preset?: unknown) => setSecretKey(weatherKeys, 'OpenWeatherMap', preset)),
    command(COMMANDS.setRelayToken, setRelayToken),
    command(COMMANDS.reconnect, () => {
      log.info('reconnect requested');
      connection.reconnect();
    }),
    command(COMMANDS.showActivity, showActivity),
    command(COMMANDS.clearActivity, () => store.clear()),
    command(COMMANDS.exportThread, exportThread),
    command(COMMANDS.openAnswer, openAnswer),
    command(COMMANDS.stop, stop),
    command(COMMANDS.focusComposer, async () => {
      await showActivity();
      context.focusComposer();
    }),
    command(COMMANDS.copyAnswer, copyAnswer),
    command(COMMANDS.retry, retry),
    command(COMMANDS.askFromPanel, askFromPanel),
    command(COMMANDS.chooseModel, async (preset?: unknown) => chooseModel(await context.modelServer(), preset)),
    command(COMMANDS.useLocalServer, useLocalServer),
    command(COMMANDS.openWalkthrough, () => vscode.commands.executeCommand('workbench.action.openWalkthrough', WALKTHROUGH_ID, false)),
  ];
}

/** The setting's current value as an input box can show it: a hostile one (not text, huge) is not offered. */
function currentText(value: unknown): string | undefined {
  return typeof value === 'string' && value.length <= 4096 ? value : undefined;
}
