/**
 * Who may connect, and what each connection may do: the credential of the upgrade (a
 * bearer token) becomes a Grant, or a refusal of one clause. Three ways, combinable:
 * open (no credential asked), the shared `--token` (grants everything), and signed tokens
 * (JWTs, whose claims say which channels). The credential itself is never logged or echoed.
 */
import { timingSafeEqual } from 'node:crypto';
import { grantAll, type Grant } from './grant';
import type { JwtVerifier } from './jwt-verifier';

export type Authorized = { grant: Grant } | { refused: string; who?: string };

export interface AuthorizerOptions {
  /** The shared token of `--token`; whoever presents it may do everything. */
  sharedToken?: string;
  /** Checks signed tokens (`--jwt-secret`, `--jwt-public-key`). */
  jwt?: JwtVerifier;
}

export class Authorizer {
  private readonly sharedToken: Buffer | undefined;
  private readonly jwt: JwtVerifier | undefined;

  constructor(options: AuthorizerOptions = {}) {
    this.sharedToken = options.sharedToken ? Buffer.from(options.sharedToken) : undefined;
    this.jwt = options.jwt;
  }

  /** True when no credential is asked for: anyone who reaches the relay may do everything. */
  get open(): boolean {
    return !this.sharedToken && !this.jwt;
  }

  /** How connections are checked, for the relay's first log lines. */
  describe(): string {
    if (this.open) return 'open: anyone who can reach this relay may subscribe and publish';
    const ways = [this.sharedToken ? 'the shared --token (everything)' : '', this.jwt ? `signed tokens (${this.jwt.algorithm}, channels as their claims say)` : ''];
    return `access: ${ways.filter(Boolean).join(' or ')}`;
  }

  /** The grant of `credential` (undefined when none was sent); answers at once unless a JWT must be checked. */
  authorize(credential: string | undefined): Authorized | Promise<Authorized> {
    if (this.open) return OPEN;
    if (!credential) return { refused: 'an access token is required (Authorization: Bearer <token>)' };
    if (this.sharedToken && safeEqual(credential, this.sharedToken)) return SHARED;
    if (!this.jwt) return { refused: 'the access token is wrong' };
    return this.jwt.verify(credential);
  }
}

const OPEN: Authorized = { grant: grantAll('anyone') };
const SHARED: Authorized = { grant: grantAll('the shared token') };

/** Compares in constant time, so the token cannot be guessed a byte at a time. */
function safeEqual(given: string, expected: Buffer): boolean {
  const a = Buffer.from(given);
  return a.length === expected.length && timingSafeEqual(a, expected);
}
