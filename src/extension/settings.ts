/**
 * The extension's settings, read through a plain getter so this module needs no
 * `vscode` import and can be tested in Node. Every value is checked; a bad one is
 * reported in words and replaced by its default, never passed on.
 */
import { channelNameProblem, relayUriProblem } from '../protocol';
// The config module only: importing the engine here would load the OpenAI SDK at activation.
import { MODEL_APIS, type AssistantConfig, type ModelApi } from '../assistant/config';
import { WEATHER_PROVIDERS, type WeatherConfig, type WeatherProvider } from '../weather';

export const SETTINGS_SECTION = 'weatherAssistant';

export interface ExtensionSettings {
  server: { uri: string; channel: string; autoStart: boolean };
  model: Pick<AssistantConfig, 'api' | 'baseUrl' | 'model'>;
  weather: Pick<WeatherConfig, 'provider' | 'units' | 'forecastUrl' | 'geocodingUrl'>;
  panel: { maxThreads: number };
}

export const DEFAULT_SETTINGS: ExtensionSettings = {
  server: { uri: 'ws://localhost:4000', channel: 'weather-update', autoStart: true },
  model: { api: 'responses', baseUrl: '', model: '' },
  weather: { provider: 'open-meteo', units: 'metric', forecastUrl: '', geocodingUrl: '' },
  panel: { maxThreads: 50 },
};

export interface SettingsResult {
  settings: ExtensionSettings;
  /** One sentence per setting that was ignored, naming it. */
  problems: string[];
}

/** `get(key)` returns the raw value of `weatherAssistant.<key>` (undefined when unset). */
export function readSettings(get: (key: string) => unknown): SettingsResult {
  const problems: string[] = [];
  const name = (key: string) => `${SETTINGS_SECTION}.${key}`;
  const text = (key: string, fallback: string): string => {
    const value = get(key);
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string') {
      problems.push(`${name(key)} must be a string; using "${fallback}"`);
      return fallback;
    }
    return value.trim();
  };
  const checked = <T extends string>(key: string, fallback: T, problem: (value: string) => string | undefined): T => {
    const value = text(key, fallback);
    const why = problem(value);
    if (why) {
      problems.push(`${name(key)}: ${why}; using "${fallback}"`);
      return fallback;
    }
    return value as T;
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T =>
    checked(key, fallback, (value) => (allowed.includes(value as T) ? undefined : `must be one of ${allowed.join(', ')}, got "${value}"`));
  const optionalUrl = (key: string): string =>
    checked(key, '', (value) => (value === '' || /^https?:\/\/[^\s]+$/i.test(value) ? undefined : `must be an http(s) URL or empty, got "${value}"`));

  const defaults = DEFAULT_SETTINGS;
  const autoStart = get('server.autoStart');
  if (autoStart !== undefined && typeof autoStart !== 'boolean') problems.push(`${name('server.autoStart')} must be true or false; using true`);
  const maxThreads = get('panel.maxThreads');
  const threadsOk = maxThreads === undefined || (Number.isInteger(maxThreads) && (maxThreads as number) >= 1 && (maxThreads as number) <= 1000);
  if (!threadsOk) problems.push(`${name('panel.maxThreads')} must be a whole number from 1 to 1000; using ${defaults.panel.maxThreads}`);

  const settings: ExtensionSettings = {
    server: {
      uri: checked('server.uri', defaults.server.uri, relayUriProblem),
      channel: checked('server.channel', defaults.server.channel, channelNameProblem),
      autoStart: typeof autoStart === 'boolean' ? autoStart : defaults.server.autoStart,
    },
    model: {
      api: oneOf<ModelApi>('api', MODEL_APIS, 'responses'),
      baseUrl: optionalUrl('baseUrl'),
      model: text('model', ''),
    },
    weather: {
      provider: oneOf<WeatherProvider>('weather.provider', WEATHER_PROVIDERS, 'open-meteo'),
      units: oneOf('weather.units', ['metric', 'imperial'] as const, 'metric'),
      forecastUrl: optionalUrl('weather.forecastUrl'),
      geocodingUrl: optionalUrl('weather.geocodingUrl'),
    },
    panel: { maxThreads: threadsOk && maxThreads !== undefined ? (maxThreads as number) : defaults.panel.maxThreads },
  };
  return { settings, problems };
}
