/** The relay client: `new WebSocketManager(uri, channel, options)`. */
export { WebSocketManager } from './websocket-manager';
export type { WebSocketManagerOptions } from './settings';
export type { ConnectionState } from './transitions';
export { RelayConnectionError } from './errors';
export { readCaFile } from './ca-file';
