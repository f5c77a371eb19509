/** The assistant engine: `new WeatherAssistant({ model, weather }).ask(question)`. */
export { WeatherAssistant, type AskOptions, type WeatherAssistantOptions } from './assistant';
export { newThreadId } from '../protocol';
export { ChannelPublisher, type PayloadSink } from './channel-publisher';
export {
  resolveAssistantConfig,
  DEFAULT_MODEL,
  OPENAI_BASE_URL,
  MODEL_APIS,
  type AssistantConfig,
  type ModelApi,
  type ResolvedAssistantConfig,
} from './config';
export { AssistantError } from './errors';
export type { AssistantEvent, TurnResult, TurnStatus } from './events';
