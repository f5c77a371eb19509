/**
 * Reads one seed payload, from the channel or our own engine, into what the activity
 * store works with: every field checked for its type and cut to the panel's limits, so
 * nothing a publisher sends can throw inside the store or grow it past its bounds.
 */
import { clip, EVENT_STATUSES, MAX_EVENT_ID_LENGTH, TEXT_LIMITS, type EventStatus } from '../protocol';

export interface IncomingEvent {
  threadId: string;
  type: 'tool' | 'response';
  status: EventStatus | undefined;
  /** Cut to the limit of what it is (tool message, tool result, error); answer text is cut by the store. */
  message: string;
  /** Only when short enough to remember for de-duplication. */
  id: string | undefined;
  toolCallId: string | undefined;
  notice: string | undefined;
}

const STATUSES: ReadonlySet<unknown> = new Set([undefined, ...EVENT_STATUSES]);

/** The event, or undefined when the payload is not a seed tool/response payload. */
export function readIncomingEvent(payload: unknown): IncomingEvent | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const fields = payload as Record<string, unknown>;
  const { type, status, message, thread_id: threadId } = fields;
  if (type !== 'tool' && type !== 'response') return undefined;
  if (!STATUSES.has(status) || typeof message !== 'string' || typeof threadId !== 'string') return undefined;
  const id = typeof fields.id === 'string' && fields.id.length <= MAX_EVENT_ID_LENGTH ? fields.id : undefined;
  const toolCallId = typeof fields.tool_call_id === 'string' ? clip(fields.tool_call_id, TEXT_LIMITS.toolCallId) : undefined;
  const notice = type === 'response' && status === undefined && typeof fields.notice === 'string' && fields.notice !== '' ? clip(fields.notice, TEXT_LIMITS.notice) : undefined;
  return {
    threadId: clip(threadId, TEXT_LIMITS.threadId),
    type,
    status: status as EventStatus | undefined,
    message: clip(message, messageLimit(type, status as EventStatus | undefined)),
    id,
    toolCallId,
    notice,
  };
}

function messageLimit(type: IncomingEvent['type'], status: EventStatus | undefined): number {
  if (type === 'tool') return status === 'started' ? TEXT_LIMITS.toolMessage : TEXT_LIMITS.toolResult;
  return status === 'error' ? TEXT_LIMITS.error : TEXT_LIMITS.answer;
}
