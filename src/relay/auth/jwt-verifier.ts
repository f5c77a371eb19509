/**
 * Checks signed tokens (JWTs) with `jose`: HS256 with a shared secret, or RS256 / ES256 with
 * the public key of a team's own issuer. Exactly one algorithm is accepted, the one the key
 * is for, so neither `alg: none` nor a token signed with the public key as an HMAC secret
 * can pass. Every refusal is one clause saying why, never the token.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { printable } from '../../protocol';
import { grantFromClaims } from './claims';
import type { Grant } from './grant';

/** Bytes of secret HS256 needs to be as strong as its hash (RFC 7518 §3.2). */
export const MIN_SECRET_BYTES = 32;
/** Longest token looked at; real ones are a few hundred bytes. */
const MAX_TOKEN_LENGTH = 8 * 1024;
/** Clocks of issuer and relay may differ by this much. */
const CLOCK_TOLERANCE_S = 5;

export type JwtKeySource = { secret: string } | { publicKeyPem: string };

/** A refusal names the holder when the token's own (signed) claims do: an expired token, say. */
export type Verified = { grant: Grant } | { refused: string; who?: string };

export class JwtVerifier {
  private constructor(
    private readonly key: KeyObject | Uint8Array,
    readonly algorithm: 'HS256' | 'RS256' | 'ES256',
  ) {}

  /** Throws an Error of one sentence for a key that cannot verify tokens. */
  static fromKey(source: JwtKeySource): JwtVerifier {
    if ('secret' in source) {
      const secret = new TextEncoder().encode(source.secret);
      if (secret.length < MIN_SECRET_BYTES) {
        throw new Error(`the JWT secret must be at least ${MIN_SECRET_BYTES} bytes long (got ${secret.length}); generate one with: openssl rand -base64 48`);
      }
      return new JwtVerifier(secret, 'HS256');
    }
    let key: KeyObject;
    try {
      key = createPublicKey(source.publicKeyPem);
    } catch {
      throw new Error('the JWT public key is not a PEM public key (-----BEGIN PUBLIC KEY-----)');
    }
    if (key.asymmetricKeyType === 'rsa') {
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) throw new Error('the JWT public key is an RSA key shorter than 2048 bits');
      return new JwtVerifier(key, 'RS256');
    }
    if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return new JwtVerifier(key, 'ES256');
    throw new Error('the JWT public key must be an RSA key (RS256) or a P-256 EC key (ES256)');
  }

  async verify(token: string): Promise<Verified> {
    if (token.length > MAX_TOKEN_LENGTH) return { refused: `the token is longer than ${MAX_TOKEN_LENGTH} characters` };
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [this.algorithm],
        requiredClaims: ['exp', 'sub'],
        clockTolerance: CLOCK_TOLERANCE_S,
      });
      const grant = grantFromClaims(payload);
      return 'problem' in grant ? { refused: grant.problem } : { grant };
    } catch (error) {
      // Only claims jose checked the signature of are trusted to name anyone.
      const sub = error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired ? error.payload.sub : undefined;
      const who = typeof sub === 'string' && sub.length > 0 ? printable(sub, 200) : undefined;
      return who === undefined ? { refused: refusalOf(error, this.algorithm) } : { refused: refusalOf(error, this.algorithm), who };
    }
  }
}

function refusalOf(error: unknown, algorithm: string): string {
  if (error instanceof errors.JWTExpired) return 'the token expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return 'the token is not valid yet';
    return `the token's "${error.claim}" claim is missing or invalid`;
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return `the token is not signed with ${algorithm}, the only algorithm this relay accepts`;
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'the token\'s signature does not match this relay\'s key';
  return 'the token is not a well-formed JWT';
}
