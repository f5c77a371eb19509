/**
 * The words of a forecast card: labels of dates and times (local to the place, as the result
 * gives them), and the sentence that summarises a block, which is also the chart's text
 * alternative. Pure: no DOM.
 */
import { present, type Forecast, type ForecastBlock, type LocalTime, type Reading } from './forecast-data';
import { formatNumber, withUnit } from './result-fields';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Tue 1". */
export function shortDay(time: LocalTime): string {
  return `${WEEKDAYS[time.weekday]} ${time.day}`;
}

/** "15:00", or "" for a date without a time. */
export function clockTime(time: LocalTime): string {
  if (time.hour === undefined) return '';
  return `${String(time.hour).padStart(2, '0')}:${String(time.minute ?? 0).padStart(2, '0')}`;
}

/** "Tue 1 Dec", or "Tue 1 Dec 15:00" for an hourly time. */
export function longTime(time: LocalTime): string {
  const day = `${shortDay(time)} ${MONTHS[time.month - 1]}`;
  return time.hour === undefined ? day : `${day} ${clockTime(time)}`;
}

/** "8.4 to 9.9 °C", "8.4 °C" when all are equal, "no value" when there is none. */
function range(values: Reading[], unit: string): string {
  const known = present(values);
  if (known.length === 0) return 'no value';
  const low = Math.min(...known);
  const high = Math.max(...known);
  return low === high ? withUnit(low, unit) : `${formatNumber(low)} to ${withUnit(high, unit)}`;
}

/** The time the block's precipitation is most likely (highest chance, then most of it, then earliest). */
function wettest(block: ForecastBlock): number | undefined {
  let best: number | undefined;
  const score = (index: number) => [block.probability[index] ?? -1, block.precipitation[index] ?? -1];
  for (let index = 0; index < block.times.length; index++) {
    const [chance, amount] = score(index);
    if (chance < 0 && amount < 0) continue;
    if (best === undefined) {
      best = index;
      continue;
    }
    const [bestChance, bestAmount] = score(best);
    if (chance > bestChance || (chance === bestChance && amount > bestAmount)) best = index;
  }
  return best;
}

function precipitationPhrase(forecast: Forecast, block: ForecastBlock): string {
  const index = wettest(block);
  if (index === undefined) return 'no precipitation figures';
  const chance = block.probability[index];
  const amount = block.precipitation[index];
  if ((chance ?? 0) === 0 && (amount ?? 0) === 0) return 'no precipitation expected';
  const figures = [chance !== null ? withUnit(chance, forecast.units.probability) : '', amount !== null ? withUnit(amount, forecast.units.precipitation) : ''].filter(Boolean).join(', ');
  return block.times.length === 1 ? `precipitation ${figures}` : `precipitation most likely ${longTime(block.times[index])} (${figures})`;
}

/** "every hour", "every 3 hours", or "at N times" when the steps differ. */
function cadence(block: ForecastBlock): string {
  const steps = new Set(block.times.slice(1).map((time, index) => time.minutes - block.times[index].minutes));
  if (steps.size !== 1) return `at ${block.times.length} times`;
  const [minutes] = steps;
  if (minutes === 60) return 'every hour';
  return minutes % 60 === 0 ? `every ${minutes / 60} hours` : `every ${minutes} minutes`;
}

/** Counts gaps in what the card shows of a block (temperatures, chances, amounts, wind). */
function missing(block: ForecastBlock): number {
  const columns = [...block.temperature.map((line) => line.values), block.probability, block.precipitation, block.wind];
  return columns.reduce((sum, values) => sum + values.filter((value) => value === null).length, 0);
}

/** What the block's period is: "3 days (Tue 1 Dec to Thu 3 Dec)", "every 3 hours from … to …". */
export function period(block: ForecastBlock): string {
  const first = longTime(block.times[0]);
  const last = longTime(block.times[block.times.length - 1]);
  const count = block.times.length;
  if (block.kind === 'daily') return count === 1 ? first : `${count} days (${first} to ${last})`;
  return count === 1 ? first : `${cadence(block)} from ${first} to ${last}`;
}

/**
 * One sentence with the block's figures: "Tokyo, Japan, 3 days (Tue 1 Dec to Thu 3 Dec):
 * highs 8.4 to 9.9 °C, lows 3.1 to 4 °C; precipitation most likely Tue 1 Dec (80%, 5.2 mm)."
 * It labels the chart, so it states what the chart shows, gaps and cut-offs included.
 */
export function describeBlock(forecast: Forecast, block: ForecastBlock): string {
  const unit = forecast.units.temperature;
  const plural = block.times.length > 1;
  const temperatures = block.temperature.map((line) => {
    const name = line.name === 'Temperature' ? 'temperature' : `${line.name.toLowerCase()}${plural ? 's' : ''}`;
    return `${name} ${range(line.values, unit)}`;
  });
  let sentence = `${forecast.location}, ${period(block)}: ${temperatures.join(', ')}; ${precipitationPhrase(forecast, block)}.`;
  const gaps = missing(block);
  if (gaps > 0) sentence += ` ${gaps} reading${gaps === 1 ? ' is' : 's are'} missing.`;
  if (block.total > block.times.length) {
    sentence += ` Only the first ${block.times.length} of ${block.total} ${block.kind === 'daily' ? 'days' : 'times'} are shown.`;
  }
  return sentence;
}
