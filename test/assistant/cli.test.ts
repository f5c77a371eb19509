// The command line end to end on loopback, run as a user runs it (node dist/cli.js):
// a real relay, a raw subscriber on the channel, the fake OpenAI and weather servers.
// Run `npm run build` first: these tests spawn the bundled dist/cli.js.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import { after, before, describe, test, type TestContext } from 'node:test';
import { CLI, runCli, track } from '../support/cli-process';
import { startRelay, type RunningRelay } from '../../src/relay';
import { validateWireMessage } from '../../src/protocol';
import { rateLimited, refusalReply, startFakeOpenAI, splitIntoDeltas, textReply, toolCallReply, unauthorized, type FakeOpenAI } from '../fakes/openai-server';
import { startFakeWeatherServer, type FakeWeatherServer } from '../fakes/weather-server';
import { mintToken } from '../../src/relay/auth/mint-token';
import { makeTestCa } from '../support/test-ca';
import { waitUntil } from '../support/wait';
import { WsPeer } from '../support/ws-peer';
import { MAKATI, unusedPort, within } from './helpers';

const CHANNEL = 'weather-update';
const QUESTION = "What's the weather in Makati?";
const ANSWER = 'In Makati it is 31.2 °C (feels like 37.4 °C), partly cloudy, with 70% humidity.';
/** For a whole describe(): the sum of its tests, with room for a busy machine. */
const SUITE_TIMEOUT = { timeout: 120_000 };

let fake: FakeOpenAI;
let weather: FakeWeatherServer;

before(async () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`);
  fake = await startFakeOpenAI();
  weather = await startFakeWeatherServer();
});

after(async () => {
  await weather.close();
  await fake.close();
});

function modelArgs(api: 'responses' | 'chat' = 'responses'): string[] {
  return [
    '--api', api,
    '--base-url', fake.baseUrl,
    '--model', 'gpt-test',
    '--forecast-url', weather.forecastUrl,
    '--geocoding-url', weather.geocodingUrl,
  ];
}

/** Listens on 127.0.0.1:`port` and pipes every connection to 127.0.0.1:`target`. */
async function forwardPort(t: TestContext, port: number, target: number): Promise<void> {
  const sockets = new Set<Socket>();
  const server = createNetServer((socket) => {
    const upstream = connect(target, '127.0.0.1');
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        socket.destroy();
        upstream.destroy();
      });
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolvePromise());
  });
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
  });
}

async function relayWithSubscriber(t: TestContext): Promise<{ relay: RunningRelay; peer: WsPeer }> {
  const relay = await startRelay({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 0 });
  t.after(() => relay.close());
  const peer = await WsPeer.open(relay.url);
  t.after(() => peer.close());
  assert.deepEqual(await peer.subscribe(CHANNEL), { type: 'subscribed', payload: { channel: CHANNEL, message: 'subscribed' } });
  return { relay, peer };
}

/** The seed's flow for one turn: started → tool_executed → deltas → completed, on one thread. */
function assertSeedFlow(messages: any[], answer: string, threadId?: string): void {
  for (const message of messages) assert.equal(message.type, CHANNEL);
  const payloads = messages.map((m) => m.payload);
  const statuses = payloads.map((p) => p.status ?? 'delta');
  const deltaCount = splitIntoDeltas(answer).length;
  assert.deepEqual(statuses, ['started', 'tool_executed', ...Array(deltaCount).fill('delta'), 'completed']);
  assert.deepEqual(payloads.map((p) => p.type), ['tool', 'tool', ...Array(deltaCount).fill('response'), 'response']);
  const threads = new Set(payloads.map((p) => p.thread_id));
  assert.equal(threads.size, 1, `one thread_id, got ${[...threads].join(', ')}`);
  if (threadId) assert.equal(payloads[0].thread_id, threadId);
  else assert.match(payloads[0].thread_id, /^thread_[0-9a-f]+$/);
  assert.equal(payloads[0].message, 'Executing weather check for Makati');
  const report = JSON.parse(payloads[1].message);
  assert.equal(report.temperature, MAKATI.temperature);
  assert.equal(report.condition, MAKATI.condition);
  const deltas = payloads.slice(2, -1).map((p) => p.message);
  assert.deepEqual(deltas, splitIntoDeltas(answer));
  assert.equal(deltas.join(''), payloads.at(-1).message, 'the deltas join to the completed text');
  assert.equal(payloads.at(-1).message, answer);
  assert.deepEqual(payloads.map((p) => p.seq), payloads.map((_, i) => i));
  for (const p of payloads) assert.ok(Number.isInteger(p.timestamp));
}

describe('CLI end to end on loopback', SUITE_TIMEOUT, () => {
  for (const api of ['responses', 'chat'] as const) {
    test(`${api}: ask about Makati → stdout streams the answer; a raw subscriber sees started → tool_executed → deltas → completed`, async (t) => {
      fake.reset();
      weather.reset();
      const { relay, peer } = await relayWithSubscriber(t);
      fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }, { callId: 'call_cli' }), textReply(ANSWER));

      const run = track(t, runCli(['ask', QUESTION, '--server', relay.url, '--channel', CHANNEL, ...modelArgs(api)], { env: { OPENAI_API_KEY: 'test' } }));
      const code = await run.exit;
      assert.equal(code, 0, `exit ${code}; stderr: ${run.stderr()}`);
      assert.equal(run.stdout(), `${ANSWER}\n`);
      assert.equal(run.stderr(), '');

      const frames = await peer.waitForFrames(1 + 2 + splitIntoDeltas(ANSWER).length + 1);
      await peer.settle(100);
      assert.equal(peer.frames.length, frames.length, 'nothing after completed');
      assertSeedFlow(peer.messages.slice(1), ANSWER);

      // The key came from OPENAI_API_KEY, and the tool output went back with the model's call id.
      assert.equal(fake.requests[0].headers.authorization, 'Bearer test');
      assert.equal(fake.requests.length, 2);
      assert.equal(fake.requests[1].rejected, undefined);
    });
  }

  for (const api of ['responses', 'chat'] as const) {
    test(`${api}: the model refuses → stdout prints the refusal; the subscriber sees it as deltas and the completed answer`, async (t) => {
      fake.reset();
      const { peer, relay } = await relayWithSubscriber(t);
      const refusal = "I'm sorry, but I can't help with that request.";
      fake.enqueue(refusalReply(refusal));
      const run = track(t, runCli(['ask', 'Something harmful?', '--server', relay.url, ...modelArgs(api)], { env: { OPENAI_API_KEY: 'test' } }));
      const code = await run.exit;
      assert.equal(code, 0, `exit ${code}; stderr: ${run.stderr()}`);
      assert.equal(run.stdout(), `${refusal}\n`);
      assert.equal(run.stderr(), '');

      await peer.waitForFrames(1 + splitIntoDeltas(refusal).length + 1);
      await peer.settle(100);
      const messages = peer.messages.slice(1);
      for (const message of messages) assert.ok(validateWireMessage(message).ok, JSON.stringify(message));
      const payloads = messages.map((m) => m.payload);
      assert.deepEqual(payloads.map((p) => [p.status ?? 'delta', p.type]), [
        ...splitIntoDeltas(refusal).map(() => ['delta', 'response']),
        ['completed', 'response'],
      ]);
      assert.deepEqual(payloads.slice(0, -1).map((p) => p.message), splitIntoDeltas(refusal));
      assert.equal(payloads.at(-1).message, refusal);
    });
  }

  test('a forecast on OpenWeatherMap: --openweathermap-forecast-url is used, and the subscriber hears "Executing weather forecast for Tokyo"', async (t) => {
    fake.reset();
    weather.reset();
    const { relay, peer } = await relayWithSubscriber(t);
    const answer = 'Rain is likely in Tokyo tomorrow.';
    fake.enqueue(toolCallReply('get_forecast', { location: 'Tokyo', days: 2 }, { callId: 'call_forecast' }), textReply(answer));
    const run = track(t, runCli(
      [
        'ask', 'Will it rain in Tokyo tomorrow?', '--server', relay.url, ...modelArgs(),
        '--weather-provider', 'openweathermap', '--forecast-url', weather.owmUrl,
        '--openweathermap-forecast-url', `${weather.owmForecastUrl}?lang=en`,
      ],
      { env: { OPENAI_API_KEY: 'test', OPENWEATHERMAP_API_KEY: weather.owmApiKey } },
    ));
    assert.equal(await run.exit, 0, run.stderr());
    assert.equal(run.stdout(), `${answer}\n`);
    assert.deepEqual(weather.requests.map((r) => [r.path, r.query.lang, r.query.q]), [['/data/2.5/forecast', 'en', 'Tokyo']]);
    await peer.waitForFrames(1 + 2 + splitIntoDeltas(answer).length + 1);
    const payloads = peer.messages.slice(1).map((m) => m.payload);
    assert.deepEqual(payloads.slice(0, 2).map((p) => [p.status, p.tool_call_id]), [['started', 'call_forecast'], ['tool_executed', 'call_forecast']]);
    assert.equal(payloads[0].message, 'Executing weather forecast for Tokyo');
    const forecast = JSON.parse(payloads[1].message);
    assert.deepEqual([forecast.source, forecast.utc_offset, forecast.daily.date.length], ['openweathermap', '+09:00', 2]);
    assert.equal(payloads.at(-1).message, answer);
  });

  test('--thread, --api-key-env and --channel are honoured', async (t) => {
    fake.reset();
    const relay = await startRelay({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 0 });
    t.after(() => relay.close());
    const peer = await WsPeer.open(relay.url);
    t.after(() => peer.close());
    await peer.subscribe('elsewhere');
    fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }), textReply(ANSWER));
    const run = track(t, runCli(
      ['ask', QUESTION, '--server', relay.url, '--channel', 'elsewhere', '--thread', 'thread_given', '--api-key-env', 'MY_KEY', ...modelArgs()],
      { env: { MY_KEY: 'sk-from-my-key' } },
    ));
    assert.equal(await run.exit, 0, run.stderr());
    assert.equal(fake.requests[0].headers.authorization, 'Bearer sk-from-my-key');
    await peer.waitForFrames(1 + 3 + splitIntoDeltas(ANSWER).length);
    const messages = peer.messages.slice(1);
    assert.ok(messages.every((m) => m.type === 'elsewhere'));
    assertSeedFlow(messages.map((m) => ({ ...m, type: CHANNEL })), ANSWER, 'thread_given');
  });

  test('relay token from WEATHER_RELAY_TOKEN over wss:// with --ca-file; a refused or watch-only token exits 1 saying so', async (t) => {
    const ca = makeTestCa();
    t.after(() => ca.dispose());
    const issued = ca.issue('relay');
    const secret = 'a-secret-for-the-command-line-tests-32b!';
    const relay = await startRelay({ host: '127.0.0.1', port: 0, heartbeatIntervalMs: 0, jwt: { secret }, tls: { cert: issued.cert, key: issued.key } });
    t.after(() => relay.close());
    const token = (publish: string[]) => mintToken({ secret, sub: 'cli', subscribe: [CHANNEL], publish, ttlSeconds: 600 });
    const peer = await WsPeer.open(relay.url, { ca: ca.ca, headers: { authorization: `Bearer ${await token([])}` } });
    t.after(() => peer.close());
    await peer.subscribe(CHANNEL);
    const ask = async (env: Record<string, string>, extra: string[] = []) => {
      fake.reset();
      fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }), textReply(ANSWER));
      const run = track(t, runCli(['ask', QUESTION, '--server', relay.url, '--ca-file', ca.caFile, '--flush-timeout-ms', '2000', ...extra, ...modelArgs()], { env: { OPENAI_API_KEY: 'test', ...env } }));
      return { code: await run.exit, stdout: run.stdout(), stderr: run.stderr() };
    };

    const allowed = await ask({ WEATHER_RELAY_TOKEN: await token([CHANNEL]) });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.equal(allowed.stderr, '');
    await peer.waitForFrames(1 + 2 + splitIntoDeltas(ANSWER).length + 1);
    assertSeedFlow(peer.messages.slice(1), ANSWER);

    const other = await ask({ TEAM_TOKEN: await token([CHANNEL]) }, ['--token-env', 'TEAM_TOKEN']);
    assert.equal(other.code, 0, other.stderr);

    const refused = await ask({ WEATHER_RELAY_TOKEN: 'not-a-valid-token' });
    assert.equal(refused.code, 1);
    assert.equal(refused.stdout, `${ANSWER}\n`, 'the answer still comes');
    assert.match(refused.stderr, /refused the token \(HTTP 401 Unauthorized\): the token is not a well-formed JWT; answering anyway, but nothing will be published/);
    assert.match(refused.stderr, /nothing was published/);
    assert.ok(!refused.stderr.includes('not-a-valid-token'), 'the token is never printed');

    const watchOnly = await ask({ WEATHER_RELAY_TOKEN: await token([]) });
    assert.equal(watchOnly.code, 1);
    const lines = watchOnly.stderr.trim().split('\n');
    assert.deepEqual(lines.map((line) => line.replace(/\d+ event/, 'N event')), [
      'weather-assistant: not allowed to publish on weather-update: the access token does not grant it',
      'weather-assistant: N event(s) were refused: the token may not publish on weather-update',
    ]);

    const untrusted = await ask({}, ['--ca-file', '/nonexistent/ca.pem']);
    assert.equal(untrusted.code, 2);
    assert.equal(untrusted.stderr, 'weather-assistant: --ca-file: /nonexistent/ca.pem does not exist\n');
    const badToken = await ask({ WEATHER_RELAY_TOKEN: 'two words' });
    assert.equal(badToken.code, 2);
    assert.equal(badToken.stderr, 'weather-assistant: the token in WEATHER_RELAY_TOKEN cannot be sent: a relay token is printable ASCII without spaces\n');
  });

  test('relay unreachable: still answers (exit 0), warns once on stderr', async (t) => {
    fake.reset();
    const port = await unusedPort();
    fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }), textReply(ANSWER));
    const run = track(t, runCli(
      ['ask', QUESTION, '--server', `ws://127.0.0.1:${port}`, '--flush-timeout-ms', '300', ...modelArgs()],
      { env: { OPENAI_API_KEY: 'test' } },
    ));
    const code = await run.exit;
    assert.equal(code, 0, run.stderr());
    assert.equal(run.stdout(), `${ANSWER}\n`);
    const lines = run.stderr().trim().split('\n');
    const warnings = lines.filter((line) => /warning/i.test(line));
    assert.equal(warnings.length, 1, `one warning, got:\n${run.stderr()}`);
    assert.match(warnings[0], new RegExp(`^weather-assistant: warning: .*127\\.0\\.0\\.1:${port}.*answering anyway`));
    // Everything else said is the one line about what could not be delivered.
    assert.deepEqual(lines.filter((line) => !/warning/i.test(line)).map((l) => l.replace(/\d+/, 'N')), [
      'weather-assistant: N event(s) were not delivered: the relay stayed unreachable',
    ]);
  });

  test('relay started after the CLI began: the queued events are delivered, in order, before it exits', async (t) => {
    fake.reset();
    // The relay, with its subscriber, comes up at a pre-chosen port only after the CLI
    // has begun. A plain TCP forwarder on that port stands for "the relay starts there":
    // the subscriber is on the channel beforehand, so no frame can slip past it.
    const { relay, peer } = await relayWithSubscriber(t);
    const port = await unusedPort();
    // A slow turn (about 2 s) so the relay comes up while the CLI is still answering.
    fake.enqueue(toolCallReply('get_weather', { location: 'Makati' }, { delayMs: 60 }), textReply(ANSWER, { delayMs: 40 }));
    const run = track(t, runCli(
      ['ask', QUESTION, '--server', `ws://127.0.0.1:${port}`, '--flush-timeout-ms', '8000', ...modelArgs()],
      { env: { OPENAI_API_KEY: 'test' } },
    ));
    // Wait until the CLI has found the relay down (its one warning), has run the tool and
    // is streaming the answer: the tool events and the first deltas are queued by now.
    await within(waitUntil(() => /warning/.test(run.stderr()) && fake.requests.length >= 2 && run.stdout().length > 0, 10_000, 'the CLI to warn, run the tool and stream'), 10_000, );
    assert.equal(run.child.exitCode, null, 'still running');
    assert.equal(peer.frames.length, 1, 'nothing delivered while the relay was down');

    await forwardPort(t, port, relay.port);
    assert.equal(run.child.exitCode, null, 'the relay came up before the CLI finished');

    const code = await run.exit;
    assert.equal(code, 0, run.stderr());
    assert.equal(run.stdout(), `${ANSWER}\n`);
    assert.equal(run.stderr().trim().split('\n').length, 1, `only the one warning:\n${run.stderr()}`);
    await peer.waitForFrames(1 + 3 + splitIntoDeltas(ANSWER).length);
    await peer.settle(100);
    assertSeedFlow(peer.messages.slice(1), ANSWER);
  });

  test('model error: exit 1 with one clear line on stderr; the subscriber gets the error payload', async (t) => {
    fake.reset();
    const { relay, peer } = await relayWithSubscriber(t);
    fake.enqueue(unauthorized('sk-wrong-key-123456'));
    const run = track(t, runCli(['ask', QUESTION, '--server', relay.url, ...modelArgs()], { env: { OPENAI_API_KEY: 'sk-wrong-key-123456' } }));
    const code = await run.exit;
    assert.equal(code, 1);
    assert.equal(run.stdout(), '');
    const lines = run.stderr().split('\n').filter((line) => line !== '');
    assert.equal(lines.length, 1, run.stderr());
    assert.match(lines[0], /^weather-assistant: the model server at http:\/\/127\.0\.0\.1:\d+\/v1 rejected the API key \(401\)/);
    const [, message] = await peer.waitForFrames(2);
    const payload = JSON.parse(message).payload;
    assert.deepEqual([payload.status, payload.type], ['error', 'response']);
    assert.equal(`weather-assistant: ${payload.message}`, lines[0]);
  });

  test('a retry wait: the notice on stderr, the answer on stdout; the subscriber gets the notice payload first', async (t) => {
    fake.reset();
    const { relay, peer } = await relayWithSubscriber(t);
    fake.enqueue(rateLimited(1, { retryAfterMs: 200 }), textReply('Sunny.'));
    const run = track(t, runCli(['ask', QUESTION, '--server', relay.url, ...modelArgs()], { env: { OPENAI_API_KEY: 'test' } }));
    const code = await run.exit;
    assert.equal(code, 0, run.stderr());
    assert.equal(run.stdout(), 'Sunny.\n');
    const notice = 'Waiting 0.2 s to retry (attempt 2 of 3): the model server is rate limiting (HTTP 429).';
    assert.equal(run.stderr(), `weather-assistant: ${notice}\n`);
    await peer.waitForFrames(1 + 1 + splitIntoDeltas('Sunny.').length + 1);
    const messages = peer.messages.slice(1);
    for (const message of messages) assert.ok(validateWireMessage(message).ok, JSON.stringify(message));
    const payloads = messages.map((m) => m.payload);
    assert.deepEqual([payloads[0].message, payloads[0].status, payloads[0].notice], ['', undefined, notice]);
    assert.deepEqual(payloads.slice(1).map((p) => p.status ?? 'delta'), [...splitIntoDeltas('Sunny.').map(() => 'delta'), 'completed']);
  });

  test('interrupted (SIGINT) mid-stream: exit 130, the subscriber sees the cancellation', async (t) => {
    fake.reset();
    const { relay, peer } = await relayWithSubscriber(t);
    fake.enqueue(textReply(ANSWER, { delayMs: 100 }));
    const run = track(t, runCli(['ask', QUESTION, '--server', relay.url, ...modelArgs()], { env: { OPENAI_API_KEY: 'test' } }));
    await within(waitUntil(() => run.stdout().length > 0, 10_000, 'the first words on stdout'), 10_000);
    run.child.kill('SIGINT');
    const code = await within(run.exit, 3_000, 'the interrupted CLI');
    assert.equal(code, 130, run.stderr());
    assert.match(run.stderr(), /^weather-assistant: cancelled\n$/);
    await peer.until(() => peer.messages.some((m) => m.payload?.status === 'error'), 3_000, 'the error payload');
    assert.equal(peer.messages.at(-1).payload.message, 'The request was cancelled.');
  });

  test('bad usage exits 2 with a message and the usage', async (t) => {
    const port = await unusedPort();
    const cases: [string[], RegExp][] = [
      [[], /missing command: ask/],
      [['ask'], /missing question/],
      [['tell', 'me'], /unknown command "tell"/],
      [['ask', QUESTION, '--bogus'], /bogus/],
      [['ask', QUESTION, '--flush-timeout-ms', 'soon'], /--flush-timeout-ms must be a whole number/],
      [['ask', QUESTION, '--api', 'foo', '--server', `ws://127.0.0.1:${port}`], /api must be "responses" or "chat"/],
      [['ask', QUESTION, '--base-url', 'nope', '--server', `ws://127.0.0.1:${port}`], /baseUrl is not a valid URL: "nope"/],
      [['ask', QUESTION, '--server', `http://127.0.0.1:${port}`, '--base-url', fake.baseUrl], /relay URI must use ws:\/\/ or wss:\/\//],
    ];
    for (const [args, pattern] of cases) {
      const run = track(t, runCli(args, { env: { OPENAI_API_KEY: 'test' } }));
      const code = await run.exit;
      assert.equal(code, 2, `${JSON.stringify(args)}: exit ${code}, stderr ${run.stderr()}`);
      assert.match(run.stderr(), /^weather-assistant: /, JSON.stringify(args));
      assert.match(run.stderr(), pattern, JSON.stringify(args));
      assert.equal(run.stdout(), '', JSON.stringify(args));
    }
    const help = track(t, runCli(['--help']));
    assert.equal(await help.exit, 0);
    assert.match(help.stdout(), /^Usage: weather-assistant ask "QUESTION"/);
  });
});
