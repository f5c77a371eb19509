/**
 * The relay token a protected relay asks for: kept in this tab's session storage only (gone
 * when the tab closes, never shared with other tabs), never in the URL, a cookie or the
 * console. What is read back is checked like anything else.
 */
import { bearerTokenProblem } from '../protocol';
import { readSession, removeSession, writeSession } from './session-store';

const KEY = 'weather-relay.token';

export function savedToken(): string | undefined {
  const token = readSession(KEY);
  if (token === undefined || bearerTokenProblem(token) === undefined) return token;
  removeSession(KEY);
  return undefined;
}

export function saveToken(token: string): void {
  writeSession(KEY, token);
}

export function forgetToken(): void {
  removeSession(KEY);
}
