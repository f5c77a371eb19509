/**
 * Choosing a model: from the list the configured server reports (Choose Model), by pointing
 * the extension at a local OpenAI-compatible server in one step (Use a Local Model Server),
 * and by explaining a model name the server does not know, with the names it does.
 */
import * as vscode from 'vscode';
import { DEFAULT_MODEL, OPENAI_BASE_URL } from '../assistant/config';
import { listModels, ModelListError } from '../assistant/model-list';
import { MAX_MODEL_LENGTH, SETTINGS_SECTION } from './settings';

/** The server the model settings point at, and the key to show it. */
export interface ModelServer {
  baseUrl: string;
  apiKey?: string;
  model: string;
}

/** Where the usual local servers listen by default. */
export const LOCAL_SERVERS = [
  { label: 'Ollama', baseUrl: 'http://localhost:11434/v1' },
  { label: 'LM Studio', baseUrl: 'http://localhost:1234/v1' },
  { label: 'vLLM', baseUrl: 'http://localhost:8000/v1' },
  { label: 'llama.cpp server', baseUrl: 'http://localhost:8080/v1' },
] as const;

/** Names shown in one message at most; the rest are counted. */
const MAX_NAMED_MODELS = 12;

export function modelServerOf(settings: { baseUrl?: string; model?: string }, apiKey: string | undefined): ModelServer {
  return { baseUrl: settings.baseUrl || OPENAI_BASE_URL, apiKey, model: settings.model || DEFAULT_MODEL };
}

/** The model questions go to, in words for the panel. */
export function describeModel(settings: { baseUrl?: string; model?: string }): string {
  const model = settings.model || DEFAULT_MODEL;
  return settings.baseUrl ? `${model} at ${settings.baseUrl}` : `${model} (OpenAI)`;
}

/** "a, b and 3 more": names a person can read in a sentence. */
export function nameModels(models: string[]): string {
  const named = models.slice(0, MAX_NAMED_MODELS).join(', ');
  return models.length > MAX_NAMED_MODELS ? `${named} and ${models.length - MAX_NAMED_MODELS} more` : named;
}

const settings = () => vscode.workspace.getConfiguration(SETTINGS_SECTION);

/**
 * Picks a model from what the server lists (or takes `preset`) and saves it. Resolves with
 * the model saved, or undefined when the user cancelled or the server could not be asked.
 */
export async function chooseModel(server: ModelServer, preset?: unknown): Promise<string | undefined> {
  if (typeof preset === 'string') return saveModel(preset);
  let models: string[];
  try {
    models = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Asking the model server for its models' }, () =>
      listModels({ baseUrl: server.baseUrl, apiKey: server.apiKey }),
    );
  } catch (error) {
    const typed = await vscode.window.showInputBox({
      title: 'Choose Model',
      prompt: `Could not list the models: ${(error as Error).message}. Type a model name instead.`,
      value: server.model,
      ignoreFocusOut: true,
    });
    return typed === undefined ? undefined : saveModel(typed);
  }
  if (models.length === 0) {
    void vscode.window.showWarningMessage(`Weather Assistant: ${server.baseUrl} lists no models. Pull or load one in the server first (e.g. \`ollama pull llama3.2\`).`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    models.map((id) => ({ label: id, description: id === server.model ? 'current' : undefined })),
    { title: `Choose Model (${server.baseUrl})`, placeHolder: 'The models this server offers', ignoreFocusOut: true },
  );
  return picked ? saveModel(picked.label) : undefined;
}

async function saveModel(name: string): Promise<string | undefined> {
  const model = name.trim();
  if (model === '' || model.length > MAX_MODEL_LENGTH) {
    void vscode.window.showErrorMessage(`Weather Assistant: a model name is 1 to ${MAX_MODEL_LENGTH} characters.`);
    return undefined;
  }
  await settings().update('model', model, vscode.ConfigurationTarget.Global);
  return model;
}

/**
 * Points the extension at a local OpenAI-compatible server: the API (Chat Completions), the
 * base URL and a model it has, in one go. `preset` (a base URL) skips the first question.
 * Resolves with what was saved, or undefined.
 */
export async function useLocalServer(preset?: unknown): Promise<{ baseUrl: string; model: string } | undefined> {
  let baseUrl = typeof preset === 'string' ? preset.trim() : undefined;
  if (baseUrl === undefined) {
    const other = { label: 'Another server…', detail: 'Type its base URL (ending in /v1)', baseUrl: '' };
    const picked = await vscode.window.showQuickPick([...LOCAL_SERVERS.map((s) => ({ label: s.label, detail: s.baseUrl, baseUrl: s.baseUrl })), other], {
      title: 'Use a Local Model Server',
      placeHolder: 'Which OpenAI-compatible server runs on this machine?',
      ignoreFocusOut: true,
    });
    if (!picked) return undefined;
    baseUrl = picked.baseUrl || (await vscode.window.showInputBox({ title: 'Use a Local Model Server', prompt: 'Base URL, e.g. http://localhost:11434/v1', ignoreFocusOut: true }))?.trim();
    if (!baseUrl) return undefined;
  }
  if (!/^https?:\/\/[^\s]+$/i.test(baseUrl)) {
    void vscode.window.showErrorMessage(`Weather Assistant: "${baseUrl.slice(0, 200)}" is not an http(s) URL (expected e.g. http://localhost:11434/v1).`);
    return undefined;
  }
  baseUrl = baseUrl.replace(/\/+$/, '');
  let models: string[];
  try {
    models = await listModels({ baseUrl });
  } catch (error) {
    const message = error instanceof ModelListError ? error.message : String(error);
    void vscode.window.showErrorMessage(`Weather Assistant: ${message}. Start the server (or check its address) and try again; nothing was changed.`);
    return undefined;
  }
  if (models.length === 0) {
    void vscode.window.showWarningMessage(`Weather Assistant: ${baseUrl} runs but lists no models. Pull or load one first (e.g. \`ollama pull llama3.2\`); nothing was changed.`);
    return undefined;
  }
  const model =
    models.length === 1
      ? models[0]
      : (await vscode.window.showQuickPick(models, { title: `Use a Local Model Server: which model? (${baseUrl})`, ignoreFocusOut: true }));
  if (!model) return undefined;
  const config = settings();
  await config.update('api', 'chat', vscode.ConfigurationTarget.Global);
  await config.update('baseUrl', baseUrl, vscode.ConfigurationTarget.Global);
  await config.update('model', model, vscode.ConfigurationTarget.Global);
  void vscode.window.showInformationMessage(`Weather Assistant: using ${model} at ${baseUrl} (Chat Completions).`);
  return { baseUrl, model };
}

/**
 * After "model not found": says which models the server has (if it answers within a moment)
 * and offers Choose Model. The error sentence itself comes from the engine.
 */
export async function explainUnknownModel(error: string, server: ModelServer, choose: () => unknown): Promise<void> {
  let offered = '';
  try {
    const models = await listModels({ baseUrl: server.baseUrl, apiKey: server.apiKey, timeoutMs: 3_000 });
    offered = models.length > 0 ? ` The server offers: ${nameModels(models)}.` : ' The server lists no models.';
  } catch {
    // The sentence stands on its own; Choose Model will say why the list is unavailable.
  }
  const action = await vscode.window.showErrorMessage(`Weather Assistant: ${error}.${offered}`, 'Choose Model');
  if (action === 'Choose Model') await choose();
}

/**
 * Completions for `"weatherAssistant.model": "…"` in settings.json: the models the configured
 * server lists, asked once per completion session (a failure offers nothing, silently: the
 * user is typing, not asking).
 */
export function modelCompletions(server: () => Promise<ModelServer>): vscode.Disposable {
  return vscode.languages.registerCompletionItemProvider(
    [{ language: 'jsonc', pattern: '**/settings.json' }, { language: 'json', pattern: '**/settings.json' }],
    {
      async provideCompletionItems(document, position, token) {
        const before = document.lineAt(position.line).text.slice(0, position.character);
        const typed = /"weatherAssistant\.model"\s*:\s*"([^"]*)$/.exec(before);
        if (!typed) return undefined;
        const abort = new AbortController();
        const cancelled = token.onCancellationRequested(() => abort.abort());
        try {
          const current = await server();
          const models = await listModels({ baseUrl: current.baseUrl, apiKey: current.apiKey, timeoutMs: 3_000, signal: abort.signal });
          const start = position.translate(0, -typed[1].length);
          return models.map((id) => {
            const item = new vscode.CompletionItem(id, vscode.CompletionItemKind.Value);
            item.range = new vscode.Range(start, position);
            item.detail = `offered by ${current.baseUrl}`;
            return item;
          });
        } catch {
          return undefined;
        } finally {
          cancelled.dispose();
        }
      },
    },
    '"',
  );
}
