/**
 * The command line as a user runs it: `node dist/cli.js …` as a child process, in a clean
 * environment (no key, base URL or proxy setting leaks in from the outer shell), its output
 * collected. Run `npm run build` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { TestContext } from 'node:test';

export const CLI = resolve(__dirname, '../../../dist/cli.js');

export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Exit code (or signal name); the process is killed if it outlives `timeoutMs`. */
  exit: Promise<number | string>;
}

export function runCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): CliRun {
  // A clean environment: no key, base URL or proxy settings leak in from the outer shell.
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', ...options.env };
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timeoutMs = options.timeoutMs ?? 15_000;
  const exit = new Promise<number | string>((resolvePromise) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise(code ?? signal ?? 'unknown');
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exit };
}

/** Kills the child if the test ends while it still runs. */
export function track(t: TestContext, run: CliRun): CliRun {
  t.after(() => {
    if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill('SIGKILL');
  });
  return run;
}
