// Fuzz at the HTTP layer: crafted and random upgrade and plain requests, over raw sockets,
// at relay processes with and without --token and --allow-origin, and at one that takes
// signed tokens over TLS (the same requests inside the encrypted stream); the watch page's
// routes (/, /watch/…, /assets/…, /api/…) and a browser's token as a subprotocol among them. Every one gets a proper
// HTTP status or a clean close, never a crash or a hang; a good subscriber on the same
// relay receives every message, in order; and no handler ever needed its safety net.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { get as httpsGet } from 'node:https';
import { test } from 'node:test';
import { channelMessage, responseDeltaPayload } from '../../src/protocol';
import { rawExchange, spawnRelay, type RawExchange } from '../support/relay-process';
import { REDIS_MODE_URL } from '../support/relay-mode';
import { makeTestCa, type TestCa } from '../support/test-ca';
import { seededRandom } from '../support/random';
import { WsPeer } from '../support/ws-peer';

const JWT_SECRET = 'the-http-fuzz-secret-of-at-least-32-bytes';

/** A valid HS256 token for every channel, signed here (the relay checks it with jose). */
function signedToken(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { sub: 'fuzzer', exp: Math.floor(Date.now() / 1000) + 3600, weather_relay: { subscribe: ['*'], publish: ['*'] } };
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${unsigned}.${createHmac('sha256', JWT_SECRET).update(unsigned).digest('base64url')}`;
}

/** The right credential for every relay here: the shared --token where there is one, a signed token where that is what counts. */
const TOKEN = signedToken();
const ALLOWED = 'vscode-webview://trusted';
const KEY = 'dGhlIHNhbXBsZSBub25jZQ==';

interface Config {
  name: string;
  args: string[];
  token: boolean;
  origins: boolean;
  /** Serves TLS with a certificate from a CA made for the test. */
  tls?: boolean;
}

const CONFIGS: Config[] = [
  { name: 'open', args: [], token: false, origins: false },
  { name: '--token', args: ['--token', TOKEN], token: true, origins: false },
  { name: '--allow-origin', args: ['--allow-origin', ALLOWED], token: false, origins: true },
  { name: '--token --allow-origin', args: ['--token', TOKEN, '--allow-origin', ALLOWED], token: true, origins: true },
  { name: '--jwt-secret --tls-cert (wss://)', args: ['--jwt-secret', JWT_SECRET], token: true, origins: false, tls: true },
];

interface UpgradeCase {
  name: string;
  target?: string;
  method?: string;
  version?: string;
  /** The Authorization header lines to send; by default the right token. */
  authorization?: string[];
  /** True when `authorization` still carries the right token first. */
  goodAuth?: boolean;
  /** Origin header lines; none by default (a non-browser client). */
  origin?: string[];
  /** True when the Origin is the allowed one. */
  allowedOrigin?: boolean;
  /** Replaces the handshake headers (Sec-WebSocket-*) when set. */
  handshake?: string[];
  /** Sec-WebSocket-Protocol header lines (a browser's token travels there). */
  protocols?: string[];
  /** What the WebSocket handshake itself answers once access is granted (101: it opens). */
  handshakeStatus?: number;
  /** Requests Node's HTTP parser rejects before any handler of ours sees them. */
  parserStatus?: number;
}

const BIG = 'a'.repeat(10 * 1024);
const UPGRADES: UpgradeCase[] = [
  { name: 'a plain path', target: '/' },
  { name: 'a path of two slashes', target: '//' },
  { name: 'a lone percent', target: '/%' },
  { name: 'a percent as the query token', target: '/?token=%', goodAuth: false, authorization: [] },
  { name: 'the right token in the query', target: `/?token=${TOKEN}`, authorization: [] },
  { name: 'an asterisk target', target: '*', handshakeStatus: 400 },
  { name: 'an absolute URL target', target: 'http://evil.example/', handshakeStatus: 400 },
  { name: 'a scheme-relative target', target: '//evil.example/x' },
  { name: 'a NUL in the path', target: '/\u0000', parserStatus: 400 },
  { name: 'raw non-ASCII bytes in the path', target: '/\u00e9\u00ff', parserStatus: 400 },
  { name: 'a 10 KB path', target: `/${BIG}` },
  { name: 'a 10 KB query', target: `/?token=${BIG}`, goodAuth: false, authorization: [] },
  { name: 'a 20 KB path (headers too large)', target: `/${BIG}${BIG}`, parserStatus: 431 },
  { name: 'an empty Authorization', authorization: [''], goodAuth: false },
  { name: 'Authorization without a scheme', authorization: [TOKEN], goodAuth: false },
  { name: 'a 10 KB Authorization', authorization: [`Bearer ${BIG}`], goodAuth: false },
  { name: 'Authorization twice, right one first', authorization: [`Bearer ${TOKEN}`, 'Bearer wrong'] },
  { name: 'Authorization twice, wrong one first', authorization: ['Bearer wrong', `Bearer ${TOKEN}`], goodAuth: false },
  { name: 'a non-ASCII Authorization', authorization: ['Bearer \u00e9\u00e8'], goodAuth: false },
  { name: 'the right token as a subprotocol', authorization: [], protocols: [`weather-relay, weather-relay.bearer.${Buffer.from(TOKEN).toString('base64url')}`] },
  { name: 'a wrong token as a subprotocol', authorization: [], protocols: [`weather-relay, weather-relay.bearer.${Buffer.from('wrong').toString('base64url')}`], goodAuth: false },
  { name: 'a subprotocol token that is not base64url', authorization: [], protocols: ['weather-relay, weather-relay.bearer.a+b/c='], goodAuth: false, handshakeStatus: 400 },
  { name: 'a 10 KB subprotocol token', authorization: [], protocols: [`weather-relay, weather-relay.bearer.${BIG}`], goodAuth: false },
  { name: 'an empty subprotocol token', authorization: [], protocols: ['weather-relay.bearer.'], goodAuth: false },
  { name: 'a subprotocol token beside the right Authorization', protocols: [`weather-relay.bearer.${Buffer.from('wrong').toString('base64url')}, weather-relay`] },
  { name: 'a subprotocol list that is not tokens', protocols: ['weather-relay, a b'], handshakeStatus: 400 },
  { name: 'the allowed Origin', origin: [ALLOWED], allowedOrigin: true },
  { name: 'an empty Origin', origin: [''] },
  { name: 'a 10 KB Origin', origin: [`https://${BIG}.example`] },
  { name: 'the allowed Origin twice', origin: [ALLOWED, ALLOWED] },
  { name: 'a non-ASCII Origin', origin: ['https://\u00e9x\u00e4mple'] },
  { name: 'no Sec-WebSocket-Key', handshake: ['Sec-WebSocket-Version: 13'], handshakeStatus: 400 },
  { name: 'a short Sec-WebSocket-Key', handshake: ['Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: abc'], handshakeStatus: 400 },
  { name: 'a 10 KB Sec-WebSocket-Key', handshake: ['Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${BIG}`], handshakeStatus: 400 },
  { name: 'Sec-WebSocket-Version 99', handshake: ['Sec-WebSocket-Version: 99', `Sec-WebSocket-Key: ${KEY}`], handshakeStatus: 400 },
  { name: 'no Sec-WebSocket-Version', handshake: [`Sec-WebSocket-Key: ${KEY}`], handshakeStatus: 400 },
  { name: 'a POST upgrade', method: 'POST', handshakeStatus: 405 },
  { name: 'a DELETE upgrade', method: 'DELETE', handshakeStatus: 405 },
  { name: 'an HTTP/1.0 upgrade', version: 'HTTP/1.0' },
  { name: 'HTTP/9.9', version: 'HTTP/9.9', parserStatus: 400 },
  { name: 'a NUL in a header value', origin: ['https://a\u0000b'], parserStatus: 400 },
];

function upgradeRequest(c: UpgradeCase): string {
  const lines = [
    `${c.method ?? 'GET'} ${c.target ?? '/'} ${c.version ?? 'HTTP/1.1'}`,
    'Host: 127.0.0.1',
    'Connection: Upgrade',
    'Upgrade: websocket',
    ...(c.handshake ?? ['Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${KEY}`]),
    ...(c.authorization ?? [`Bearer ${TOKEN}`]).map((value) => `Authorization: ${value}`),
    ...(c.origin ?? []).map((value) => `Origin: ${value}`),
    ...(c.protocols ?? []).map((value) => `Sec-WebSocket-Protocol: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** What a relay with `config` must answer: the checks run in this order, each one a refusal. */
function expectedUpgrade(config: Config, c: UpgradeCase): number {
  if (c.parserStatus !== undefined) return c.parserStatus;
  const target = c.target ?? '/';
  if (!target.startsWith('/')) return 400;
  if (config.token && c.goodAuth === false) return 401;
  if (config.origins && c.origin !== undefined && !c.allowedOrigin) return 403;
  return c.handshakeStatus ?? 101;
}

/** A request line with a Host header and nothing else. */
const simple = (line: string, expected: number): [string, string, number] => [line, `${line} HTTP/1.1\r\nHost: x\r\n\r\n`, expected];

const PLAIN: Array<[string, string, number | 'closed']> = [
  simple('GET /healthz', 200),
  simple('HEAD /metrics', 200),
  simple('GET /healthz?x=%', 200),
  simple('GET //', 404),
  simple('GET /%', 404),
  simple('GET *', 404),
  ['GET an absolute URL', 'GET http://evil.example/healthz HTTP/1.1\r\nHost: x\r\n\r\n', 404],
  ['GET a 10 KB path', `GET /${BIG} HTTP/1.1\r\nHost: x\r\n\r\n`, 404],
  simple('OPTIONS *', 405),
  ['POST /metrics with a body', 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello', 405],
  ['PUT /healthz', 'PUT /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n', 405],
  ['GET /healthz over HTTP/1.0', 'GET /healthz HTTP/1.0\r\n\r\n', 200],
  ['an HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 400],
  ['a request line of junk', 'HELLO\r\n\r\n', 400],
  simple('get /healthz', 400),
  ['CONNECT', 'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n', 'closed'],
  ['a header without a colon', 'GET /healthz HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n', 400],
  ['a 20 KB header', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${BIG}${BIG}\r\n\r\n`, 431],
  ['a truncated request line', 'GET /heal', 400],
  ['truncated headers', 'GET /healthz HTTP/1.1\r\nHost: x\r\n', 400],
  ['a truncated upgrade', 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Ver', 400],
  ['nothing at all', '', 'closed'],
];

/** The watch page's routes (the relay serves the built bundle, dist/watch), answered by `config`. */
const withToken = `Host: x\r\nAuthorization: Bearer ${TOKEN}`;
const WEB: Array<[string, string, (config: Config) => number]> = [
  ['GET /', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', () => 200],
  ['HEAD /watch/good', 'HEAD /watch/good HTTP/1.1\r\nHost: x\r\n\r\n', () => 200],
  ['GET /watch/%', 'GET /watch/% HTTP/1.1\r\nHost: x\r\n\r\n', () => 404],
  ['GET /watch/ with an escaped slash', 'GET /watch/..%2f..%2fpackage.json HTTP/1.1\r\nHost: x\r\n\r\n', () => 404],
  ['GET /watch/ with a 10 KB channel', `GET /watch/${BIG} HTTP/1.1\r\nHost: x\r\n\r\n`, () => 404],
  ['GET /assets/../package.json', 'GET /assets/../package.json HTTP/1.1\r\nHost: x\r\n\r\n', () => 404],
  ['GET /assets/%2e%2e%2fpackage.json', 'GET /assets/%2e%2e%2fpackage.json HTTP/1.1\r\nHost: x\r\n\r\n', () => 404],
  ['GET /assets/ with a 10 KB name', `GET /assets/${BIG}.js HTTP/1.1\r\nHost: x\r\n\r\n`, () => 404],
  ['GET / with a junk Host', 'GET / HTTP/1.1\r\nHost: evil"><x>\r\n\r\n', () => 400],
  ['GET /watch/good over HTTP/1.0 without a Host', 'GET /watch/good HTTP/1.0\r\n\r\n', () => 400],
  ['GET /api/channels', 'GET /api/channels HTTP/1.1\r\nHost: x\r\n\r\n', (config) => (config.token ? 401 : 200)],
  ['GET /api/channels with the token', `GET /api/channels HTTP/1.1\r\n${withToken}\r\n\r\n`, () => 200],
  ['GET /api/channels with the token in the query', `GET /api/channels?token=${TOKEN} HTTP/1.1\r\nHost: x\r\n\r\n`, (config) => (config.token ? 401 : 200)],
  ['GET /api/channels with a 10 KB token', `GET /api/channels HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${BIG}\r\n\r\n`, (config) => (config.token ? 401 : 200)],
  ['GET /api/access', `GET /api/access?channel=good HTTP/1.1\r\n${withToken}\r\n\r\n`, () => 200],
  ['GET /api/access with the channel twice', `GET /api/access?channel=good&channel=x%00 HTTP/1.1\r\n${withToken}\r\n\r\n`, () => 200],
  ['GET /api/access with a lone percent', `GET /api/access?channel=% HTTP/1.1\r\n${withToken}\r\n\r\n`, () => 400],
  ['GET /api/access with a 10 KB channel', `GET /api/access?channel=${BIG} HTTP/1.1\r\n${withToken}\r\n\r\n`, () => 400],
  ['GET /api/access without a channel', `GET /api/access HTTP/1.1\r\n${withToken}\r\n\r\n`, () => 400],
  ['GET /api/access without a token', 'GET /api/access?channel=good HTTP/1.1\r\nHost: x\r\n\r\n', (config) => (config.token ? 401 : 200)],
  ['GET /api/unknown', `GET /api/unknown HTTP/1.1\r\n${withToken}\r\n\r\n`, () => 404],
  ['POST /api/access', 'POST /api/access?channel=good HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}', () => 405],
];

/** Where random request text is aimed: the relay's paths, the watch page's among them. */
const TARGETS = ['/', '/watch/', '/assets/', '/api/access?channel=', '/api/channels?'];

/** Random requests: bytes, and request-shaped text with random parts. */
function randomRequests(next: () => number, count: number): Buffer[] {
  const bytes = (length: number) => Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
  return Array.from({ length: count }, (_, index) => {
    const noise = bytes(1 + Math.floor(next() * 300));
    if (index % 2 === 0) return noise;
    return Buffer.concat([Buffer.from(`GET ${TARGETS[(index >> 1) % TARGETS.length]}`), noise, Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n')]);
  });
}

const good = (i: number) => JSON.stringify(channelMessage('good', responseDeltaPayload('t', `good ${i}`, { seq: i })));

for (const [configIndex, config] of CONFIGS.entries()) {
  test(`HTTP fuzz, relay ${config.name}: every request answered, the relay unharmed`, { timeout: 60_000 }, async () => {
    let ca: TestCa | undefined;
    let tlsArgs: string[] = [];
    if (config.tls) {
      ca = makeTestCa();
      const issued = ca.issue('relay');
      tlsArgs = ['--tls-cert', issued.certFile, '--tls-key', issued.keyFile];
    }
    const relay = await spawnRelay(['--log-rate', '1000', ...config.args, ...tlsArgs]);
    const headers: Record<string, string> = config.token ? { authorization: `Bearer ${TOKEN}` } : {};
    const trust = ca ? { ca: ca.ca } : undefined;
    const exchange = (request: Buffer) => rawExchange(relay.port, request, 3000, trust);
    try {
      const subscriber = await WsPeer.open(relay.url, { headers, ...trust });
      await subscriber.subscribe('good');
      const publisher = await WsPeer.open(relay.url, { headers, ...trust });
      const sent: string[] = [];
      const publishOne = () => {
        const frame = good(sent.length);
        sent.push(frame);
        publisher.send(frame);
      };
      const problems: string[] = [];
      const check = (name: string, answer: RawExchange, expected: number | 'closed' | 'any') => {
        if (!answer.settled) problems.push(`${name}: neither answered nor closed`);
        else if (expected === 'closed' && answer.text !== '') problems.push(`${name}: expected a bare close, got ${JSON.stringify(answer.text.slice(0, 80))}`);
        else if (typeof expected === 'number' && answer.status !== expected) problems.push(`${name}: expected ${expected}, got ${JSON.stringify(answer.text.slice(0, 120))}`);
        else if (expected === 'any' && answer.text !== '' && answer.status === undefined) problems.push(`${name}: not an HTTP answer: ${JSON.stringify(answer.text.slice(0, 80))}`);
        // A refusal is one sentence (the watch page's 404 a short page): nothing the peer sent is echoed back at length.
        const body = answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4);
        if (answer.status !== undefined && answer.status >= 400 && body.length > 800) problems.push(`${name}: a ${body.length}-byte refusal`);
      };

      for (const c of UPGRADES) {
        const expected = expectedUpgrade(config, c);
        const answer = await exchange(Buffer.from(upgradeRequest(c), 'latin1'));
        // rawExchange half-closes at once. A signed token is checked asynchronously, and a peer that
        // has stopped sending by then is not upgraded (ws refuses a socket that has ended): closed instead.
        check(`upgrade with ${c.name}`, answer, expected === 101 && config.args.includes('--jwt-secret') && answer.text === '' ? 'closed' : expected);
        publishOne();
      }
      for (const [name, request, expected] of PLAIN) {
        check(name, await exchange(Buffer.from(request, 'latin1')), expected);
        publishOne();
      }
      for (const [name, request, expected] of WEB) {
        const answer = await exchange(Buffer.from(request, 'latin1'));
        // As for upgrades: a signed token is checked asynchronously, and Node closes a plain request's
        // socket whose peer stopped sending meanwhile (rawExchange half-closes at once): closed instead.
        // So is /api/channels on Redis, which asks Redis for the other nodes' channels.
        const answeredLater =
          (config.args.includes('--jwt-secret') && request.includes(`Bearer ${TOKEN}`)) || (REDIS_MODE_URL !== undefined && request.startsWith('GET /api/channels'));
        const checkedLater = answeredLater && answer.text === '';
        check(name, answer, checkedLater ? 'closed' : expected(config));
        publishOne();
      }
      for (const [index, request] of randomRequests(seededRandom(7000 + configIndex), 40).entries()) {
        // Random bytes may by chance form something valid; any HTTP answer or a close is fine.
        check(`random request ${index}`, await exchange(request), 'any');
        publishOne();
      }
      assert.deepEqual(problems, [], 'every request got its answer');

      await subscriber.waitForFrames(1 + sent.length, 10_000);
      await subscriber.settle(100);
      assert.deepEqual(subscriber.texts.slice(1), sent, 'the subscriber got every message, in order, and nothing else');
      assert.equal(relay.child.exitCode, null, 'the relay is still running');
      const health = await httpText(relay.port, '/healthz', trust);
      assert.equal(health.status, 200);
      assert.deepEqual(JSON.parse(health.body), { status: 'ok', connections: 2, channels: 1, subscriptions: 1 });
      const metrics = (await httpText(relay.port, '/metrics', trust)).body;
      assert.doesNotMatch(metrics, /code="internal_error"/, 'no handler threw: the safety net was never needed');
      assert.doesNotMatch(relay.stderr(), /internal error/);
      await Promise.all([subscriber.close(), publisher.close()]);
      assert.equal(await relay.stop('SIGTERM'), 0, 'a clean exit');
    } finally {
      await relay.stop('SIGKILL');
      ca?.dispose();
    }
  });
}

/** GET `path` from the relay, over HTTPS trusting `tls.ca` when given. */
async function httpText(port: number, path: string, tls?: { ca: string }): Promise<{ status: number; body: string }> {
  if (!tls) {
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: response.status, body: await response.text() };
  }
  return new Promise((resolve, reject) => {
    httpsGet({ host: '127.0.0.1', port, path, ca: tls.ca, servername: 'localhost', agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}
