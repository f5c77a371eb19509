/** The relay client: `new WebSocketManager(uri, channel, options)`. */
export {
  WebSocketManager,
  type ConnectionState,
  type SendResult,
  type WebSocketManagerEvents,
  type WebSocketManagerOptions,
} from './websocket-manager';
export { RelayConnectionError, describeConnectionError } from './errors';
export { backoffDelay, BACKOFF_DEFAULTS, type BackoffOptions } from './backoff';
export { OfflineQueue } from './offline-queue';
