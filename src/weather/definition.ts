/**
 * The `get_weather` and `get_forecast` tools as provider-neutral JSON-schema
 * definitions, plus the two wrappers OpenAI's APIs expect. Kept apart from the runtime
 * so adapters can advertise the tools without pulling in any network code. The two
 * descriptions divide the work by time: now (get_weather), later (get_forecast).
 */
import { FORECAST_HOURS, MAX_FORECAST_DAYS, DEFAULT_FORECAST_DAYS } from './forecast-args';

export const WEATHER_TOOL_NAME = 'get_weather';
export const FORECAST_TOOL_NAME = 'get_forecast';

/** The subset of JSON Schema the tool uses; plain data, safe to serialise. */
// A type alias, not an interface: aliases are assignable to the SDK's index-signature types.
type JsonSchemaObject = {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required: string[];
  additionalProperties: false;
};

export interface ToolDefinition {
  name: string;
  description: string;
  parameters: JsonSchemaObject;
}

/** OpenAI Responses API: the function fields sit next to `type`. */
interface ResponsesFunctionTool extends ToolDefinition {
  type: 'function';
  strict: boolean;
}

/** OpenAI Chat Completions API: the function fields are nested under `function`. */
interface ChatCompletionsFunctionTool {
  type: 'function';
  function: ToolDefinition & { strict: boolean };
}

export const WEATHER_TOOL_DEFINITION: ToolDefinition = deepFreeze({
  name: WEATHER_TOOL_NAME,
  description:
    'Get the current weather for a place: temperature, feels-like temperature, relative humidity, ' +
    'wind speed and conditions, with the units used. Call it whenever the user asks about the weather ' +
    'now, even for a place asked about before, since conditions change. For later today, tomorrow or ' +
    'the coming days use get_forecast instead.',
  parameters: {
    type: 'object',
    properties: {
      location: {
        type: 'string',
        description:
          'Place name, e.g. "Makati" or "Paris". A region or country may follow after a comma to ' +
          'pick between places with the same name, e.g. "Paris, Texas".',
      },
      units: {
        type: 'string',
        enum: ['metric', 'imperial'],
        description: 'metric: °C and km/h (m/s with OpenWeatherMap); imperial: °F and mph. Omit for the default.',
      },
    },
    required: ['location'],
    additionalProperties: false,
  },
});

export const FORECAST_TOOL_DEFINITION: ToolDefinition = deepFreeze({
  name: FORECAST_TOOL_NAME,
  description:
    `Get the weather forecast for a place, day by day for up to ${MAX_FORECAST_DAYS} days from today: lowest and ` +
    'highest temperature, chance and amount of precipitation, strongest wind and conditions, in local ' +
    `dates; optionally hour by hour for the next ${FORECAST_HOURS} hours. Call it for any question about ` +
    'later today, tonight, tomorrow, the weekend or the coming days, e.g. "Will it rain in Tokyo ' +
    'tomorrow?" or "Do I need an umbrella this weekend?". For the weather right now use get_weather.',
  parameters: {
    type: 'object',
    properties: {
      location: WEATHER_TOOL_DEFINITION.parameters.properties.location!,
      days: {
        type: 'integer',
        description:
          `Days to forecast, today first: 1 to ${MAX_FORECAST_DAYS}. Omit for ${DEFAULT_FORECAST_DAYS}. ` +
          'Ask for enough to reach the day in question (tomorrow: 2; this weekend: up to Sunday).',
      },
      hourly: {
        type: 'boolean',
        description:
          `true adds the next ${FORECAST_HOURS} hours hour by hour (in 3-hour steps with some providers), ` +
          'for questions about particular hours such as "this evening". Omit otherwise: it makes the answer much longer.',
      },
      units: {
        type: 'string',
        enum: ['metric', 'imperial'],
        description:
          'metric: °C, mm and km/h (m/s with OpenWeatherMap); imperial: °F, inches and mph. Omit for the default.',
      },
    },
    required: ['location'],
    additionalProperties: false,
  },
});

/** Shared by every tool instance and adapter, so nobody may edit it in place. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * OpenAI strict mode demands that every property be listed in `required`; an
 * optional one must instead accept null. The argument parser treats a null
 * `units` as "not given", so both forms of the schema mean the same thing.
 */
export function toStrictSchema(schema: JsonSchemaObject): JsonSchemaObject {
  const properties: JsonSchemaObject['properties'] = {};
  for (const [key, property] of Object.entries(schema.properties)) {
    if (schema.required.includes(key)) {
      properties[key] = property;
      continue;
    }
    const nullable: Record<string, unknown> = { ...property, type: [property.type, 'null'] };
    if (Array.isArray(property.enum)) nullable.enum = [...property.enum, null];
    properties[key] = nullable;
  }
  return { ...schema, properties, required: Object.keys(schema.properties) };
}

interface WrapOptions {
  /**
   * Hold the model to the schema exactly (OpenAI structured outputs), so its
   * arguments always parse. Defaults to true. `strict` is always spelled out: the
   * SDK's Responses type requires it, and the two APIs' own defaults differ.
   */
  strict?: boolean;
}

export function toResponsesTool(
  definition: ToolDefinition = WEATHER_TOOL_DEFINITION,
  options: WrapOptions = {},
): ResponsesFunctionTool {
  const strict = options.strict ?? true;
  const parameters = strict ? toStrictSchema(definition.parameters) : definition.parameters;
  return { type: 'function', name: definition.name, description: definition.description, parameters, strict };
}

export function toChatCompletionsTool(
  definition: ToolDefinition = WEATHER_TOOL_DEFINITION,
  options: WrapOptions = {},
): ChatCompletionsFunctionTool {
  const { name, description, parameters, strict } = toResponsesTool(definition, options);
  return { type: 'function', function: { name, description, parameters, strict } };
}
