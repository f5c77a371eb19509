/**
 * The relay suite runs twice: as it is, and with every relay it starts on Redis
 * (test/redis/relay-suite-in-redis-mode.test.ts sets WEATHER_TEST_RELAY_REDIS_URL to a
 * redis-server of its own). Each relay gets a database of its own on that server, so relays
 * stay as separate from each other as in-memory ones are.
 */
import { startRelay, type RelayOptions, type RunningRelay } from '../../src/relay';
import { RedisChannelEngine } from '../../src/relay/redis/redis-engine';

/** The redis-server every relay of this test process runs on, or undefined (in memory). */
export const REDIS_MODE_URL: string | undefined = process.env.WEATHER_TEST_RELAY_REDIS_URL || undefined;

let nextDatabase = 1;

/** A fresh database on the Redis of this run, or undefined in memory mode. */
export function nextRedisUrl(): string | undefined {
  return REDIS_MODE_URL === undefined ? undefined : `${REDIS_MODE_URL}/${nextDatabase++}`;
}

/** Why a test is skipped in Redis mode, for a test of something only the in-memory engine has. */
export function inMemoryOnly(why: string): string | false {
  return REDIS_MODE_URL === undefined ? false : `in-memory engine only: ${why}`;
}

/** startRelay, on a Redis engine of its own in Redis mode. */
export async function startTestRelay(options: RelayOptions = {}): Promise<RunningRelay> {
  const url = nextRedisUrl();
  if (url === undefined) return startRelay(options);
  const engine = new RedisChannelEngine({ url, historySize: options.historySize });
  const health = await engine.ready(5_000);
  try {
    if (!health.ok) throw new Error(`the Redis of this test run is not answering: ${health.reason}`);
    return await startRelay({ ...options, engine });
  } catch (error) {
    await engine.close();
    throw error;
  }
}
