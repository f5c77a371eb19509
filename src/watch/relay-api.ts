/**
 * The relay's small HTTP API for its pages: which channels may be watched, and whether this
 * page may watch one (asked before connecting, and again after a connection that never
 * opened, since a browser hides why a WebSocket upgrade was refused). The token goes in an
 * Authorization header, never in the URL. Answers are read as untrusted: bounded in size and
 * time, checked field by field, and what is shown of them is one clipped sentence.
 */
import { channelNameProblem, clip } from '../protocol';

/** Why the relay will not let this page watch: a missing or refused token, a channel it may not watch, or a bad request. */
export interface Refusal {
  kind: 'token' | 'forbidden' | 'other';
  reason: string;
}

export type AccessAnswer = { kind: 'allowed' } | { kind: 'refused'; refusal: Refusal } | { kind: 'unknown'; problem: string };

export interface WatchableChannel {
  name: string;
  subscribers: number;
}

export type ChannelsAnswer = { kind: 'channels'; channels: WatchableChannel[]; incomplete?: string } | { kind: 'refused'; refusal: Refusal } | { kind: 'unknown'; problem: string };

/** Our relay lists at most this many; more is not an answer of ours. */
export const MAX_CHANNELS = 200;
const MAX_BODY_CHARS = 64 * 1024;
const MAX_REASON = 300;
const TIMEOUT_MS = 10_000;

export async function checkAccess(channel: string, token: string | undefined): Promise<AccessAnswer> {
  const answer = await getJson(`/api/access?channel=${encodeURIComponent(channel)}`, token);
  if (answer.kind === 'unknown') return answer;
  if (answer.status === 200) {
    const body = answer.body as { channel?: unknown; subscribe?: unknown } | undefined;
    if (body?.channel === channel && body.subscribe === true) return { kind: 'allowed' };
    return { kind: 'refused', refusal: { kind: 'forbidden', reason: `This token may not watch channel ${channel}.` } };
  }
  const refusal = refusalOf(answer.status, answer.body);
  return refusal ? { kind: 'refused', refusal } : { kind: 'unknown', problem: `The relay answered HTTP ${answer.status} when asked about access.` };
}

export async function listChannels(token: string | undefined): Promise<ChannelsAnswer> {
  const answer = await getJson('/api/channels', token);
  if (answer.kind === 'unknown') return answer;
  if (answer.status !== 200) {
    const refusal = refusalOf(answer.status, answer.body);
    return refusal ? { kind: 'refused', refusal } : { kind: 'unknown', problem: `The relay answered HTTP ${answer.status} when asked for its channels.` };
  }
  const { channels: listed, incomplete } = (answer.body ?? {}) as { channels?: unknown; incomplete?: unknown };
  if (!Array.isArray(listed)) return { kind: 'unknown', problem: 'The relay sent no list of channels.' };
  const channels: WatchableChannel[] = [];
  for (const entry of listed.slice(0, MAX_CHANNELS)) {
    const { name, subscribers } = (typeof entry === 'object' && entry !== null ? entry : {}) as { name?: unknown; subscribers?: unknown };
    if (channelNameProblem(name) !== undefined) continue;
    channels.push({ name: name as string, subscribers: typeof subscribers === 'number' && Number.isSafeInteger(subscribers) && subscribers >= 0 ? subscribers : 0 });
  }
  // With Redis, a relay that could not read the other nodes' channels says so.
  return typeof incomplete === 'string' && incomplete !== '' ? { kind: 'channels', channels, incomplete: sentence(clip(incomplete.trim(), MAX_REASON)) } : { kind: 'channels', channels };
}

/** 401: the token is missing or refused; 403: this token may not watch; 400: a bad request. */
function refusalOf(status: number, body: unknown): Refusal | undefined {
  const error = (body as { error?: unknown } | undefined)?.error;
  const said = typeof error === 'string' && error.trim() !== '' ? sentence(clip(error.trim(), MAX_REASON)) : undefined;
  if (status === 401) return { kind: 'token', reason: said ? `The relay refused the token: ${said}` : 'The relay needs a valid token.' };
  if (status === 403) return { kind: 'forbidden', reason: said ? upperFirst(said) : 'This token may not watch that channel.' };
  if (status === 400) return { kind: 'other', reason: said ? upperFirst(said) : 'The relay refused the request.' };
  return undefined;
}

async function getJson(path: string, token: string | undefined): Promise<{ kind: 'answer'; status: number; body: unknown } | { kind: 'unknown'; problem: string }> {
  let response: Response;
  try {
    response = await fetch(path, {
      headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
      cache: 'no-store',
      credentials: 'omit',
      redirect: 'error',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    return { kind: 'unknown', problem: 'The relay did not answer.' };
  }
  let text: string;
  try {
    text = await response.text();
  } catch {
    return { kind: 'unknown', problem: 'The relay broke off its answer.' };
  }
  if (text.length > MAX_BODY_CHARS) return { kind: 'unknown', problem: 'The relay sent an answer far longer than expected.' };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { kind: 'answer', status: response.status, body };
}

function sentence(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}

function upperFirst(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
