/**
 * The weather assistant without VS Code: settings in, chat turns out. `ask` runs one
 * turn on a thread and reports every step through the in-process event stream
 * (`on('event', …)`); it resolves with the outcome and never throws for model,
 * network or tool failures.
 */
import { EventEmitter } from 'node:events';
import OpenAI from 'openai';
import { newThreadId } from '../protocol';
import type { WeatherConfig } from '../weather';
import { ChatAdapter } from './chat-adapter';
import { resolveAssistantConfig, type AssistantConfig, type ResolvedAssistantConfig } from './config';
import { AssistantError } from './errors';
import type { AssistantEvent, TurnResult } from './events';
import type { ModelAdapter } from './model-adapter';
import { ResponsesAdapter } from './responses-adapter';
import { weatherToolbox, type Toolbox } from './toolbox';
import { runTurn } from './turn';

export interface WeatherAssistantOptions {
  model?: AssistantConfig;
  weather?: WeatherConfig;
}

export interface AskOptions {
  /** Continue this thread; a new one is started when omitted. */
  threadId?: string;
  signal?: AbortSignal;
}

export class WeatherAssistant extends EventEmitter<{ event: [AssistantEvent] }> {
  readonly config: ResolvedAssistantConfig;
  /** get_weather and get_forecast, on the weather settings. */
  readonly tools: Toolbox;
  private readonly adapter: ModelAdapter;

  /** Throws an Error naming every bad setting. */
  constructor(options: WeatherAssistantOptions = {}) {
    super();
    const resolved = resolveAssistantConfig(options.model);
    if (!resolved.ok) throw new Error(`Invalid model settings: ${resolved.problems.join('; ')}`);
    this.config = resolved.config;
    this.tools = weatherToolbox(options.weather);
    const client = new OpenAI({
      // Local servers ignore the key but the SDK wants one; OpenAI itself is checked in ask().
      apiKey: this.config.apiKey ?? 'no-key',
      baseURL: this.config.baseUrl,
      // The engine retries itself (retry.ts), so that each wait is announced and can be cancelled.
      maxRetries: 0,
      timeout: this.config.timeoutMs,
    });
    this.adapter =
      this.config.api === 'chat'
        ? new ChatAdapter(client, this.config, this.tools.definitions)
        : new ResponsesAdapter(client, this.config, this.tools.definitions);
  }

  async ask(question: string, options: AskOptions = {}): Promise<TurnResult> {
    const threadId = options.threadId ?? newThreadId();
    const signal = options.signal ?? new AbortController().signal;
    const emit = (event: AssistantEvent) => this.emit('event', event);
    const precondition = this.precondition(question);
    if (precondition) {
      emit({ type: 'turn_started', threadId, question });
      emit({ type: 'failed', threadId, message: precondition.message, cancelled: false });
      return { threadId, status: 'failed', text: '', error: precondition.message };
    }
    return runTurn({ adapter: this.adapter, tools: this.tools, config: this.config, emit }, threadId, question.trim(), signal);
  }

  /** Forgets a thread's conversation (New Chat). */
  forget(threadId: string): void {
    this.adapter.forget(threadId);
  }

  private precondition(question: string): AssistantError | undefined {
    if (question.trim() === '') return new AssistantError('the question is empty');
    if (this.config.isOpenAI && !this.config.apiKey) {
      return new AssistantError(
        `no API key for ${this.config.baseUrl}: set OPENAI_API_KEY (in VS Code: "Weather Assistant: Set API Key"), or point baseUrl at a local OpenAI-compatible server`,
      );
    }
    return undefined;
  }
}
