/**
 * Reconnect delays: exponential growth with "full jitter" (a uniformly random delay
 * between a floor and the capped exponential), so that many clients dropped by one
 * relay restart do not all come back in the same instant.
 */
export interface BackoffOptions {
  /** Upper bound of the first delay. */
  initialDelayMs?: number;
  /** No delay is ever longer than this. */
  maxDelayMs?: number;
  /** Growth of the upper bound per failed attempt. */
  factor?: number;
  /** No delay is ever shorter than this, so a flapping relay cannot cause a busy loop. */
  minDelayMs?: number;
}

export const BACKOFF_DEFAULTS: Required<BackoffOptions> = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  minDelayMs: 50,
};

/** Delay before reconnect attempt number `attempt` (0 for the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { initialDelayMs, maxDelayMs, factor, minDelayMs } = { ...BACKOFF_DEFAULTS, ...options };
  const ceiling = Math.min(maxDelayMs, initialDelayMs * factor ** Math.min(attempt, 64));
  return Math.min(maxDelayMs, Math.max(minDelayMs, Math.floor(random() * ceiling)));
}
