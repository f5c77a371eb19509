/** The assistant engine: `new WeatherAssistant({ model, weather }).ask(question)`. */
export { WeatherAssistant, type AskOptions, type WeatherAssistantOptions } from './assistant';
export { ChannelPublisher, type PayloadSink } from './channel-publisher';
export type { AssistantConfig, ModelApi, ResolvedAssistantConfig } from './config';
export type { AssistantEvent, TurnResult, TurnStatus } from './events';
