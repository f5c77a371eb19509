/**
 * The one protocol module shared by every part. `wire/` is what travels over the relay
 * (relay, client, engine, extension); `panel/` is what travels between the extension host
 * and its webview (activity store, extension, panel).
 */
export * from './wire';
export * from './panel';
