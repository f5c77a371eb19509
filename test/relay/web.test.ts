// The watch page's relay side: the HTML shells and their headers, the bundle's files by their
// hashed names only, the JSON API answering as a subscribe would (open, shared token, signed
// tokens with some channels), a browser's token as a WebSocket subprotocol, the page's own
// origin beside --allow-origin, and the flags (--no-web, --public-url) of the relay as users
// run it. Most relays here serve a bundle made by the test; the last ones serve the real build.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import type { RelayOptions, RunningRelay } from '../../src/relay';
import { parseRelayArgs } from '../../src/relay/cli';
import { LocalFanOut, MAX_CHANNELS_SCANNED } from '../../src/relay/local-fan-out';
import { escapeHtml, indexShell, watchShell } from '../../src/relay/web/pages';
import { selectSubprotocol } from '../../src/relay/websocket-server';
import { startTestRelay } from '../support/relay-mode';
import { rawExchange, RELAY_BIN, spawnRelay, type RelayProcess } from '../support/relay-process';
import { requestRelay, type HttpAnswer } from '../support/http-request';
import { WsPeer } from '../support/ws-peer';

const BUILT_BUNDLE = resolve(__dirname, '../../../dist/watch');
const SECRET = 'the-watch-page-secret-of-at-least-32-bytes';
const SHARED = 'the-shared-token-of-the-watch-tests';

// ---- a bundle of the test's own, shaped as the build's -----------------------------------------------

interface Bundle {
  dir: string;
  script: string;
  style: string;
  scriptBody: string;
  styleBody: string;
}

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

function makeBundle(scriptBody = 'document.body.dataset.loaded = "yes";\n', styleBody = 'main { margin: 0 }\n'): Bundle {
  const dir = mkdtempSync(join(tmpdir(), 'weather-watch-'));
  const script = `watch.${hashOf(scriptBody)}.js`;
  const style = `watch.${hashOf(styleBody)}.css`;
  writeFileSync(join(dir, script), scriptBody);
  writeFileSync(join(dir, style), styleBody);
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ script, style }));
  return { dir, script, style, scriptBody, styleBody };
}

// ---- what the contract says, written out here rather than taken from the code under test -----------------

const csp = (relayOrigin: string) =>
  `default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' ${relayOrigin}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;

function expectedShell(bundle: Pick<Bundle, 'script' | 'style'>, page: { title: string; body: string; noscript: string }): string {
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${page.title}</title><link rel="stylesheet" href="/assets/${bundle.style}"><script defer src="/assets/${bundle.script}"></script></head>` +
    `<body ${page.body}><main id="app"></main><noscript>${page.noscript}</noscript></body></html>`
  );
}

const indexOf = (bundle: Pick<Bundle, 'script' | 'style'>, relayUrl: string, auth: 'open' | 'token') =>
  expectedShell(bundle, {
    title: 'Weather Assistant Live: channels',
    body: `data-page="index" data-relay-url="${relayUrl}" data-auth="${auth}"`,
    noscript: 'This page needs JavaScript to list the relay&#39;s channels.',
  });

const watchOf = (bundle: Pick<Bundle, 'script' | 'style'>, channel: string, relayUrl: string, auth: 'open' | 'token') =>
  expectedShell(bundle, {
    title: `${channel} · Weather Assistant Live`,
    body: `data-page="watch" data-channel="${channel}" data-relay-url="${relayUrl}" data-auth="${auth}"`,
    noscript: 'This page needs JavaScript to show the channel live.',
  });

/** The headers every answer of the page's routes has. */
function assertSecured(answer: HttpAnswer, relayOrigin: string, what: string): void {
  assert.equal(answer.headers['content-security-policy'], csp(relayOrigin), `${what}: CSP`);
  assert.equal(answer.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`);
  assert.equal(answer.headers['referrer-policy'], 'no-referrer', `${what}: referrer`);
}

function assertHtmlPage(answer: HttpAnswer, relayOrigin: string, what: string): void {
  assert.equal(answer.status, 200, `${what}: ${answer.body}`);
  assert.equal(answer.headers['content-type'], 'text/html; charset=utf-8', what);
  assert.equal(answer.headers['cache-control'], 'no-store', what);
  assert.equal(Number(answer.headers['content-length']), answer.bytes.length, what);
  assertSecured(answer, relayOrigin, what);
}

const b64url = (text: string) => Buffer.from(text).toString('base64url');
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const now = () => Math.floor(Date.now() / 1000);

function sign(subscribe: string[], publish: string[], exp = now() + 3600): Promise<string> {
  return new SignJWT({ weather_relay: { subscribe, publish } }).setProtectedHeader({ alg: 'HS256' }).setSubject('watcher').setExpirationTime(exp).sign(new TextEncoder().encode(SECRET));
}

/** An upgrade request as a browser sends it, over a raw socket; the relay's whole answer. */
function upgradeFrom(port: number, headers: string[]) {
  const lines = ['GET / HTTP/1.1', `Host: 127.0.0.1:${port}`, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', ...headers];
  return rawExchange(port, `${lines.join('\r\n')}\r\n\r\n`);
}

/** Opens a WebSocket offering `protocols`; resolves with it open, or with the HTTP status it was refused with. */
function openWith(url: string, protocols: string[]): Promise<{ socket?: WebSocket; status?: number; selected?: string; error?: string }> {
  return new Promise((resolvePromise) => {
    const socket = new WebSocket(url, protocols, { perMessageDeflate: false });
    let selected: string | undefined;
    socket.once('upgrade', (response) => {
      selected = response.headers['sec-websocket-protocol'] as string | undefined;
    });
    socket.once('open', () => resolvePromise({ socket, selected }));
    socket.once('unexpected-response', (_request, response) => {
      resolvePromise({ status: response.statusCode });
      response.resume();
      socket.terminate();
    });
    socket.on('error', (error) => resolvePromise({ error: error.message }));
  });
}

async function withRelay(options: RelayOptions, run: (relay: RunningRelay) => Promise<void>): Promise<void> {
  const relay = await startTestRelay({ host: '127.0.0.1', port: 0, ...options });
  try {
    await run(relay);
  } finally {
    await relay.close();
  }
}

// ---- the page's pieces alone --------------------------------------------------------------------

describe('the shells and the listing, alone', () => {
  test('every interpolated value is escaped, whatever it holds', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
    const hostile = { script: 'a"><script>x</script>.js', style: "b' onload='x", relayUrl: 'ws://"><img src=x>/', auth: 'open' as const };
    for (const html of [indexShell(hostile), watchShell(hostile, `c"'<>&`)]) {
      assert.doesNotMatch(html, /<script>x|<img|onload='/, 'nothing hostile comes through as markup');
      assert.equal(html.match(/<script/g)?.length, 1, 'one script element, the bundle\'s');
    }
    assert.match(watchShell(hostile, `c"'<>&`), / data-channel="c&quot;&#39;&lt;&gt;&amp;" /);
  });

  test('the listing of local channels: filtered, by name, at most the limit, from a bounded scan', () => {
    const fanOut = new LocalFanOut();
    const subscriber = { deliver() {} };
    for (const name of ['b', 'a', 'c', 'secret', 'd']) fanOut.subscribe(name, subscriber);
    fanOut.subscribe('a', { deliver() {} });
    assert.deepEqual(fanOut.list((name) => name !== 'secret', 3), [
      { name: 'a', subscribers: 2 },
      { name: 'b', subscribers: 1 },
      { name: 'c', subscribers: 1 },
    ]);
    const many = new LocalFanOut();
    for (let i = 0; i < MAX_CHANNELS_SCANNED + 50; i++) many.subscribe(`z${String(i).padStart(6, '0')}`, subscriber);
    many.subscribe('a-late-one', subscriber);
    let asked = 0;
    const listed = many.list(() => (asked++, true), 5);
    assert.equal(asked, MAX_CHANNELS_SCANNED, 'no more channels looked at than the bound');
    assert.equal(listed[0].name, 'z000000', 'a channel past the bound is not listed');
  });

  test("the subprotocol chosen: weather-relay when offered, else the first as before, never a token", () => {
    assert.equal(selectSubprotocol(new Set(['weather-relay.bearer.dG9r', 'weather-relay'])), 'weather-relay');
    assert.equal(selectSubprotocol(new Set(['chat', 'weather-relay'])), 'weather-relay');
    assert.equal(selectSubprotocol(new Set(['chat', 'superchat'])), 'chat');
    assert.equal(selectSubprotocol(new Set(['weather-relay.bearer.dG9r'])), false);
    assert.equal(selectSubprotocol(new Set(['weather-relay.bearer.dG9r', 'chat'])), 'chat');
  });

  test('--no-web and --public-url are read and checked, each refusal one sentence', () => {
    assert.deepEqual(parseRelayArgs([], {}).web, { publicUrl: undefined });
    assert.equal(parseRelayArgs(['--no-web'], {}).web, false);
    assert.deepEqual(parseRelayArgs(['--public-url', 'https://relay.example.com'], {}).web, { publicUrl: 'https://relay.example.com' });
    for (const [value, message] of [
      ['relay.example.com', /^--public-url must be an address such as https:\/\/relay\.example\.com/],
      ['ftp://relay.example.com', /^--public-url must start with http:\/\/, https:\/\/, ws:\/\/ or wss:\/\//],
      ['https://relay.example.com/watch', /no path, query or fragment/],
      ['https://relay.example.com/?x=1', /no path, query or fragment/],
      ['https://relay.example.com/#top', /no path, query or fragment/],
      ['https://user:pw@relay.example.com', /^--public-url must not hold a user name or password$/],
      ['', /^--public-url must be an address/],
    ] as const) {
      assert.throws(() => parseRelayArgs(['--public-url', value], {}), (error: Error) => message.test(error.message) && !error.message.includes('\n'), value);
    }
    assert.throws(() => parseRelayArgs(['--no-web', '--public-url', 'https://relay.example.com'], {}), /no use with --no-web/);
  });
});

// ---- an open relay with the test's bundle ----------------------------------------------------

describe('the watch page of an open relay', () => {
  let bundle: Bundle;
  let relay: RunningRelay;
  let origin: string;
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => requestRelay(relay.port, path, { method, headers });

  before(async () => {
    bundle = makeBundle();
    relay = await startTestRelay({ host: '127.0.0.1', port: 0, web: { assetsDir: bundle.dir }, maxSubscriptionsPerConnection: 300 });
    origin = `ws://127.0.0.1:${relay.port}`;
  });
  after(async () => {
    await relay?.close();
    rmSync(bundle.dir, { recursive: true, force: true });
  });

  test('GET / is the index shell, exactly, with every header; HEAD says the same without the body', async () => {
    const index = await get('/');
    assertHtmlPage(index, origin, 'GET /');
    assert.equal(index.body, indexOf(bundle, `${origin}/`, 'open'));
    const head = await get('/', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    for (const name of ['content-type', 'content-length', 'cache-control', 'content-security-policy', 'x-content-type-options']) {
      assert.equal(head.headers[name], index.headers[name], `HEAD's ${name}`);
    }
    assert.deepEqual(relay.web, { ok: true, text: 'watch page: read-only, at / and /watch/<channel> on this port (--no-web turns it off)' });
  });

  test('GET /watch/<channel> is its shell, the name percent-decoded; a name no channel can have is a 404 page in words', async () => {
    assertHtmlPage(await get('/watch/weather-update'), origin, 'a channel');
    assert.equal((await get('/watch/weather-update')).body, watchOf(bundle, 'weather-update', `${origin}/`, 'open'));
    assert.equal((await get('/watch/team%3Alive?from=link')).body, watchOf(bundle, 'team:live', `${origin}/`, 'open'));
    for (const path of [
      '/watch/%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E',
      `/watch/"'<b>`,
      '/watch/',
      '/watch',
      '/watch/a/b',
      '/watch/a%2Fb',
      '/watch/%E0%A4%A',
      '/watch/subscribe',
      `/watch/${'x'.repeat(129)}`,
    ]) {
      const answer = await get(path);
      assert.equal(answer.status, 404, path);
      assert.equal(answer.headers['content-type'], 'text/html; charset=utf-8', path);
      assertSecured(answer, origin, path);
      assert.match(answer.body, /<p>This address names no channel: /, path);
      assert.doesNotMatch(answer.body, /<script|<b>|alert\(1\)<|"'/, `${path}: nothing of the address comes back as markup`);
    }
    assert.match((await get('/watch/%22%3E%3Cscript%3E')).body, /&lt;script&gt;/, 'the name is shown, escaped');
  });

  test('/assets/: the two files the manifest names, cached for good; anything else is 404, traversal included', async () => {
    for (const [name, body, type] of [
      [bundle.script, bundle.scriptBody, 'text/javascript; charset=utf-8'],
      [bundle.style, bundle.styleBody, 'text/css; charset=utf-8'],
    ]) {
      const answer = await get(`/assets/${name}`);
      assert.equal(answer.status, 200, name);
      assert.equal(answer.body, body);
      assert.equal(answer.headers['content-type'], type);
      assert.equal(answer.headers['cache-control'], 'public, max-age=31536000, immutable');
      assertSecured(answer, origin, name);
      const head = await get(`/assets/${name}`, {}, 'HEAD');
      assert.equal(head.body, '');
      assert.equal(head.headers['content-length'], String(Buffer.byteLength(body)));
    }
    for (const path of [
      '/assets/',
      '/assets/manifest.json',
      '/assets/watch.000000000000.js',
      `/assets/${bundle.script}.map`,
      `/assets/${bundle.script}/`,
      '/assets/../package.json',
      '/assets/%2e%2e/package.json',
      '/assets/%2e%2e%2fpackage.json',
      '/assets/..%5c..%5cpackage.json',
      `/assets/../../${bundle.dir}/manifest.json`,
    ]) {
      const answer = await get(path);
      assert.equal(answer.status, 404, path);
      assert.equal(answer.headers['cache-control'], 'no-store', path);
      assertSecured(answer, origin, path);
    }
  });

  test('the Host header: a valid one is what the page announces; junk is refused and never reflected', async () => {
    const named = await get('/', { host: 'relay.example.com:4000' });
    assertHtmlPage(named, 'ws://relay.example.com:4000', 'a named host');
    assert.match(named.body, / data-relay-url="ws:\/\/relay\.example\.com:4000\/" /);
    assert.match((await get('/', { host: '[::1]:4000' })).body, / data-relay-url="ws:\/\/\[::1\]:4000\/" /);
    for (const host of ['evil"><script>x</script>', 'a b', 'x/y', 'x:99999', '[::1', 'x:4000:1', 'user@x', `${'a'.repeat(300)}.example`]) {
      const answer = await get('/watch/weather-update', { host });
      assert.equal(answer.status, 400, host);
      assert.match(answer.body, /^The Host header must be a host name or address with an optional port, or the relay needs --public-url\.\n$/);
      assert.ok(!answer.body.includes(host) && !JSON.stringify(answer.headers).includes(host), `${host}: not reflected`);
      assert.match(answer.headers['content-security-policy'] as string, /connect-src 'self'; /, 'the CSP names no host it was not sure of');
    }
  });

  test('Cross-Origin-Opener-Policy only where browsers honour it: https or this machine, not plain http on a network', async () => {
    for (const host of [`127.0.0.1:${relay.port}`, 'localhost:4000', 'watch.localhost', '127.1.2.3', '[::1]:4000']) {
      assert.equal((await get('/', { host })).headers['cross-origin-opener-policy'], 'same-origin', host);
    }
    for (const host of ['relay.example.com:4000', '10.0.0.5:4000', 'relay.localhost.example', '[::2]:4000']) {
      const answer = await get('/watch/weather-update', { host });
      assert.equal(answer.status, 200, host);
      assert.equal(answer.headers['cross-origin-opener-policy'], undefined, `${host}: ignored there, with an error in the console`);
      assert.equal(answer.headers['cross-origin-resource-policy'], 'same-origin', host);
    }
  });

  test('/favicon.ico, which browsers ask for on every page: 204 and cached, not a 404 in every viewer\'s console', async () => {
    const answer = await get('/favicon.ico');
    assert.equal(answer.status, 204);
    assert.equal(answer.body, '');
    assert.equal(answer.headers['cache-control'], 'public, max-age=86400');
    assert.equal(answer.headers['x-content-type-options'], 'nosniff');
  });

  test('other methods are 405, as everywhere on the relay', async () => {
    for (const path of ['/', '/watch/weather-update', `/assets/${bundle.script}`, '/api/channels']) {
      const answer = await get(path, {}, 'POST');
      assert.equal(answer.status, 405, path);
      assert.equal(answer.headers.allow, 'GET, HEAD');
    }
  });

  test("/api/channels: this relay's channels with subscribers, by name, with their counts, at most 200", async () => {
    const empty = await get('/api/channels');
    assert.equal(empty.status, 200);
    assert.equal(empty.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(empty.headers['cache-control'], 'no-store');
    assertSecured(empty, origin, '/api/channels');
    assert.deepEqual(JSON.parse(empty.body), { channels: [] });

    const wide = await WsPeer.open(relay.url);
    const names = Array.from({ length: 250 }, (_, i) => `c-${String(249 - i).padStart(3, '0')}`);
    for (const channel of names) wide.send({ type: 'subscribe', payload: { channel } });
    await wide.waitForFrames(names.length);
    const second = await WsPeer.open(relay.url);
    await second.subscribe('c-007');
    try {
      const listed = JSON.parse((await get('/api/channels')).body).channels;
      assert.equal(listed.length, 200);
      assert.deepEqual(listed.slice(0, 8).map((channel: { name: string }) => channel.name), ['c-000', 'c-001', 'c-002', 'c-003', 'c-004', 'c-005', 'c-006', 'c-007']);
      assert.deepEqual(listed[7], { name: 'c-007', subscribers: 2 });
      assert.deepEqual(listed[199], { name: 'c-199', subscribers: 1 });
      await second.close();
      await wide.close();
      // Unsubscribed when their connections closed: the listing follows.
      for (let i = 0; i < 100 && JSON.parse((await get('/api/channels')).body).channels.length > 0; i++) await new Promise((done) => setTimeout(done, 20));
      assert.deepEqual(JSON.parse((await get('/api/channels')).body), { channels: [] });
    } finally {
      await Promise.all([wide.close(), second.close()]);
    }
  });

  test('/api/access on an open relay: anyone may watch and publish; a missing or impossible channel is 400', async () => {
    const allowed = await get('/api/access?channel=weather-update');
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers['cache-control'], 'no-store');
    assert.deepEqual(JSON.parse(allowed.body), { channel: 'weather-update', subscribe: true, publish: true });
    for (const [query, error] of [
      ['', 'say which channel: /api/access?channel=<name>'],
      ['?channel=', 'channel must not be empty'],
      ['?channel=a%20b', 'channel "a b" may only contain letters, digits and . _ : -'],
      ['?channel=subscribe', '"subscribe" is a reserved message type and cannot be a channel'],
    ]) {
      const answer = await get(`/api/access${query}`);
      assert.equal(answer.status, 400, query);
      assert.deepEqual(JSON.parse(answer.body), { error }, query);
    }
    const unknown = await get('/api/nothing');
    assert.equal(unknown.status, 404);
    assert.match(JSON.parse(unknown.body).error, /^no such API/);
  });
});

// ---- protected relays ----------------------------------------------------------------------------

describe('the watch page of a protected relay', () => {
  let bundle: Bundle;
  before(() => {
    bundle = makeBundle();
  });
  after(() => rmSync(bundle.dir, { recursive: true, force: true }));

  test('with the shared --token: the page asks for a token; the API wants it as a Bearer header, never in the URL', async () => {
    await withRelay({ token: SHARED, web: { assetsDir: bundle.dir } }, async (relay) => {
      const origin = `ws://127.0.0.1:${relay.port}`;
      assert.equal((await requestRelay(relay.port, '/')).body, indexOf(bundle, `${origin}/`, 'token'));
      assert.equal((await requestRelay(relay.port, '/watch/ops')).body, watchOf(bundle, 'ops', `${origin}/`, 'token'));
      const watcher = await WsPeer.open(relay.url, { headers: bearer(SHARED) });
      await watcher.subscribe('ops');
      try {
        for (const [path, headers, error] of [
          ['/api/channels', {}, 'an access token is required (Authorization: Bearer <token>)'],
          [`/api/channels?token=${SHARED}`, {}, 'an access token is required (Authorization: Bearer <token>)'],
          ['/api/channels', bearer('wrong'), 'the access token is wrong'],
          ['/api/access?channel=ops', {}, 'an access token is required (Authorization: Bearer <token>)'],
          ['/api/access?channel=ops', { authorization: SHARED }, 'an access token is required (Authorization: Bearer <token>)'],
          ['/api/access?channel=not%20a%20channel', bearer('wrong'), 'the access token is wrong'],
        ] as const) {
          const answer = await requestRelay(relay.port, path, { headers });
          assert.equal(answer.status, 401, path);
          assert.deepEqual(JSON.parse(answer.body), { error }, path);
          assert.equal(answer.headers['www-authenticate'], 'Bearer realm="weather-relay"');
          assertSecured(answer, origin, path);
        }
        assert.deepEqual(JSON.parse((await requestRelay(relay.port, '/api/channels', { headers: bearer(SHARED) })).body), { channels: [{ name: 'ops', subscribers: 1 }] });
        assert.deepEqual(JSON.parse((await requestRelay(relay.port, '/api/access?channel=ops', { headers: bearer(SHARED) })).body), {
          channel: 'ops',
          subscribe: true,
          publish: true,
        });
      } finally {
        await watcher.close();
      }
    });
  });

  test('with signed tokens: the API answers as a subscribe would, and lists only the channels the token may watch', async () => {
    await withRelay({ jwt: { secret: SECRET }, web: { assetsDir: bundle.dir } }, async (relay) => {
      const everything = await sign(['*'], ['*']);
      const limited = await sign(['weather-*'], ['weather-update']);
      const channels = ['weather-update', 'weather-berlin', 'ops', 'weather'];
      const watcher = await WsPeer.open(relay.url, { headers: bearer(everything) });
      for (const channel of channels) await watcher.subscribe(channel);
      const asLimited = await WsPeer.open(relay.url, { headers: bearer(limited) });
      try {
        const list = async (token: string) => JSON.parse((await requestRelay(relay.port, '/api/channels', { headers: bearer(token) })).body).channels.map((c: { name: string }) => c.name);
        assert.deepEqual(await list(everything), ['ops', 'weather', 'weather-berlin', 'weather-update']);
        assert.deepEqual(await list(limited), ['weather-berlin', 'weather-update']);

        for (const channel of channels) {
          const access = await requestRelay(relay.port, `/api/access?channel=${channel}`, { headers: bearer(limited) });
          const reply = await asLimited.subscribe(channel);
          if (access.status === 200) {
            assert.equal(reply.type, 'subscribed', `${channel}: allowed by both`);
            assert.deepEqual(JSON.parse(access.body), { channel, subscribe: true, publish: channel === 'weather-update' });
          } else {
            assert.equal(access.status, 403, channel);
            assert.deepEqual(JSON.parse(access.body), { error: `this token may not watch channel ${channel}` });
            assert.equal(reply.payload.code, 'forbidden', `${channel}: refused by both`);
          }
        }
        const statuses = await Promise.all(channels.map(async (channel) => (await requestRelay(relay.port, `/api/access?channel=${channel}`, { headers: bearer(limited) })).status));
        assert.deepEqual(statuses, [200, 200, 403, 403]);

        const expired = await requestRelay(relay.port, '/api/access?channel=weather-update', { headers: bearer(await sign(['*'], [], now() - 60)) });
        assert.equal(expired.status, 401);
        assert.deepEqual(JSON.parse(expired.body), { error: 'the token expired' });
        const forged = await requestRelay(relay.port, '/api/channels', { headers: bearer(`${limited.slice(0, -4)}AAAA`) });
        assert.equal(forged.status, 401);
        assert.match(JSON.parse(forged.body).error, /signature/);
      } finally {
        await Promise.all([watcher.close(), asLimited.close()]);
      }
    });
  });

  test("a browser's token as a subprotocol admits it; weather-relay is selected, the token never echoed; a bad one is 401", async () => {
    await withRelay({ token: SHARED, jwt: { secret: SECRET }, web: { assetsDir: bundle.dir } }, async (relay) => {
      for (const token of [SHARED, await sign(['weather-*'], [])]) {
        const opened = await openWith(relay.url, ['weather-relay', `weather-relay.bearer.${b64url(token)}`]);
        assert.ok(opened.socket, `admitted: ${JSON.stringify(opened)}`);
        assert.equal(opened.socket.protocol, 'weather-relay');
        assert.equal(opened.selected, 'weather-relay', 'the answer names weather-relay alone');
        const peer = opened.socket;
        const reply = new Promise<string>((done) => peer.once('message', (data) => done(String(data))));
        peer.send(JSON.stringify({ type: 'subscribe', payload: { channel: 'weather-update' } }));
        assert.equal(JSON.parse(await reply).type, 'subscribed');
        peer.close();
      }
      for (const protocols of [
        ['weather-relay', `weather-relay.bearer.${b64url('wrong')}`],
        ['weather-relay', 'weather-relay.bearer.not!base64'],
        ['weather-relay', 'weather-relay.bearer.'],
        ['weather-relay'],
      ]) {
        assert.equal((await openWith(relay.url, protocols)).status, 401, protocols.join(', '));
      }
      const raw = await upgradeFrom(relay.port, [`Sec-WebSocket-Protocol: weather-relay, weather-relay.bearer.${b64url(SHARED)}`]);
      assert.equal(raw.status, 101);
      assert.match(raw.text, /\r\nSec-WebSocket-Protocol: weather-relay\r\n/);
      assert.ok(!raw.text.includes(b64url(SHARED)), 'the token is never echoed');
    });
  });

  test('a client offering other subprotocols works as before; one offering only a token gets no subprotocol back', async () => {
    await withRelay({ web: { assetsDir: bundle.dir } }, async (relay) => {
      const opened = await openWith(relay.url, ['chat', 'superchat']);
      assert.equal(opened.socket?.protocol, 'chat');
      opened.socket?.close();
      const raw = await upgradeFrom(relay.port, ['Sec-WebSocket-Protocol: weather-relay.bearer.dG9rZW4']);
      assert.equal(raw.status, 101);
      assert.doesNotMatch(raw.text, /Sec-WebSocket-Protocol/i);
    });
  });

  test("the page's own origin is allowed beside --allow-origin: its Host's, or --public-url's alone when given", async () => {
    await withRelay({ allowOrigins: ['https://dash.example'], web: { assetsDir: bundle.dir } }, async (relay) => {
      const from = async (origin: string) => (await upgradeFrom(relay.port, [`Origin: ${origin}`])).status;
      assert.equal(await from(`http://127.0.0.1:${relay.port}`), 101, "the page's own origin");
      assert.equal(await from('https://dash.example'), 101, 'an allowed origin');
      assert.equal(await from('https://evil.example'), 403, 'any other');
      assert.equal(await from(`https://127.0.0.1:${relay.port}`), 403, 'the same host over another scheme');
    });
    await withRelay({ allowOrigins: ['https://dash.example'], web: { assetsDir: bundle.dir, publicUrl: 'https://relay.example.com' } }, async (relay) => {
      assert.equal((await upgradeFrom(relay.port, ['Origin: https://relay.example.com'])).status, 101, 'the public address');
      assert.equal((await upgradeFrom(relay.port, [`Origin: http://127.0.0.1:${relay.port}`])).status, 403, 'not the Host, once the address is fixed');
      const page = await requestRelay(relay.port, '/watch/weather-update', { headers: { host: 'evil.example' } });
      assertHtmlPage(page, 'wss://relay.example.com', '--public-url');
      assert.equal(page.headers['cross-origin-opener-policy'], 'same-origin', 'an https page, whatever the Host');
      assert.equal(page.body, watchOf(bundle, 'weather-update', 'wss://relay.example.com/', 'open'));
    });
    await withRelay({ allowOrigins: ['https://dash.example'] }, async (relay) => {
      assert.equal((await upgradeFrom(relay.port, [`Origin: http://127.0.0.1:${relay.port}`])).status, 403, 'no page, no own origin');
    });
  });

  test('a bundle missing or not matching its hashes: the pages answer 503 naming `npm run build`; the API still answers', async () => {
    const broken = makeBundle();
    writeFileSync(join(broken.dir, broken.script), 'tampered();\n');
    const empty = mkdtempSync(join(tmpdir(), 'weather-watch-empty-'));
    try {
      for (const [dir, problem] of [
        [empty, /manifest\.json does not exist/],
        [broken.dir, /does not hold what its name's hash says/],
      ] as const) {
        await withRelay({ web: { assetsDir: dir } }, async (relay) => {
          assert.equal(relay.web?.ok, false);
          assert.match(relay.web!.text, problem);
          assert.match(relay.web!.text, /^watch page: its files cannot be served \(.+\): run `npm run build` and restart the relay; until then \/ and \/watch\/… answer 503$/);
          for (const path of ['/', '/watch/weather-update']) {
            const answer = await requestRelay(relay.port, path);
            assert.equal(answer.status, 503, path);
            assert.equal(answer.body, "This relay's watch page is not built: run `npm run build`, then restart the relay.\n");
            assert.ok(!answer.body.includes(dir), 'no path of the server in the answer');
          }
          assert.equal((await requestRelay(relay.port, `/assets/${broken.script}`)).status, 404);
          assert.equal((await requestRelay(relay.port, '/api/channels')).status, 200);
        });
      }
    } finally {
      rmSync(broken.dir, { recursive: true, force: true });
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

// ---- the relay as users run it: dist/relay.js with the real build (dist/watch) -----------------------------

describe('the standalone relay', () => {
  test('by default it serves the built bundle (dist/watch) and logs where', async () => {
    const manifest = JSON.parse(readFileSync(join(BUILT_BUNDLE, 'manifest.json'), 'utf8')) as { script: string; style: string };
    const relay = await spawnRelay();
    try {
      const origin = `ws://127.0.0.1:${relay.port}`;
      const index = await requestRelay(relay.port, '/');
      assertHtmlPage(index, origin, 'GET /');
      assert.equal(index.body, indexOf(manifest, `${origin}/`, 'open'));
      for (const name of [manifest.script, manifest.style]) {
        const asset = await requestRelay(relay.port, `/assets/${name}`);
        assert.equal(asset.status, 200, name);
        assert.ok(asset.bytes.equals(readFileSync(join(BUILT_BUNDLE, name))), `${name}: the built file, byte for byte`);
        assert.equal(asset.headers['cache-control'], 'public, max-age=31536000, immutable');
      }
      assert.match(relay.stderr(), /watch page: read-only, at \/ and \/watch\/<channel> on this port/);
    } finally {
      await relay.stop('SIGKILL');
    }
  });

  test('--no-web: / answers 426 as before, and the page\'s paths 404', async () => {
    const relay: RelayProcess = await spawnRelay(['--no-web']);
    try {
      const root = await requestRelay(relay.port, '/');
      assert.equal(root.status, 426);
      assert.equal(root.headers.upgrade, 'websocket');
      for (const path of ['/watch/weather-update', '/assets/watch.000000000000.js', '/api/channels', '/api/access?channel=x']) {
        const answer = await requestRelay(relay.port, path);
        assert.equal(answer.status, 404, path);
        assert.equal(answer.headers['content-security-policy'], undefined, `${path}: not a page route`);
      }
      assert.doesNotMatch(relay.stderr(), /watch page/);
    } finally {
      await relay.stop('SIGKILL');
    }
  });

  test('--public-url: the address the page announces and connects to, and an origin allowed', async () => {
    const relay = await spawnRelay(['--public-url', 'https://Relay.Example.com:8443', '--allow-origin', 'https://dash.example']);
    try {
      const page = await requestRelay(relay.port, '/watch/weather-update');
      assert.equal(page.status, 200, page.body);
      assert.equal(page.headers['content-security-policy'], csp('wss://relay.example.com:8443'));
      assert.match(page.body, / data-relay-url="wss:\/\/relay\.example\.com:8443\/" /);
      assert.equal((await upgradeFrom(relay.port, ['Origin: https://relay.example.com:8443'])).status, 101);
      assert.match(relay.stderr(), /watch page: read-only, at https:\/\/relay\.example\.com:8443\//);
    } finally {
      await relay.stop('SIGKILL');
    }
  });

  test('a bad --public-url is refused with one sentence, usage and exit code 2', () => {
    for (const [args, message] of [
      [['--public-url', 'relay.example.com'], 'weather-relay: --public-url must be an address such as https://relay.example.com'],
      [['--public-url', 'https://relay.example.com/relay'], 'with no path, query or fragment'],
      [['--no-web', '--public-url', 'https://relay.example.com'], "--public-url is the watch page's address: it has no use with --no-web"],
    ] as const) {
      const run = spawnSync(process.execPath, [RELAY_BIN, ...args], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(run.status, 2, run.stderr);
      assert.ok(run.stderr.includes(message), run.stderr);
      assert.ok(run.stderr.includes('Usage: weather-relay'), 'usage follows');
    }
    const help = spawnSync(process.execPath, [RELAY_BIN, '--help'], { encoding: 'utf8', timeout: 10_000 });
    assert.match(help.stdout, /--public-url URL/);
    assert.match(help.stdout, /--no-web/);
  });
});
