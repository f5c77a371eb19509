/**
 * Shared helpers for the WebSocketManager tests: a scriptable raw `ws` server that
 * records every frame a client sends, exact wire bytes of the seed's messages, and
 * small bounded waits. Everything listens on 127.0.0.1 only.
 */
import { once, type EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import type { ChannelMessage, ChannelPayload } from '../../src/protocol';
import type { WebSocketManager, WebSocketManagerOptions } from '../../src/client';
import { within } from '../support/wait';
export { unusedPort } from '../support/ports';

/** Shared with every suite: see test/support/wait.ts. */
export { within };

export const CHANNEL = 'weather-update';

/** A seed-shaped tool payload; `sampleBytes(i)` is its exact wire form. */
export function samplePayload(i: number): ChannelPayload {
  return { message: `step ${i}`, timestamp: 1234567890, thread_id: 'thread_xyz', status: 'started', type: 'tool' };
}

/** Written out by hand (not via JSON.stringify) so that key order and escaping are checked too. */
export function sampleBytes(i: number, channel = CHANNEL): string {
  return `{"type":"${channel}","payload":{"message":"step ${i}","timestamp":1234567890,"thread_id":"thread_xyz","status":"started","type":"tool"}}`;
}

export const subscribeBytes = (channel = CHANNEL): string => `{"type":"subscribe","payload":{"channel":"${channel}"}}`;
export const unsubscribeBytes = (channel = CHANNEL): string => `{"type":"unsubscribe","payload":{"channel":"${channel}"}}`;
export const subscribedBytes = (channel = CHANNEL): string =>
  `{"type":"subscribed","payload":{"channel":"${channel}","message":"subscribed"}}`;
export const unsubscribedBytes = (channel = CHANNEL): string =>
  `{"type":"unsubscribed","payload":{"channel":"${channel}","message":"unsubscribed"}}`;

/** Small, test-friendly manager options: fast backoff, short timeouts, no heartbeat. */
export function fastOptions(extra: WebSocketManagerOptions = {}): WebSocketManagerOptions {
  return {
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    subscribeTimeoutMs: 1000,
    connectTimeoutMs: 2000,
    heartbeatIntervalMs: 0,
    ...extra,
  };
}

export interface RawConnection {
  readonly index: number;
  readonly ws: WebSocket;
  readonly headers: IncomingHttpHeaders;
  /** Text of every frame received, in order. */
  readonly frames: string[];
  readonly binaryFrames: number;
  pings: number;
  closeCode: number | undefined;
  closeReason: string;
  readonly closed: Promise<number>;
  send(text: string): void;
}

/** Decides what the raw server does with one text frame from a client. */
export type Responder = (connection: RawConnection, text: string) => void;

/** Answers subscribe / unsubscribe exactly as the relay does, ignores the rest. */
export const relayLike: Responder = (connection, text) => {
  let message: any;
  try {
    message = JSON.parse(text);
  } catch {
    return;
  }
  if (message?.type === 'subscribe') connection.send(subscribedBytes(message.payload.channel));
  if (message?.type === 'unsubscribe') connection.send(unsubscribedBytes(message.payload.channel));
};

/** Never answers anything. */
export const silent: Responder = () => {};

export interface RawServerOptions {
  /** ws ≥ 8.16: false makes the server ignore pings (a hung relay). Default true. */
  autoPong?: boolean;
  respond?: Responder;
  /** Called for each new connection, before any frame. */
  onConnection?: (connection: RawConnection) => void;
  /** Listen on this loopback port (default: any free one). */
  port?: number;
  /** Extra headers for the upgrade response, as our relay adds its epoch. */
  upgradeHeaders?: Record<string, string>;
}

/** A bare `ws` server on 127.0.0.1 that records what clients send and replies as scripted. */
export class RawWsServer {
  readonly connections: RawConnection[] = [];
  respond: Responder;
  private constructor(
    private readonly wss: WebSocketServer,
    readonly port: number,
    options: RawServerOptions,
  ) {
    this.respond = options.respond ?? relayLike;
    wss.on('connection', (ws, request) => {
      const frames: string[] = [];
      let binaryFrames = 0;
      let resolveClosed!: (code: number) => void;
      const connection: RawConnection = {
        index: this.connections.length,
        ws,
        headers: request.headers,
        frames,
        get binaryFrames() {
          return binaryFrames;
        },
        pings: 0,
        closeCode: undefined,
        closeReason: '',
        closed: new Promise<number>((resolve) => (resolveClosed = resolve)),
        send: (text) => {
          if (ws.readyState === WebSocket.OPEN) ws.send(text);
        },
      };
      this.connections.push(connection);
      ws.on('error', () => {});
      ws.on('ping', () => connection.pings++);
      ws.on('close', (code, reason) => {
        connection.closeCode = code;
        connection.closeReason = reason.toString('utf8');
        resolveClosed(code);
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) {
          binaryFrames++;
          return;
        }
        const text = data.toString('utf8');
        frames.push(text);
        this.respond(connection, text);
      });
      options.onConnection?.(connection);
    });
  }

  static async start(options: RawServerOptions = {}): Promise<RawWsServer> {
    const wss = new WebSocketServer({
      host: '127.0.0.1',
      port: options.port ?? 0,
      perMessageDeflate: false,
      autoPong: options.autoPong ?? true,
    });
    await once(wss, 'listening');
    const extra = Object.entries(options.upgradeHeaders ?? {}).map(([name, value]) => `${name}: ${value}`);
    wss.on('headers', (headers) => headers.push(...extra));
    return new RawWsServer(wss, (wss.address() as AddressInfo).port, options);
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Cuts every client off and stops listening. */
  async close(): Promise<void> {
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}

/** Starts a raw server for one test and closes it after the test. */
export async function rawServer(t: TestContext, options: RawServerOptions = {}): Promise<RawWsServer> {
  const server = await RawWsServer.start(options);
  t.after(() => server.close());
  return server;
}

/** Resolves with the arguments of the next `event` that passes `filter`; rejects after `timeoutMs`. */
export function nextEvent<T extends unknown[] = any[]>(
  emitter: EventEmitter<any>,
  event: string,
  timeoutMs = 3000,
  filter: (...args: any[]) => boolean = () => true,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for "${event}"`));
    }, timeoutMs);
    const listener = (...args: any[]) => {
      if (!filter(...args)) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as T);
    };
    emitter.on(event, listener);
  });
}

/** Records every state change of a manager, with the error when there is one. */
export function recordStates(manager: WebSocketManager): Array<{ state: string; error?: Error }> {
  const states: Array<{ state: string; error?: Error }> = [];
  manager.on('state', (state, error) => states.push(error ? { state, error } : { state }));
  return states;
}

const liveManagers = new Set<WebSocketManager>();

/**
 * Disconnects `manager` after the test, whatever happened in it (bounded). Safe to
 * combine with an explicit disconnect() in the test: disconnecting twice is a no-op.
 */
export function disconnectAfter(t: TestContext, manager: WebSocketManager): void {
  liveManagers.add(manager);
  t.after(async () => {
    await within(manager.disconnect(), 5000, 'disconnect() in cleanup').catch(() => {});
    liveManagers.delete(manager);
  });
}

/**
 * Safety net for a file's top-level `after`: a manager left retrying (say, by a test
 * that timed out before its own cleanup) would keep the test process alive forever.
 */
export async function disconnectAllManagers(): Promise<void> {
  const managers = [...liveManagers];
  liveManagers.clear();
  await Promise.all(managers.map((manager) => within(manager.disconnect(), 5000, 'disconnect() in cleanup').catch(() => {})));
}

/** A delivered message as published: without the relay's `offset`, which resuming clients get added. */
export function asPublished(message: ChannelMessage): ChannelMessage {
  const { offset: _offset, ...payload } = message.payload;
  return { type: message.type, payload: payload as ChannelMessage['payload'] };
}
