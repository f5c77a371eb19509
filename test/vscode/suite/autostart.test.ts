// Issue 4, server.autoStart: when the relay URI is a loopback address with nothing listening,
// the extension runs the relay itself, and other clients can use it like any relay.
import assert from 'node:assert/strict';
import { suite, suiteSetup, suiteTeardown, test } from 'mocha';
import * as vscode from 'vscode';
import { textReply } from '../../fakes/openai-scenarios';
import { WsPeer } from '../../support/ws-peer';
import { api, connectedTo, fakes, freePort, healthz, rememberSettings, requireFixture, setSetting, statusBarMatching, waitFor, type ExtensionApi, type Fixture } from './fixture';

suite('server.autoStart: the embedded relay', () => {
  let fx: Fixture;
  let ext: ExtensionApi;
  let saved: ReturnType<typeof rememberSettings>;
  let uri: string;
  const peers: WsPeer[] = [];

  suiteSetup(async function () {
    fx = requireFixture(this);
    ext = await api();
    await connectedTo(ext, fx.relayA);
    saved = rememberSettings('server.uri', 'server.autoStart');
    uri = `ws://127.0.0.1:${await freePort()}`;
  });

  suiteTeardown(async () => {
    for (const peer of peers.splice(0)) await peer.close();
    await saved?.restore();
    if (fx) await connectedTo(ext, fx.relayA, 'weather-update');
  });

  test('nothing listening at a loopback URI: the extension starts the relay there', async () => {
    await setSetting('server.autoStart', true);
    await setSetting('server.uri', uri);
    const status = await waitFor('the embedded relay', () => (ext.connection.status.view === 'embedded' && ext.connection.status.uri === uri ? ext.connection.status : undefined), 10_000);
    assert.equal(status.channel, 'weather-update');
    assert.equal(ext.connection.embeddedRelayUrl, uri);
    const health = await healthz(uri);
    assert.equal(health.status, 'ok');
    assert.equal(health.subscriptions, 1, "the extension's own subscription");
    await statusBarMatching(/weather-update · relay embedded/);
  });

  test('an external client can subscribe to the embedded relay and sees the extension\'s turns', async () => {
    const subscriber = await WsPeer.open(uri);
    peers.push(subscriber);
    const reply = await subscriber.subscribe('weather-update');
    assert.deepEqual(reply, { type: 'subscribed', payload: { channel: 'weather-update', message: 'subscribed' } }, 'the seed reply, byte for byte');

    // another publisher's message reaches both the external subscriber and the extension
    const publisher = await WsPeer.open(uri);
    peers.push(publisher);
    publisher.send({ type: 'weather-update', payload: { message: 'from outside', timestamp: Math.floor(Date.now() / 1000), thread_id: 'outside-thread', type: 'response', status: 'completed' } });
    await subscriber.until(() => subscriber.messages.some((m) => m.payload?.thread_id === 'outside-thread'), 5000, 'the outside message');
    await waitFor('the outside message in the store', () => ext.store.snapshot().find((t) => t.threadId === 'outside-thread' && t.origin === 'remote'));

    // and the extension's own turn reaches the external subscriber
    await fakes.resetOpenAI();
    await fakes.enqueue(textReply('Served by the embedded relay.'));
    const result = await vscode.commands.executeCommand<{ threadId: string; status: string }>('weatherAssistant.ask', 'Who relays this?');
    assert.equal(result?.status, 'completed');
    const completed = await waitFor('the completed answer on the external subscriber', () =>
      subscriber.messages.find((m) => m.payload?.thread_id === result.threadId && m.payload?.status === 'completed'),
    );
    assert.equal(completed.payload.message, 'Served by the embedded relay.');
    await waitFor('every local event echoed', () => ext.store.snapshot().find((t) => t.threadId === result.threadId)?.undelivered === 0);
  });

  test('moving to another relay stops the embedded one', async () => {
    await saved.restore();
    await connectedTo(ext, fx.relayA, 'weather-update');
    assert.equal(ext.connection.embeddedRelayUrl, undefined);
    await waitFor('the embedded relay to close its port', () => WsPeer.open(uri).then((peer) => (peer.close(), false), () => true));
  });
});
