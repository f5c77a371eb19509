/**
 * `createWeatherTool`: arguments in, one JSON result out. Everything the model
 * could cause, or the network could do, ends as a result with an `error` field;
 * only the caller's own cancellation rejects, so the caller can stop its turn.
 */
import { parseWeatherArgs, validateWeatherArgs, type ArgsResult, type Units, type WeatherArgs } from './args';
import { TtlCache } from './cache';
import { resolveWeatherConfig, type WeatherConfig, type WeatherProvider } from './config';
import { WEATHER_TOOL_DEFINITION, type ToolDefinition } from './definition';
import { callContext, type CallContext } from './http';
import { openMeteoCurrent } from './open-meteo';
import { openWeatherMapCurrent } from './openweathermap';
import type { ProviderOutcome, WeatherError, WeatherReport, WeatherResult } from './result';

export interface WeatherRun {
  /** The place as the model asked for it (trimmed), for "Executing weather check for …"; "" if the arguments had none. */
  location: string;
  /** What the model should see: a report, or `{error, location?, source}`. */
  result: WeatherResult;
  /** `result` as a JSON string, ready to hand back as the tool output. */
  resultJson: string;
  /** Set (and equal to `result.error`) when the check failed. */
  error?: string;
  /** True when the result came from the cache without any request. */
  cached: boolean;
}

export interface WeatherTool {
  /** Provider-neutral definition; wrap with toResponsesTool / toChatCompletionsTool. */
  readonly definition: ToolDefinition;
  readonly provider: WeatherProvider;
  /** Validates raw arguments without running anything, e.g. to announce the location first. */
  parseArgs(raw: string): ArgsResult;
  /**
   * Runs one check. `args` is the model's raw `arguments` string or already-parsed
   * arguments. Never rejects, except with `signal.reason` when `signal` aborts.
   */
  run(args: string | WeatherArgs, signal?: AbortSignal): Promise<WeatherRun>;
  clearCache(): void;
}

/** Throws an Error listing every configuration problem; a tool is never built half-configured. */
export function createWeatherTool(input: WeatherConfig = {}): WeatherTool {
  const resolved = resolveWeatherConfig(input);
  if (!resolved.ok) throw new Error(`Invalid weather configuration: ${resolved.problems.join('; ')}`);
  const config = resolved.config;
  const cache = new TtlCache<WeatherReport>({ ttlMs: config.cacheTtlMs, maxEntries: config.cacheMaxEntries, now: config.now });
  const lookup = config.provider === 'openweathermap' ? openWeatherMapCurrent : openMeteoCurrent;

  const finish = (location: string, result: WeatherResult, cached = false): WeatherRun => {
    const run: WeatherRun = { location, result, resultJson: JSON.stringify(result), cached };
    if ('error' in result) run.error = result.error;
    return run;
  };
  const failed = (error: string, location: string | undefined): WeatherRun => {
    const result: WeatherError = location === undefined ? { error, source: config.provider } : { error, location, source: config.provider };
    return finish(location ?? '', result);
  };

  async function run(args: string | WeatherArgs, signal?: AbortSignal): Promise<WeatherRun> {
    signal?.throwIfAborted();
    const parsed = typeof args === 'string' ? parseWeatherArgs(args) : validateWeatherArgs(args);
    if (!parsed.ok) return failed(parsed.error, undefined);
    const { location } = parsed.args;
    const units: Units = parsed.args.units ?? config.units;
    // Spelling and spacing vary between calls ("makati" / "Makati "); the place does not.
    const key = [config.provider, units, location.toLowerCase().replace(/\s+/g, ' ')].join('\u0000');

    const hit = cache.get(key);
    // A copy, so a caller editing its result cannot change what the next caller gets.
    if (hit !== undefined) return finish(location, structuredClone(hit), true);

    const context: CallContext = callContext(config.fetch, config.timeoutMs, signal);
    let outcome: ProviderOutcome;
    try {
      outcome = await lookup(config, context, location, units);
    } catch (error) {
      signal?.throwIfAborted();
      // Providers should not throw; if one does, the model still gets an answer.
      return failed(`The weather check failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`, location);
    }
    // Only successes are cached: a timeout or outage should be retried on the next ask.
    if (!outcome.ok) return failed(outcome.error, location);
    cache.set(key, outcome.report);
    return finish(location, structuredClone(outcome.report));
  }

  return {
    definition: WEATHER_TOOL_DEFINITION,
    provider: config.provider,
    parseArgs: parseWeatherArgs,
    run,
    clearCache: () => cache.clear(),
  };
}
