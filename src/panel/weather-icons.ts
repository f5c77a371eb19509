/**
 * Icons for weather conditions, drawn here as inline SVG paths: the codicon font has no
 * weather symbols, and the webview's CSP loads no images. The icons take the text colour
 * (stroke="currentColor" through CSS) and are always beside the condition in words, so
 * they are hidden from screen readers.
 */
import { svg } from './dom';

export type ConditionKind = 'clear' | 'partly' | 'cloudy' | 'fog' | 'rain' | 'snow' | 'thunder' | 'unknown';

/** Words (Open-Meteo's WMO descriptions, OpenWeatherMap's) to a kind of icon; first match wins. */
const KINDS: Array<[RegExp, ConditionKind]> = [
  [/thunder|storm|lightning/, 'thunder'],
  [/snow|sleet|flurr|blizzard|ice pellets|hail/, 'snow'],
  [/rain|drizzle|shower/, 'rain'],
  [/fog|mist|haze|smoke|dust|sand|ash/, 'fog'],
  [/partly|partial|scattered|few clouds|broken|mainly clear|mostly clear|mostly sunny/, 'partly'],
  [/overcast|cloud/, 'cloudy'],
  [/clear|sunny|fair/, 'clear'],
];

export function conditionKind(condition: string | null): ConditionKind {
  if (condition === null) return 'unknown';
  // Only the start is read: a condition is a few words, and a hostile one may be long.
  const words = condition.slice(0, 100).toLowerCase();
  return KINDS.find(([pattern]) => pattern.test(words))?.[1] ?? 'unknown';
}

/** A cloud on the 16 × 16 grid; `lift` raises it to make room for what falls from it. */
function cloud(lift: number): string {
  const base = 12.5 - lift;
  return `M4.5 ${base}a2.5 2.5 0 0 1-.4-4.97 3.5 3.5 0 0 1 6.8-.9A2.75 2.75 0 0 1 11.5 ${base}z`;
}

/** Snowflakes as dots (drawn thicker, see panel.css), unlike rain's streaks. */
const SNOW_DOTS = 'M5 12.5v0M8 14.5v0M11 12.5v0M6.5 15v0M9.5 12v0';

const SUN = 'M8 5a3 3 0 1 0 0 6 3 3 0 1 0 0-6zM8 1.2v1.6M8 13.2v1.6M1.2 8h1.6M13.2 8h1.6M3.2 3.2l1.1 1.1M11.7 11.7l1.1 1.1M3.2 12.8l1.1-1.1M11.7 4.3l1.1-1.1';

/** Each kind's paths (a "dot" is a zero-length segment drawn by its round cap). */
const PATHS: Record<ConditionKind, string[]> = {
  clear: [SUN],
  partly: ['M5.5 3.2a2.3 2.3 0 0 0-2.2 3M5.5 .8v1M1 5.3h1M2.3 2.1l.7.7M8.7 2.1l-.7.7', cloud(-1.2)],
  cloudy: [cloud(0)],
  fog: ['M2 5h12M3.5 8h9M2 11h12M4.5 14h7'],
  rain: [cloud(3), 'M5.5 12l-1 2.5M8.5 12l-1 2.5M11.5 12l-1 2.5'],
  snow: [cloud(3), SNOW_DOTS],
  thunder: [cloud(3), 'M8.8 10.5 7 13h2.5l-1.8 2.5'],
  unknown: ['M8 1.8a6.2 6.2 0 1 0 0 12.4A6.2 6.2 0 1 0 8 1.8zM6.3 6.4a1.8 1.8 0 1 1 2.5 1.7c-.5.2-.8.6-.8 1.1v.5M8 11.5v0'],
};

/** The icon's paths, for a chart that places them in a group of its own. */
export function conditionPaths(kind: ConditionKind): SVGPathElement[] {
  return PATHS[kind].map((d) => svg('path', d === SNOW_DOTS ? { d, class: 'dots' } : { d }));
}

/** A 16 × 16 icon for the condition, hidden from screen readers (its words stand beside it). */
export function conditionIcon(condition: string | null): SVGSVGElement {
  const kind = conditionKind(condition);
  return svg('svg', { class: `weather-icon ${kind}`, viewBox: '0 0 16 16', 'aria-hidden': 'true', focusable: 'false' }, ...conditionPaths(kind));
}
