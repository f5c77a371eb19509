/**
 * `weather-relay token`: a team mints its tokens with the relay's own HS256 secret, so it
 * needs no other tool. The claims are the ones JwtVerifier reads (see claims.ts).
 */
import { SignJWT } from 'jose';
import { PERMISSIONS_CLAIM } from './claims';
import { ChannelPatterns } from './grant';
import { JwtVerifier } from './jwt-verifier';

export interface TokenRequest {
  secret: string;
  sub: string;
  subscribe: string[];
  publish: string[];
  ttlSeconds: number;
}

const MAX_TTL_S = 366 * 24 * 3600;
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Reads a lifetime such as `30d`, `12h`, `15m`, `90s` or `3600`; throws an Error of one sentence otherwise. */
export function parseTtl(text: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(text);
  const seconds = match ? Number(match[1]) * UNITS[match[2] || 's'] : NaN;
  if (!(seconds >= 1 && seconds <= MAX_TTL_S)) {
    throw new Error(`--ttl must be a lifetime such as 30d, 12h, 15m or 3600 (seconds), from 1 s to 366 days, got "${text.slice(0, 40)}"`);
  }
  return seconds;
}

/** A signed token; throws an Error of one sentence for a bad secret, subject or pattern. */
export async function mintToken(request: TokenRequest): Promise<string> {
  const verifier = JwtVerifier.fromKey({ secret: request.secret }); // the same checks as the relay's
  if (request.sub.length === 0 || request.sub.length > 200) throw new Error('--sub must be a name of 1 to 200 characters');
  for (const list of [request.subscribe, request.publish]) {
    try {
      new ChannelPatterns(list);
    } catch (error) {
      throw new Error(`${(error as Error).message}`);
    }
  }
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ [PERMISSIONS_CLAIM]: { subscribe: request.subscribe, publish: request.publish } })
    .setProtectedHeader({ alg: verifier.algorithm, typ: 'JWT' })
    .setSubject(request.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + request.ttlSeconds)
    .sign(new TextEncoder().encode(request.secret));
}
