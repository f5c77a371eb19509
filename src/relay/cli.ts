#!/usr/bin/env node
/**
 * `weather-relay`: runs the relay standalone. The first stdout line is exactly
 * `weather-relay listening on ws://HOST:PORT` so scripts can wait for it and read
 * the port; logs go to stderr.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { printable } from '../protocol';
import type { EngineHealth } from './channel-engine';
// Imported by the standalone relay only: the extension embeds startRelay (src/relay/index.ts) without a Redis client.
import { RedisChannelEngine } from './redis/redis-engine';
import { databaseOf } from './redis/options';
import { createRateLimitedLogger, silentLogger, streamSink } from './log';
import { runTokenCommand, TOKEN_USAGE } from './auth/token-command';
import { RELAY_DEFAULTS, SOCKET_HEADROOM, startRelay, type RelayOptions, type TlsFiles } from './server';
import { socketLimitsProblem } from './socket-limits';
import { WorkerNode } from './worker-node';
import { publicUrlProblem } from './web/address';
import { isWorker, MAX_WORKERS, reportListening, runWorkers } from './workers';

const USAGE = `Usage: weather-relay [options]
       weather-relay token --sub NAME [--subscribe PATTERN]... [--publish PATTERN]... [--ttl 30d]

  --host HOST            interface to listen on (default ${RELAY_DEFAULTS.host})
  --port PORT            port, 0 for any free port (default ${RELAY_DEFAULTS.port})
  --heartbeat-ms MS      ping interval; silent peers are dropped after one interval,
                         0 disables (default ${RELAY_DEFAULTS.heartbeatIntervalMs})
  --max-payload BYTES    largest accepted frame (default ${RELAY_DEFAULTS.maxPayloadBytes})
  --max-connections N    connections at once; more get HTTP 503 (default ${RELAY_DEFAULTS.maxConnections})
  --max-sockets N        TCP sockets at once, WebSockets included; more are closed at once;
                         must be above --max-connections (default: that + ${SOCKET_HEADROOM})
  --request-timeout-ms MS
                         time for a request to arrive whole; then 408 and closed
                         (default ${RELAY_DEFAULTS.requestTimeoutMs})
  --max-subscriptions N  channels per connection (default ${RELAY_DEFAULTS.maxSubscriptionsPerConnection})
  --rate N               messages per second per connection (default ${RELAY_DEFAULTS.messagesPerSecond})
  --burst N              burst above that rate (default ${RELAY_DEFAULTS.messageBurst})
  --high-water BYTES     queued bytes before a slow subscriber is closed with 4001
                         (default ${RELAY_DEFAULTS.outboundHighWaterBytes})
  --replay-stall-ms MS   a resuming subscriber that reads none of its replay for this
                         long is closed with 4001 (default ${RELAY_DEFAULTS.replayStallMs})
  --history N            messages kept per channel for resuming subscribers, 0 = none
                         (default ${RELAY_DEFAULTS.historySize})
  --history-bytes BYTES  frame bytes kept across all channels; the oldest messages go
                         first, 0 = none (default ${RELAY_DEFAULTS.historyBytes})
  --redis URL            share channels, history and offsets with every relay on this
                         Redis (redis:// or rediss://); default: env WEATHER_RELAY_REDIS_URL,
                         none = channels in this process only. --history then sets the
                         messages Redis keeps per channel; --history-bytes does not apply
  --token TOKEN          require "Authorization: Bearer TOKEN" or ?token=TOKEN; it
                         grants everything (default: env WEATHER_RELAY_TOKEN)
  --jwt-secret SECRET    accept tokens signed with this HS256 secret (at least 32 bytes),
                         granting the channels their claims name; mint them with
                         "weather-relay token" (default: env WEATHER_RELAY_JWT_SECRET)
  --jwt-public-key FILE  accept tokens from your own issuer, signed RS256 or ES256, checked
                         with this PEM public key (instead of --jwt-secret)
                         With none of the three, the relay is open to anyone who reaches it
  --tls-cert FILE        serve wss:// and https:// with this PEM certificate (chain)...
  --tls-key FILE         ...and its PEM private key; SIGHUP reloads both files
  --workers N            run N relay processes on this port, one per core, sharing
                         channels through --redis (needed); limits apply per process
                         (default 1)
  --allow-origin ORIGIN  allowed browser Origin; repeat for several (default: any);
                         the relay's own watch page is allowed too
  --public-url URL       the address the watch page announces, e.g. https://relay.example.com
                         behind a TLS proxy (default: the Host each browser asked for)
  --no-web               no watch page: / answers 426 and /watch, /assets and /api 404
  --log-rate N           log lines per second before lines are only counted (default 20)
  --quiet                no connection logs
  -h, --help             show this help
`;

/** How long a starting relay waits for Redis before it listens anyway. */
const REDIS_START_WAIT_MS = 3_000;

export class UsageError extends Error {}

/** Files named by flags, read when the relay starts (and the TLS pair again on SIGHUP). */
interface RelayFiles {
  jwtPublicKeyFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
}

/** Reads a file named by `flag`; an Error of one sentence when it cannot. */
function readFlagFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read ${flag} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function tlsFiles(options: RelayFiles): TlsFiles | undefined {
  if (!options.tlsCertFile || !options.tlsKeyFile) return undefined;
  return { cert: readFlagFile('--tls-cert', options.tlsCertFile), key: readFlagFile('--tls-key', options.tlsKeyFile) };
}

/** The relay's first log line: how connections are checked, a warning when anyone beyond this machine may do anything. */
export function accessLogLine(access: string, host: string): { level: 'info' | 'warn'; text: string } {
  if (access.startsWith('open') && !isLoopback(host)) {
    return { level: 'warn', text: `${access}, and it listens beyond loopback (${host}): give it --jwt-secret or --token` };
  }
  return { level: 'info', text: access };
}

/** True for an interface only this machine reaches. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export function parseRelayArgs(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
): RelayOptions & RelayFiles & { redisUrl: string | undefined; logRate: number; quiet: boolean; help: boolean; workers: number } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'heartbeat-ms': { type: 'string' },
        'max-payload': { type: 'string' },
        'log-rate': { type: 'string' },
        'max-connections': { type: 'string' },
        'max-sockets': { type: 'string' },
        'request-timeout-ms': { type: 'string' },
        'replay-stall-ms': { type: 'string' },
        'max-subscriptions': { type: 'string' },
        rate: { type: 'string' },
        burst: { type: 'string' },
        'high-water': { type: 'string' },
        history: { type: 'string' },
        'history-bytes': { type: 'string' },
        token: { type: 'string' },
        'jwt-secret': { type: 'string' },
        'jwt-public-key': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        redis: { type: 'string' },
        workers: { type: 'string' },
        'allow-origin': { type: 'string', multiple: true },
        'public-url': { type: 'string' },
        'no-web': { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  // An empty value would silently mean "every interface" or "no authentication".
  for (const flag of ['host', 'token', 'jwt-secret', 'jwt-public-key', 'tls-cert', 'tls-key'] as const) {
    if (values[flag] === '') throw new UsageError(`--${flag} must not be empty`);
  }
  const jwtSecret = values['jwt-secret'] ?? (env.WEATHER_RELAY_JWT_SECRET || undefined);
  if (jwtSecret !== undefined && values['jwt-public-key'] !== undefined) {
    throw new UsageError('give --jwt-secret or --jwt-public-key, not both');
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together: a certificate and its private key');
  }
  const workers = integerFlag('--workers', values.workers, 1, MAX_WORKERS) ?? 1;
  const redisUrl = redisUrlFlag(values.redis ?? (env.WEATHER_RELAY_REDIS_URL || undefined));
  if (workers > 1 && redisUrl === undefined) {
    throw new UsageError('--workers needs --redis URL: the workers are separate processes and share channels only through Redis');
  }
  const publicUrl = values['public-url'];
  if (publicUrl !== undefined && values['no-web']) throw new UsageError('--public-url is the watch page\'s address: it has no use with --no-web');
  const publicProblem = publicUrl === undefined ? undefined : publicUrlProblem(publicUrl);
  if (publicProblem) throw new UsageError(publicProblem);
  const maxConnections = integerFlag('--max-connections', values['max-connections'], 1, 1_000_000);
  const maxSockets = integerFlag('--max-sockets', values['max-sockets'], 2, 2_000_000);
  const problem = maxSockets === undefined ? undefined : socketLimitsProblem(maxSockets, maxConnections ?? RELAY_DEFAULTS.maxConnections);
  if (problem) throw new UsageError(`--max-sockets: ${problem}`);
  return {
    host: values.host,
    port: integerFlag('--port', values.port, 0, 65535),
    heartbeatIntervalMs: integerFlag('--heartbeat-ms', values['heartbeat-ms'], 0, 86_400_000),
    maxPayloadBytes: integerFlag('--max-payload', values['max-payload'], 64, 256 * 1024 * 1024),
    maxConnections,
    maxSockets,
    requestTimeoutMs: integerFlag('--request-timeout-ms', values['request-timeout-ms'], 100, 3_600_000),
    maxSubscriptionsPerConnection: integerFlag('--max-subscriptions', values['max-subscriptions'], 1, 100_000),
    messagesPerSecond: integerFlag('--rate', values.rate, 1, 10_000_000),
    messageBurst: integerFlag('--burst', values.burst, 1, 10_000_000),
    outboundHighWaterBytes: integerFlag('--high-water', values['high-water'], 1024, 1024 * 1024 * 1024),
    replayStallMs: integerFlag('--replay-stall-ms', values['replay-stall-ms'], 100, 86_400_000),
    historySize: integerFlag('--history', values.history, 0, 1_000_000),
    historyBytes: integerFlag('--history-bytes', values['history-bytes'], 0, 16 * 1024 * 1024 * 1024),
    token: values.token ?? (env.WEATHER_RELAY_TOKEN || undefined),
    jwt: jwtSecret === undefined ? undefined : { secret: jwtSecret },
    jwtPublicKeyFile: values['jwt-public-key'],
    tlsCertFile: values['tls-cert'],
    tlsKeyFile: values['tls-key'],
    redisUrl,
    workers,
    allowOrigins: values['allow-origin'],
    web: values['no-web'] ? false : { publicUrl },
    logRate: integerFlag('--log-rate', values['log-rate'], 1, 1_000_000) ?? 20,
    quiet: values.quiet ?? false,
    help: values.help ?? false,
  };
}

function redisUrlFlag(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let valid = /^rediss?:\/\/./.test(raw);
  try {
    new URL(raw);
  } catch {
    valid = false;
  }
  if (!valid) throw new UsageError(`--redis must be a URL starting with redis:// or rediss://, got "${printable(raw, 100)}"`);
  try {
    databaseOf(raw);
  } catch (error) {
    throw new UsageError(`--redis: ${(error as Error).message}`);
  }
  return raw;
}

/** The Redis URL as logged: without a password. */
function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

function integerFlag(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

async function main(): Promise<void> {
  if (process.argv[2] === 'token') {
    if (process.argv.slice(3).some((arg) => arg === '--help' || arg === '-h')) {
      process.stdout.write(TOKEN_USAGE);
      return;
    }
    try {
      process.stdout.write(`${await runTokenCommand(process.argv.slice(3), process.env)}\n`);
      return;
    } catch (error) {
      process.stderr.write(`weather-relay token: ${(error as Error).message}\n\n${TOKEN_USAGE}`);
      process.exit(2);
    }
  }
  let options;
  let tls: TlsFiles | undefined;
  try {
    options = parseRelayArgs(process.argv.slice(2));
    tls = tlsFiles(options);
    if (options.jwtPublicKeyFile) options.jwt = { publicKeyPem: readFlagFile('--jwt-public-key', options.jwtPublicKeyFile) };
  } catch (error) {
    process.stderr.write(`weather-relay: ${(error as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (options.workers > 1 && !isWorker()) {
    // The primary: forks the workers (same arguments) and prints where they listen, once.
    runWorkers(
      options.workers,
      (line) => process.stderr.write(`weather-relay: ${line}\n`),
      (url) => {
        process.stderr.write(`weather-relay: ${options.workers} workers listening\n`);
        process.stdout.write(`weather-relay listening on ${url}\n`);
      },
    );
    return;
  }
  const logger = options.quiet
    ? silentLogger
    : createRateLimitedLogger({ sink: streamSink(process.stderr), maxLinesPerSecond: options.logRate });
  let engine: RedisChannelEngine | undefined;
  let engineLine = 'engine: in memory (channels live in this process only)';
  let redisHealth: EngineHealth = { ok: true };
  if (options.redisUrl) {
    engine = new RedisChannelEngine({ url: options.redisUrl, historySize: options.historySize });
    engineLine = `engine: Redis at ${withoutPassword(options.redisUrl)}, shared with every relay on it`;
    // Clients should learn the data set's epoch from the start; but Redis being down is no reason
    // not to start: publishes answer `unavailable` and /healthz 503 until it is back.
    redisHealth = await engine.ready(REDIS_START_WAIT_MS);
  }
  let relay;
  try {
    relay = await startRelay({ ...options, tls, logger, engine, ...(isWorker() ? { workerNode: new WorkerNode() } : {}) });
  } catch (error) {
    process.stderr.write(`weather-relay: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const access = accessLogLine(relay.access, relay.host);
  logger[access.level](access.text);
  logger.info(engineLine);
  if (!redisHealth.ok) logger.warn(`Redis is not reachable yet (${redisHealth.reason}); relaying anyway`);
  if (relay.web) logger[relay.web.ok ? 'info' : 'warn'](relay.web.text);
  if (isWorker()) reportListening(relay.url);
  else process.stdout.write(`weather-relay listening on ${relay.url}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`weather-relay: ${signal} received, closing connections\n`);
    relay.close().then(
      () => process.exit(0),
      (error: Error) => {
        process.stderr.write(`weather-relay: shutdown failed: ${error.message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // SIGHUP reloads the certificate (renewed in place, e.g. by certbot); connections stay.
  process.on('SIGHUP', () => {
    if (!tls) {
      logger.info('SIGHUP: nothing to reload (no --tls-cert)');
      return;
    }
    try {
      relay.reloadTls(tlsFiles(options)!);
      logger.info('SIGHUP: reloaded the TLS certificate and key; new connections use them');
    } catch (error) {
      logger.warn(`SIGHUP: kept the current certificate: ${(error as Error).message}`);
    }
  });
}

if (require.main === module) void main();
