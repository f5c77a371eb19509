/**
 * The API key: kept in VS Code's SecretStorage, with the OPENAI_API_KEY environment
 * variable as fallback. Never written to settings or to the log.
 */
import * as vscode from 'vscode';

const SECRET_KEY = 'weatherAssistant.apiKey';

export class ApiKeyStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.subscription = secrets.onDidChange((event) => {
      if (event.key === SECRET_KEY) this.changed.fire();
    });
  }

  /** The stored key, else the environment's, else undefined. */
  async get(): Promise<string | undefined> {
    const stored = await this.secrets.get(SECRET_KEY);
    return stored || process.env.OPENAI_API_KEY || undefined;
  }

  /** Stores `key`; an empty key removes the stored one. */
  async set(key: string): Promise<void> {
    if (key) await this.secrets.store(SECRET_KEY, key);
    else await this.secrets.delete(SECRET_KEY);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
