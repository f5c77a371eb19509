/**
 * What a tool card shows of its result above the raw JSON: the first renderer that
 * recognises the result's shape draws it; a result none recognises gets the raw JSON only.
 * Shapes, not tool names, decide, since anyone may publish on the channel under any name.
 */
import { forecastCard } from './forecast-card';
import { parseResult, type Fields } from './result-fields';
import { weatherCard } from './weather-summary';

/** A renderer: the result's view, or undefined when the shape is not its own. */
type ResultRenderer = (data: Fields) => HTMLElement | undefined;

/** In order of precedence: a forecast (a `daily` block), then current weather (or a weather error). */
const RENDERERS: readonly ResultRenderer[] = [forecastCard, weatherCard];

export function renderToolResult(resultText: string | undefined): HTMLElement | undefined {
  const data = parseResult(resultText);
  if (!data) return undefined;
  for (const render of RENDERERS) {
    const view = render(data);
    if (view) return view;
  }
  return undefined;
}
