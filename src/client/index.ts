/** The relay client: `new WebSocketManager(uri, channel, options)`. */
export { WebSocketManager, type SendResult, type WebSocketManagerEvents } from './websocket-manager';
export type { WebSocketManagerOptions } from './settings';
export type { ConnectionState } from './transitions';
export { RelayConnectionError, describeConnectionError } from './errors';
export { backoffDelay, BACKOFF_DEFAULTS, type BackoffOptions } from './backoff';
export { OfflineQueue } from './offline-queue';
