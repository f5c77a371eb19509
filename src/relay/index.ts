/** The relay, for embedding: `startRelay({ host, port })`. */
export { startRelay, RELAY_DEFAULTS, type RelayOptions, type RunningRelay } from './server';
export { InMemoryBroker, type Broker, type Subscriber } from './broker';
export { createRateLimitedLogger, silentLogger, streamSink, type RelayLogger, type LogSink } from './log';
