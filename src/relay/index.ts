/** The relay, for embedding: `startRelay({ host, port })`. */
export { startRelay, type RelayOptions, type RunningRelay } from './server';
export { createRateLimitedLogger, type RelayLogger } from './log';
