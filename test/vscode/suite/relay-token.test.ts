// Issue 11: a relay that requires a token, over wss:// with a certificate from a private CA.
// The token is set through Set Relay Token and kept for that relay's origin; the CA comes
// from server.caFile. A wrong token is refused and not retried; another relay never gets
// the token.
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { startRelay, type RunningRelay } from '../../../src/relay';
import { mintToken } from '../../../src/relay/auth/mint-token';
import { makeTestCa, type TestCa } from '../../support/test-ca';
import { textReply } from '../../fakes/openai-scenarios';
import { api, connectedTo, delay, fakes, rememberSettings, requireFixture, setSetting, statusBarMatching, waitFor, type ExtensionApi, type Fixture } from './fixture';

const SECRET = 'the-vscode-suite-relay-secret-32-bytes!!';
const CHANNEL = 'weather-update';

suite('relay token and private CA (Set Relay Token, server.caFile)', () => {
  let fx: Fixture;
  let ext: ExtensionApi;
  let saved: ReturnType<typeof rememberSettings>;
  let ca: TestCa;
  let relay: RunningRelay;
  let uri: string;
  let other: Server;
  let otherUri: string;
  const otherUpgrades: IncomingHttpHeaders[] = [];

  suiteSetup(async function () {
    fx = requireFixture(this);
    ext = await api();
    await connectedTo(ext, fx.relayA);
    saved = rememberSettings('server.uri', 'server.caFile', 'server.autoStart');
    ca = makeTestCa();
    const issued = ca.issue('relay');
    relay = await startRelay({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 0, jwt: { secret: SECRET }, tls: { cert: issued.cert, key: issued.key } });
    uri = `wss://localhost:${relay.port}`;
    // Another "relay" that records what each upgrade carried, then refuses it.
    other = createServer();
    other.on('upgrade', (request, socket) => {
      otherUpgrades.push(request.headers);
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', () => resolve()));
    otherUri = `ws://127.0.0.1:${(other.address() as AddressInfo).port}`;
  });

  suiteTeardown(async () => {
    if (!fx) return;
    await setSetting('server.uri', uri);
    await vscode.commands.executeCommand('weatherAssistant.setRelayToken', '');
    await saved.restore();
    await connectedTo(ext, fx.relayA, CHANNEL);
    await relay.close();
    await new Promise<void>((resolve) => other.close(() => resolve()));
    ca.dispose();
  });

  test('with the CA from server.caFile and the token from Set Relay Token, the window connects and subscribes', async () => {
    await setSetting('server.autoStart', false);
    await setSetting('server.caFile', ca.caFile);
    await setSetting('server.uri', uri);
    // No token yet: the relay refuses it, and the window stops trying.
    await waitFor('the refusal without a token', () => ext.connection.status.halted === 'refused' && ext.connection.status.uri === uri);
    assert.match(ext.connection.status.problem ?? '', /HTTP 401/);
    const token = await mintToken({ secret: SECRET, sub: 'vscode', subscribe: [CHANNEL], publish: [CHANNEL], ttlSeconds: 600 });
    await vscode.commands.executeCommand('weatherAssistant.setRelayToken', token);
    await connectedTo(ext, uri, CHANNEL);
    await waitFor('the relay to hold the subscription', () => relay.gauges().subscriptions === 1);
  });

  test('a wrong token is refused once and not retried', async () => {
    const refusedBefore = relay.metrics.errors.get('unauthorized') ?? 0;
    await vscode.commands.executeCommand('weatherAssistant.setRelayToken', 'not-a-token-of-this-relay');
    await waitFor('the refusal', () => ext.connection.status.halted === 'refused');
    assert.match(ext.connection.status.problem ?? '', /refused the token \(HTTP 401 Unauthorized\): the token is not a well-formed JWT/);
    await delay(1500);
    assert.equal((relay.metrics.errors.get('unauthorized') ?? 0) - refusedBefore, 1, 'one attempt, no retries');
  });

  test('a watch-only token: the turn is shown here, marked not shared, and the status says why', async () => {
    const watchOnly = await mintToken({ secret: SECRET, sub: 'dashboard', subscribe: [CHANNEL], publish: [], ttlSeconds: 600 });
    await vscode.commands.executeCommand('weatherAssistant.setRelayToken', watchOnly);
    await connectedTo(ext, uri, CHANNEL);
    await fakes.resetOpenAI();
    await fakes.enqueue(textReply('Dry all week.'));
    const result = await vscode.commands.executeCommand<{ status: string; threadId: string }>('weatherAssistant.ask', 'Rain in Oslo this week?');
    assert.equal(result?.status, 'completed', JSON.stringify(result));
    const thread = await waitFor('the turn marked not shared', () => {
      const found = ext.store.snapshot().find((candidate) => candidate.threadId === result.threadId);
      return found && found.notShared > 0 && found.undelivered === 0 ? found : undefined;
    });
    assert.equal(thread.turns.at(-1)?.answer, 'Dry all week.', 'shown here');
    assert.equal(ext.connection.status.view, 'connected');
    assert.equal(ext.connection.status.warning, `not allowed to publish on ${CHANNEL}: your turns are shown here but not shared`);
    await statusBarMatching(/weather-update · connected \(watch only\)/);
  });

  test('pointing server.uri at another relay sends it no token', async () => {
    const token = await mintToken({ secret: SECRET, sub: 'vscode', subscribe: [CHANNEL], publish: [], ttlSeconds: 600 });
    await vscode.commands.executeCommand('weatherAssistant.setRelayToken', token);
    await connectedTo(ext, uri, CHANNEL);
    await setSetting('server.uri', otherUri);
    await waitFor('an upgrade at the other relay', () => otherUpgrades.length > 0);
    for (const headers of otherUpgrades) assert.equal(headers.authorization, undefined, 'no token went to the other relay');
  });
});
