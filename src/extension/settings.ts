/**
 * The extension's settings, read through a plain getter so this module needs no
 * `vscode` import and can be tested in Node. Every value is checked and every bad one
 * is reported in one sentence naming it. What happens then depends on the setting:
 * - where falling back to the default would reach something the user did not choose
 *   (a relay, a channel others listen on, a model or weather service), nothing is
 *   contacted until the value is fixed: `server.problem` keeps the window disconnected,
 *   `assistantProblem` makes every question fail with that sentence;
 * - otherwise the default is used (for autoStart: false, so nothing starts unasked).
 */
import { channelNameProblem, DEFAULT_MAX_THREADS, printable, relayUriProblem } from '../protocol';
// The config module only: importing the engine here would load the OpenAI SDK at activation.
import { MODEL_APIS, type AssistantConfig, type ModelApi } from '../assistant/config';
import { WEATHER_PROVIDERS, type WeatherConfig, type WeatherProvider } from '../weather';

export const SETTINGS_SECTION = 'weatherAssistant';

/** Longest URL or model name taken from the settings; longer ones are refused, not cut. */
const MAX_URL_LENGTH = 2048;
export const MAX_MODEL_LENGTH = 256;
const MAX_THREADS = { min: 1, max: 1000 };

export interface ServerSettings {
  uri: string;
  channel: string;
  autoStart: boolean;
  /** A PEM file of extra authorities to trust for wss:// (absolute, or from ~/); unset or '' for none. */
  caFile?: string;
  /** Set when uri or channel is unusable: the window stays disconnected and shows this. */
  problem?: string;
}

export interface ExtensionSettings {
  server: ServerSettings;
  model: Pick<AssistantConfig, 'api' | 'baseUrl' | 'model'>;
  weather: Pick<WeatherConfig, 'provider' | 'units' | 'forecastUrl' | 'openWeatherMapForecastUrl' | 'geocodingUrl'>;
  panel: { maxThreads: number };
  /** Set when a setting that says where questions or weather lookups go is unusable: nothing is asked. */
  assistantProblem?: string;
}

export const DEFAULT_SETTINGS: ExtensionSettings = {
  server: { uri: 'ws://localhost:4000', channel: 'weather-update', autoStart: true, caFile: '' },
  model: { api: 'responses', baseUrl: '', model: '' },
  weather: { provider: 'open-meteo', units: 'metric', forecastUrl: '', openWeatherMapForecastUrl: '', geocodingUrl: '' },
  panel: { maxThreads: DEFAULT_MAX_THREADS },
};

interface SettingsResult {
  settings: ExtensionSettings;
  /** One sentence per bad setting, naming it and saying what is done instead. */
  problems: string[];
}

const NOT_CONNECTING = 'not connecting to any relay until it is fixed';
const NOT_ASKING = 'questions are refused until it is fixed';

/** `get(key)` returns the raw value of `weatherAssistant.<key>` (undefined when unset). */
export function readSettings(get: (key: string) => unknown): SettingsResult {
  const sentences: string[] = [];
  const problems = { push: (sentence: string) => sentences.push(sentence) };
  const name = (key: string) => `${SETTINGS_SECTION}.${key}`;

  /** The trimmed string, or why it is not usable; `undefined`/`null` count as unset (''). */
  const read = (key: string, problemOf: (value: string) => string | undefined): { value: string; why?: string } => {
    const raw = get(key);
    if (raw === undefined || raw === null) return { value: '' };
    if (typeof raw !== 'string') return { value: '', why: `must be a string, got ${describeType(raw)}` };
    const value = raw.trim();
    return { value, why: value === '' ? undefined : problemOf(value) };
  };
  /** A bad value is replaced by `fallback` and reported. */
  const withFallback = <T extends string>(key: string, fallback: T, problemOf: (value: string) => string | undefined, fallbackName = `"${fallback}"`): T => {
    const { value, why } = read(key, problemOf);
    if (why) problems.push(`${name(key)}: ${why}; using ${fallbackName}`);
    return why || value === '' ? fallback : (value as T);
  };
  /** A bad value is kept out (undefined) and reported with `consequence`; `refusals` collects it. */
  const refused = (key: string, problemOf: (value: string) => string | undefined, consequence: string, refusals: string[]): string | undefined => {
    const { value, why } = read(key, problemOf);
    if (!why) return value;
    const sentence = `${name(key)}: ${why}; ${consequence}`;
    problems.push(sentence);
    refusals.push(sentence);
    return undefined;
  };
  const oneOf = <T extends string>(allowed: readonly T[]) => (value: string) =>
    allowed.includes(value as T) ? undefined : `must be one of ${allowed.join(', ')}, got "${printable(value)}"`;

  const defaults = DEFAULT_SETTINGS;
  const serverRefusals: string[] = [];
  const assistantRefusals: string[] = [];

  const uri = refused('server.uri', serverUriProblem, NOT_CONNECTING, serverRefusals);
  const channel = refused('server.channel', channelNameProblem, NOT_CONNECTING, serverRefusals);
  const caFile = refused('server.caFile', caFileProblem, NOT_CONNECTING, serverRefusals);
  const server: ServerSettings = {
    // A refused value is still shown (escaped, bounded) in the status, so the user sees what is wrong.
    uri: uri === undefined ? shown(get('server.uri')) : uri || defaults.server.uri,
    channel: channel === undefined ? shown(get('server.channel')) : channel || defaults.server.channel,
    autoStart: readAutoStart(get('server.autoStart'), (why) => problems.push(`${name('server.autoStart')} ${why}`)),
    caFile: caFile ?? '',
  };
  if (serverRefusals.length > 0) server.problem = serverRefusals.join(' ');

  const settings: ExtensionSettings = {
    server,
    model: {
      api: withFallback<ModelApi>('api', defaults.model.api as ModelApi, oneOf(MODEL_APIS)),
      baseUrl: refused('baseUrl', httpUrlProblem, NOT_ASKING, assistantRefusals) ?? '',
      model: withFallback('model', '', (value) => (value.length > MAX_MODEL_LENGTH ? `must be at most ${MAX_MODEL_LENGTH} characters (got ${value.length})` : undefined), 'the default model'),
    },
    weather: {
      provider: (refused('weather.provider', oneOf(WEATHER_PROVIDERS), NOT_ASKING, assistantRefusals) || defaults.weather.provider) as WeatherProvider,
      units: withFallback<'metric' | 'imperial'>('weather.units', 'metric', oneOf(['metric', 'imperial'] as const)),
      forecastUrl: refused('weather.forecastUrl', httpUrlProblem, NOT_ASKING, assistantRefusals) ?? '',
      openWeatherMapForecastUrl: refused('weather.openWeatherMapForecastUrl', httpUrlProblem, NOT_ASKING, assistantRefusals) ?? '',
      geocodingUrl: refused('weather.geocodingUrl', httpUrlProblem, NOT_ASKING, assistantRefusals) ?? '',
    },
    panel: {
      maxThreads: readMaxThreads(get('panel.maxThreads'), (why) => problems.push(`${name('panel.maxThreads')} ${why}`)),
    },
  };
  if (assistantRefusals.length > 0) settings.assistantProblem = assistantRefusals.join(' ');
  return { settings, problems: sentences };
}

/** Paths longer than this are not paths anyone typed. */
const MAX_PATH_LENGTH = 4096;

function caFileProblem(value: string): string | undefined {
  if (value.length > MAX_PATH_LENGTH) return `must be at most ${MAX_PATH_LENGTH} characters (got ${value.length})`;
  if (value.includes('\0')) return 'must not contain a NUL character';
  if (!value.startsWith('/') && !value.startsWith('~/') && !/^[A-Za-z]:[\\/]/.test(value)) {
    return `must be an absolute path (or start with ~/), got "${printable(value)}"`;
  }
  return undefined;
}

function readAutoStart(raw: unknown, report: (why: string) => void): boolean {
  if (raw === undefined || raw === null) return DEFAULT_SETTINGS.server.autoStart;
  if (typeof raw === 'boolean') return raw;
  report(`must be true or false, got ${describeType(raw)}; using false (nothing is started unasked)`);
  return false;
}

function readMaxThreads(raw: unknown, report: (why: string) => void): number {
  const fallback = DEFAULT_SETTINGS.panel.maxThreads;
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= MAX_THREADS.min && raw <= MAX_THREADS.max) return raw;
  const got = typeof raw === 'number' ? String(raw) : describeType(raw);
  report(`must be a whole number from ${MAX_THREADS.min} to ${MAX_THREADS.max}, got ${got}; using ${fallback}`);
  return fallback;
}

/** Why `value` cannot be the relay URI (also what Set Server URI checks), or undefined. */
export function serverUriProblem(value: string): string | undefined {
  const long = tooLong(value);
  return long ? `relay URI ${long}` : relayUriProblem(value);
}

function tooLong(value: string): string | undefined {
  return value.length > MAX_URL_LENGTH ? `must be at most ${MAX_URL_LENGTH} characters (got ${value.length})` : undefined;
}

function httpUrlProblem(value: string): string | undefined {
  if (tooLong(value)) return tooLong(value);
  const problem = `must be an http(s) URL or empty, got "${printable(value)}"`;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? undefined : problem;
  } catch {
    return problem;
  }
}

function describeType(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `"${printable(value)}"`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${printable(String(value))}`;
}

/** A refused value as the status shows it: escaped and bounded ('' when not even a string). */
function shown(value: unknown): string {
  return typeof value === 'string' ? printable(value.trim(), 80) : '';
}
