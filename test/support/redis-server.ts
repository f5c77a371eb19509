/**
 * Runs a real Debian `redis-server` from deploy/redis.conf itself (the settings users
 * install: AOF with `appendfsync always`, no eviction), with only what a test must change
 * given on its command line, where it wins over the file: a free loopback port, its own
 * temporary directory, the foreground, logs to stdout, no snapshots, and how many databases.
 * `restart()` keeps the port, so clients reconnect to the same address, and either keeps the
 * directory (a restart that kept its data) or wipes it (Redis back empty).
 */
import { createClient } from '@redis/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unusedPort as freePort } from './ports';
import { delay } from './wait';

const REDIS_SERVER_BIN = '/usr/bin/redis-server';
export const DEPLOY_REDIS_CONFIG = resolve(__dirname, '../../../deploy/redis.conf');

export interface RedisServer {
  readonly port: number;
  /** The running server's process id (undefined while killed). */
  readonly pid: number | undefined;
  readonly url: string;
  /** Stops the server (SIGKILL, like a crash: AOF `always` has every write on disk) and starts it again on the same port. */
  restart(options: { keepData: boolean }): Promise<void>;
  /** Kills the server, if running (no restart follows). */
  kill(): Promise<void>;
  /** Starts a killed server again, with its data. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open and nothing answers, like a hung host. */
  pause(): void;
  /** Lets a paused server run again (SIGCONT). */
  resume(): void;
  /** Kills the server and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** How long the server may take to answer its first PING. */
  timeoutMs?: number;
  /** Databases it offers (SELECT 0 … n-1); Redis's own default is 16. */
  databases?: number;
  /** The configuration file it runs from (default deploy/redis.conf); the test's settings still win over it. */
  configFile?: string;
}

export async function startRedisServer({ timeoutMs = 5000, databases = 16, configFile = DEPLOY_REDIS_CONFIG }: RedisServerOptions = {}): Promise<RedisServer> {
  const port = await freePort();
  let dir = mkdtempSync(join(tmpdir(), 'weather-redis-'));
  let child: ChildProcess | undefined;
  let log = '';
  let stopped = false;

  const launch = async () => {
    const started = spawn(
      REDIS_SERVER_BIN,
      [
        configFile,
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--dir', dir,
        '--daemonize', 'no',
        '--logfile', '',
        '--save', '',
        '--databases', String(databases),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = started;
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-20_000);
    };
    started.stdout!.on('data', keep);
    started.stderr!.on('data', keep);
    const deadline = Date.now() + timeoutMs;
    while (!(await answersPing(port))) {
      if (started.exitCode !== null || started.signalCode !== null) {
        throw new Error(`redis-server exited (${started.exitCode ?? started.signalCode}) before answering PING: ${log}`);
      }
      if (Date.now() > deadline) {
        started.kill('SIGKILL');
        throw new Error(`redis-server did not answer PING within ${timeoutMs} ms: ${log}`);
      }
      await delay(20);
    }
  };

  const kill = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGKILL');
    await exited;
  };

  try {
    await launch();
  } catch (error) {
    await kill();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    port,
    get pid() {
      return child?.pid;
    },
    url: `redis://127.0.0.1:${port}`,
    async restart({ keepData }) {
      if (stopped) throw new Error('redis-server was stopped for good');
      await kill();
      if (!keepData) {
        rmSync(dir, { recursive: true, force: true });
        dir = mkdtempSync(join(tmpdir(), 'weather-redis-'));
      }
      await launch();
    },
    kill,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
    async start() {
      if (stopped) throw new Error('redis-server was stopped for good');
      if (!child) await launch();
    },
    async stop() {
      stopped = true;
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}


/** One inline PING over a fresh socket, bounded to 500 ms. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 500);
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

const plainClient = (url: string) => createClient({ url });
export type RawRedisClient = ReturnType<typeof plainClient>;

/** A plain node-redis client of `server`, connected, for a test to look at or tamper with what Redis holds; destroy() it after. */
export async function rawClient(server: Pick<RedisServer, 'url'>): Promise<RawRedisClient> {
  const client = plainClient(server.url);
  // A test that kills the server must not crash on the client's 'error' event.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}
