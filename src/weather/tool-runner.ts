/**
 * What every weather tool does around its provider call: arguments in, one JSON result
 * out, through a bounded time-limited cache, under one deadline, cancellable. Everything
 * the model could cause, or the network could do, ends as a result with an `error` field;
 * only the caller's own cancellation rejects, so the caller can stop its turn.
 */
import type { Units } from './args';
import { TtlCache } from './cache';
import { resolveWeatherConfig, type ResolvedWeatherConfig, type WeatherConfig, type WeatherProvider } from './config';
import type { ToolDefinition } from './definition';
import { callContext, type CallContext } from './http';
import type { ProviderOutcome, WeatherError } from './result';

/** One run of a weather tool; `R` is its report (WeatherReport, ForecastReport). */
export interface ToolRun<R> {
  /** The place as the model asked for it (trimmed), for "Executing weather check for …"; "" if the arguments had none. */
  location: string;
  /** What the model should see: a report, or `{error, location?, source}`. */
  result: R | WeatherError;
  /** `result` as a JSON string, ready to hand back as the tool output. */
  resultJson: string;
  /** Set (and equal to `result.error`) when the check failed. */
  error?: string;
  /** True when the result came from the cache without any request. */
  cached: boolean;
}

type Parsed<A> = { ok: true; args: A } | { ok: false; error: string };

/** A weather tool: `A` its parsed arguments, `R` its report. */
export interface WeatherToolOf<A, R> {
  /** Provider-neutral definition; wrap with toResponsesTool / toChatCompletionsTool. */
  readonly definition: ToolDefinition;
  readonly provider: WeatherProvider;
  /** Validates raw arguments without running anything, e.g. to announce the location first. */
  parseArgs(raw: string): Parsed<A>;
  /**
   * Runs one check. `args` is the model's raw `arguments` string or already-parsed
   * arguments. Never rejects, except with `signal.reason` when `signal` aborts.
   */
  run(args: string | A, signal?: AbortSignal): Promise<ToolRun<R>>;
  clearCache(): void;
}

type Lookup<A, R> = (config: ResolvedWeatherConfig, context: CallContext, args: A, units: Units) => Promise<ProviderOutcome<R>>;

export interface ToolSpec<A extends { location: string; units?: Units }, R> {
  definition: ToolDefinition;
  parse(raw: string): Parsed<A>;
  validate(data: unknown): Parsed<A>;
  /** What, besides the provider, the units and the place, makes two calls ask different things (days, hourly). */
  variant?(args: A): string;
  /** The request to each provider. */
  lookup: Record<WeatherProvider, Lookup<A, R>>;
}

/** Throws an Error listing every configuration problem; a tool is never built half-configured. */
export function createTool<A extends { location: string; units?: Units }, R>(input: WeatherConfig, spec: ToolSpec<A, R>): WeatherToolOf<A, R> {
  const resolved = resolveWeatherConfig(input);
  if (!resolved.ok) throw new Error(`Invalid weather configuration: ${resolved.problems.join('; ')}`);
  const config = resolved.config;
  const lookup = spec.lookup[config.provider];
  const cache = new TtlCache<R>({ ttlMs: config.cacheTtlMs, maxEntries: config.cacheMaxEntries, now: config.now });

  const finish = (location: string, result: R | WeatherError, cached = false): ToolRun<R> => {
    const run: ToolRun<R> = { location, result, resultJson: JSON.stringify(result), cached };
    if (typeof result === 'object' && result !== null && 'error' in result) run.error = (result as WeatherError).error;
    return run;
  };
  const failed = (error: string, location: string | undefined): ToolRun<R> => {
    const result: WeatherError = location === undefined ? { error, source: config.provider } : { error, location, source: config.provider };
    return finish(location ?? '', result);
  };

  async function run(args: string | A, signal?: AbortSignal): Promise<ToolRun<R>> {
    signal?.throwIfAborted();
    const parsed = typeof args === 'string' ? spec.parse(args) : spec.validate(args);
    if (!parsed.ok) return failed(parsed.error, undefined);
    const { location } = parsed.args;
    const units: Units = parsed.args.units ?? config.units;
    // Spelling and spacing vary between calls ("makati" / "Makati "); the place does not.
    const key = [config.provider, units, spec.variant?.(parsed.args) ?? '', location.toLowerCase().replace(/\s+/g, ' ')].join('\u0000');

    const hit = cache.get(key);
    // A copy, so a caller editing its result cannot change what the next caller gets.
    if (hit !== undefined) return finish(location, structuredClone(hit), true);

    const context: CallContext = callContext(config.fetch, config.timeoutMs, signal);
    let outcome: ProviderOutcome<R>;
    try {
      outcome = await lookup(config, context, parsed.args, units);
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

  return { definition: spec.definition, provider: config.provider, parseArgs: spec.parse, run, clearCache: () => cache.clear() };
}
