/**
 * The forecast card of a get_forecast result: the place, then for the days (and the hours,
 * when the result has them) a summary sentence, a legend, the chart it labels, and a "Data"
 * button that shows the same figures as a table. Built once per result (the view keeps a
 * card until its result changes), never per frame.
 */
import { el, icon, svg } from './dom';
import { parseForecast, type Forecast, type ForecastBlock, type Reading } from './forecast-data';
import { forecastChart } from './forecast-chart';
import { describeBlock, longTime, period } from './forecast-text';
import { formatNumber, type Fields } from './result-fields';
import { conditionIcon } from './weather-icons';

/** Numbers the ids that tie a chart to its sentence and a button to its table. */
let blocks = 0;

/** The card, or undefined when the result is not a forecast (no readable `daily` block). */
export function forecastCard(data: Fields): HTMLElement | undefined {
  const forecast = parseForecast(data);
  if (!forecast) return undefined;
  const card = el('div', { class: 'forecast' }, el('p', { class: 'forecast-title' }, el('strong', {}, forecast.location)));
  card.append(blockView(forecast, forecast.daily));
  if (forecast.hourly) card.append(blockView(forecast, forecast.hourly));
  if (forecast.hourlyUnreadable) card.append(el('p', { class: 'forecast-note' }, 'The hourly part of this result could not be read, so it is not shown.'));
  return card;
}

function blockView(forecast: Forecast, block: ForecastBlock): HTMLElement {
  const id = `forecast-${++blocks}`;
  const summary = el('p', { class: 'forecast-summary', id: `${id}-summary` }, describeBlock(forecast, block));
  const data = el('div', { class: 'forecast-data', id: `${id}-data`, hidden: '' }, dataTable(forecast, block, `${id}-caption`));
  // The table may be wider than a narrow side bar: it scrolls, so it can be reached by keyboard.
  data.tabIndex = 0;
  data.setAttribute('role', 'region');
  data.setAttribute('aria-labelledby', `${id}-caption`);
  // Named "Data" as it reads; described by its block's sentence, so several of them can be told apart.
  const toggle = el('button', { type: 'button', class: 'forecast-data-toggle', 'aria-expanded': 'false', 'aria-controls': data.id, 'aria-describedby': summary.id });
  const setOpen = (open: boolean) => {
    data.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.replaceChildren(icon(open ? 'chevron-down' : 'chevron-right'), el('span', {}, 'Data'));
    toggle.title = `${open ? 'Hide' : 'Show'} the figures as a table`;
  };
  setOpen(false);
  toggle.addEventListener('click', () => setOpen(toggle.getAttribute('aria-expanded') !== 'true'));
  return el(
    'div',
    { class: `forecast-block ${block.kind}` },
    summary,
    legend(forecast, block),
    forecastChart(block, forecast.units, summary.id),
    toggle,
    data,
  );
}

/** Which mark is which, in words beside a sample of the mark (its shape, not only its colour). */
function legend(forecast: Forecast, block: ForecastBlock): HTMLElement {
  const { temperature, precipitation } = forecast.units;
  const swatch = (...marks: SVGElement[]) => svg('svg', { class: 'legend-swatch', viewBox: '0 0 24 10', 'aria-hidden': 'true', focusable: 'false' }, ...marks);
  const lineSample = (kind: string) =>
    swatch(svg('line', { class: `fc-line ${kind}`, x1: 1, x2: 23, y1: 5, y2: 5 }), svg('circle', { class: `fc-marker ${kind}`, cx: 12, cy: 5, r: 2.5 }));
  const items = block.temperature.map((line) => el('li', {}, lineSample(line.name.toLowerCase()), `${line.name} (${temperature})`));
  items.push(el('li', {}, swatch(svg('rect', { class: 'fc-bar', x: 7, y: 1, width: 10, height: 9 })), `Precipitation (${precipitation})`));
  return el('ul', { class: 'forecast-legend' }, ...items);
}

function dataTable(forecast: Forecast, block: ForecastBlock, captionId: string): HTMLTableElement {
  const { units } = forecast;
  const columns: Array<[string, Reading[]]> = [
    ...block.temperature.map((line): [string, Reading[]] => [`${line.name} (${units.temperature})`, line.values]),
    [`Chance of precipitation (${units.probability})`, block.probability],
    [`Precipitation (${units.precipitation})`, block.precipitation],
    [`Wind (${units.wind})`, block.wind],
  ];
  const head = el(
    'tr',
    {},
    el('th', { scope: 'col' }, block.kind === 'daily' ? 'Day' : 'Time'),
    el('th', { scope: 'col' }, 'Conditions'),
    ...columns.map(([name]) => el('th', { scope: 'col' }, name)),
  );
  const rows = block.times.map((time, index) =>
    el(
      'tr',
      {},
      el('th', { scope: 'row' }, longTime(time)),
      el('td', { class: 'condition' }, ...conditionCell(block.condition[index])),
      ...columns.map(([, values]) => cell(values[index])),
    ),
  );
  return el(
    'table',
    {},
    el('caption', { id: captionId }, `${forecast.location}, ${period(block)}`),
    el('thead', {}, head),
    el('tbody', {}, ...rows),
  );
}

/** A dash, which a screen reader reads as "no value". */
const noValue = () => [el('span', { 'aria-hidden': 'true' }, '–'), el('span', { class: 'visually-hidden' }, 'no value')];

function cell(value: Reading): HTMLTableCellElement {
  return value === null ? el('td', { class: 'number missing' }, ...noValue()) : el('td', { class: 'number' }, formatNumber(value));
}

function conditionCell(condition: string | null): Array<Node | string> {
  return condition === null ? noValue() : [conditionIcon(condition), condition];
}
