/**
 * `createWeatherTool`: the `get_weather` tool, current weather from the configured
 * provider. The cache, deadline and cancellation are the shared ones (tool-runner.ts).
 */
import { parseWeatherArgs, validateWeatherArgs, type WeatherArgs } from './args';
import type { WeatherConfig } from './config';
import { WEATHER_TOOL_DEFINITION } from './definition';
import { openMeteoCurrent } from './open-meteo';
import { openWeatherMapCurrent } from './openweathermap';
import type { WeatherReport } from './result';
import { createTool, type ToolRun, type WeatherToolOf } from './tool-runner';

/** One run of get_weather: `{ location, result, resultJson, error?, cached }`. */
export type WeatherRun = ToolRun<WeatherReport>;

/** `.definition`, `.provider`, `.parseArgs(raw)`, `.run(args, signal?)`, `.clearCache()`. */
export type WeatherTool = WeatherToolOf<WeatherArgs, WeatherReport>;

/** Throws an Error listing every configuration problem; a tool is never built half-configured. */
export function createWeatherTool(input: WeatherConfig = {}): WeatherTool {
  return createTool<WeatherArgs, WeatherReport>(input, {
    definition: WEATHER_TOOL_DEFINITION,
    parse: parseWeatherArgs,
    validate: validateWeatherArgs,
    lookup: {
      'open-meteo': (config, context, args, units) => openMeteoCurrent(config, context, args.location, units),
      openweathermap: (config, context, args, units) => openWeatherMapCurrent(config, context, args.location, units),
    },
  });
}
