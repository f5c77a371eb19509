/**
 * Activation: builds the window's parts and wires them together.
 *   settings ─► ConnectionController (relay client, embedded relay) ─► status bar, panel header
 *   Ask ─► AssistantSession (engine) ─► store (panel, at once) + connection (channel)
 *   channel messages ─► store ─► Live Activity panel
 */
import * as vscode from 'vscode';
import { ActivityStore } from '../activity';
import { displayUri, isSafeLink, MAX_QUEUED_QUESTIONS, relayOrigin, type HeaderView } from '../protocol';
import { OPENAI_KEY, OPENWEATHERMAP_KEY, SecretKeyStore } from './api-key';
import { readCaFile } from '../client/ca-file';
import { RelayTokenStore } from './relay-tokens';
import { AssistantSession } from './assistant-session';
import { COMMANDS, registerCommands } from './commands';
import { ConnectionController } from './connection-controller';
import { ActivityViewProvider, VIEW_ID } from './activity-view';
import { readSettings, SETTINGS_SECTION, type ExtensionSettings } from './settings';
import { describeModel, modelCompletions, modelServerOf } from './model-choice';
import { ConnectionStatusBar } from './status-bar';

export interface ExtensionApi {
  /** For tests and other extensions: the connection's current status. */
  readonly connection: ConnectionController;
  readonly store: ActivityStore;
  readonly session: AssistantSession;
}

let teardown: (() => Promise<void>) | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<ExtensionApi> {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Weather Assistant', { log: true });
  const write = (level: 'info' | 'warn' | 'error', line: string) => log[level](line);

  const settingsProblems = new SettingsProblems(log);
  let settings = settingsProblems.load();
  const store = new ActivityStore({ maxThreads: settings.panel.maxThreads });
  const connection = new ConnectionController({ log: write });
  const apiKeys = new SecretKeyStore(context.secrets, OPENAI_KEY);
  const weatherKeys = new SecretKeyStore(context.secrets, OPENWEATHERMAP_KEY);
  const relayTokens = new RelayTokenStore(context.secrets);
  /** Connects with the server settings and the configured relay's own token and CAs. */
  const applyServer = async (): Promise<void> => {
    const server = settings.server;
    let token: string | undefined;
    let extraCa: string | undefined;
    try {
      token = await relayTokens.get(server.uri);
    } catch (error) {
      log.error(`could not read the relay token from Secret Storage: ${(error as Error).message}`);
    }
    try {
      extraCa = server.caFile ? await readCaFile(server.caFile) : undefined;
    } catch (error) {
      const problem = `weatherAssistant.server.caFile: ${(error as Error).message}; not connecting to any relay until it is fixed`;
      log.warn(problem);
      await connection.apply({ ...server, problem });
      return;
    }
    await connection.apply(server, { token, extraCa });
  };
  /** The model server the settings point at now, with its key (Choose Model, completions, a wrong name explained). */
  const modelServer = async () => modelServerOf(settings.model, await apiKeys.get());
  const session = new AssistantSession({ store, publish: (payload) => connection.send(payload), log: write });
  let hasApiKey = false;
  /** Questions sent from the panel's composer while a turn ran, next first. */
  const queued: string[] = [];

  const header = (): HeaderView => {
    const status = connection.status;
    return {
      connection: status.view,
      uri: status.uri,
      channel: status.channel,
      ...(status.problem || status.warning ? { problem: status.problem ?? status.warning } : {}),
      hasApiKey: hasApiKey || Boolean(settings.model.baseUrl),
      model: describeModel(settings.model),
      busy: session.busy,
      ...(queued.length > 0 ? { queued: [...queued] } : {}),
    };
  };
  const view = new ActivityViewProvider(context.extensionUri, store, header, (intent) => {
    const command = {
      ask: COMMANDS.ask,
      newChat: COMMANDS.newChat,
      clear: COMMANDS.clearActivity,
      reconnect: COMMANDS.reconnect,
      setApiKey: COMMANDS.setApiKey,
      stop: COMMANDS.stop,
      chooseModel: COMMANDS.chooseModel,
      useLocalServer: COMMANDS.useLocalServer,
      setServerUri: COMMANDS.setServerUri,
      setRelayToken: COMMANDS.setRelayToken,
      openWalkthrough: COMMANDS.openWalkthrough,
    }[intent.kind as 'ask'];
    // The commands catch their own failures; openLink is the one other way out of the webview.
    if (command) void vscode.commands.executeCommand(command);
    else if (intent.kind === 'copyAnswer') void vscode.commands.executeCommand(COMMANDS.copyAnswer, intent.threadId, intent.turnIndex);
    else if (intent.kind === 'retry') void vscode.commands.executeCommand(COMMANDS.retry, intent.threadId, intent.turnIndex);
    else if (intent.kind === 'exportThread') void vscode.commands.executeCommand(COMMANDS.exportThread, intent.threadId);
    else if (intent.kind === 'copyCode') {
      vscode.env.clipboard.writeText(intent.text).then(
        () => vscode.window.setStatusBarMessage('Weather Assistant: code copied', 3000),
        (error: Error) => log.warn(`could not copy the code: ${error.message}`),
      );
    }
    else if (intent.kind === 'askText') void vscode.commands.executeCommand(COMMANDS.askFromPanel, intent.text);
    else if (intent.kind === 'removeQueued') {
      queued.splice(intent.index, 1);
      view.refreshHeader();
    }
    else if (intent.kind === 'openLink') openLink(intent.href, log).catch((error: Error) => log.warn(`could not open the link: ${error.message}`));
  });
  const statusBar = new ConnectionStatusBar(COMMANDS.showActivity);

  const configureSession = (): Promise<void> => {
    const configuring = (async () => {
      const [apiKey, weatherApiKey] = await Promise.all([apiKeys.get(), weatherKeys.get()]);
      hasApiKey = Boolean(apiKey);
      session.configure(settings, { apiKey, weatherApiKey });
      view.refreshHeader();
    })().catch((error: Error) => log.error(`could not read the API keys from Secret Storage: ${error.message}`));
    session.waitFor(configuring);
    return configuring;
  };

  connection.on('status', (status) => {
    statusBar.update(status);
    view.refreshHeader();
  });
  // Our events the relay refused for good: shown here, marked as not shared.
  connection.on('refused', (id) => store.refuseDelivery(id));
  connection.on('message', (message) => {
    // Called from the socket's handler: whatever the relay sent must not throw through it.
    try {
      store.ingest(message.payload, 'channel');
    } catch (error) {
      log.warn(`ignored a channel message the panel could not take: ${(error as Error).message}`);
    }
  });

  context.subscriptions.push(
    log,
    apiKeys,
    weatherKeys,
    relayTokens,
    view,
    statusBar,
    vscode.window.registerWebviewViewProvider(VIEW_ID, view),
    ...registerCommands({
      session,
      store,
      connection,
      apiKeys,
      weatherKeys,
      relayTokens,
      serverUri: () => settings.server.uri,
      log,
      onBusyChange: () => {
        view.refreshHeader();
        // A turn ended: the next queued question goes (a later tick, after the ending turn is done).
        if (!session.busy && queued.length > 0) setImmediate(() => void vscode.commands.executeCommand(COMMANDS.ask, queued.shift()));
      },
      focusComposer: () => view.focusComposer(),
      revealActivity: () => view.reveal(),
      queue: (question: string) => {
        if (queued.length >= MAX_QUEUED_QUESTIONS) return false;
        queued.push(question);
        view.refreshHeader();
        return true;
      },
      reconfigure: configureSession,
      modelServer,
    }),
    modelCompletions(modelServer),
    apiKeys.onDidChange(() => void configureSession()),
    weatherKeys.onDidChange(() => void configureSession()),
    // A new token for the configured relay reconnects with it; tokens of other relays change nothing here.
    relayTokens.onDidChange((origin) => {
      if (origin === relayOrigin(settings.server.uri)) void applyServer();
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (!event.affectsConfiguration(SETTINGS_SECTION)) return;
      settings = settingsProblems.load();
      void configureSession();
      if (event.affectsConfiguration(`${SETTINGS_SECTION}.panel.maxThreads`)) store.setMaxThreads(settings.panel.maxThreads);
      if (event.affectsConfiguration(`${SETTINGS_SECTION}.server`)) {
        log.info(`server settings changed: ${displayUri(settings.server.uri)} channel ${settings.server.channel}`);
        void applyServer();
      }
    }),
  );
  // Reading the key is a round trip to the workbench: activation does not wait for it,
  // a question asked meanwhile does.
  void configureSession();
  // Connecting (and perhaps starting the embedded relay) happens just after activation
  // returns: nothing in it is needed to register the commands and the view.
  statusBar.update({ view: 'connecting', uri: settings.server.uri, channel: settings.server.channel });
  const connecting = setImmediate(() => void applyServer());
  context.subscriptions.push({ dispose: () => clearImmediate(connecting) });
  teardown = () => {
    session.cancel(); // a running turn must not go on publishing after the window closes
    return connection.dispose();
  };
  log.info(`activated in ${(performance.now() - started).toFixed(1)} ms`);
  return { connection, store, session };
}

export async function deactivate(): Promise<void> {
  await teardown?.();
  teardown = undefined;
}

/** Reads the settings; each problem is logged and shown once, not again on every later change. */
class SettingsProblems {
  private shown = new Set<string>();

  constructor(private readonly log: vscode.LogOutputChannel) {}

  load(): ExtensionSettings {
    const configuration = vscode.workspace.getConfiguration(SETTINGS_SECTION);
    const { settings, problems } = readSettings((key) => {
      const inspected = configuration.inspect(key);
      // Only values a user set count; defaults come from readSettings itself.
      return inspected?.workspaceFolderValue ?? inspected?.workspaceValue ?? inspected?.globalValue;
    });
    for (const problem of problems) {
      if (this.shown.has(problem)) continue;
      this.log.warn(problem);
      void vscode.window.showWarningMessage(`Weather Assistant: ${problem}`);
    }
    this.shown = new Set(problems);
    return settings;
  }
}

async function openLink(href: string, log: vscode.LogOutputChannel): Promise<void> {
  if (!isSafeLink(href)) {
    log.warn(`refused to open a link that is not http(s) or mailto: ${href.slice(0, 200)}`);
    return;
  }
  // openExternal asks the user before leaving VS Code, as for any link in the editor.
  await vscode.env.openExternal(vscode.Uri.parse(href, true));
}
