/**
 * The claims our tokens carry, read from a verified JWT's payload:
 *
 *   { "sub": "alice", "exp": 1767225600,
 *     "weather_relay": { "subscribe": ["weather-*"], "publish": ["weather-update"] } }
 *
 * `sub` names the holder in logs; `exp` is required (a token that never expires cannot be
 * taken back); a missing list allows nothing. Every value is checked and bounded: a valid
 * signature says who issued a token, not that its issuer wrote sensible claims.
 */
import { printable } from '../../protocol';
import { ChannelPatterns, MAX_PATTERNS, patternProblem, type Grant } from './grant';

export const PERMISSIONS_CLAIM = 'weather_relay';
const MAX_SUBJECT_LENGTH = 200;

/** The grant a verified token's claims give, or why they give none (one clause). */
export function grantFromClaims(claims: Record<string, unknown>): Grant | { problem: string } {
  const { sub, exp } = claims;
  if (typeof sub !== 'string' || sub.length === 0 || sub.length > MAX_SUBJECT_LENGTH) {
    return { problem: `the token's "sub" must be a name of 1 to ${MAX_SUBJECT_LENGTH} characters` };
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return { problem: 'the token has no expiry ("exp")' };
  const permissions = claims[PERMISSIONS_CLAIM] ?? {};
  if (typeof permissions !== 'object' || permissions === null || Array.isArray(permissions)) {
    return { problem: `the token's "${PERMISSIONS_CLAIM}" claim must be an object with "subscribe" and "publish" lists` };
  }
  const lists: Partial<Record<'subscribe' | 'publish', ChannelPatterns>> = {};
  for (const action of ['subscribe', 'publish'] as const) {
    const list = (permissions as Record<string, unknown>)[action] ?? [];
    if (!Array.isArray(list) || list.length > MAX_PATTERNS) {
      return { problem: `the token's "${PERMISSIONS_CLAIM}.${action}" must be a list of at most ${MAX_PATTERNS} channel patterns` };
    }
    for (const pattern of list) {
      const problem = patternProblem(pattern);
      if (problem) return { problem: `the token's "${PERMISSIONS_CLAIM}.${action}" holds "${printable(String(pattern))}": ${problem}` };
    }
    lists[action] = new ChannelPatterns(list as string[]);
  }
  return { who: printable(sub, MAX_SUBJECT_LENGTH), subscribe: lists.subscribe!, publish: lists.publish!, expiresAt: exp * 1000 };
}
