/**
 * A readable line from a get_weather result ("31.2 °C, feels like 36 °C · Partly
 * cloudy · humidity 70% · wind 12 km/h"). The result comes from any publisher on the
 * channel, so every field is checked and the line is only ever used as text.
 */

export interface WeatherSummary {
  title: string;
  details: string;
}

export function summarizeWeather(resultText: string | undefined): WeatherSummary | undefined {
  if (!resultText) return undefined;
  let data: Record<string, unknown>;
  try {
    const parsed = JSON.parse(resultText) as unknown;
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    data = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof data.error === 'string') return { title: 'Weather check failed', details: data.error };
  const units = (typeof data.units === 'object' && data.units !== null ? data.units : {}) as Record<string, unknown>;
  const unit = (key: string, fallback: string) => (typeof units[key] === 'string' ? (units[key] as string) : fallback);
  const number = (key: string) => (typeof data[key] === 'number' && Number.isFinite(data[key]) ? (data[key] as number) : undefined);
  const temperature = number('temperature');
  if (temperature === undefined) return undefined;
  const parts: string[] = [];
  const feels = number('apparent_temperature');
  const tempUnit = unit('temperature', '°');
  parts.push(`${round(temperature)} ${tempUnit}${feels !== undefined ? `, feels like ${round(feels)} ${tempUnit}` : ''}`);
  if (typeof data.condition === 'string') parts.push(data.condition);
  const humidity = number('humidity');
  if (humidity !== undefined) parts.push(`humidity ${round(humidity)}${unit('humidity', '%')}`);
  const wind = number('wind_speed');
  if (wind !== undefined) parts.push(`wind ${round(wind)} ${unit('wind_speed', '')}`.trim());
  const title = typeof data.location === 'string' ? data.location : 'Weather';
  return { title, details: parts.join(' · ') };
}

function round(value: number): string {
  return (Math.round(value * 10) / 10).toString();
}
