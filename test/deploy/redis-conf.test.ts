// deploy/redis.conf is what the tests' redis-server runs (test/support/redis-server.ts): every
// setting it makes is in effect there, under the test's own port and directory. And the way
// the file tells users to install it, included at the end of Debian's /etc/redis/redis.conf,
// its settings win over Debian's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEPLOY_REDIS_CONFIG, startRedisServer, type RedisServer } from '../support/redis-server';

const DEBIAN_REDIS_CONFIG = '/etc/redis/redis.conf';

/** The directives of a redis.conf: [name, value] for each line that is not a comment. */
function directives(text: string): Array<[string, string]> {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [name, ...value] = line.split(/\s+/);
      return [name.toLowerCase(), value.join(' ')];
    });
}

/** CONFIG GET `name` on the server, through Debian's redis-cli. */
function configGet(server: RedisServer, name: string): string {
  const result = spawnSync('redis-cli', ['-p', String(server.port), 'config', 'get', name], { encoding: 'utf8', timeout: 5000 });
  assert.equal(result.status, 0, `redis-cli: ${result.stderr}${result.error ?? ''}`);
  const [key, value] = result.stdout.split('\n');
  assert.equal(key, name, `CONFIG GET ${name} answered ${JSON.stringify(result.stdout)}`);
  return value;
}

/** Asserts that every directive of deploy/redis.conf is in effect on `server`. */
function assertDeploySettings(server: RedisServer): void {
  for (const [name, value] of directives(readFileSync(DEPLOY_REDIS_CONFIG, 'utf8'))) {
    assert.equal(configGet(server, name), value, `${name} as deploy/redis.conf sets it`);
  }
}

test('deploy/redis.conf holds the settings the cluster docs ask for, and the tests run Redis with every one of them', async (t) => {
  const settings = Object.fromEntries(directives(readFileSync(DEPLOY_REDIS_CONFIG, 'utf8')));
  assert.equal(settings.appendonly, 'yes');
  assert.equal(settings.appendfsync, 'always');
  assert.equal(settings['maxmemory-policy'], 'noeviction');
  const server = await startRedisServer();
  t.after(() => server.stop());
  assertDeploySettings(server);
  assert.equal(configGet(server, 'port'), String(server.port), "the test's own port wins over the file");
  assert.match(configGet(server, 'dir'), /weather-redis-/, "…and its own directory");
});

test("deploy/redis.conf included at the end of Debian's redis.conf, as its comment says, wins over Debian's settings", async (t) => {
  try {
    accessSync(DEBIAN_REDIS_CONFIG, constants.R_OK);
  } catch {
    t.skip(`${DEBIAN_REDIS_CONFIG} is not readable here (it is root's and redis's)`);
    return;
  }
  const debian = readFileSync(DEBIAN_REDIS_CONFIG, 'utf8');
  assert.match(debian, /^appendonly no$/m, "Debian's file turns AOF off, which the include must override");
  const dir = mkdtempSync(join(tmpdir(), 'weather-redis-conf-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // A copy without Debian's paths on this machine: Redis opens the log file and changes to
  // the directory while reading them, before the test's own settings would replace them.
  const copy = `${debian.replace(/^(logfile|pidfile|dir) /gm, '# $1 ')}\ninclude ${DEPLOY_REDIS_CONFIG}\n`;
  writeFileSync(join(dir, 'redis.conf'), copy);
  const server = await startRedisServer({ configFile: join(dir, 'redis.conf') });
  t.after(() => server.stop());
  assertDeploySettings(server);
});
