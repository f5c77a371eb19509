/**
 * A forecast block drawn as inline SVG, built element by element (the CSP allows no images):
 * temperature as lines on the left scale (for days a solid high and a dashed low line with
 * the band between them), precipitation as bars on the right scale, the block's own dates or
 * times along the bottom (placed by their time, so 3-hour steps read as 3-hour steps), and
 * gaps wherever a reading is missing. Colours come from VS Code's chart colours through
 * panel.css; the marks differ in shape too (line, dashed line, bar), and the legend says
 * which is which. The chart is an image labelled by the card's summary sentence.
 */
import { svg } from './dom';
import { present, type ForecastBlock, type ForecastUnits, type Reading, type TemperatureLine } from './forecast-data';
import { clockTime, shortDay } from './forecast-text';
import { formatNumber } from './result-fields';
import { conditionKind, conditionPaths } from './weather-icons';

const WIDTH = 340;
const PLOT_HEIGHT = 110;
const TOP = 18;
const SIDE = 30;
/** Below the plot: day labels and icons (daily), or times and days (hourly). */
const AXIS_ROOM: Record<ForecastBlock['kind'], number> = { daily: 40, hourly: 32 };
/** Hourly times labelled at most; every time gets a tick. */
const MAX_TIME_LABELS = 6;
const ICON_SIZE = 14;

interface Area {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** Coordinates with one decimal: enough on a 340-unit canvas, and short attributes. */
const at = (value: number) => Math.round(value * 10) / 10;

export function forecastChart(block: ForecastBlock, units: ForecastUnits, labelledBy: string): SVGSVGElement {
  const height = TOP + PLOT_HEIGHT + AXIS_ROOM[block.kind];
  const area: Area = { left: SIDE, right: WIDTH - SIDE, top: TOP, bottom: TOP + PLOT_HEIGHT };
  const xs = positions(block, area);
  const temperature = niceScale(block.temperature.flatMap((line) => present(line.values)));
  const temperatureY = (value: number) => area.bottom - ((value - temperature.min) / (temperature.max - temperature.min)) * PLOT_HEIGHT;
  const rainTop = niceTop(Math.max(0, ...present(block.precipitation)));
  const rainY = (value: number) => area.bottom - (value / rainTop) * PLOT_HEIGHT;

  const chart = svg('svg', {
    class: `forecast-chart ${block.kind}`,
    viewBox: `0 0 ${WIDTH} ${height}`,
    role: 'img',
    'aria-labelledby': labelledBy,
    focusable: 'false',
  });
  // Scales: the temperature's grid and numbers on the left, the precipitation's on the right, each headed by its unit.
  chart.append(label(units.temperature, 2, 10, 'start', 'fc-unit'), label(units.precipitation, WIDTH - 2, 10, 'end', 'fc-unit'));
  for (const tick of temperature.ticks) {
    const y = at(temperatureY(tick));
    chart.append(svg('line', { class: 'fc-grid', x1: area.left, x2: area.right, y1: y, y2: y }), label(formatNumber(tick), area.left - 4, y + 3.5, 'end'));
  }
  for (const tick of [0, rainTop / 2, rainTop]) chart.append(label(formatNumber(tick), area.right + 4, at(rainY(tick)) + 3.5, 'start'));
  chart.append(svg('line', { class: 'fc-axis', x1: area.left, x2: area.right, y1: area.bottom, y2: area.bottom }));

  chart.append(bars(block.precipitation, xs, rainY, area.bottom));
  const [high, low] = block.temperature;
  if (low) chart.append(band(high.values, low.values, xs, temperatureY));
  for (const line of block.temperature) chart.append(temperatureLine(line, xs, temperatureY, block.kind === 'daily'));
  chart.append(block.kind === 'daily' ? dayAxis(block, xs, area) : timeAxis(block, xs, area));
  return chart;
}

/** x of each point: placed by its time, half a slot in from each side. */
function positions(block: ForecastBlock, area: Area): number[] {
  const { times } = block;
  const width = area.right - area.left;
  if (times.length === 1) return [area.left + width / 2];
  const slot = width / times.length;
  const first = times[0].minutes;
  const span = times[times.length - 1].minutes - first;
  return times.map((time) => area.left + slot / 2 + ((time.minutes - first) / span) * (width - slot));
}

/** A scale with round ticks (about four steps) around the values, at least 4 degrees tall. */
function niceScale(values: number[]): { min: number; max: number; ticks: number[] } {
  let low = values.length > 0 ? Math.min(...values) : 0;
  let high = values.length > 0 ? Math.max(...values) : 10;
  if (high - low < 4) {
    const middle = (low + high) / 2;
    low = middle - 2;
    high = middle + 2;
  }
  const raw = (high - low) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((multiple) => multiple * power).find((candidate) => candidate >= raw)!;
  const min = Math.floor(low / step) * step;
  const max = Math.ceil(high / step) * step;
  const ticks: number[] = [];
  for (let index = 0; min + index * step <= max + step / 2; index++) ticks.push(min + index * step);
  return { min, max, ticks };
}

/** A round top for the precipitation scale, at or above the largest amount (1 when it is dry). */
function niceTop(largest: number): number {
  if (largest <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(largest));
  return [1, 1.5, 2, 3, 4, 5, 6, 8, 10].map((multiple) => multiple * power).find((candidate) => candidate >= largest)!;
}

function label(text: string, x: number, y: number, anchor: 'start' | 'middle' | 'end', className = 'fc-label'): SVGTextElement {
  return svg('text', { class: className, x: at(x), y: at(y), 'text-anchor': anchor }, text);
}

/** Index runs of consecutive readings that are there: a gap breaks a line. */
function runs(...columns: Reading[][]): number[][] {
  const found: number[][] = [];
  let current: number[] = [];
  for (let index = 0; index < columns[0].length; index++) {
    if (columns.every((values) => values[index] !== null)) current.push(index);
    else if (current.length > 0) {
      found.push(current);
      current = [];
    }
  }
  if (current.length > 0) found.push(current);
  return found;
}

function bars(values: Reading[], xs: number[], y: (value: number) => number, bottom: number): SVGGElement {
  const gaps = xs.slice(1).map((x, index) => x - xs[index]);
  const width = Math.min(24, Math.max(2, 0.6 * Math.min(...gaps, 40)));
  const group = svg('g', { class: 'fc-bars' });
  values.forEach((value, index) => {
    // No bar for a gap, nor for a dry time (its number is in the table).
    if (value === null || value <= 0) return;
    const top = at(y(value));
    group.append(svg('rect', { class: 'fc-bar', x: at(xs[index] - width / 2), y: top, width: at(width), height: at(bottom - top) }));
  });
  return group;
}

/** The band between the day's high and low, where both are known. */
function band(high: Reading[], low: Reading[], xs: number[], y: (value: number) => number): SVGGElement {
  const group = svg('g', { class: 'fc-band' });
  for (const run of runs(high, low)) {
    if (run.length < 2) continue;
    const edge = (values: Reading[], indices: number[]) => indices.map((index) => `${at(xs[index])},${at(y(values[index]!))}`);
    group.append(svg('polygon', { points: [...edge(high, run), ...edge(low, [...run].reverse())].join(' ') }));
  }
  return group;
}

function temperatureLine(line: TemperatureLine, xs: number[], y: (value: number) => number, markEvery: boolean): SVGGElement {
  const kind = line.name.toLowerCase();
  const group = svg('g', { class: `fc-temperature ${kind}` });
  for (const run of runs(line.values)) {
    const points = run.map((index) => `${at(xs[index])},${at(y(line.values[index]!))}`);
    if (run.length > 1) group.append(svg('polyline', { class: `fc-line ${kind}`, points: points.join(' ') }));
    // Days each get a marker; hourly lines only where a reading stands alone between gaps.
    if (markEvery || run.length === 1) {
      for (const index of run) group.append(svg('circle', { class: `fc-marker ${kind}`, cx: at(xs[index]), cy: at(y(line.values[index]!)), r: 2.5 }));
    }
  }
  return group;
}

/** Each day's name under its slot, with the icon of its condition. */
function dayAxis(block: ForecastBlock, xs: number[], area: Area): SVGGElement {
  const group = svg('g', { class: 'fc-days' });
  block.times.forEach((time, index) => {
    group.append(label(shortDay(time), xs[index], area.bottom + 13, 'middle'));
    const scale = ICON_SIZE / 16;
    const icon = svg('g', { class: `weather-icon ${conditionKind(block.condition[index])}`, transform: `translate(${at(xs[index] - ICON_SIZE / 2)} ${area.bottom + 19}) scale(${scale})` });
    icon.append(...conditionPaths(conditionKind(block.condition[index])));
    group.append(icon);
  });
  return group;
}

/**
 * A tick at every time the result gives, the clock time under some of them (evenly, at most
 * MAX_TIME_LABELS), the day under a label where the day changes, and a divider at each new day.
 */
function timeAxis(block: ForecastBlock, xs: number[], area: Area): SVGGElement {
  const group = svg('g', { class: 'fc-times' });
  const every = Math.ceil(block.times.length / MAX_TIME_LABELS);
  let lastDay = '';
  block.times.forEach((time, index) => {
    const x = at(xs[index]);
    group.append(svg('line', { class: 'fc-tick', x1: x, x2: x, y1: area.bottom, y2: area.bottom + 3 }));
    const day = shortDay(time);
    const previous = index > 0 ? shortDay(block.times[index - 1]) : day;
    if (day !== previous) group.append(svg('line', { class: 'fc-day-divider', x1: x, x2: x, y1: area.top, y2: area.bottom }));
    if (index % every !== 0) return;
    group.append(label(clockTime(time), x, area.bottom + 13, 'middle'));
    if (day !== lastDay) group.append(label(day, x, area.bottom + 25, 'middle'));
    lastDay = day;
  });
  return group;
}
