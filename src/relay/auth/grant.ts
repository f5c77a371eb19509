/**
 * What one connection may do: the channels it may subscribe to and publish on, who holds
 * the credential (for logs, never the credential itself), and until when. Channel lists
 * are exact names or `*` patterns (`*` stands for any run of characters, none included).
 */
import { MAX_CHANNEL_LENGTH } from '../../protocol';

/** Patterns one list may hold: a token is attacker-supplied until its signature is checked, and then still bounded. */
export const MAX_PATTERNS = 100;
const PATTERN = new RegExp(`^[A-Za-z0-9._:*-]{1,${MAX_CHANNEL_LENGTH}}$`);

export interface Grant {
  /** Who holds the credential: a token's subject, or a description ("the shared token", "anyone"). */
  readonly who: string;
  readonly subscribe: ChannelPatterns;
  readonly publish: ChannelPatterns;
  /** When the credential stops being valid, in ms since 1970; undefined when it never does. */
  readonly expiresAt?: number;
}

/** Why `pattern` cannot be a channel pattern, or undefined when it can. */
export function patternProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return 'a channel pattern must be a string';
  if (!PATTERN.test(pattern)) {
    return `a channel pattern may only be 1 to ${MAX_CHANNEL_LENGTH} letters, digits and . _ : - * characters`;
  }
  return undefined;
}

export class ChannelPatterns {
  private readonly exact = new Set<string>();
  /** `*` alone: every channel, with no matching on the publish path of an open relay. */
  private readonly all: boolean;
  /** Each wildcard pattern split at its stars: `weather-*` is ['weather-', '']. */
  private readonly wild: string[][] = [];

  /** Patterns must have passed patternProblem(); throws a RangeError otherwise. */
  constructor(readonly patterns: readonly string[]) {
    if (patterns.length > MAX_PATTERNS) throw new RangeError(`a channel list may hold at most ${MAX_PATTERNS} patterns`);
    this.all = patterns.includes('*');
    for (const pattern of patterns) {
      const problem = patternProblem(pattern);
      if (problem) throw new RangeError(problem);
      if (pattern.includes('*')) this.wild.push(pattern.split('*'));
      else this.exact.add(pattern);
    }
  }

  matches(channel: string): boolean {
    return this.all || this.exact.has(channel) || this.wild.some((parts) => globMatches(parts, channel));
  }
}

/** Everything: the grant of an open relay, and of the shared `--token`. */
export function grantAll(who: string): Grant {
  const all = new ChannelPatterns(['*']);
  return { who, subscribe: all, publish: all };
}

/**
 * Whether `text` is the parts joined by any runs of characters. Each part after the first is
 * found at its earliest place, which is enough for `*` alone (no backtracking, so no
 * pattern can make this slow); the last part must end the text.
 */
function globMatches(parts: string[], text: string): boolean {
  const first = parts[0];
  const last = parts[parts.length - 1];
  if (!text.startsWith(first) || text.length < first.length + last.length) return false;
  let at = first.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const found = text.indexOf(parts[i], at);
    if (found < 0) return false;
    at = found + parts[i].length;
  }
  return text.length - last.length >= at && text.endsWith(last);
}
