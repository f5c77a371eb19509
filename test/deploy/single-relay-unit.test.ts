// deploy/weather-relay.service, the single relay for a team, and deploy/relay.env against
// systemd and the real relay: `systemd-analyze verify` passes it (and does catch a broken
// unit), its hardening is the template's, its command line starts a relay on every
// interface with the env file's signed-token secret; with the env file's TLS flags it serves
// wss://, and after the unit's ExecReload the renewed certificate files, while open
// connections stay; and every system call the relay makes is one its filter allows.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { unusedPort as freePort } from '../support/ports';
import { RELAY_BIN, spawnRelayCommand } from '../support/relay-process';
import {
  expandCommandLine,
  localPaths,
  readDeployFile,
  serviceEnvironment,
  serviceSetting,
  unitSettings,
  verifyUnit,
} from '../support/systemd-unit';
import { makeTestCa, type IssuedCertificate } from '../support/test-ca';
import { delay, waitUntil, within } from '../support/wait';
import { WsPeer } from '../support/ws-peer';

const UNIT = 'weather-relay.service';

/** The unit's ExecStart as systemd would run it with `envFile`, on this machine; and that environment. */
function unitCommand(envFile: string): { command: string[]; env: NodeJS.ProcessEnv } {
  const unit = readDeployFile(UNIT);
  const env = serviceEnvironment(unit, envFile);
  return { command: expandCommandLine(localPaths(serviceSetting(unit, 'ExecStart')), env as Record<string, string>), env };
}

/** The hardening block of a unit: from DynamicUser= to the end of [Service]. */
function hardening(unit: string): string {
  const block = /^DynamicUser=yes$[\s\S]*?(?=^\[Install\]$)/m.exec(unit);
  assert.ok(block, 'the unit has a hardening block starting at DynamicUser=yes');
  return block[0];
}

test('systemd-analyze verify finds nothing to say about weather-relay.service (with its paths made local)', () => {
  const { status, output } = verifyUnit(UNIT, readDeployFile(UNIT));
  assert.equal(output, '', 'no warnings or errors');
  assert.equal(status, 0);
});

test('systemd-analyze verify, as these tests run it, does catch a broken unit', () => {
  const unit = readDeployFile(UNIT);
  const misspelled = verifyUnit(UNIT, unit.replace(/^Restart=/m, 'Restrat='));
  assert.match(misspelled.output, /Unknown key 'Restrat' in section \[Service\]/);
  const badValue = verifyUnit(UNIT, unit.replace(/^ProtectSystem=strict$/m, 'ProtectSystem=stric'));
  assert.match(badValue.output, /Failed to parse protect system value/);
  const noProgram = verifyUnit(UNIT, unit.replace(/^ExecReload=\/bin\/kill /m, 'ExecReload=/bin/no-such-kill '));
  assert.match(noProgram.output, /Command \/bin\/no-such-kill is not executable/);
  assert.notEqual(noProgram.status, 0);
  // The template too: verified through an instance, its commands are checked.
  const template = readDeployFile('weather-relay@.service').replace(/^ExecStart=\/usr\/bin\/node /m, 'ExecStart=/usr/bin/no-such-node ');
  assert.match(verifyUnit('weather-relay@.service', template, '4001').output, /Command \/usr\/bin\/no-such-node is not executable/);
});

test('the single relay and the template share one hardening block, kept word for word', () => {
  const single = hardening(readDeployFile(UNIT));
  assert.equal(single, hardening(readDeployFile('weather-relay@.service')));
  assert.match(single, /^SystemCallFilter=@system-service$/m);
  assert.match(single, /^NoNewPrivileges=yes$/m);
  assert.match(single, /^ProtectSystem=strict$/m);
});

test("the unit's command line: a relay on every interface, port 4000 unless WEATHER_RELAY_ARGS says otherwise, taking the env file's signed tokens", async () => {
  const envFile = readDeployFile('relay.env');
  assert.match(envFile, /^#WEATHER_RELAY_JWT_SECRET=$/m, 'the env file documents the secret variable the relay reads');
  assert.deepEqual(expandCommandLine(serviceSetting(readDeployFile(UNIT), 'ExecStart'), {}).slice(2), ['--host', '0.0.0.0', '--port', '4000']);
  const port = await freePort();
  const secret = execFileSync('openssl', ['rand', '-base64', '48'], { encoding: 'utf8' }).trim();
  // The env file as a user fills it in: the secret, and another port (4000 may be taken here).
  const { command, env } = unitCommand(`${envFile}\nWEATHER_RELAY_JWT_SECRET=${secret}\nWEATHER_RELAY_ARGS=--port ${port}\n`);
  const relay = await spawnRelayCommand(command, { env, cwd: '/' });
  try {
    assert.equal(relay.firstLine, `weather-relay listening on ws://0.0.0.0:${port}`, 'the last --port counts');
    assert.match(relay.stderr(), /signed tokens \(HS256/);
    const url = `ws://127.0.0.1:${port}`;
    await assert.rejects(WsPeer.open(url), /Unexpected server response: 401/);
    // A token minted as the README says: `weather-relay token` with the same secret in its environment.
    const token = execFileSync(process.execPath, [RELAY_BIN, 'token', '--sub', 'alice', '--subscribe', 'weather-*', '--ttl', '1h'], {
      env: { PATH: env.PATH, WEATHER_RELAY_JWT_SECRET: secret },
      encoding: 'utf8',
    }).trim();
    const peer = await WsPeer.open(url, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await peer.subscribe('weather-update')).type, 'subscribed');
    await peer.close();
  } finally {
    await relay.stop();
  }
});

test("with the env file's TLS flags the relay serves wss://, and after the unit's ExecReload the renewed certificate, keeping open connections", async (t) => {
  const { relay, port, ca, first, second, install } = await startTlsRelay(t);
  t.after(() => relay.stop());
  assert.equal(relay.firstLine, `weather-relay listening on wss://0.0.0.0:${port}`);

  const fingerprint = (issued: IssuedCertificate) => new X509Certificate(issued.cert).fingerprint256;
  assert.equal(await servedFingerprint(port, ca.ca), fingerprint(first));
  const open = await WsPeer.open(`wss://127.0.0.1:${port}`, { ca: ca.ca });
  assert.equal((await open.subscribe('weather-update')).type, 'subscribed');

  install(second);
  reload(relay.child.pid!);
  const deadline = Date.now() + 5000;
  while ((await servedFingerprint(port, ca.ca)) !== fingerprint(second)) {
    assert.ok(Date.now() < deadline, `the renewed certificate was not served within 5 s; relay said: ${relay.stderr()}`);
    await delay(50);
  }
  assert.match(relay.stderr(), /SIGHUP: reloaded the TLS certificate and key/);
  assert.equal(relay.child.exitCode, null, 'still running');
  assert.equal(open.closeCode, undefined, 'the connection opened before the reload is still open');
  assert.equal((await open.subscribe('weather-alerts')).type, 'subscribed', '…and still answered');
  await open.close();
});

// The unit's system call filter kills (or, with SystemCallErrorNumber=, refuses) any call
// outside its list, and nothing short of running the relay under it shows what Node calls:
// V8's pkey_alloc, outside @system-service, once killed the relay at start (SIGSYS). So the
// relay runs under strace through its life as a service, and every call it made must be in
// the list systemd builds from the unit's SystemCallFilter= lines.
test("every system call the relay makes as a service (start, wss://, a subscriber and a publisher, reload, stop) is one the unit's SystemCallFilter= allows", async (t) => {
  assert.ok(existsSync(STRACE), `${STRACE} is missing: apt-get install strace`);
  const allowed = allowedSystemCalls(readDeployFile(UNIT));
  assert.ok(allowed.has('read') && allowed.has('epoll_wait'), 'the allow list was read, its groups expanded');
  const trace = join(mkdtempSync(join(tmpdir(), 'weather-unit-strace-')), 'trace');
  t.after(() => rmSync(dirname(trace), { recursive: true, force: true }));
  const { relay, port, ca, second, install } = await startTlsRelay(t, (command) => [STRACE, '-f', '-qq', '-o', trace, ...command]);
  t.after(() => relay.stop('SIGKILL'));
  // strace's first line is the relay's execve, under its own process id.
  const relayPid = Number(/^(\d+) /.exec(readFileSync(trace, 'utf8'))![1]);

  const url = `wss://127.0.0.1:${port}`;
  const [subscriber, publisher] = [await WsPeer.open(url, { ca: ca.ca }), await WsPeer.open(url, { ca: ca.ca })];
  assert.equal((await subscriber.subscribe('weather-update')).type, 'subscribed');
  publisher.send('{"type":"weather-update","payload":{"message":"Sunny, 21 °C","timestamp":1700000000,"thread_id":"thread_unit","type":"response"}}');
  assert.match(JSON.stringify(await subscriber.next()), /Sunny/);
  for (const path of ['/healthz', '/metrics']) {
    assert.equal((await fetchOverTls(port, ca.ca, path)).status, 200);
  }
  install(second);
  reload(relayPid);
  await waitUntil(() => relay.stderr().includes('SIGHUP: reloaded'), 10_000, 'the reload');
  await Promise.all([subscriber.close(), publisher.close()]);
  process.kill(relayPid, 'SIGTERM');
  assert.equal(await within(relay.stop(), 15_000, 'the relay and strace exiting'), 0, `exit code; relay said: ${relay.stderr()}`);

  const called = new Set([...readFileSync(trace, 'utf8').matchAll(/^\d+ +(?:<\.\.\. )?([a-z0-9_]+)[( ]/gm)].map((match) => match[1]));
  assert.ok(called.has('execve') && called.has('accept4') && called.size > 30, `the trace holds the relay's calls: ${[...called].join(' ')}`);
  assert.deepEqual([...called].filter((name) => !allowed.has(name)).sort(), [], 'system calls outside SystemCallFilter=');
});

const STRACE = '/usr/bin/strace';

/**
 * The unit's command line with the env file's TLS example flags, their files in a temp dir
 * (certificates for 127.0.0.1 from a test CA) and another port; `wrap` may put something in
 * front of the command. `install` puts another certificate in place of the files.
 */
async function startTlsRelay(t: TestContext, wrap: (command: string[]) => string[] = (command) => command) {
  const ca = makeTestCa();
  t.after(() => ca.dispose());
  const [first, second] = [ca.issue('first'), ca.issue('second')];
  const dir = mkdtempSync(join(tmpdir(), 'weather-unit-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const envFile = readDeployFile('relay.env');
  const tlsExample = /^#WEATHER_RELAY_ARGS=(.*--tls-cert.*)$/m.exec(envFile)?.[1];
  assert.ok(tlsExample, 'the env file shows the TLS flags');
  const [certPath, keyPath] = [/--tls-cert (\S+)/.exec(tlsExample)![1], /--tls-key (\S+)/.exec(tlsExample)![1]];
  assert.deepEqual([certPath, keyPath], ['/etc/weather-relay/tls/cert.pem', '/etc/weather-relay/tls/key.pem']);
  const local = (path: string) => join(dir, basename(path));
  const install = (issued: IssuedCertificate) => {
    copyFileSync(issued.certFile, local(certPath));
    copyFileSync(issued.keyFile, local(keyPath));
  };
  install(first);
  const port = await freePort();
  const args = tlsExample.replace(certPath, local(certPath)).replace(keyPath, local(keyPath));
  const { command, env } = unitCommand(`${envFile}\nWEATHER_RELAY_ARGS=${args} --port ${port}\n`);
  const relay = await spawnRelayCommand(wrap(command), { env, cwd: '/', timeoutMs: 20_000 });
  return { relay, port, ca, first, second, install };
}

/** The system calls a unit's SystemCallFilter= lines allow (allow lists only), groups expanded by systemd-analyze. */
function allowedSystemCalls(unit: string): Set<string> {
  const allowed = new Set<string>();
  const add = (name: string, seen: Set<string>) => {
    if (!name.startsWith('@')) {
      allowed.add(name);
      return;
    }
    if (seen.has(name)) return;
    seen.add(name);
    const result = spawnSync('/usr/bin/systemd-analyze', ['syscall-filter', name], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(result.status, 0, `systemd-analyze syscall-filter ${name}: ${result.stderr}`);
    for (const line of result.stdout.split('\n').slice(1)) {
      const word = line.trim();
      if (word !== '' && !word.startsWith('#')) add(word, seen);
    }
  };
  for (const value of unitSettings(unit, 'Service', 'SystemCallFilter')) {
    assert.ok(!value.startsWith('~'), `a deny list is not understood here: SystemCallFilter=${value}`);
    for (const word of value.split(/\s+/)) add(word, new Set());
  }
  return allowed;
}

/** GET `path` from the relay over TLS: its status. */
function fetchOverTls(port: number, ca: string, path: string): Promise<{ status: number | undefined }> {
  return new Promise((resolvePromise, reject) => {
    httpsGet({ host: '127.0.0.1', port, path, ca, servername: 'localhost', agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolvePromise({ status: response.statusCode }));
    }).on('error', reject);
  });
}

/** Runs the unit's ExecReload= as systemd would, with $MAINPID the relay's process id. */
function reload(mainPid: number): void {
  const line = serviceSetting(readDeployFile(UNIT), 'ExecReload');
  assert.equal(line, '/bin/kill -HUP $MAINPID');
  const [program, ...args] = expandCommandLine(line, { MAINPID: String(mainPid) });
  const result = spawnSync(program, args, { encoding: 'utf8', timeout: 5000 });
  assert.equal(result.status, 0, `${line}: ${result.stderr}`);
}

/** SHA-256 fingerprint of the certificate a new TLS connection to 127.0.0.1:`port` is shown. */
function servedFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolvePromise(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.on('error', reject);
    socket.setTimeout(3000, () => socket.destroy(new Error('no TLS handshake within 3 s')));
  });
}
