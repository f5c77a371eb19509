/**
 * A fake weather service on 127.0.0.1 for tests: real HTTP, speaking the real
 * Open-Meteo geocoding + forecast and OpenWeatherMap current-weather shapes for a
 * few known places, with switches for the failures tests need.
 *
 *   const server = await startFakeWeatherServer();
 *   createWeatherTool({ geocodingUrl: server.geocodingUrl, forecastUrl: server.forecastUrl });
 *   createWeatherTool({ provider: 'openweathermap', forecastUrl: server.owmUrl, apiKey: server.owmApiKey });
 *   server.setMode('hang');                 // every endpoint; or setMode('status500', 'forecast')
 *   server.requests                         // [{endpoint, method, path, query}], oldest first
 *   server.reset();                         // mode back to 'normal', requests cleared
 *   await server.close();                   // also drops hanging requests
 *
 * Endpoints: GET /v1/search (geocoding), GET /v1/forecast, GET /data/2.5/weather (OWM).
 * Every forecast and OWM answer carries FAKE_OBSERVED_AT as its observation time.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeEndpoint = 'geocoding' | 'forecast' | 'owm';

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
};

export async function startFakeWeatherServer(): Promise<FakeWeatherServer> {
  const modes = new Map<FakeEndpoint, FakeMode>();
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const endpoint = ENDPOINTS[url.pathname];
    const query = Object.fromEntries(url.searchParams);
    requests.push({ endpoint, method: req.method ?? 'GET', path: url.pathname, query });
    if (endpoint === undefined) return send(res, 404, { error: true, reason: 'Not Found' });
    respond(endpoint, modes.get(endpoint) ?? 'normal', res, url.searchParams);
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

function respond(endpoint: FakeEndpoint, mode: FakeMode, res: ServerResponse, params: URLSearchParams): void {
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
      return respond(endpoint, mode === 'verbose' ? 'normal' : 'badRequest', res, params);
    case 'badRequest':
      if (endpoint === 'owm') return send(res, 400, { cod: '400', message: 'wrong units value' });
      return send(res, 400, { error: true, reason: 'Latitude must be in range of -90 to 90°. Given: 91.0.' });
    case 'normal':
      if (endpoint === 'geocoding') return geocoding(res, params);
      if (endpoint === 'forecast') return forecast(res, params);
      return openWeatherMap(res, params);
  }
}

/** Answers whose strings are to be stretched (verbose modes). */
const stretched = new WeakSet<ServerResponse>();

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = stretched.has(res) ? JSON.stringify(body, (key, value) => (typeof value === 'string' && key !== 'time' ? value.padEnd(5_000, '~') : value)) : JSON.stringify(body);
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

function nearestPlace(latitude: number, longitude: number): FakePlace | undefined {
  return FAKE_PLACES.find((p) => Math.abs(p.latitude - latitude) < 0.01 && Math.abs(p.longitude - longitude) < 0.01);
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function forecast(res: ServerResponse, params: URLSearchParams): void {
  const latitude = Number(params.get('latitude'));
  const longitude = Number(params.get('longitude'));
  if (!params.has('latitude') || !params.has('longitude') || Number.isNaN(latitude) || Number.isNaN(longitude)) {
    return send(res, 400, { error: true, reason: "Parameter 'latitude' and 'longitude' must be set" });
  }
  const temperatureUnit = params.get('temperature_unit') ?? 'celsius';
  const windUnit = params.get('wind_speed_unit') ?? 'kmh';
  if (temperatureUnit !== 'celsius' && temperatureUnit !== 'fahrenheit') {
    return send(res, 400, { error: true, reason: `Cannot initialize TemperatureUnit from invalid String value ${temperatureUnit}` });
  }
  const windFactor: Record<string, [number, string]> = { kmh: [1, 'km/h'], ms: [1 / 3.6, 'm/s'], mph: [1 / 1.609344, 'mp/h'] /* sic: Open-Meteo's own spelling */, kn: [1 / 1.852, 'kn'] };
  const wind = windFactor[windUnit];
  if (wind === undefined) {
    return send(res, 400, { error: true, reason: `Cannot initialize WindspeedUnit from invalid String value ${windUnit}` });
  }
  const requested = (params.get('current') ?? '').split(',').filter((v) => v !== '');
  const unknown = requested.find((v) => !FORECAST_VARIABLES.includes(v));
  if (unknown !== undefined) {
    return send(res, 400, { error: true, reason: `Cannot initialize SurfacePressureAndHeightVariable from invalid String value ${unknown}` });
  }

  // Unknown coordinates still get weather, as the real API covers the whole globe.
  const w = nearestPlace(latitude, longitude)?.weather ?? { temperature: 20, apparent: 20, humidity: 60, windKmh: 10, wmo: 1 };
  const fahrenheit = temperatureUnit === 'fahrenheit';
  const temp = (c: number): number => (fahrenheit ? round1((c * 9) / 5 + 32) : c);
  const values: Record<string, number> = {
    temperature_2m: temp(w.temperature),
    apparent_temperature: temp(w.apparent),
    relative_humidity_2m: w.humidity,
    wind_speed_10m: round1(w.windKmh * wind[0]),
    weather_code: w.wmo,
  };
  const unitOf: Record<string, string> = {
    temperature_2m: fahrenheit ? '°F' : '°C',
    apparent_temperature: fahrenheit ? '°F' : '°C',
    relative_humidity_2m: '%',
    wind_speed_10m: wind[1],
    weather_code: 'wmo code',
  };
  const body: Record<string, unknown> = {
    // The real API answers with the grid cell it used, not the exact coordinates.
    latitude: Math.round(latitude * 8) / 8,
    longitude: Math.round(longitude * 8) / 8,
    generationtime_ms: 0.05,
    utc_offset_seconds: 0,
    timezone: 'GMT',
    timezone_abbreviation: 'GMT',
    elevation: 18,
  };
  if (requested.length > 0) {
    body.current_units = { time: 'iso8601', interval: 'seconds', ...pick(unitOf, requested) };
    body.current = { time: FAKE_OBSERVED_AT, interval: 900, ...pick(values, requested) };
  }
  send(res, 200, body);
}

function pick<T>(from: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(keys.map((key) => [key, from[key] as T]));
}

function openWeatherMap(res: ServerResponse, params: URLSearchParams): void {
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

  // OWM's own default is "standard": Kelvin and m/s.
  const units = params.get('units') ?? 'standard';
  const temp = (c: number): number =>
    units === 'imperial' ? round1((c * 9) / 5 + 32) : units === 'metric' ? c : round1(c + 273.15);
  const windSpeed = units === 'imperial' ? round1(place.weather.windKmh / 1.609344) : round1(place.weather.windKmh / 3.6);
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
    wind: { speed: windSpeed, deg: 250 },
    clouds: { all: 40 },
    dt,
    sys: { type: 1, id: 8160, country: place.country_code, sunrise: dt - 20000, sunset: dt + 25000 },
    timezone: 0,
    id: place.id,
    name: place.name,
    cod: 200,
  });
}
