#!/usr/bin/env node
/**
 * `node dist/cli.js ask "What's the weather in Makati?"`: the seed's original use.
 * Streams the answer to stdout as it arrives and publishes every event to the relay
 * channel. Exit 0 when the answer completed; otherwise one clear line on stderr and
 * exit 1 (2 for bad usage, 130 when interrupted). An unreachable relay costs one
 * warning: the answer still comes, and queued events are delivered if the relay
 * returns before the CLI exits.
 */
import { parseArgs } from 'node:util';
import { readCaFile, WebSocketManager } from '../client';
import { bearerTokenProblem } from '../protocol';
import { WeatherAssistant } from './assistant';
import { ChannelPublisher } from './channel-publisher';
import type { ModelApi } from './config';

const USAGE = `Usage: weather-assistant ask "QUESTION" [options]

  --server URI              relay to publish to (default ws://localhost:4000)
  --channel NAME            channel to publish on (default weather-update)
  --thread ID               continue a thread id (default: a new one)
  --api responses|chat      model API (default responses; chat for Ollama, LM Studio, vLLM, llama.cpp)
  --base-url URL            OpenAI-compatible base URL (default https://api.openai.com/v1)
  --model NAME              model name
  --api-key-env NAME        environment variable holding the API key (default OPENAI_API_KEY)
  --units metric|imperial   default units (default metric)
  --weather-provider NAME   open-meteo (default, no key) or openweathermap (key in OPENWEATHERMAP_API_KEY)
  --forecast-url URL        weather endpoint (for mirrors and tests)
  --openweathermap-forecast-url URL
                            OpenWeatherMap's forecast endpoint (default: --forecast-url with
                            /weather made /forecast, else OpenWeatherMap's own)
  --geocoding-url URL       geocoding endpoint (open-meteo)
  --flush-timeout-ms MS     how long to wait for the relay to take queued events at the end (default 5000)
  --token-env NAME          environment variable holding the relay's token, sent only to --server
                            (default WEATHER_RELAY_TOKEN; unset = no token)
  --ca-file FILE            PEM file of extra certificate authorities to trust for wss:// (a team's CA)
`;

class UsageError extends Error {}

function parseCli(argv: string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        server: { type: 'string', default: 'ws://localhost:4000' },
        channel: { type: 'string', default: 'weather-update' },
        thread: { type: 'string' },
        api: { type: 'string', default: 'responses' },
        'base-url': { type: 'string' },
        model: { type: 'string' },
        'api-key-env': { type: 'string', default: 'OPENAI_API_KEY' },
        units: { type: 'string', default: 'metric' },
        'weather-provider': { type: 'string', default: 'open-meteo' },
        'forecast-url': { type: 'string' },
        'openweathermap-forecast-url': { type: 'string' },
        'geocoding-url': { type: 'string' },
        'flush-timeout-ms': { type: 'string', default: '5000' },
        'token-env': { type: 'string', default: 'WEATHER_RELAY_TOKEN' },
        'ca-file': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true as const };
  const [command, ...words] = positionals;
  if (command !== 'ask') throw new UsageError(command ? `unknown command "${command}"` : 'missing command: ask');
  const question = words.join(' ').trim();
  if (!question) throw new UsageError('missing question: weather-assistant ask "What\'s the weather in Makati?"');
  const flushTimeoutMs = Number(values['flush-timeout-ms']);
  if (!Number.isInteger(flushTimeoutMs) || flushTimeoutMs < 0) throw new UsageError('--flush-timeout-ms must be a whole number of milliseconds');
  return { help: false as const, question, values, flushTimeoutMs };
}

async function main(): Promise<number> {
  let cli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`weather-assistant: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (cli.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { values, question, flushTimeoutMs } = cli;
  let assistant: WeatherAssistant;
  let manager: WebSocketManager;
  try {
    assistant = new WeatherAssistant({
      model: {
        api: values.api as ModelApi,
        baseUrl: values['base-url'],
        model: values.model,
        apiKey: process.env[values['api-key-env']!],
      },
      weather: {
        provider: values['weather-provider'] as 'open-meteo',
        units: values.units as 'metric',
        forecastUrl: values['forecast-url'],
        openWeatherMapForecastUrl: values['openweathermap-forecast-url'],
        geocodingUrl: values['geocoding-url'],
        apiKey: process.env.OPENWEATHERMAP_API_KEY,
      },
    });
    const token = process.env[values['token-env']!] || undefined;
    const problem = token === undefined ? undefined : bearerTokenProblem(token);
    if (problem) throw new Error(`the token in ${values['token-env']} cannot be sent: ${problem}`);
    const extraCa = values['ca-file'] ? await readCaFile(values['ca-file']).catch((error: Error) => Promise.reject(new Error(`--ca-file: ${error.message}`))) : undefined;
    manager = new WebSocketManager(values.server!, values.channel!, {
      reconnect: { initialDelayMs: 200, maxDelayMs: 2000 },
      headers: token ? { authorization: `Bearer ${token}` } : undefined,
      extraCa,
    });
  } catch (error) {
    process.stderr.write(`weather-assistant: ${(error as Error).message}\n`);
    return 2;
  }

  let warned = false;
  const warnRelay = (error: Error) => {
    if (warned) return;
    warned = true;
    process.stderr.write(`weather-assistant: warning: ${error.message}; answering anyway, events will be sent if the relay comes back\n`);
  };
  // A relay that refuses the token, or a token that may not publish here, ends in exit 1: the answer is not shared.
  let accessRefused: string | undefined;
  let forbidden = 0;
  manager.on('state', (state, error) => {
    if (!error) return;
    if (state !== 'closed') return warnRelay(error);
    // Closed with an error: refused for good (a token, a certificate); it will not come back.
    if (accessRefused) return;
    accessRefused = error.message;
    warned = true;
    process.stderr.write(`weather-assistant: ${error.message}; answering anyway, but nothing will be published\n`);
  });
  manager.on('serverError', (error) => {
    if (error.code === 'forbidden' && error.action === 'publish') {
      if (forbidden++ === 0) process.stderr.write(`weather-assistant: ${error.message}\n`);
      return;
    }
    process.stderr.write(`weather-assistant: relay refused an event: ${error.message}\n`);
  });
  manager.connect().catch(warnRelay);

  const publisher = new ChannelPublisher(manager);
  assistant.on('event', (event) => {
    publisher.handle(event);
    if (event.type === 'delta') process.stdout.write(event.text);
    if (event.type === 'waiting') process.stderr.write(`weather-assistant: ${event.message}\n`);
  });

  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const result = await assistant.ask(question, { threadId: values.thread, signal: controller.signal });
  if (result.text && !result.text.endsWith('\n')) process.stdout.write('\n');

  await waitForQueue(manager, flushTimeoutMs);
  const { unsent } = await manager.disconnect();
  if (unsent > 0) process.stderr.write(`weather-assistant: ${unsent} event(s) were not delivered: the relay stayed unreachable\n`);

  if (accessRefused) process.stderr.write(`weather-assistant: nothing was published: ${accessRefused}\n`);
  if (forbidden > 0) process.stderr.write(`weather-assistant: ${forbidden} event(s) were refused: the token may not publish on ${values.channel}\n`);
  if (result.status === 'completed') return accessRefused || forbidden > 0 ? 1 : 0;
  process.stderr.write(`weather-assistant: ${result.error}\n`);
  return result.status === 'cancelled' ? 130 : 1;
}

/** Gives a relay that is down or reconnecting a bounded chance to take what is queued. */
async function waitForQueue(manager: WebSocketManager, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (manager.queuedCount > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      process.stderr.write(`weather-assistant: unexpected failure: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}
