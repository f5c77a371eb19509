/**
 * The manager's public connection state and every move between states, in one table.
 * The manager never assigns a state directly: it reports what happened, and this table
 * says where that leads. A move the table does not list is a bug, refused and logged.
 */

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'subscribed' | 'reconnecting' | 'closed';

/** What happened. */
export type ConnectionEvent =
  /** A socket is being opened: connect(), reconnect(), or a retry after the backoff wait. */
  | 'opening'
  /** The socket opened. */
  | 'opened'
  /** The relay confirmed our subscribe on this socket. */
  | 'subscribed'
  /** unsubscribe(): no longer subscribed, still connected. */
  | 'left'
  /** The socket closed and another attempt follows (at once when asked for, else after a backoff wait). */
  | 'lost'
  /** The socket failed or closed and no attempt follows: reconnect is off, or retrying cannot help. */
  | 'failed'
  /** disconnect(), or a socket closing after it. */
  | 'stopped';

export const TRANSITIONS: Readonly<Record<ConnectionState, Readonly<Partial<Record<ConnectionEvent, ConnectionState>>>>> = {
  idle: { opening: 'connecting', stopped: 'closed' },
  connecting: { opened: 'connected', lost: 'reconnecting', failed: 'closed', stopped: 'closed' },
  connected: { subscribed: 'subscribed', left: 'connected', lost: 'reconnecting', failed: 'closed', stopped: 'closed' },
  subscribed: { left: 'connected', lost: 'reconnecting', failed: 'closed', stopped: 'closed' },
  reconnecting: { opening: 'reconnecting', opened: 'connected', lost: 'reconnecting', failed: 'closed', stopped: 'closed' },
  closed: { opening: 'connecting', stopped: 'closed' },
};

/** Where `event` leads from `state`; undefined when the table has no such move. */
export function nextState(state: ConnectionState, event: ConnectionEvent): ConnectionState | undefined {
  return TRANSITIONS[state][event];
}
