/**
 * The relay: a WebSocket pub/sub server speaking the seed protocol, with health and
 * metrics over HTTP on the same port. Runs standalone (cli.ts) or embedded in the
 * extension host through `startRelay`.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { EPOCH_HEADER, FEATURES_HEADER, parseFeatures } from '../protocol';
import { InMemoryBroker, type Broker } from './broker';
import { RelayConnection } from './connection';
import { RelayHistory } from './history';
import { handleHttpRequest } from './http';
import { silentLogger, type RelayLogger } from './log';
import { RelayMetrics, type RelayGauges } from './metrics';

export interface RelayOptions {
  /** Interface to listen on; loopback unless asked otherwise. */
  host?: string;
  /** 0 picks any free port. */
  port?: number;
  /** How often peers are pinged; a peer silent for a whole interval is terminated. 0 disables. */
  heartbeatIntervalMs?: number;
  /** Frames larger than this close the connection with 1009. */
  maxPayloadBytes?: number;
  /** How long `close()` waits for clients to acknowledge the close before cutting them off. */
  shutdownTimeoutMs?: number;
  /** Connections accepted at once; more are refused with HTTP 503 (retry later). */
  maxConnections?: number;
  /** Channels one connection may subscribe to. */
  maxSubscriptionsPerConnection?: number;
  /** Average messages per second accepted from one connection. */
  messagesPerSecond?: number;
  /** Burst above the average before messages are refused. */
  messageBurst?: number;
  /** Bytes queued for one subscriber before it is closed as a slow consumer (4001). */
  outboundHighWaterBytes?: number;
  /** Messages kept per channel for subscribers that resume with `since`; 0 keeps none. */
  historySize?: number;
  /** Channels whose history is kept (the least recently published are forgotten first). */
  historyChannels?: number;
  /** When set, the upgrade needs `Authorization: Bearer <token>` or `?token=<token>` (else HTTP 401). */
  token?: string;
  /** When set, browsers' Origin header must be one of these (else HTTP 403); clients sending no Origin pass. */
  allowOrigins?: string[];
  logger?: RelayLogger;
  broker?: Broker;
}

export const RELAY_DEFAULTS = {
  host: '127.0.0.1',
  port: 4000,
  heartbeatIntervalMs: 30_000,
  maxPayloadBytes: 1024 * 1024,
  shutdownTimeoutMs: 2_000,
  maxConnections: 10_000,
  maxSubscriptionsPerConnection: 100,
  messagesPerSecond: 1_000,
  messageBurst: 2_000,
  outboundHighWaterBytes: 8 * 1024 * 1024,
  historySize: 1_000,
  historyChannels: 1_000,
} as const;

export interface RunningRelay {
  readonly host: string;
  readonly port: number;
  /** ws://host:port, ready to hand to a client. */
  readonly url: string;
  readonly metrics: RelayMetrics;
  /** Changes on every start; offsets are only meaningful within one epoch. */
  readonly epoch: string;
  gauges(): RelayGauges;
  /** Closes every client with 1001, stops listening; resolves when all is closed. */
  close(): Promise<void>;
}

export async function startRelay(options: RelayOptions = {}): Promise<RunningRelay> {
  const settings = { ...RELAY_DEFAULTS, ...withoutUndefined(options) };
  const log = options.logger ?? silentLogger;
  const broker = options.broker ?? new InMemoryBroker();
  const metrics = new RelayMetrics();
  const history = new RelayHistory(settings.historySize, settings.historyChannels);
  const limits = {
    maxSubscriptions: settings.maxSubscriptionsPerConnection,
    messagesPerSecond: settings.messagesPerSecond,
    messageBurst: settings.messageBurst,
    outboundHighWaterBytes: settings.outboundHighWaterBytes,
  };
  const connections = new Set<RelayConnection>();
  const sockets = new Map<RelayConnection, WebSocket>();
  let nextId = 1;
  let closing: Promise<void> | undefined;

  const gauges = (): RelayGauges => ({
    connections: connections.size,
    channels: broker.channelCount,
    subscriptions: broker.subscriptionCount,
  });

  const httpServer = createServer((request, response) => handleHttpRequest(request, response, metrics, gauges));
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: settings.maxPayloadBytes });

  // Every refusal happens here, before the WebSocket opens, as a plain HTTP answer.
  httpServer.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const refusal = closing
      ? refuse(503, 'the relay is shutting down')
      : connections.size >= settings.maxConnections
        ? refuse(503, `the relay is at its limit of ${settings.maxConnections} connections; try again later`)
        : checkAccess(request, settings.token, settings.allowOrigins);
    if (refusal) {
      metrics.countError(refusal.status === 401 ? 'unauthorized' : refusal.status === 403 ? 'forbidden_origin' : 'refused');
      log.warn(`refused a connection from ${request.socket.remoteAddress}: ${refusal.status} ${refusal.reason}`);
      socket.end(refusal.response);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws, request, socket));
  });
  // Our clients learn the epoch before sending anything, so they know what to resend.
  wss.on('headers', (headers) => {
    headers.push(`${EPOCH_HEADER}: ${history.epoch}`, `${FEATURES_HEADER}: ack, history`);
  });
  httpServer.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const accept = (ws: WebSocket, request: IncomingMessage, transport: Socket): void => {
    const remote = `${request.socket.remoteAddress}:${request.socket.remotePort}`;
    const acks = parseFeatures(request.headers[FEATURES_HEADER]).has('ack');
    const connection = new RelayConnection(nextId++, remote, ws, transport, { broker, history, metrics, log, limits }, { acks });
    connections.add(connection);
    sockets.set(connection, ws);
    metrics.connectionsTotal++;
    log.info(`#${connection.id} connected from ${remote} (${connections.size} open)`);

    ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        connection.handleFrame(data, isBinary);
      } catch (error) {
        // A bug of ours must cost one reply, not the process.
        metrics.countError('internal_error');
        log.error(`#${connection.id} internal error: ${(error as Error).stack ?? error}`);
      }
    });
    ws.on('pong', () => {
      connection.alive = true;
    });
    ws.on('error', (error: Error & { code?: string }) => {
      metrics.countError(error.code ?? 'socket_error');
      log.warn(`#${connection.id} socket error: ${error.message}`);
    });
    ws.on('close', (code: number, reason: Buffer) => {
      connection.dispose();
      connections.delete(connection);
      sockets.delete(connection);
      const why = reason.length > 0 ? ` ${reason.toString('utf8')}` : '';
      log.info(`#${connection.id} disconnected (${code}${why}; ${connections.size} open)`);
    });
  };

  const heartbeat =
    settings.heartbeatIntervalMs > 0
      ? setInterval(() => {
          for (const [connection, ws] of sockets) {
            if (!connection.alive) {
              log.info(`#${connection.id} missed a heartbeat; terminating`);
              ws.terminate();
              continue;
            }
            connection.alive = false;
            ws.ping();
          }
        }, settings.heartbeatIntervalMs)
      : undefined;
  heartbeat?.unref();

  await listen(httpServer, settings.port, settings.host);
  const address = httpServer.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (heartbeat) clearInterval(heartbeat);
      const closed = [...sockets.values()].map((ws) => closeSocket(ws, settings.shutdownTimeoutMs));
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await Promise.all(closed);
      wss.close();
    })();
    return closing;
  };

  return {
    host: address.address,
    port: address.port,
    url: `ws://${urlHost}:${address.port}`,
    metrics,
    epoch: history.epoch,
    gauges,
    close,
  };
}

interface Refusal {
  status: number;
  reason: string;
  response: string;
}

function refuse(status: number, reason: string): Refusal {
  const text = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' }[status] ?? 'Error';
  const body = `${reason}\n`;
  const extra = status === 401 ? 'WWW-Authenticate: Bearer realm="weather-relay"\r\n' : '';
  return {
    status,
    reason,
    response: `HTTP/1.1 ${status} ${text}\r\n${extra}Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  };
}

function checkAccess(request: IncomingMessage, token: string | undefined, allowOrigins: string[] | undefined): Refusal | undefined {
  if (token) {
    const header = request.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    const query = new URL(request.url ?? '/', 'http://relay').searchParams.get('token') ?? undefined;
    if (!safeEqual(bearer ?? query ?? '', token)) {
      return refuse(401, bearer || query ? 'the access token is wrong' : 'an access token is required (Authorization: Bearer <token>)');
    }
  }
  const origin = request.headers.origin;
  if (allowOrigins && allowOrigins.length > 0 && origin !== undefined && !allowOrigins.includes(origin)) {
    return refuse(403, `origin ${origin} is not allowed`);
  }
  return undefined;
}

/** Compares in constant time, so the token cannot be guessed a byte at a time. */
function safeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Sends close 1001 after whatever is already queued, and cuts the peer off if it never answers. */
function closeSocket(ws: WebSocket, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    const timer = setTimeout(() => ws.terminate(), timeoutMs);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    ws.close(1001, 'relay shutting down');
  });
}

function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(describeListenError(error, host, port));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

function describeListenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`;
  switch (error.code) {
    case 'EADDRINUSE':
      return new Error(`port ${port} is already in use on ${host} (is another relay running?)`, { cause: error });
    case 'EACCES':
      return new Error(`not allowed to listen on ${where} (ports below 1024 need privileges)`, { cause: error });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new Error(`cannot listen on ${where}: no such local address`, { cause: error });
    default:
      return new Error(`cannot listen on ${where}: ${error.message}`, { cause: error });
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
