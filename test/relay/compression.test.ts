// The relay writes pre-encoded frames straight to the socket, which is only correct while
// ws never compresses (compression makes ws queue its own frames). Enforced, not commented:
// the one factory of the relay's ws server refuses compression, and a client offering
// permessage-deflate to a relay process gets no extension.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createWebSocketServer } from '../../src/relay/websocket-server';
import { rawExchange, spawnRelay } from '../support/relay-process';
import { WsPeer } from '../support/ws-peer';

test('building the relay’s ws server with compression is refused with a clear error', () => {
  for (const perMessageDeflate of [true, {}, { threshold: 0 }]) {
    assert.throws(() => createWebSocketServer({ noServer: true, perMessageDeflate }), {
      message: /^the relay cannot use permessage-deflate: it writes pre-encoded frames straight to the socket/,
    });
  }
  const server = createWebSocketServer({ noServer: true, maxPayload: 1024 });
  assert.equal(server.options.perMessageDeflate, false);
  server.close();
});

test('a client offering permessage-deflate gets no extension, and messages still flow', async () => {
  const relay = await spawnRelay(['--quiet']);
  try {
    const answer = await rawExchange(
      relay.port,
      [
        'GET / HTTP/1.1',
        'Host: 127.0.0.1',
        'Connection: Upgrade',
        'Upgrade: websocket',
        'Sec-WebSocket-Version: 13',
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits',
        '',
        '',
      ].join('\r\n'),
    );
    assert.equal(answer.status, 101);
    assert.doesNotMatch(answer.text, /sec-websocket-extensions/i);

    const subscriber = await WsPeer.open(relay.url, { perMessageDeflate: true });
    const publisher = await WsPeer.open(relay.url, { perMessageDeflate: true });
    assert.deepEqual([subscriber.socket.extensions, publisher.socket.extensions], ['', '']);
    await subscriber.subscribe('z');
    const message = JSON.stringify({ type: 'z', payload: { message: 'x'.repeat(5000), timestamp: 1, thread_id: 't', type: 'response' } });
    publisher.send(message);
    await subscriber.waitForFrames(2);
    assert.equal(subscriber.texts[1], message);
    await Promise.all([subscriber.close(), publisher.close()]);
  } finally {
    await relay.stop('SIGKILL');
  }
});
