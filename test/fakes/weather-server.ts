/**
 * A fake weather service on 127.0.0.1 for tests: real HTTP, speaking the real
 * Open-Meteo geocoding + forecast (current, daily, hourly) and OpenWeatherMap current
 * weather and 5 day / 3 hour forecast shapes for a few known places, with switches for
 * the failures tests need.
 *
 *   const server = await startFakeWeatherServer();   // or ({ now: () => FAKE_FORECAST_NOW })
 *   createWeatherTool({ geocodingUrl: server.geocodingUrl, forecastUrl: server.forecastUrl });
 *   createWeatherTool({ provider: 'openweathermap', forecastUrl: server.owmUrl, apiKey: server.owmApiKey });
 *   createForecastTool({ provider: 'openweathermap', forecastUrl: server.owmUrl, apiKey: server.owmApiKey });
 *   server.setMode('hang');                 // every endpoint; or setMode('status500', 'forecast')
 *   server.requests                         // [{endpoint, method, path, query}], oldest first
 *   server.reset();                         // mode back to 'normal', requests cleared
 *   await server.close();                   // also drops hanging requests
 *
 * Endpoints: GET /v1/search (geocoding), GET /v1/forecast, GET /data/2.5/weather (OWM),
 * GET /data/2.5/forecast (OWM forecast). Current weather carries FAKE_OBSERVED_AT as its
 * observation time. Forecasts start from the server's clock (`now`), in the place's real
 * time zone (Intl), as the real services do: today's local date, the current local hour,
 * and OWM's next 3-hour step. They hold the gaps the real ones have: Open-Meteo's daily
 * values of the third day and every 20:00 hour are null, and its precipitation chance
 * from the sixth day on; OWM leaves `rain`/`snow` out of dry steps and `visibility` and
 * `wind.gust` out of some.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeEndpoint = 'geocoding' | 'forecast' | 'owm' | 'owmForecast';

/**
 * normal: answer like the real service. status500: HTTP 500 with an HTML body, as a
 * failing proxy would. badRequest: the service's own 4xx error JSON. hang: accept the
 * request and never answer. malformed: HTTP 200 with a truncated JSON body. oversized:
 * HTTP 200 with 2.5 MB of valid JSON, chunked (no content-length). verbose and
 * verboseBadRequest: normal and badRequest with every string in the JSON (but the
 * observation time) 5000 characters long.
 */
export type FakeMode = 'normal' | 'status500' | 'badRequest' | 'hang' | 'malformed' | 'oversized' | 'verbose' | 'verboseBadRequest';

export interface RecordedRequest {
  /** Undefined for paths that match no endpoint (answered 404). */
  endpoint: FakeEndpoint | undefined;
  method: string;
  path: string;
  /** Query parameters; a repeated name keeps its last value. */
  query: Record<string, string>;
}

export interface FakePlace {
  id: number;
  name: string;
  latitude: number;
  longitude: number;
  elevation: number;
  country: string;
  country_code: string;
  admin1?: string;
  timezone: string;
  population: number;
  /** Current weather, metric: °C, km/h. */
  weather: { temperature: number; apparent: number; humidity: number; windKmh: number; wmo: number };
  /** The same conditions as OpenWeatherMap describes them. */
  owm: { id: number; main: string; description: string; icon: string };
}

/** Observation time of every fake reading: Open-Meteo style local time, GMT. */
export const FAKE_OBSERVED_AT = '2025-06-01T04:15';
export const FAKE_OWM_API_KEY = 'fake-owm-key';
/** A clock for forecast tests: 12:30 on 1 December in Tokyo (+09:00), 21:30 on 30 November in Paris, Texas (-06:00). */
export const FAKE_FORECAST_NOW = Date.parse('2026-12-01T03:30:00Z');

/** Ordered by population, as the real geocoder ranks results. */
export const FAKE_PLACES: readonly FakePlace[] = [
  {
    id: 1850147, name: 'Tokyo', latitude: 35.6895, longitude: 139.69171, elevation: 44, country: 'Japan',
    country_code: 'JP', admin1: 'Tokyo', timezone: 'Asia/Tokyo', population: 8336599,
    weather: { temperature: 24.3, apparent: 25.9, humidity: 78, windKmh: 11.5, wmo: 95 },
    owm: { id: 211, main: 'Thunderstorm', description: 'thunderstorm', icon: '11d' },
  },
  {
    id: 2643743, name: 'London', latitude: 51.50853, longitude: -0.12574, elevation: 25, country: 'United Kingdom',
    country_code: 'GB', admin1: 'England', timezone: 'Europe/London', population: 8961989,
    weather: { temperature: 12.1, apparent: 10.2, humidity: 81, windKmh: 18.4, wmo: 3 },
    owm: { id: 804, main: 'Clouds', description: 'overcast clouds', icon: '04d' },
  },
  {
    id: 1880252, name: 'Singapore', latitude: 1.28967, longitude: 103.85007, elevation: 15, country: 'Singapore',
    country_code: 'SG', timezone: 'Asia/Singapore', population: 3547809,
    weather: { temperature: 29.8, apparent: 35.1, humidity: 74, windKmh: 9.7, wmo: 80 },
    owm: { id: 521, main: 'Rain', description: 'shower rain', icon: '09d' },
  },
  {
    id: 2950159, name: 'Berlin', latitude: 52.52437, longitude: 13.41053, elevation: 74, country: 'Germany',
    country_code: 'DE', admin1: 'Land Berlin', timezone: 'Europe/Berlin', population: 3426354,
    weather: { temperature: 8.4, apparent: 5.6, humidity: 87, windKmh: 14.8, wmo: 61 },
    owm: { id: 500, main: 'Rain', description: 'light rain', icon: '10d' },
  },
  {
    id: 2988507, name: 'Paris', latitude: 48.85341, longitude: 2.3488, elevation: 42, country: 'France',
    country_code: 'FR', admin1: 'Île-de-France', timezone: 'Europe/Paris', population: 2138551,
    weather: { temperature: 17.9, apparent: 16.8, humidity: 55, windKmh: 7.2, wmo: 0 },
    owm: { id: 800, main: 'Clear', description: 'clear sky', icon: '01d' },
  },
  {
    id: 1703417, name: 'Makati', latitude: 14.55027, longitude: 121.03269, elevation: 18, country: 'Philippines',
    country_code: 'PH', admin1: 'Metro Manila', timezone: 'Asia/Manila', population: 510383,
    weather: { temperature: 31.2, apparent: 37.4, humidity: 70, windKmh: 12.6, wmo: 2 },
    owm: { id: 802, main: 'Clouds', description: 'scattered clouds', icon: '03d' },
  },
  {
    id: 4717560, name: 'Paris', latitude: 33.66094, longitude: -95.55551, elevation: 183, country: 'United States',
    country_code: 'US', admin1: 'Texas', timezone: 'America/Chicago', population: 24782,
    weather: { temperature: 22.6, apparent: 22.9, humidity: 93, windKmh: 4.3, wmo: 45 },
    owm: { id: 741, main: 'Fog', description: 'fog', icon: '50d' },
  },
];

export interface FakeWeatherServer {
  /** Base URL, http://127.0.0.1:<port> */
  url: string;
  geocodingUrl: string;
  forecastUrl: string;
  owmUrl: string;
  owmForecastUrl: string;
  /** The only key the OWM endpoint accepts; any other gets the real 401. */
  owmApiKey: string;
  /** Every request received, oldest first, recorded before it is answered. */
  requests: RecordedRequest[];
  /** Sets the mode for one endpoint, or for all of them when `endpoint` is omitted. */
  setMode(mode: FakeMode, endpoint?: FakeEndpoint): void;
  /** Back to 'normal' everywhere, with the request log emptied. */
  reset(): void;
  close(): Promise<void>;
}

const ENDPOINTS: Record<string, FakeEndpoint> = {
  '/v1/search': 'geocoding',
  '/v1/forecast': 'forecast',
  '/data/2.5/weather': 'owm',
  '/data/2.5/forecast': 'owmForecast',
};

export interface FakeWeatherOptions {
  /** The clock forecasts start from (Unix milliseconds). Default Date.now. */
  now?: () => number;
}

export async function startFakeWeatherServer(options: FakeWeatherOptions = {}): Promise<FakeWeatherServer> {
  const now = options.now ?? Date.now;
  const modes = new Map<FakeEndpoint, FakeMode>();
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const endpoint = ENDPOINTS[url.pathname];
    const query = Object.fromEntries(url.searchParams);
    requests.push({ endpoint, method: req.method ?? 'GET', path: url.pathname, query });
    if (endpoint === undefined) return send(res, 404, { error: true, reason: 'Not Found' });
    respond(endpoint, modes.get(endpoint) ?? 'normal', res, url.searchParams, now());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  return {
    url: base,
    geocodingUrl: `${base}/v1/search`,
    forecastUrl: `${base}/v1/forecast`,
    owmUrl: `${base}/data/2.5/weather`,
    owmForecastUrl: `${base}/data/2.5/forecast`,
    owmApiKey: FAKE_OWM_API_KEY,
    requests,
    setMode(mode, endpoint) {
      for (const name of endpoint === undefined ? Object.values(ENDPOINTS) : [endpoint]) modes.set(name, mode);
    },
    reset() {
      modes.clear();
      requests.length = 0;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Hanging requests and idle keep-alive sockets would otherwise hold close() open.
        server.closeAllConnections();
      });
    },
  };
}

function respond(endpoint: FakeEndpoint, mode: FakeMode, res: ServerResponse, params: URLSearchParams, now: number): void {
  switch (mode) {
    case 'hang':
      return;
    case 'status500':
      res.writeHead(500, { 'content-type': 'text/html' }).end('<html><body>500 Internal Server Error</body></html>');
      return;
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"results":[{"name":"Mak');
      return;
    case 'oversized': {
      res.on('error', () => {}); // the client hangs up part-way, as it should
      res.writeHead(200, { 'content-type': 'application/json' }).write('{"padding":"');
      for (let i = 0; i < 40; i++) res.write('x'.repeat(64 * 1024));
      res.end('"}');
      return;
    }
    case 'verbose':
    case 'verboseBadRequest':
      stretched.add(res);
      return respond(endpoint, mode === 'verbose' ? 'normal' : 'badRequest', res, params, now);
    case 'badRequest':
      if (endpoint === 'owm' || endpoint === 'owmForecast') return send(res, 400, { cod: '400', message: 'wrong units value' });
      return send(res, 400, { error: true, reason: 'Latitude must be in range of -90 to 90°. Given: 91.0.' });
    case 'normal':
      if (endpoint === 'geocoding') return geocoding(res, params);
      if (endpoint === 'forecast') return forecast(res, params, now);
      return openWeatherMap(res, params, endpoint === 'owmForecast' ? now : undefined);
  }
}

/** Answers whose strings are to be stretched (verbose modes). */
const stretched = new WeakSet<ServerResponse>();

/** Times stay as they are in the verbose modes: `time`, and the dates and times listed in a forecast's `time` array. */
function isTimeKey(key: string): boolean {
  return key === 'time' || /^\d+$/.test(key);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = stretched.has(res)
    ? JSON.stringify(body, (key, value) => (typeof value === 'string' && !isTimeKey(key) ? value.padEnd(5_000, '~') : value))
    : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(text);
}

/** Like the real geocoder: matches on the name alone (a comma matches nothing), by prefix, most populous first. */
function findPlaces(name: string): FakePlace[] {
  const wanted = name.trim().toLowerCase();
  if (wanted.length < 2) return [];
  return FAKE_PLACES.filter((place) => place.name.toLowerCase().startsWith(wanted)).sort(
    (a, b) => b.population - a.population,
  );
}

function geocoding(res: ServerResponse, params: URLSearchParams): void {
  const count = Number(params.get('count') ?? '10');
  if (!Number.isInteger(count) || count < 1 || count > 100) {
    return send(res, 400, { error: true, reason: 'Parameter count must be between 1 and 100.' });
  }
  const found = findPlaces(params.get('name') ?? '').slice(0, count);
  // The real API omits `results` altogether when nothing matches.
  if (found.length === 0) return send(res, 200, { generationtime_ms: 0.3 });
  send(res, 200, {
    results: found.map((place) => ({
      id: place.id,
      name: place.name,
      latitude: place.latitude,
      longitude: place.longitude,
      elevation: place.elevation,
      feature_code: 'PPLA',
      country_code: place.country_code,
      timezone: place.timezone,
      population: place.population,
      country: place.country,
      ...(place.admin1 === undefined ? {} : { admin1: place.admin1 }),
    })),
    generationtime_ms: 0.5,
  });
}

const FORECAST_VARIABLES = ['temperature_2m', 'apparent_temperature', 'relative_humidity_2m', 'wind_speed_10m', 'weather_code'];
const DAILY_VARIABLES = ['temperature_2m_max', 'temperature_2m_min', 'precipitation_probability_max', 'precipitation_sum', 'wind_speed_10m_max', 'weather_code'];
const HOURLY_VARIABLES = ['temperature_2m', 'precipitation_probability', 'precipitation', 'wind_speed_10m', 'weather_code'];

function nearestPlace(latitude: number, longitude: number): FakePlace | undefined {
  return FAKE_PLACES.find((p) => Math.abs(p.latitude - latitude) < 0.01 && Math.abs(p.longitude - longitude) < 0.01);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function roundTo(value: number, digits: number): number {
  return Math.round(value * 10 ** digits) / 10 ** digits;
}

/** The real offset of an IANA zone at an instant, in seconds, and its abbreviation as Open-Meteo gives it ("GMT+9", "CST"). */
function zoneAt(zone: string, at: number): { offset: number; abbreviation: string } {
  const part = (style: 'longOffset' | 'short') =>
    new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: style }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /^GMT([+-])(\d{2}):(\d{2})$/.exec(part('longOffset'));
  const offset = match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 3600 + Number(match[3]) * 60) : 0;
  return { offset, abbreviation: part('short') };
}

/** Local wall-clock time at `offset` seconds: "2026-12-01T15:00". */
function localTime(epochMs: number, offset: number): string {
  return new Date(epochMs + offset * 1000).toISOString().slice(0, 16);
}

/** Day d (0 = today): the pattern every place's daily forecast follows around its current weather. */
const DAYS = {
  maxDelta: [1.5, 2.4, -0.8, 0.6, 3.1, -1.2, 0.9],
  spread: [7.3, 6.1, 5.4, 8.0, 6.6, 4.9, 7.7],
  probability: [20, 80, 45, 10, 65, 30, 5],
  precipitationMm: [0, 5.2, 0.4, 0, 2.8, 0.1, 0],
  windFactor: [1.3, 1.6, 1.1, 0.8, 1.9, 1.2, 0.9],
  /** null: the place's current code. */
  wmo: [null, 63, 3, 1, 61, 2, 0],
};
/** Hour n after local midnight today: a chance of rain that comes and goes. */
const HOURLY_PROBABILITY = [5, 10, 15, 30, 60, 75, 40, 20, 10, 5, 0, 0];

interface OpenMeteoUnits {
  temperature: (celsius: number) => number;
  wind: (kmh: number) => number;
  precipitation: (mm: number) => number;
  labels: { temperature: string; wind: string; precipitation: string };
}

function forecast(res: ServerResponse, params: URLSearchParams, now: number): void {
  const latitude = Number(params.get('latitude'));
  const longitude = Number(params.get('longitude'));
  if (!params.has('latitude') || !params.has('longitude') || Number.isNaN(latitude) || Number.isNaN(longitude)) {
    return send(res, 400, { error: true, reason: "Parameter 'latitude' and 'longitude' must be set" });
  }
  const temperatureUnit = params.get('temperature_unit') ?? 'celsius';
  const windUnit = params.get('wind_speed_unit') ?? 'kmh';
  const precipitationUnit = params.get('precipitation_unit') ?? 'mm';
  if (temperatureUnit !== 'celsius' && temperatureUnit !== 'fahrenheit') {
    return send(res, 400, { error: true, reason: `Cannot initialize TemperatureUnit from invalid String value ${temperatureUnit}` });
  }
  const windFactor: Record<string, [number, string]> = { kmh: [1, 'km/h'], ms: [1 / 3.6, 'm/s'], mph: [1 / 1.609344, 'mp/h'] /* sic: Open-Meteo's own spelling */, kn: [1 / 1.852, 'kn'] };
  const wind = windFactor[windUnit];
  if (wind === undefined) {
    return send(res, 400, { error: true, reason: `Cannot initialize WindspeedUnit from invalid String value ${windUnit}` });
  }
  if (precipitationUnit !== 'mm' && precipitationUnit !== 'inch') {
    return send(res, 400, { error: true, reason: `Cannot initialize PrecipitationUnit from invalid String value ${precipitationUnit}` });
  }
  const lists: Record<'current' | 'daily' | 'hourly', string[]> = { current: [], daily: [], hourly: [] };
  const known = { current: FORECAST_VARIABLES, daily: DAILY_VARIABLES, hourly: HOURLY_VARIABLES };
  for (const kind of ['current', 'daily', 'hourly'] as const) {
    lists[kind] = (params.get(kind) ?? '').split(',').filter((v) => v !== '');
    const unknown = lists[kind].find((v) => !known[kind].includes(v));
    if (unknown !== undefined) {
      const type = { current: 'SurfacePressureAndHeightVariable', daily: 'ForecastVariableDaily', hourly: 'SurfacePressureAndHeightVariable' }[kind];
      return send(res, 400, { error: true, reason: `Cannot initialize ${type} from invalid String value ${unknown}` });
    }
  }
  const days = Number(params.get('forecast_days') ?? '7');
  if (!Number.isInteger(days) || days < 0 || days > 16) {
    return send(res, 400, { error: true, reason: "Parameter 'forecast_days' must be between 0 and 16" });
  }
  const hours = params.has('forecast_hours') ? Number(params.get('forecast_hours')) : undefined;
  if (hours !== undefined && (!Number.isInteger(hours) || hours <= 0)) {
    return send(res, 400, { error: true, reason: "Parameter 'forecast_hours' must be positive" });
  }

  // Unknown coordinates still get weather, as the real API covers the whole globe.
  const place = nearestPlace(latitude, longitude);
  const w = place?.weather ?? { temperature: 20, apparent: 20, humidity: 60, windKmh: 10, wmo: 1 };
  const fahrenheit = temperatureUnit === 'fahrenheit';
  const units: OpenMeteoUnits = {
    temperature: (c) => (fahrenheit ? round1((c * 9) / 5 + 32) : round1(c)),
    wind: (kmh) => round1(kmh * wind[0]),
    precipitation: (mm) => (precipitationUnit === 'inch' ? roundTo(mm / 25.4, 3) : round1(mm)),
    labels: { temperature: fahrenheit ? '°F' : '°C', wind: wind[1], precipitation: precipitationUnit },
  };
  const values: Record<string, number> = {
    temperature_2m: units.temperature(w.temperature),
    apparent_temperature: units.temperature(w.apparent),
    relative_humidity_2m: w.humidity,
    wind_speed_10m: units.wind(w.windKmh),
    weather_code: w.wmo,
  };
  const unitOf: Record<string, string> = {
    temperature_2m: units.labels.temperature,
    apparent_temperature: units.labels.temperature,
    relative_humidity_2m: '%',
    wind_speed_10m: wind[1],
    weather_code: 'wmo code',
  };
  // Without `timezone`, times are GMT; `auto` is the zone of the place, as the real API finds it.
  const requestedZone = params.get('timezone');
  const zone = requestedZone === 'auto' ? (place?.timezone ?? 'GMT') : (requestedZone ?? 'GMT');
  let tz: { offset: number; abbreviation: string };
  try {
    tz = zoneAt(zone, now);
  } catch {
    return send(res, 400, { error: true, reason: `Invalid timezone ${zone}` });
  }
  const body: Record<string, unknown> = {
    // The real API answers with the grid cell it used, not the exact coordinates.
    latitude: Math.round(latitude * 8) / 8,
    longitude: Math.round(longitude * 8) / 8,
    generationtime_ms: 0.05,
    utc_offset_seconds: tz.offset,
    timezone: zone,
    timezone_abbreviation: tz.abbreviation,
    elevation: 18,
  };
  if (lists.current.length > 0) {
    body.current_units = { time: 'iso8601', interval: 'seconds', ...pick(unitOf, lists.current) };
    body.current = { time: FAKE_OBSERVED_AT, interval: 900, ...pick(values, lists.current) };
  }
  const midnight = Date.parse(`${localTime(now, tz.offset).slice(0, 10)}T00:00Z`); // local midnight, as if it were UTC
  if (lists.daily.length > 0) {
    body.daily_units = { time: 'iso8601', ...pick(dailyUnits(units), lists.daily) };
    const rows = Array.from({ length: days }, (_, d) => dailyRow(w, d, units));
    body.daily = {
      time: rows.map((_, d) => new Date(midnight + d * 86_400_000).toISOString().slice(0, 10)),
      ...Object.fromEntries(lists.daily.map((v) => [v, rows.map((row) => row[v] ?? null)])),
    };
  }
  if (lists.hourly.length > 0) {
    body.hourly_units = { time: 'iso8601', ...pick(hourlyUnits(units), lists.hourly) };
    // forecast_hours counts from the current hour; without it, whole days from midnight.
    const first = hours === undefined ? 0 : Number(localTime(now, tz.offset).slice(11, 13));
    const rows = Array.from({ length: hours ?? days * 24 }, (_, k) => hourlyRow(w, first + k, units));
    body.hourly = {
      time: rows.map((_, k) => new Date(midnight + (first + k) * 3_600_000).toISOString().slice(0, 16)),
      ...Object.fromEntries(lists.hourly.map((v) => [v, rows.map((row) => row[v] ?? null)])),
    };
  }
  send(res, 200, body);
}

function dailyUnits(units: OpenMeteoUnits): Record<string, string> {
  const { temperature, wind, precipitation } = units.labels;
  return {
    temperature_2m_max: temperature,
    temperature_2m_min: temperature,
    precipitation_probability_max: '%',
    precipitation_sum: precipitation,
    wind_speed_10m_max: wind,
    weather_code: 'wmo code',
  };
}

function hourlyUnits(units: OpenMeteoUnits): Record<string, string> {
  const { temperature, wind, precipitation } = units.labels;
  return { temperature_2m: temperature, precipitation_probability: '%', precipitation, wind_speed_10m: wind, weather_code: 'wmo code' };
}

/** Day d's values; a missing one is absent (sent as null). */
function dailyRow(w: FakePlace['weather'], d: number, units: OpenMeteoUnits): Record<string, number> {
  const i = d % 7;
  const max = w.temperature + DAYS.maxDelta[i]!;
  const row: Record<string, number> = {
    temperature_2m_max: units.temperature(max),
    temperature_2m_min: units.temperature(max - DAYS.spread[i]!),
    precipitation_probability_max: DAYS.probability[i]!,
    precipitation_sum: units.precipitation(DAYS.precipitationMm[i]!),
    wind_speed_10m_max: units.wind(w.windKmh * DAYS.windFactor[i]!),
    weather_code: DAYS.wmo[i] ?? w.wmo,
  };
  // The third day lacks its low and its code; no chance of rain is given beyond five days.
  if (d === 2) {
    delete row.temperature_2m_min;
    delete row.weather_code;
  }
  if (d >= 5) delete row.precipitation_probability_max;
  return row;
}

/** Hour n after local midnight today; every 20:00 is missing altogether. */
function hourlyRow(w: FakePlace['weather'], n: number, units: OpenMeteoUnits): Record<string, number> {
  const hour = n % 24;
  if (hour === 20) return {};
  const probability = HOURLY_PROBABILITY[n % HOURLY_PROBABILITY.length]!;
  return {
    temperature_2m: units.temperature(w.temperature + 3 * Math.sin(((hour - 9) * Math.PI) / 12)),
    precipitation_probability: probability,
    precipitation: units.precipitation(probability >= 60 ? probability / 50 : 0),
    wind_speed_10m: units.wind(w.windKmh * (1 + (n % 5) / 10)),
    weather_code: probability >= 60 ? 61 : w.wmo,
  };
}

function pick<T>(from: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(keys.map((key) => [key, from[key] as T]));
}

/** Current weather (`forecastFrom` undefined) or the 5 day / 3 hour forecast from that clock. */
function openWeatherMap(res: ServerResponse, params: URLSearchParams, forecastFrom?: number): void {
  if (params.get('appid') !== FAKE_OWM_API_KEY) {
    return send(res, 401, {
      cod: 401,
      message: 'Invalid API key. Please see https://openweathermap.org/faq#error401 for more info.',
    });
  }
  const q = params.get('q');
  if (q === null || q.trim() === '') return send(res, 400, { cod: '400', message: 'Nothing to geocode' });
  // OWM reads q as "city,state,country": match the city, then the country if one is given.
  const [city = '', ...rest] = q.split(',').map((s) => s.trim().toLowerCase());
  const country = rest.at(-1);
  const place = findPlaces(city).find(
    (p) => country === undefined || p.country_code.toLowerCase() === country || p.country.toLowerCase() === country,
  );
  if (place === undefined) return send(res, 404, { cod: '404', message: 'city not found' });

  // OWM's own default is "standard": Kelvin and m/s. Rain and snow are always mm.
  const units = params.get('units') ?? 'standard';
  const temp = (c: number): number =>
    units === 'imperial' ? round1((c * 9) / 5 + 32) : units === 'metric' ? round1(c) : round1(c + 273.15);
  const windSpeed = (kmh: number) => (units === 'imperial' ? round1(kmh / 1.609344) : round1(kmh / 3.6));
  if (forecastFrom !== undefined) return send(res, 200, owmForecast(place, forecastFrom, temp, windSpeed));

  const dt = Date.parse(`${FAKE_OBSERVED_AT}Z`) / 1000;
  send(res, 200, {
    coord: { lon: place.longitude, lat: place.latitude },
    weather: [place.owm],
    base: 'stations',
    main: {
      temp: temp(place.weather.temperature),
      feels_like: temp(place.weather.apparent),
      temp_min: temp(place.weather.temperature - 1),
      temp_max: temp(place.weather.temperature + 1),
      pressure: 1009,
      humidity: place.weather.humidity,
      sea_level: 1009,
      grnd_level: 1007,
    },
    visibility: 10000,
    wind: { speed: windSpeed(place.weather.windKmh), deg: 250 },
    clouds: { all: 40 },
    dt,
    sys: { type: 1, id: 8160, country: place.country_code, sunrise: dt - 20000, sunset: dt + 25000 },
    timezone: 0,
    id: place.id,
    name: place.name,
    cod: 200,
  });
}

/** Step k's conditions, in turn: the place's own, then a rainy spell, cloud, clear and a storm. */
const OWM_STEPS: Array<{ weather?: FakePlace['owm']; pop: number; rainMm?: number; snowMm?: number }> = [
  { pop: 0 },
  { weather: { id: 500, main: 'Rain', description: 'light rain', icon: '10n' }, pop: 0.32, rainMm: 0.26 },
  { weather: { id: 501, main: 'Rain', description: 'moderate rain', icon: '10n' }, pop: 0.86, rainMm: 3.1 },
  { weather: { id: 500, main: 'Rain', description: 'light rain', icon: '10d' }, pop: 0.7, rainMm: 0.57 },
  { weather: { id: 804, main: 'Clouds', description: 'overcast clouds', icon: '04d' }, pop: 0.2 },
  { weather: { id: 802, main: 'Clouds', description: 'scattered clouds', icon: '03d' }, pop: 0 },
  { weather: { id: 600, main: 'Snow', description: 'light snow', icon: '13n' }, pop: 0.41, snowMm: 0.4 },
  { weather: { id: 800, main: 'Clear', description: 'clear sky', icon: '01n' }, pop: 0 },
  { weather: { id: 804, main: 'Clouds', description: 'overcast clouds', icon: '04n' }, pop: 0.05 },
  { weather: { id: 800, main: 'Clear', description: 'clear sky', icon: '01d' }, pop: 0 },
  { weather: { id: 211, main: 'Thunderstorm', description: 'thunderstorm', icon: '11d' }, pop: 1, rainMm: 7.94 },
];

/** 40 steps of 3 hours from the next step after `now`, as /data/2.5/forecast answers. */
function owmForecast(place: FakePlace, now: number, temp: (c: number) => number, windSpeed: (kmh: number) => number): unknown {
  const step = 3 * 3_600_000;
  const first = Math.floor(now / step) * step + step;
  const { offset } = zoneAt(place.timezone, now);
  const list = Array.from({ length: 40 }, (_, k) => {
    const at = first + k * step;
    const spec = OWM_STEPS[k % OWM_STEPS.length]!;
    const hour = new Date(at + offset * 1000).getUTCHours();
    const celsius = place.weather.temperature + 3 * Math.sin(((hour - 9) * Math.PI) / 12);
    const entry: Record<string, unknown> = {
      dt: at / 1000,
      main: {
        temp: temp(celsius),
        feels_like: temp(celsius + 1.2),
        temp_min: temp(celsius - (k < 8 ? 0.6 : 0)),
        temp_max: temp(celsius + (k < 8 ? 0.9 : 0)),
        pressure: 1015,
        sea_level: 1015,
        grnd_level: 1013,
        humidity: place.weather.humidity,
        temp_kf: k < 8 ? -1.5 : 0,
      },
      weather: [spec.weather ?? place.owm],
      clouds: { all: 40 + (k % 6) * 10 },
      wind: { speed: windSpeed(place.weather.windKmh * (1 + (k % 4) / 4)), deg: (k * 37) % 360, gust: windSpeed(place.weather.windKmh * 1.8) },
      visibility: 10000,
      pop: spec.pop,
      sys: { pod: hour >= 6 && hour < 18 ? 'd' : 'n' },
      dt_txt: new Date(at).toISOString().replace('T', ' ').slice(0, 19),
    };
    // Only steps with rain or snow carry them; some steps have no gust or visibility.
    if (spec.rainMm !== undefined) entry.rain = { '3h': spec.rainMm };
    if (spec.snowMm !== undefined) entry.snow = { '3h': spec.snowMm };
    if (k % 7 === 3) {
      delete entry.visibility;
      delete (entry.wind as Record<string, unknown>).gust;
    }
    return entry;
  });
  return {
    cod: '200',
    message: 0,
    cnt: list.length,
    list,
    city: {
      id: place.id,
      name: place.name,
      coord: { lat: place.latitude, lon: place.longitude },
      country: place.country_code,
      population: place.population,
      timezone: offset,
      sunrise: Math.floor(now / 1000) - 20000,
      sunset: Math.floor(now / 1000) + 25000,
    },
  };
}
