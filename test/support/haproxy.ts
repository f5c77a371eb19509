/**
 * Debian's HAProxy as the tests' load balancer, run from deploy/haproxy.cfg itself: the
 * file users install, with only what a test must change swapped in (its ports, a runtime
 * socket in a temp dir, no root-only settings, faster health checks). Each swap must find
 * its line in the file, so a deploy config the tests no longer understand fails loudly
 * instead of being tested in some other shape.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { unusedPort as freePort } from './ports';
import { delay, within } from './wait';

const HAPROXY_BIN = '/usr/sbin/haproxy';
export const DEPLOY_HAPROXY_CONFIG = resolve(__dirname, '../../../deploy/haproxy.cfg');
/** The sections of deploy/haproxy.cfg that clients connect to and that hold the relay nodes. */
const FRONTEND = 'relay';
const BACKEND = 'relays';
/** Connections at once for a test's HAProxy: within any open-file limit (the deploy value needs about 80,000). */
const TEST_MAXCONN = 1000;
const STDERR_KEPT = 64 * 1024;

export interface TestConfigOptions {
  /** Where the balancer listens, on 127.0.0.1. */
  port: number;
  /** Relay nodes on 127.0.0.1, named relay1, relay2, … in this order. */
  nodePorts: number[];
  /** Path of the runtime API socket. */
  runtimeSocket: string;
  /** Health check interval, in HAProxy's notation ("100ms"). */
  checkInterval: string;
}

/** deploy/haproxy.cfg (or `template`) with a test's ports, socket and check interval. */
export function renderTestConfig(template: string, options: TestConfigOptions): string {
  let lines = template.split('\n');
  /** The section (`global`, `frontend relay`, …) each line belongs to: the last unindented line above it. */
  const sectionOf = (index: number): string => lines.slice(0, index + 1).reverse().find((line) => /^[a-z]/.test(line))?.trim() ?? '';
  const swap = (section: string, directive: RegExp, why: string, replace: (line: string) => string[]): void => {
    const at = lines.flatMap((line, index) => (directive.test(line.trim()) && sectionOf(index) === section ? [index] : []));
    if (at.length !== 1) throw new Error(`deploy/haproxy.cfg should have exactly one line matching ${directive} in "${section}" (${why}); found ${at.length}`);
    const indent = /^\s*/.exec(lines[at[0]])![0];
    lines = [...lines.slice(0, at[0]), ...replace(lines[at[0]].trim()).map((line) => indent + line), ...lines.slice(at[0] + 1)];
  };
  swap(`frontend ${FRONTEND}`, /^bind\s/, 'the address clients connect to', () => [`bind 127.0.0.1:${options.port}`]);
  // Root-only settings: the tests run HAProxy as whoever runs them, with their open-file limit.
  for (const directive of ['chroot', 'user', 'group']) swap('global', new RegExp(`^${directive}\\s`), 'needs root', () => []);
  swap('global', /^maxconn\s/, 'sized for a test', () => [`maxconn ${TEST_MAXCONN}`]);
  swap('global', /^stats socket\s/, 'the runtime API', () => [`stats socket ${options.runtimeSocket} mode 600 level admin`]);
  swap('global', /^log \/dev\/log\s/, 'logs go to the test output', (line) => [line.replace('/dev/log', 'stderr format short')]);
  swap(`backend ${BACKEND}`, /^default-server\s.*\binter \S+/, 'the health check interval', (line) => [
    line.replace(/\binter \S+/, `inter ${options.checkInterval}`),
  ]);

  const servers = lines.flatMap((line, index) => (/^server\s/.test(line.trim()) ? [index] : []));
  if (servers.length === 0 || servers.some((index) => sectionOf(index) !== `backend ${BACKEND}`)) {
    throw new Error(`deploy/haproxy.cfg should list its nodes as server lines in "backend ${BACKEND}"`);
  }
  const [, indent, serverOptions] = /^(\s*)server \S+ \S+(.*)$/.exec(lines[servers[0]])!;
  const rendered = options.nodePorts.map((port, index) => `${indent}server relay${index + 1} 127.0.0.1:${port}${serverOptions}`);
  lines = lines.flatMap((line, index) => (index === servers[0] ? rendered : servers.includes(index) ? [] : [line]));
  return lines.join('\n');
}

/** `haproxy -c` on a config file: its verdict, as HAProxy prints it. */
export function checkConfig(path: string): { ok: boolean; output: string } {
  const result = spawnSync(HAPROXY_BIN, ['-c', '-f', path], { encoding: 'utf8', timeout: 10_000 });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}`.trim() };
}

export interface RunningHaproxy {
  port: number;
  /** ws://127.0.0.1:PORT */
  url: string;
  stderr(): string;
  /** Each node's state as HAProxy's runtime API reports it ("UP", "DOWN", …), by name. */
  nodeStates(): Promise<Record<string, string>>;
  /** The relays backend's "show stat" row (the backend as a whole) as column → value. */
  backendStats(): Promise<Record<string, string>>;
  /** One runtime API command ("disable health relays/relay2"); resolves with the answer. */
  runtime(command: string): Promise<string>;
  /** Stops HAProxy (TERM, then KILL after 5 s) and removes its temp dir. */
  stop(): Promise<void>;
}

/** Starts HAProxy in front of `nodePorts`; resolves once every node has passed a health check. */
export async function startHaproxy(nodePorts: number[], options: { checkInterval?: string; timeoutMs?: number } = {}): Promise<RunningHaproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'weather-haproxy-'));
  const port = await freePort();
  const runtimeSocket = join(dir, 'admin.sock');
  const configPath = join(dir, 'haproxy.cfg');
  writeFileSync(
    configPath,
    renderTestConfig(readFileSync(DEPLOY_HAPROXY_CONFIG, 'utf8'), { port, nodePorts, runtimeSocket, checkInterval: options.checkInterval ?? '100ms' }),
  );
  // -db: stay in the foreground as one process, so killing it ends everything.
  const child = spawn(HAPROXY_BIN, ['-db', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-STDERR_KEPT);
  });
  const exited = new Promise<number | string>((resolvePromise) => {
    child.once('exit', (code, signal) => resolvePromise((code ?? signal)!));
    child.once('error', (error) => resolvePromise(error.message)); // e.g. no haproxy binary: it never ran
  });

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      try {
        await within(exited, 5000, 'haproxy exiting on SIGTERM');
      } catch {
        child.kill('SIGKILL');
        await within(exited, 5000, 'haproxy exiting on SIGKILL');
      }
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const runtime = (command: string) => runtimeCommand(runtimeSocket, command);
  const stats = async () => parseStats(await runtime('show stat'));
  const nodeStates = async () =>
    Object.fromEntries(Object.entries(await stats()).flatMap(([name, row]) => (name === 'BACKEND' ? [] : [[name, row.status]])));
  const backendStats = async () => (await stats()).BACKEND;
  try {
    await ready(port, nodeStates, nodePorts.length, exited, options.timeoutMs ?? 10_000);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}; haproxy said: ${stderr}`);
  }
  return { port, url: `ws://127.0.0.1:${port}`, stderr: () => stderr, nodeStates, backendStats, runtime, stop };
}

/**
 * Waits until HAProxy listens and has seen every node pass a health check (until its first
 * check, a node counts as up without having been seen), or throws.
 */
async function ready(
  port: number,
  nodeStates: () => Promise<Record<string, string>>,
  nodes: number,
  exited: Promise<number | string>,
  timeoutMs: number,
): Promise<void> {
  let gone: number | string | undefined;
  void exited.then((code) => (gone = code));
  const deadline = Date.now() + timeoutMs;
  let states: Record<string, string> = {};
  for (;;) {
    if (await accepts(port)) {
      states = await nodeStates();
      if (Object.values(states).length === nodes && Object.values(states).every((state) => state === 'UP')) return;
    }
    if (gone !== undefined) throw new Error(`haproxy exited (${gone}) before it was ready`);
    if (Date.now() > deadline) throw new Error(`haproxy was not ready within ${timeoutMs} ms (nodes: ${JSON.stringify(states)})`);
    await delay(20);
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.on('error', () => resolvePromise(false));
  });
}

/** One command on the runtime API socket; HAProxy answers and closes. */
function runtimeCommand(path: string, command: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(path, () => socket.write(`${command}\n`));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`haproxy's runtime API did not answer "${command}" within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      resolvePromise(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** `show stat` CSV → the relays backend's rows (its nodes by name, and BACKEND) as column → value. */
function parseStats(csv: string): Record<string, Record<string, string>> {
  const [header, ...rows] = csv.trim().split('\n');
  const columns = header.replace(/^# /, '').split(',');
  if (!columns.includes('pxname') || !columns.includes('svname') || !columns.includes('status')) {
    throw new Error(`unexpected "show stat" answer: ${csv.slice(0, 200)}`);
  }
  const stats: Record<string, Record<string, string>> = {};
  for (const values of rows.map((line) => line.split(','))) {
    const row = Object.fromEntries(columns.map((column, index) => [column, values[index]]));
    if (row.pxname === BACKEND) stats[row.svname] = row;
  }
  return stats;
}
