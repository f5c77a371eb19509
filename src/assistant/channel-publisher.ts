/**
 * The seed's MyEventHandler: turns assistant events into the seed's channel messages
 * and sends them through the WebSocketManager.
 *   tool call  → the tool's words, "Executing weather check for <location>" for get_weather
 *                ("Executing weather forecast for <location>" for get_forecast; see toolbox.ts)
 *                (started), then the result JSON (tool_executed)
 *   text delta → the delta (no status)
 *   retry wait → an empty delta whose `notice` says how long and why
 *   end        → the complete answer (completed), or the error text (error)
 * Every message carries an `id` and a per-thread `seq`, which seed clients ignore.
 */
import {
  responseCompletedPayload,
  responseDeltaPayload,
  toolCallStartedPayload,
  toolExecutedPayload,
  turnFailedPayload,
  turnNoticePayload,
  type ChannelPayload,
} from '../protocol';
import type { AssistantEvent } from './events';

export interface PayloadSink {
  send(payload: ChannelPayload): unknown;
}

export class ChannelPublisher {
  private readonly sequence = new Map<string, number>();

  constructor(private readonly sink: PayloadSink) {}

  /** Returns the payload sent for `event`, or undefined for events with no wire form. */
  handle(event: AssistantEvent): ChannelPayload | undefined {
    const payload = this.toPayload(event);
    if (payload) this.sink.send(payload);
    return payload;
  }

  private toPayload(event: AssistantEvent): ChannelPayload | undefined {
    const options = () => ({ seq: this.nextSeq(event.threadId) });
    switch (event.type) {
      case 'tool_started':
        return toolCallStartedPayload(event.threadId, event.message, { ...options(), callId: event.callId });
      case 'tool_executed':
        return toolExecutedPayload(event.threadId, event.resultJson, { ...options(), callId: event.callId });
      case 'delta':
        return responseDeltaPayload(event.threadId, event.text, options());
      case 'waiting':
        return turnNoticePayload(event.threadId, event.message, options());
      case 'completed':
        return responseCompletedPayload(event.threadId, event.text, options());
      case 'failed':
        return turnFailedPayload(event.threadId, event.cancelled ? 'The request was cancelled.' : event.message, options());
      default:
        return undefined;
    }
  }

  private nextSeq(threadId: string): number {
    const seq = this.sequence.get(threadId) ?? 0;
    this.sequence.set(threadId, seq + 1);
    return seq;
  }
}
