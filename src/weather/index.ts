/**
 * The weather tools, `get_weather` (now) and `get_forecast` (the coming days), free of
 * any `vscode` import so that the engine (in the extension and the CLI) and tests can
 * use them.
 *
 * Exported API
 * ------------
 * createWeatherTool(config?: WeatherConfig): WeatherTool
 * createForecastTool(config?: WeatherConfig): ForecastTool
 *   Throw an Error naming every problem if `config` is invalid (bad URL, unknown
 *   provider, ...). Use resolveWeatherConfig(input) to check settings without throwing.
 *   WeatherConfig = { provider?: 'open-meteo' | 'openweathermap', units?: 'metric' | 'imperial',
 *     forecastUrl?, openWeatherMapForecastUrl?, geocodingUrl?, apiKey?, timeoutMs? (8000),
 *     cacheTtlMs? (300000, 0 = off), cacheMaxEntries? (100), fetch?, now? }
 *   forecastUrl is the current-weather endpoint: Open-Meteo's /v1/forecast (which also
 *   serves get_forecast) or OpenWeatherMap's /data/2.5/weather. openWeatherMapForecastUrl
 *   is OpenWeatherMap's /data/2.5/forecast; by default forecastUrl with `/weather` made
 *   `/forecast` when forecastUrl is set, else OpenWeatherMap's own.
 *
 * WeatherTool / ForecastTool (each tool has its own cache)
 *   .definition                  provider-neutral {name, description, parameters}
 *   .parseArgs(raw: string)      {ok: true, args} | {ok: false, error}; runs nothing
 *   .run(args: string | parsed args, signal?: AbortSignal): Promise<WeatherRun | ForecastRun>
 *   .clearCache()
 *
 *   run() resolves for every failure the model or the network can cause (bad
 *   arguments, unknown place, HTTP errors, timeout, malformed or oversized body), with an
 *   error result. It rejects only when `signal` aborts, with `signal.reason`
 *   (an AbortError DOMException for a plain `controller.abort()`), so the caller
 *   can end the turn instead of reporting a tool result.
 *
 * WeatherRun / ForecastRun = { location, result, resultJson, error?, cached }
 *   location    the place as asked, for "Executing weather check for <location>"
 *               ("Executing weather forecast for <location>")
 *   result      the report or WeatherError (below); resultJson is its JSON text
 *
 * get_weather arguments: { location, units? }
 * WeatherReport (same keys for both providers)
 *   { location: "Makati, Metro Manila, Philippines", latitude, longitude,
 *     temperature, apparent_temperature, humidity, wind_speed,   // the last three may be null
 *     condition: "Partly cloudy",
 *     units: { system: "metric", temperature: "°C", wind_speed: "km/h", humidity: "%" },
 *     observed_at: "2025-06-01T04:15:00.000Z", source: "open-meteo" }
 *   Wind speed is km/h for Open-Meteo metric, m/s for OpenWeatherMap metric, mph for
 *   imperial; `units` always says which.
 *
 * get_forecast arguments: { location, days? (1-7, default 3), hourly? (default false), units? }
 *   (null means "not given", as strict mode sends it). days 0, 30, 2.5 or "3", or hourly
 *   "yes", give an error result naming the argument and what it may be.
 * ForecastReport (same keys for both providers; columnar: one array per reading, every
 * array of a block as long as its dates or times; any reading may be null)
 *   { location: "Tokyo, Japan", latitude, longitude,
 *     timezone: "Asia/Tokyo",          // IANA name when the provider gives one, else "UTC+09:00"
 *     utc_offset: "+09:00",            // dates and times below are local at the place
 *     units: { system: "metric", temperature: "°C", precipitation: "mm",
 *              precipitation_probability: "%", wind_speed: "km/h" },
 *     daily: { date: ["2026-12-01", …], temperature_min: [3.1, …], temperature_max: [8.4, …],
 *              precipitation_probability: [80, …],   // % (highest of the day)
 *              precipitation: [5.2, …],              // mm or in, sum of the day
 *              wind_speed_max: [18, …], condition: ["Moderate rain", …] },   // words, never codes
 *     hourly: { time: ["2026-12-01T15:00", …], temperature, precipitation_probability,
 *               precipitation, wind_speed, condition },   // only when asked
 *     source: "open-meteo" }
 *   daily: 1 to `days` local dates from today. Open-Meteo gives every day asked for;
 *   OpenWeatherMap's free 5 day / 3 hour forecast covers 5 or 6 dates, the first and last
 *   in part, and each day aggregates its 3-hour steps (openweathermap-forecast.ts).
 *   hourly: up to 48 hours from the current hour; OpenWeatherMap steps by 3 hours (16 entries).
 *   Units: metric °C, mm, km/h (Open-Meteo) or m/s (OpenWeatherMap); imperial °F, in, mph.
 *
 * WeatherError = { error: 'No place called "Atlantis" was found', location?, source }
 *
 * toResponsesTool(def?, {strict?}) / toChatCompletionsTool(def?, {strict?})
 *   Wrap a definition for OpenAI's Responses API ({type, name, description,
 *   parameters, strict}) or Chat Completions ({type, function: {...}}). strict
 *   defaults to true and uses the strict schema form (units: string | null).
 *
 * parseWeatherArgs(raw) / validateWeatherArgs(value), parseForecastArgs / validateForecastArgs,
 * describeWmoCode(code), TtlCache and the default endpoint URLs are exported for reuse and tests.
 */
export * from './args';
export * from './cache';
export * from './config';
export * from './definition';
export * from './forecast-args';
export type { DailyForecast, ForecastReport, ForecastResult, ForecastUnits, HourlyForecast, Reading } from './forecast-result';
export * from './forecast-tool';
export type { WeatherError, WeatherReport, WeatherResult, WeatherUnits } from './result';
export * from './tool';
export type { ToolRun, WeatherToolOf } from './tool-runner';
export { describeWmoCode, WMO_CODES } from './wmo';
