/**
 * Runs the built relay (dist/relay.js) as a child process, the way a user does,
 * and reads its address from the first stdout line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { get as httpGet } from 'node:http';
import { resolve } from 'node:path';
import { nextRedisUrl } from './relay-mode';
import { delay, within } from './wait';

export const RELAY_BIN = resolve(__dirname, '../../../dist/relay.js');

export interface RelayProcess {
  child: ChildProcess;
  url: string;
  port: number;
  firstLine: string;
  stderr(): string;
  /** Sends `signal` and resolves with the exit code (or signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Starts dist/relay.js on a free loopback port; in Redis mode (see relay-mode.ts) on a Redis database of its own. */
export async function spawnRelay(args: string[] = [], timeoutMs = 10_000): Promise<RelayProcess> {
  const redisUrl = args.includes('--redis') ? undefined : nextRedisUrl();
  const engineArgs = redisUrl === undefined ? [] : ['--redis', redisUrl];
  return spawnRelayCommand([process.execPath, RELAY_BIN, '--host', '127.0.0.1', '--port', '0', ...engineArgs, ...args], { timeoutMs });
}

/**
 * Runs a relay from a whole command line (`[program, ...args]`), as a service manager
 * would: nothing added to it, in `cwd`, with `env` as its whole environment when given
 * (else this process's).
 */
export async function spawnRelayCommand(
  [program, ...args]: string[],
  { env, cwd, timeoutMs = 10_000 }: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<RelayProcess> {
  const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'], env, cwd });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | string>((resolvePromise) => {
    child.once('exit', (code, signal) => resolvePromise((code ?? signal)!));
    child.once('error', (error) => resolvePromise(error.message)); // e.g. no such program: it never ran
  });
  const firstLine = await new Promise<string>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`relay did not start within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const newline = stdout.indexOf('\n');
      if (newline >= 0) {
        clearTimeout(timer);
        resolvePromise(stdout.slice(0, newline));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited (${code}) before listening; stderr: ${stderr}`));
    });
  });
  const match = /^weather-relay listening on (wss?:\/\/[^\s]+:(\d+))$/.exec(firstLine);
  if (!match) throw new Error(`unexpected first line from relay: ${JSON.stringify(firstLine)}`);
  return {
    child,
    url: match[1],
    port: Number(match[2]),
    firstLine,
    stderr: () => stderr,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface RawExchange {
  /** The status code of the first response line, if one came. */
  status: number | undefined;
  /** Everything the relay sent, as latin1 text. */
  text: string;
  /** False when the relay neither answered nor closed within the time allowed. */
  settled: boolean;
}

/**
 * Writes `request` as raw bytes to a relay on loopback, ends the sending side, and
 * collects whatever comes back until the relay closes the connection (bounded by
 * `timeoutMs`). For requests no HTTP client would send.
 */
export function rawExchange(port: number, request: string | Buffer, timeoutMs = 3000, tls?: { ca: string }): Promise<RawExchange> {
  return new Promise((resolvePromise) => {
    const chunks: Buffer[] = [];
    // Over TLS (a relay with --tls-cert) the same bytes travel inside the encrypted stream.
    const socket = tls
      ? tlsConnect({ host: '127.0.0.1', port, ca: tls.ca, servername: 'localhost' }, () => socket.end(request))
      : connect(port, '127.0.0.1', () => socket.end(request));
    const finish = (settled: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3}) /.exec(text)?.[1];
      resolvePromise({ status: status === undefined ? undefined : Number(status), text, settled });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => finish(true));
    socket.on('error', () => {}); // a reset is a close too; 'close' follows
  });
}

/**
 * One sample from a relay's /metrics on 127.0.0.1:`port`; `name` may carry labels
 * (`weather_relay_errors_total{code="refused"}`). A missing line throws, unless
 * `missingAs` says what it means (counters with labels appear only once counted).
 */
export async function readMetric(port: number, name: string, missingAs?: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  if (line === undefined) {
    if (missingAs !== undefined) return missingAs;
    throw new Error(`${name} is not in /metrics`);
  }
  return Number(line.slice(name.length + 1));
}

/** WebSocket connections a relay on 127.0.0.1:`port` reports on /healthz (a fresh HTTP connection each: nodes get killed). */
export function healthzConnections(port: number): Promise<number> {
  return within(
    new Promise<number>((resolvePromise, reject) => {
      httpGet(`http://127.0.0.1:${port}/healthz`, { agent: false }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => {
          try {
            resolvePromise(JSON.parse(body).connections);
          } catch (error) {
            reject(error);
          }
        });
        response.on('error', reject);
      }).on('error', reject);
    }),
    5000,
    `GET /healthz of the relay on port ${port}`,
  );
}

/** Resolves once a relay's delivered counter has stopped moving: it has written all it will for now (bounded: 30 s). */
export async function deliveredSettles(port: number): Promise<number> {
  let last = -1;
  for (let i = 0; i < 100; i++) {
    const now = await readMetric(port, 'weather_relay_messages_delivered_total');
    if (now === last) return now;
    last = now;
    await delay(300);
  }
  return last;
}
