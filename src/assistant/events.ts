/**
 * What happens during a chat turn, as typed in-process events. The extension renders
 * these directly (so its own turn shows even while the relay is down); the channel
 * publisher turns them into the seed's wire messages.
 */

export type AssistantEvent =
  | { type: 'turn_started'; threadId: string; question: string }
  | {
      type: 'tool_started';
      threadId: string;
      callId: string;
      name: string;
      location: string;
      arguments: string;
      /** What the channel says: "Executing weather check for Makati", "Executing weather forecast for Tokyo". */
      message: string;
    }
  | {
      type: 'tool_executed';
      threadId: string;
      callId: string;
      name: string;
      location: string;
      /** The tool's result as the JSON text the model sees. */
      resultJson: string;
      /** Set when the tool produced an error result. */
      error?: string;
      durationMs: number;
    }
  | {
      /** A model request failed in a way worth retrying: the turn waits `delayMs`, then makes attempt `attempt`. */
      type: 'waiting';
      threadId: string;
      attempt: number;
      maxAttempts: number;
      delayMs: number;
      /** Why, in words: "the model server is rate limiting (HTTP 429)". */
      reason: string;
      /** The notice to show, one sentence: "Waiting 20 s to retry (attempt 2 of 3): the model server is rate limiting (HTTP 429)." */
      message: string;
    }
  | { type: 'delta'; threadId: string; text: string }
  | { type: 'completed'; threadId: string; text: string }
  | { type: 'failed'; threadId: string; message: string; cancelled: boolean };

export type TurnStatus = 'completed' | 'failed' | 'cancelled';

export interface TurnResult {
  threadId: string;
  status: TurnStatus;
  /** Everything the model said during the turn: the join of every delta. */
  text: string;
  /** The clear error text, when the turn did not complete. */
  error?: string;
  /** Set when the failure is one a user interface can help with (e.g. offer the server's models). */
  reason?: 'model-not-found';
}
