// deploy/weather-relay@.service and deploy/relay.env against the real relay: the unit's
// command line, with its instance name as the port and the env file's example flags, must
// start a node the way systemd would, and the token variable it documents must gate it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { unusedPort as freePort } from '../support/ports';
import { spawnRelay } from '../support/relay-process';
import { WsPeer } from '../support/ws-peer';

const DEPLOY = resolve(__dirname, '../../../deploy');

test("the systemd unit's command line starts a node on 127.0.0.1:%i with the env file's example flags and token", async () => {
  const unit = readFileSync(resolve(DEPLOY, 'weather-relay@.service'), 'utf8');
  const env = readFileSync(resolve(DEPLOY, 'relay.env'), 'utf8');
  const [node, script, ...words] = /^ExecStart=(.+)$/m.exec(unit)![1].trim().split(/\s+/);
  assert.equal(node, '/usr/bin/node');
  assert.match(script, /\/dist\/relay\.js$/);
  assert.match(unit, /^EnvironmentFile=\/etc\/weather-relay\/relay\.env$/m);
  assert.match(env, /^#WEATHER_RELAY_TOKEN=$/m, 'the env file documents the token variable the relay reads');
  const exampleArgs = /^#WEATHER_RELAY_ARGS=(.+)$/m.exec(env)![1].trim().split(/\s+/);

  const port = await freePort();
  // systemd splits an unbraced $VARIABLE into words, and %i is the instance name.
  const args = words.flatMap((word) => (word === '$WEATHER_RELAY_ARGS' ? exampleArgs : [word.replaceAll('%i', String(port))]));
  const token = 'unit-test-token';
  process.env.WEATHER_RELAY_TOKEN = token; // the relay process inherits it, as from EnvironmentFile
  const relay = await spawnRelay(args).finally(() => delete process.env.WEATHER_RELAY_TOKEN);
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
