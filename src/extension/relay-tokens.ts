/**
 * Relay tokens, kept in VS Code's SecretStorage under the origin of the relay they were set
 * for (`wss://relay.team:4000`): a token set for one relay is never sent to another, and
 * pointing `server.uri` at another host sends nothing until a token is set for it.
 */
import * as vscode from 'vscode';
import { bearerTokenProblem, relayOrigin } from '../protocol';

const PREFIX = 'weatherAssistant.relayToken:';

export class RelayTokenStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the origin whose token changed. */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.subscription = secrets.onDidChange((event) => {
      if (event.key.startsWith(PREFIX)) this.changed.fire(event.key.slice(PREFIX.length));
    });
  }

  /** The token set for the relay at `uri`, if any. */
  async get(uri: string): Promise<string | undefined> {
    const origin = relayOrigin(uri);
    return origin === undefined ? undefined : (await this.secrets.get(PREFIX + origin)) || undefined;
  }

  /** Stores `token` for the relay at `uri`; an empty token removes it. Throws an Error of one sentence for a bad one. */
  async set(uri: string, token: string): Promise<void> {
    const origin = relayOrigin(uri);
    if (origin === undefined) throw new Error(`"${uri.slice(0, 100)}" has no origin to keep a token for`);
    if (!token) {
      await this.secrets.delete(PREFIX + origin);
      return;
    }
    const problem = bearerTokenProblem(token);
    if (problem) throw new Error(problem);
    await this.secrets.store(PREFIX + origin, token);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
