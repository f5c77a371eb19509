/**
 * Channel names and the message types reserved for the subscription handshake.
 * A channel message's `type` *is* its channel name, so a reserved type can never
 * be a channel: the relay could not tell a publish from a control message.
 */

export const RESERVED_TYPES = ['subscribe', 'subscribed', 'unsubscribe', 'unsubscribed', 'error'] as const;
export type ReservedType = (typeof RESERVED_TYPES)[number];

export const MAX_CHANNEL_LENGTH = 128;
const CHANNEL_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
const reserved: ReadonlySet<string> = new Set(RESERVED_TYPES);

export function isReservedType(value: string): value is ReservedType {
  return reserved.has(value);
}

/** Returns why `name` cannot be a channel, or undefined when it can. */
export function channelNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'channel must be a string';
  if (name.length === 0) return 'channel must not be empty';
  if (name.length > MAX_CHANNEL_LENGTH) {
    return `channel must be at most ${MAX_CHANNEL_LENGTH} characters (got ${name.length})`;
  }
  if (!CHANNEL_PATTERN.test(name)) {
    return `channel "${printable(name)}" may only contain letters, digits and . _ : -`;
  }
  if (isReservedType(name)) return `"${name}" is a reserved message type and cannot be a channel`;
  return undefined;
}

/** Bidi controls survive JSON escaping and could reorder the rest of a message as it is shown. */
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Shortens and escapes untrusted text (control and bidi characters) before it goes into an error message. */
export function printable(text: string, max = 40): string {
  const escaped = JSON.stringify(text.length > max ? text.slice(0, max) : text)
    .slice(1, -1)
    .replace(BIDI_CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length > max ? `${escaped}…` : escaped;
}
