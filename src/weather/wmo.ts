/**
 * Words for WMO weather interpretation codes (WMO 4677), exactly the codes that
 * Open-Meteo documents for `weather_code` (0–99). Open-Meteo sends only these;
 * anything else means a mirror or a future API sent something new, and the model
 * is told the raw code rather than a guess.
 */

const WMO_CONDITIONS: ReadonlyMap<number, string> = new Map([
  [0, 'Clear sky'],
  [1, 'Mainly clear'],
  [2, 'Partly cloudy'],
  [3, 'Overcast'],
  [45, 'Fog'],
  [48, 'Depositing rime fog'],
  [51, 'Light drizzle'],
  [53, 'Moderate drizzle'],
  [55, 'Dense drizzle'],
  [56, 'Light freezing drizzle'],
  [57, 'Dense freezing drizzle'],
  [61, 'Slight rain'],
  [63, 'Moderate rain'],
  [65, 'Heavy rain'],
  [66, 'Light freezing rain'],
  [67, 'Heavy freezing rain'],
  [71, 'Slight snow fall'],
  [73, 'Moderate snow fall'],
  [75, 'Heavy snow fall'],
  [77, 'Snow grains'],
  [80, 'Slight rain showers'],
  [81, 'Moderate rain showers'],
  [82, 'Violent rain showers'],
  [85, 'Slight snow showers'],
  [86, 'Heavy snow showers'],
  [95, 'Thunderstorm'],
  [96, 'Thunderstorm with slight hail'],
  [99, 'Thunderstorm with heavy hail'],
]);

/** The codes with words, ascending; for tests and documentation. */
export const WMO_CODES: readonly number[] = [...WMO_CONDITIONS.keys()];

/** Describes a WMO code in words, e.g. 2 → "Partly cloudy". */
export function describeWmoCode(code: number): string {
  return WMO_CONDITIONS.get(code) ?? `Unknown conditions (WMO code ${code})`;
}
