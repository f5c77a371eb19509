// Makes sure the system packages that the tests need are present:
//   /usr/bin/chromium     - the headless browser that drives the VS Code workbench
//   libkrb5-dev           - headers needed to compile code-server's `kerberos` module
//   openssl               - makes the self-signed certificate of the TLS test
//   /usr/bin/redis-server - the cluster tests' Redis
//   /usr/sbin/haproxy     - the cluster tests' load balancer
//   /usr/bin/systemd-analyze - verifies the relay's systemd units (Debian's systemd package)
//   /usr/bin/strace       - the system calls the relay makes, checked against its unit's filter
// When something is missing and we are root on Debian/Ubuntu, installs it with apt-get
// (bounded in time), without starting redis-server or haproxy as system services: the
// tests start their own. Otherwise prints what to run and exits non-zero.
// Plain Node, no dependencies; runs in a few milliseconds when everything is present.
//
// Usage: node scripts/ensure-system.mjs          (for `npm test`: all of the above)
//        node scripts/ensure-system.mjs start    (for `npm start`: only what starting needs;
//            nothing when `code` is on PATH or the VS Code server cache is already built)
// Set WEATHER_SKIP_SYSTEM_CHECK=1 to skip the check entirely.
import { homedir } from 'node:os';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const APT_TIMEOUT_MS = 15 * 60 * 1000;
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const mode = process.argv[2] === 'start' ? 'start' : 'test';

if (process.env.WEATHER_SKIP_SYSTEM_CHECK === '1') process.exit(0);
if (process.platform !== 'linux') {
  // The harness is Linux-only; elsewhere `npm start` uses a local `code`, tests will say what is missing.
  process.exit(0);
}

const onPath = (name) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, name)));
const cacheDir = process.env.WEATHER_VSCODE_CACHE
  ? resolve(process.env.WEATHER_VSCODE_CACHE)
  : join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'weather-assistant-live', 'vscode-server');
const serverCached = existsSync(join(cacheDir, 'installed.json'));
const krb5Present = () => existsSync('/usr/include/gssapi/gssapi.h') && existsSync('/usr/include/krb5.h');
/** Packages that start a system service on install, which the tests must not get. */
const SERVICES = ['redis-server', 'haproxy'];

/** [apt package, human description, is it there now?] for what is missing. */
const needed = [];
if (mode === 'test') {
  needed.push(
    ['chromium', '/usr/bin/chromium (drives the VS Code workbench in tests)', () => existsSync('/usr/bin/chromium')],
    ['openssl', 'openssl (makes a self-signed certificate for the TLS test)', () => onPath('openssl')],
    ['libkrb5-dev', 'krb5 headers (to build the VS Code server)', () => serverCached || krb5Present()],
    ['redis-server', '/usr/bin/redis-server (Redis for the cluster tests)', () => existsSync('/usr/bin/redis-server')],
    ['haproxy', '/usr/sbin/haproxy (the load balancer of the cluster tests)', () => existsSync('/usr/sbin/haproxy')],
    ['systemd', "/usr/bin/systemd-analyze (verifies the relay's systemd units)", () => existsSync('/usr/bin/systemd-analyze')],
    ['strace', "/usr/bin/strace (shows the system calls the relay makes, for its unit's filter)", () => existsSync('/usr/bin/strace')],
  );
} else {
  needed.push(['libkrb5-dev', 'krb5 headers (to build the VS Code server)', () => onPath('code') || serverCached || krb5Present()]);
}
const missing = needed.filter(([, , present]) => !present());
if (missing.length === 0) process.exit(0);

const packages = missing.map(([pkg]) => pkg);
const command = `apt-get update && apt-get install -y ${packages.join(' ')}`;
console.log(`System packages missing: ${missing.map(([, what]) => what).join('; ')}.`);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = existsSync('/usr/bin/apt-get') && existsSync('/etc/debian_version');
if (!isRoot || !hasApt) {
  console.error(
    hasApt
      ? `Please install them as root, then rerun:\n    sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`
      : `This is not a Debian-like system: please install ${missing.map(([, what]) => what).join('; ')} with your package manager, then rerun.`,
  );
  process.exit(1);
}

const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
class AptFailure extends Error {
  constructor(message, exitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}
function apt(args) {
  console.log(`  $ apt-get ${args.join(' ')}`);
  const started = Date.now();
  const result = spawnSync('apt-get', args, { stdio: ['ignore', 'pipe', 'pipe'], env, timeout: APT_TIMEOUT_MS, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trimEnd();
  if (result.error?.code === 'ETIMEDOUT' || result.signal) {
    throw new AptFailure(`${output.split('\n').slice(-20).join('\n')}\napt-get ${args[0]} did not finish within ${APT_TIMEOUT_MS / 60000} minutes; aborted.`, 1);
  }
  if (result.status !== 0) {
    throw new AptFailure(`${output.split('\n').slice(-30).join('\n')}\napt-get ${args[0]} failed (exit ${result.status}); try by hand:\n    ${command}`, result.status ?? 1);
  }
  console.log(`    done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/**
 * Runs `install` with a policy-rc.d answering 101 ("action forbidden"), so Debian's
 * maintainer scripts (invoke-rc.d, deb-systemd-invoke) start no service; puts back whatever
 * policy-rc.d was there before. Under systemd, also undoes the enabling at boot of the
 * services it installed.
 */
function withoutServiceStarts(install) {
  const policy = '/usr/sbin/policy-rc.d';
  const saved = `${policy}.weather-ensure-system`;
  const hadPolicy = existsSync(policy);
  if (hadPolicy) renameSync(policy, saved);
  try {
    writeFileSync(policy, '#!/bin/sh\nexit 101\n');
    chmodSync(policy, 0o755);
    install();
  } finally {
    rmSync(policy, { force: true });
    if (hadPolicy) renameSync(saved, policy);
  }
  const installed = SERVICES.filter((pkg) => packages.includes(pkg));
  if (installed.length > 0 && existsSync('/run/systemd/system')) {
    spawnSync('systemctl', ['disable', '--now', '--quiet', ...installed], { stdio: 'inherit', timeout: 60_000 });
  }
}

console.log(`Installing ${packages.join(', ')} with apt-get (a minute or two)…`);
try {
  withoutServiceStarts(() => {
    apt(['update', '-qq']);
    apt(['install', '-y', '-qq', '--no-install-recommends', ...packages]);
  });
} catch (error) {
  if (!(error instanceof AptFailure)) throw error;
  console.error(error.message);
  process.exit(error.exitCode);
}

const stillMissing = missing.filter(([, , present]) => !present()).map(([, what]) => what);
if (stillMissing.length) {
  console.error(`apt-get succeeded but these are still missing: ${stillMissing.join('; ')}`);
  process.exit(1);
}
console.log('System packages ready.');
