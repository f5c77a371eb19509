/**
 * `createForecastTool`: the `get_forecast` tool, daily (and on request hourly) forecasts
 * from the configured provider, with the same geocoding, units, cache, deadline,
 * cancellation and error wording as get_weather (tool-runner.ts).
 */
import type { WeatherConfig } from './config';
import { FORECAST_TOOL_DEFINITION } from './definition';
import { parseForecastArgs, validateForecastArgs, type ForecastArgs } from './forecast-args';
import type { ForecastReport } from './forecast-result';
import { openMeteoForecast } from './open-meteo-forecast';
import { openWeatherMapForecast } from './openweathermap-forecast';
import { createTool, type ToolRun, type WeatherToolOf } from './tool-runner';

/** One run of get_forecast: `{ location, result, resultJson, error?, cached }`. */
export type ForecastRun = ToolRun<ForecastReport>;

/** `.definition`, `.provider`, `.parseArgs(raw)`, `.run(args, signal?)`, `.clearCache()`. */
export type ForecastTool = WeatherToolOf<ForecastArgs, ForecastReport>;

/** Throws an Error listing every configuration problem; a tool is never built half-configured. */
export function createForecastTool(input: WeatherConfig = {}): ForecastTool {
  return createTool<ForecastArgs, ForecastReport>(input, {
    definition: FORECAST_TOOL_DEFINITION,
    parse: parseForecastArgs,
    validate: validateForecastArgs,
    // Each length and the hourly block are asked for apart, so each is cached apart.
    variant: (args) => `${args.days}${args.hourly ? 'h' : ''}`,
    lookup: { 'open-meteo': openMeteoForecast, openweathermap: openWeatherMapForecast },
  });
}
