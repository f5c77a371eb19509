// deploy/weather-relay@.service and deploy/relay.env against systemd and the real relay: the
// unit passes `systemd-analyze verify`, and its command line, with its instance name as the
// port and the env file's example flags, starts a node the way systemd would, gated by the
// token variable the env file documents. (deploy/weather-relay.service, the single relay:
// test/deploy/single-relay-unit.test.ts.)
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { unusedPort as freePort } from '../support/ports';
import { spawnRelayCommand } from '../support/relay-process';
import { expandCommandLine, localPaths, readDeployFile, serviceEnvironment, serviceSetting, verifyUnit } from '../support/systemd-unit';
import { WsPeer } from '../support/ws-peer';

const UNIT = 'weather-relay@.service';

test('systemd-analyze verify finds nothing to say about weather-relay@.service (an instance of it, with its paths made local)', () => {
  const { status, output } = verifyUnit(UNIT, readDeployFile(UNIT), '4001');
  assert.equal(output, '', 'no warnings or errors');
  assert.equal(status, 0);
});

test("the systemd unit's command line starts a node on 127.0.0.1:%i with the env file's example flags and token", async () => {
  const unit = readDeployFile(UNIT);
  const envFile = readDeployFile('relay.env');
  const execStart = serviceSetting(unit, 'ExecStart');
  assert.match(execStart, /^\/usr\/bin\/node \/opt\/weather-relay\/dist\/relay\.js /);
  assert.equal(serviceSetting(unit, 'EnvironmentFile'), '/etc/weather-relay/relay.env');
  assert.match(envFile, /^#WEATHER_RELAY_TOKEN=$/m, 'the env file documents the token variable the relay reads');
  const exampleArgs = /^#WEATHER_RELAY_ARGS=(.+)$/m.exec(envFile)![1].trim();

  const port = await freePort();
  const token = 'unit-test-token';
  // The env file as a user fills it in: the token, and its first example flags.
  const env = serviceEnvironment(unit, `${envFile}\nWEATHER_RELAY_TOKEN=${token}\nWEATHER_RELAY_ARGS=${exampleArgs}\n`);
  const command = expandCommandLine(localPaths(execStart), env as Record<string, string>, { i: String(port) });
  assert.equal(command[1], resolve(__dirname, '../../../dist/relay.js'));
  assert.deepEqual(command.slice(-exampleArgs.split(' ').length), exampleArgs.split(' '), '$WEATHER_RELAY_ARGS became its words');
  const relay = await spawnRelayCommand(command, { env, cwd: '/' });
  try {
    assert.equal(relay.firstLine, `weather-relay listening on ws://127.0.0.1:${port}`);
    await assert.rejects(WsPeer.open(relay.url), /Unexpected server response: 401/);
    const peer = await WsPeer.open(relay.url, { headers: { authorization: `Bearer ${token}` } });
    assert.deepEqual(await peer.subscribe('weather-update'), { type: 'subscribed', payload: { channel: 'weather-update', message: 'subscribed' } });
    await peer.close();
  } finally {
    await relay.stop();
  }
});
