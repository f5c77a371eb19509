/**
 * The current-weather card of a get_weather result: the place, then a readable line ("31.2 °C,
 * feels like 36.4 °C · ☁ Partly cloudy · humidity 70% · wind 12.3 km/h") with a unit beside
 * every number and an icon beside the condition's words. The result comes from any publisher
 * on the channel, so every field is checked and the line is only ever used as text.
 */
import { DISPLAY_LIMITS, el } from './dom';
import { FIELD_LIMITS, finite, shortText, unitsOf, withUnit, type Fields } from './result-fields';
import { conditionIcon } from './weather-icons';

export interface WeatherSummary {
  title: string;
  /** The line's parts, joined by " · "; the one that is the condition in words gets its icon. */
  parts: Array<{ text: string; condition?: true }>;
}

export function summarizeWeather(data: Fields): WeatherSummary | undefined {
  if (typeof data.error === 'string') return { title: 'Weather check failed', parts: [{ text: shortText(data.error, DISPLAY_LIMITS.summary) ?? '' }] };
  const unit = unitsOf(data);
  const number = (key: string) => finite(data[key]);
  const temperature = number('temperature');
  if (temperature === undefined) return undefined;
  const feels = number('apparent_temperature');
  const parts: WeatherSummary['parts'] = [
    { text: `${withUnit(temperature, unit('temperature'))}${feels !== undefined ? `, feels like ${withUnit(feels, unit('temperature'))}` : ''}` },
  ];
  const condition = shortText(data.condition, FIELD_LIMITS.condition);
  if (condition !== undefined) parts.push({ text: condition, condition: true });
  const humidity = number('humidity');
  if (humidity !== undefined) parts.push({ text: `humidity ${withUnit(humidity, unit('humidity'))}` });
  const wind = number('wind_speed');
  if (wind !== undefined) parts.push({ text: `wind ${withUnit(wind, unit('wind_speed'))}` });
  return { title: shortText(data.location, FIELD_LIMITS.location) ?? 'Weather', parts };
}

/** The card's paragraph, or undefined when the result is not a current-weather one (nor its error). */
export function weatherCard(data: Fields): HTMLElement | undefined {
  const summary = summarizeWeather(data);
  if (!summary) return undefined;
  const line: Array<Node | string> = [];
  summary.parts.forEach((part, index) => {
    if (index > 0) line.push(' · ');
    // The icon only repeats the words beside it (aria-hidden), so colour or shape never carries them alone.
    if (part.condition) line.push(conditionIcon(part.text));
    line.push(part.text);
  });
  return el('p', { class: 'weather' }, el('strong', {}, summary.title), el('br'), ...line);
}
