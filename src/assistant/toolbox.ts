/**
 * The tools the assistant offers the model, and how each is announced on the channel.
 * The turn loop (turn.ts) runs whichever tool a call names through this one seam; the
 * adapters advertise every definition in it. A tool here is anything that can check its
 * arguments for a place, run, and answer with a JSON result that never throws (only a
 * cancellation rejects).
 */
import { weatherCheckMessage } from '../protocol';
import { createForecastTool, createWeatherTool, type ToolDefinition, type WeatherConfig } from '../weather';

export interface AssistantTool {
  readonly definition: ToolDefinition;
  /** The place the arguments name, to announce the call before it runs; an error sentence when they are unusable. */
  parseArgs(raw: string): { ok: true; args: { location: string } } | { ok: false; error: string };
  /** Runs one call; resolves with an error result for anything but the caller's cancellation. */
  run(raw: string, signal: AbortSignal): Promise<{ location: string; resultJson: string; error?: string }>;
  /** What the channel says when a call starts, e.g. "Executing weather check for Makati". */
  startedMessage(location: string): string;
}

/** What a call to a tool nobody offered is announced as. */
export function unknownToolMessage(name: string): string {
  return `Executing ${name}`;
}

/** The place as announced: the model may have named none. */
function placeOrUnnamed(location: string): string {
  return location || 'an unnamed place';
}

export class Toolbox {
  private readonly byName: ReadonlyMap<string, AssistantTool>;

  constructor(readonly tools: readonly AssistantTool[]) {
    this.byName = new Map(tools.map((tool) => [tool.definition.name, tool]));
  }

  get definitions(): ToolDefinition[] {
    return this.tools.map((tool) => tool.definition);
  }

  find(name: string): AssistantTool | undefined {
    return this.byName.get(name);
  }

  /** The result a call to a tool that is not offered gets: the model hears which ones are. */
  unknownToolError(name: string): string {
    const names = this.tools.map((tool) => tool.definition.name);
    const offered = names.length === 1 ? `the only tool is ${names[0]}` : `the tools are ${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
    return `There is no tool called "${name}"; ${offered}.`;
  }
}

/**
 * get_weather (now, in the seed's words "Executing weather check for <location>") and
 * get_forecast (the coming days, "Executing weather forecast for <location>"), on one
 * weather configuration. Throws an Error naming every bad setting.
 */
export function weatherToolbox(config: WeatherConfig = {}): Toolbox {
  return new Toolbox([
    { ...createWeatherTool(config), startedMessage: (location) => weatherCheckMessage(placeOrUnnamed(location)) },
    { ...createForecastTool(config), startedMessage: (location) => `Executing weather forecast for ${placeOrUnnamed(location)}` },
  ]);
}
