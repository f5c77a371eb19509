/**
 * The weather tool (`get_weather`), free of any `vscode` import so that the
 * engine (in the extension and the CLI) and tests can use it.
 *
 * Exported API
 * ------------
 * createWeatherTool(config?: WeatherConfig): WeatherTool
 *   Throws an Error naming every problem if `config` is invalid (bad URL, unknown
 *   provider, ...). Use resolveWeatherConfig(input) to check settings without throwing.
 *   WeatherConfig = { provider?: 'open-meteo' | 'openweathermap', units?: 'metric' | 'imperial',
 *     forecastUrl?, geocodingUrl?, apiKey?, timeoutMs? (8000), cacheTtlMs? (300000, 0 = off),
 *     cacheMaxEntries? (100), fetch?, now? }
 *
 * WeatherTool
 *   .definition                  provider-neutral {name, description, parameters}
 *   .parseArgs(raw: string)      {ok: true, args} | {ok: false, error}; runs nothing
 *   .run(args: string | WeatherArgs, signal?: AbortSignal): Promise<WeatherRun>
 *   .clearCache()
 *
 *   run() resolves for every failure the model or the network can cause (bad
 *   arguments, unknown place, HTTP errors, timeout, malformed or oversized body), with an
 *   error result. It rejects only when `signal` aborts, with `signal.reason`
 *   (an AbortError DOMException for a plain `controller.abort()`), so the caller
 *   can end the turn instead of reporting a tool result.
 *
 * WeatherRun = { location, result, resultJson, error?, cached }
 *   location    the place as asked, for "Executing weather check for <location>"
 *   result      WeatherReport or WeatherError (below); resultJson is its JSON text
 *
 * WeatherReport (same keys for both providers)
 *   { location: "Makati, Metro Manila, Philippines", latitude, longitude,
 *     temperature, apparent_temperature, humidity, wind_speed,   // the last three may be null
 *     condition: "Partly cloudy",
 *     units: { system: "metric", temperature: "°C", wind_speed: "km/h", humidity: "%" },
 *     observed_at: "2025-06-01T04:15:00.000Z", source: "open-meteo" }
 *   Wind speed is km/h for Open-Meteo metric, m/s for OpenWeatherMap metric, mph for
 *   imperial; `units` always says which.
 * WeatherError = { error: 'No place called "Atlantis" was found', location?, source }
 *
 * toResponsesTool(def?, {strict?}) / toChatCompletionsTool(def?, {strict?})
 *   Wrap the definition for OpenAI's Responses API ({type, name, description,
 *   parameters, strict}) or Chat Completions ({type, function: {...}}). strict
 *   defaults to true and uses the strict schema form (units: string | null).
 *
 * parseWeatherArgs(raw) / validateWeatherArgs(value), describeWmoCode(code),
 * TtlCache and the default endpoint URLs are exported for reuse and tests.
 */
export * from './args';
export * from './cache';
export * from './config';
export * from './definition';
export type { WeatherError, WeatherReport, WeatherResult, WeatherUnits } from './result';
export * from './tool';
export { describeWmoCode, WMO_CODES } from './wmo';
