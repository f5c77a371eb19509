/**
 * One window's conversation with the assistant: the current thread, the engine built
 * from the settings and key, and the wiring of every event to both the panel (at once,
 * through the store) and the channel (through the connection). No `vscode` import.
 */
import type { ActivityStore } from '../activity';
import type { ChannelPublisher, TurnResult, WeatherAssistant } from '../assistant';
import { newThreadId, type ChannelPayload } from '../protocol';
// The name only (definition.ts holds no network code): the engine itself loads on the first question.
import { FORECAST_TOOL_NAME } from '../weather/definition';
import { loadEngine } from './load-engine';
import type { ExtensionSettings } from './settings';

/** Far more than any question needs, and far below the relay's frame limit (the question is published). */
const MAX_QUESTION_LENGTH = 4000;

/** Why `question` cannot be asked, or undefined when it can. */
export function questionProblem(question: string): string | undefined {
  if (question.trim() === '') return 'Type a question, or press Escape to cancel.';
  if (question.length > MAX_QUESTION_LENGTH) return `a question may have at most ${MAX_QUESTION_LENGTH} characters (this one has ${question.length})`;
  return undefined;
}

interface SessionOptions {
  store: ActivityStore;
  publish: (payload: ChannelPayload) => void;
  log: (level: 'info' | 'warn' | 'error', line: string) => void;
}

export class AssistantSession {
  private assistant: WeatherAssistant | undefined;
  private settings: ExtensionSettings | undefined;
  private apiKey: string | undefined;
  private weatherApiKey: string | undefined;
  private current = newThreadId();
  private running: AbortController | undefined;
  private publisherInstance: ChannelPublisher | undefined;
  /** Settles once the settings and key of the latest configure() are in place. */
  private pending: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SessionOptions) {}

  /**
   * Each payload goes to the channel and, the same object, to the panel: its id lets the
   * store recognise the relay's echo instead of showing it twice.
   */
  private get publisher(): ChannelPublisher {
    this.publisherInstance ??= new (loadEngine().ChannelPublisher)({
      send: (payload) => {
        this.options.publish(payload);
        this.options.store.ingest(payload, 'local');
      },
    });
    return this.publisherInstance;
  }

  get threadId(): string {
    return this.current;
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** New settings or keys: the engine is rebuilt before the next question. */
  configure(settings: ExtensionSettings, keys: { apiKey?: string; weatherApiKey?: string }): void {
    this.settings = settings;
    this.apiKey = keys.apiKey;
    this.weatherApiKey = keys.weatherApiKey;
    this.assistant = undefined;
  }

  /** A configure() is on its way (the key is being read): questions wait for it. */
  waitFor(configuring: Promise<unknown>): void {
    this.pending = configuring.catch(() => undefined);
  }

  /** Runs one turn on the current thread. Resolves with the outcome; never throws. */
  /** `onProgress` hears what the turn is doing now, in a few words, for a progress notification. */
  async ask(question: string, signal?: AbortSignal, onProgress?: (message: string) => void): Promise<TurnResult> {
    const threadId = this.current;
    const problem = question.trim() === '' ? undefined : questionProblem(question); // the engine words an empty one
    if (problem) return { threadId, status: 'failed', text: '', error: problem };
    if (this.running) {
      return { threadId, status: 'failed', text: '', error: 'a question is already being answered; wait for it or cancel it' };
    }
    // Taken at once, before any await, so two quick questions cannot both start.
    const controller = new AbortController();
    this.running = controller;
    const abort = () => controller.abort();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await this.pending;
      let assistant: WeatherAssistant;
      try {
        assistant = this.engine();
      } catch (error) {
        const message = (error as Error).message;
        this.options.store.startLocalTurn(threadId, question);
        this.publisher.handle({ type: 'failed', threadId, message, cancelled: false });
        return { threadId, status: 'failed', text: '', error: message };
      }
      const onEvent = (event: Parameters<ChannelPublisher['handle']>[0]) => {
        if (event.threadId !== threadId) return;
        if (event.type === 'turn_started') this.options.store.startLocalTurn(threadId, event.question);
        else this.publisher.handle(event);
        const progress = progressOf(event);
        if (progress !== undefined) onProgress?.(progress);
      };
      assistant.on('event', onEvent);
      try {
        const result = await assistant.ask(question, { threadId, signal: controller.signal });
        this.options.log(result.status === 'completed' ? 'info' : 'warn', `turn on ${threadId} ${result.status}${result.error ? `: ${result.error}` : ''}`);
        return result;
      } finally {
        assistant.off('event', onEvent);
      }
    } finally {
      signal?.removeEventListener('abort', abort);
      this.running = undefined;
    }
  }

  /** Cancels the running turn, if any. */
  cancel(): void {
    this.running?.abort();
  }

  /** Starts a fresh thread; the old one's conversation is forgotten. */
  newChat(): string {
    this.cancel();
    this.assistant?.forget(this.current);
    this.current = newThreadId();
    return this.current;
  }

  private engine(): WeatherAssistant {
    if (this.assistant) return this.assistant;
    const settings = this.settings;
    if (!settings) throw new Error('the extension has not finished starting');
    // A setting that says where the question or a lookup goes is bad: ask nobody rather than a default.
    if (settings.assistantProblem) throw new Error(settings.assistantProblem);
    this.assistant = new (loadEngine().WeatherAssistant)({
      model: {
        api: settings.model.api,
        baseUrl: settings.model.baseUrl || undefined,
        model: settings.model.model || undefined,
        apiKey: this.apiKey,
      },
      weather: {
        provider: settings.weather.provider,
        units: settings.weather.units,
        forecastUrl: settings.weather.forecastUrl || undefined,
        openWeatherMapForecastUrl: settings.weather.openWeatherMapForecastUrl || undefined,
        geocodingUrl: settings.weather.geocodingUrl || undefined,
        apiKey: this.weatherApiKey,
      },
    });
    return this.assistant;
  }
}

/** What a progress notification says for an event; undefined leaves it as it is. */
function progressOf(event: Parameters<ChannelPublisher['handle']>[0]): string | undefined {
  switch (event.type) {
    case 'tool_started':
      return `Checking the ${event.name === FORECAST_TOOL_NAME ? 'forecast' : 'weather'} for ${event.location.slice(0, 80) || 'an unnamed place'}…`;
    case 'waiting':
      return event.message;
    case 'delta':
      return 'Answering…';
    default:
      return undefined;
  }
}
