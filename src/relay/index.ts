/** The relay, for embedding: `startRelay({ host, port })`. */
export { RELAY_DEFAULTS, startRelay, type RelayOptions, type RunningRelay } from './server';
export { createRateLimitedLogger, type RelayLogger } from './log';
