/**
 * Secret keys (the model's, OpenWeatherMap's): kept in VS Code's SecretStorage, with an
 * environment variable as fallback. Never written to settings or to the log.
 */
import * as vscode from 'vscode';

interface SecretKeySpec {
  /** The SecretStorage key. */
  secret: string;
  /** Used when nothing is stored. */
  envVar: string;
}

export const OPENAI_KEY: SecretKeySpec = { secret: 'weatherAssistant.apiKey', envVar: 'OPENAI_API_KEY' };
export const OPENWEATHERMAP_KEY: SecretKeySpec = { secret: 'weatherAssistant.openWeatherMapKey', envVar: 'OPENWEATHERMAP_API_KEY' };

export class SecretKeyStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    readonly spec: SecretKeySpec,
  ) {
    this.subscription = secrets.onDidChange((event) => {
      if (event.key === spec.secret) this.changed.fire();
    });
  }

  /** The stored key, else the environment's, else undefined. */
  async get(): Promise<string | undefined> {
    const stored = await this.secrets.get(this.spec.secret);
    return stored || process.env[this.spec.envVar] || undefined;
  }

  /** Stores `key`; an empty key removes the stored one. */
  async set(key: string): Promise<void> {
    if (key) await this.secrets.store(this.spec.secret, key);
    else await this.secrets.delete(this.spec.secret);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
