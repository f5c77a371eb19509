/**
 * The relay: a WebSocket pub/sub server speaking the seed protocol, with health and
 * metrics over HTTP on the same port. Runs standalone (cli.ts) or embedded in the
 * extension host through `startRelay`.
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsHttpServer } from 'node:https';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { WebSocket } from 'ws';
import { CLOSE_CODES, EPOCH_HEADER, FEATURES_HEADER, parseFeatures, printable } from '../protocol';
import { checkOrigin, checkTarget, credentialOf, refuse, type Refusal } from './access';
import { Authorizer, type Authorized } from './auth/authorizer';
import { JwtVerifier, type JwtKeySource } from './auth/jwt-verifier';
import { createBoundary } from './boundary';
import type { Grant } from './auth/grant';
import { isPending, type ChannelEngine } from './channel-engine';
import { channelLister, type ProcessChannels } from './channel-listing';
import { ExpirySchedule } from './expiry-schedule';
import { RelayConnection } from './connection';
import { handleHttpRequest, type NodeStats } from './http';
import { silentLogger, type RelayLogger } from './log';
import { MAX_CHANNELS_SCANNED } from './local-fan-out';
import { InMemoryChannelEngine } from './memory-engine';
import { MessageRate } from './rate-limiter';
import { RelayMetrics, socketErrorCode, takeSnapshot, type RelayErrorCode, type RelayGauges, type RelaySnapshot } from './metrics';
import { capSockets, endSocket, requestTimeoutOptions, socketLimitsProblem } from './socket-limits';
import { createWebSocketServer } from './websocket-server';
import { createWebRoutes, type WebOptions } from './web/router';
import type { WorkerNode } from './worker-node';

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
  /**
   * TCP sockets open at once, WebSockets included; more are closed at once. Must leave room
   * above `maxConnections` for health checks and handshakes (default: that plus 1,000).
   */
  maxSockets?: number;
  /** Time for an HTTP request (an upgrade included) to arrive whole; then it is answered 408 and closed. */
  requestTimeoutMs?: number;
  /** Channels one connection may subscribe to. */
  maxSubscriptionsPerConnection?: number;
  /** Average messages per second accepted from one connection. */
  messagesPerSecond?: number;
  /** Burst above the average before messages are refused. */
  messageBurst?: number;
  /** Bytes queued for one subscriber before it is closed as a slow consumer (4001). */
  outboundHighWaterBytes?: number;
  /** How long a resuming subscriber may leave its replay unread before it is closed with 4001. */
  replayStallMs?: number;
  /** Messages kept per channel for subscribers that resume with `since`; 0 keeps none. */
  historySize?: number;
  /** Channels whose history is kept (the least recently published are forgotten first). */
  historyChannels?: number;
  /** Frame bytes of history kept across all channels (the oldest messages are forgotten first). */
  historyBytes?: number;
  /** When set, the upgrade needs `Authorization: Bearer <token>` or `?token=<token>` (else HTTP 401); it grants everything. */
  token?: string;
  /** When set, signed tokens (JWTs) are accepted too, and grant the channels their claims name. */
  jwt?: JwtKeySource;
  /** When set, browsers' Origin header must be one of these (else HTTP 403); clients sending no Origin pass. */
  allowOrigins?: string[];
  /** Serves `wss://` (and HTTPS health and metrics) on the same port with this certificate. */
  tls?: TlsFiles;
  logger?: RelayLogger;
  /** Where channels live; in this process by default (then the history options apply). The relay closes it on close. */
  engine?: ChannelEngine;
  /**
   * With `--workers`, this worker's link to the others: /healthz, /metrics and the watch page's
   * channel list then answer for the whole node (see worker-node.ts). Without it, for this process.
   */
  workerNode?: WorkerNode;
  /**
   * The read-only watch page for browsers (GET /, /watch/<channel>, /assets/…, /api/…): off
   * unless given (the extension's embedded relay has none); the standalone relay turns it on
   * unless `--no-web`. Its own origin is then allowed beside `allowOrigins`.
   */
  web?: false | WebOptions;
}

/** A certificate (chain) and its private key, PEM. */
export interface TlsFiles {
  cert: string | Buffer;
  key: string | Buffer;
}

export const RELAY_DEFAULTS = {
  host: '127.0.0.1',
  port: 4000,
  heartbeatIntervalMs: 30_000,
  maxPayloadBytes: 1024 * 1024,
  shutdownTimeoutMs: 2_000,
  maxConnections: 10_000,
  requestTimeoutMs: 10_000,
  maxSubscriptionsPerConnection: 100,
  messagesPerSecond: 1_000,
  messageBurst: 2_000,
  outboundHighWaterBytes: 8 * 1024 * 1024,
  replayStallMs: 30_000,
  historySize: 1_000,
  historyChannels: 1_000,
  historyBytes: 64 * 1024 * 1024,
} as const;

/** Sockets allowed above `maxConnections` unless `maxSockets` says otherwise. */
export const SOCKET_HEADROOM = 1_000;

export interface RunningRelay {
  readonly host: string;
  readonly port: number;
  /** ws://host:port, ready to hand to a client. */
  readonly url: string;
  readonly metrics: RelayMetrics;
  /** The epoch of the channel storage (in memory: new on every start); offsets are only meaningful within one epoch. */
  readonly epoch: string;
  /** How connections are checked, in one line (for the relay's log). */
  readonly access: string;
  /** Where the watch page is, or why it cannot be served, in one line (for the relay's log); undefined without one. */
  readonly web?: { readonly ok: boolean; readonly text: string };
  gauges(): RelayGauges;
  /**
   * Serves new TLS connections with this certificate and key (open connections keep theirs).
   * Throws an Error of one sentence when the relay has no TLS or the files are not a valid pair.
   */
  reloadTls(tls: TlsFiles): void;
  /** Closes every client with 1001, stops listening; resolves when all is closed. */
  close(): Promise<void>;
}

// ---- what every connection shares -----------------------------------------------------------

const CONNECTION = Symbol('relay connection');
type LinkedSocket = WebSocket & { [CONNECTION]?: RelayConnection };
const linkConnection = (ws: WebSocket, connection: RelayConnection): void => {
  (ws as LinkedSocket)[CONNECTION] = connection;
};
const connectionOf = (ws: WebSocket): RelayConnection | undefined => (ws as LinkedSocket)[CONNECTION];
const WITH_ACKS = Object.freeze({ acks: true });
const WITHOUT_ACKS = Object.freeze({ acks: false });

/** /healthz and /metrics of a relay that is a node by itself. */
function thisProcessOnly(local: () => RelaySnapshot): NodeStats {
  return { read: async () => ({ parts: [{ snapshot: local() }], missing: [] }) };
}

function destroySocket(this: Socket): void {
  this.destroy();
}

/** Any sign of life from the peer counts for the heartbeat. */
function onPong(this: WebSocket): void {
  const connection = connectionOf(this);
  if (connection) connection.alive = true;
}

export async function startRelay(options: RelayOptions = {}): Promise<RunningRelay> {
  const settings = { ...RELAY_DEFAULTS, ...withoutUndefined(options) };
  const socketLimits = { maxSockets: settings.maxSockets ?? settings.maxConnections + SOCKET_HEADROOM, requestTimeoutMs: settings.requestTimeoutMs };
  const problem = socketLimitsProblem(socketLimits.maxSockets, settings.maxConnections);
  if (problem) throw new RangeError(problem);
  const log = options.logger ?? silentLogger;
  const authorizer = new Authorizer({ sharedToken: settings.token, jwt: settings.jwt && JwtVerifier.fromKey(settings.jwt) });
  const engine: ChannelEngine = options.engine ?? new InMemoryChannelEngine({ perChannel: settings.historySize, channels: settings.historyChannels, bytes: settings.historyBytes });
  const metrics = new RelayMetrics();
  const boundary = createBoundary(metrics, log);
  const limits = {
    maxSubscriptions: settings.maxSubscriptionsPerConnection,
    messagesPerSecond: settings.messagesPerSecond,
    messageBurst: settings.messageBurst,
    outboundHighWaterBytes: settings.outboundHighWaterBytes,
    replayStallMs: settings.replayStallMs,
  };
  const connections = new Set<RelayConnection>();
  let nextId = 1;
  let closing: Promise<void> | undefined;

  const gauges = (): RelayGauges => {
    const { channels, subscriptions } = engine.gauges();
    return { connections: connections.size, channels, subscriptions };
  };

  const localSnapshot = (): RelaySnapshot =>
    takeSnapshot(metrics, { connections: connections.size, ...engine.gauges(), sockets: tcp.open() }, engine.health());
  const stats = options.workerNode?.stats(localSnapshot) ?? thisProcessOnly(localSnapshot);
  const localChannels = (): ProcessChannels => ({ processId: engine.processId, channels: engine.localChannels(() => true, MAX_CHANNELS_SCANNED) });
  const listChannels = channelLister(options.workerNode?.channels(localChannels) ?? (async () => [localChannels()]), engine);
  const web = settings.web ? createWebRoutes(settings.web, { authorizer, listChannels, metrics, log, tls: settings.tls !== undefined }) : undefined;
  const onRequest: RequestListener = boundary.guard(
    'an HTTP request',
    (request: IncomingMessage, response: ServerResponse) =>
      handleHttpRequest(request, response, stats, web),
    (_request, response) => {
      if (response.headersSent) response.destroy();
      else response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('internal error\n');
    },
  );
  let tlsServer: TlsHttpServer | undefined;
  if (settings.tls) tlsServer = createTlsServer({ ...requestTimeoutOptions(socketLimits), ...tlsPair(settings.tls) }, onRequest);
  const httpServer: Server = tlsServer ?? createServer(requestTimeoutOptions(socketLimits), onRequest);
  // A failed TLS handshake (a plain-HTTP client, a bad certificate on the other side) costs only that socket.
  tlsServer?.on('tlsClientError', (_error, socket) => {
    metrics.countError('bad_request');
    socket.destroy();
  });
  const tcp = capSockets(httpServer, socketLimits, () => {
    metrics.countError('refused');
    log.warn(`closed a socket at once: the relay is at its limit of ${socketLimits.maxSockets} sockets`);
  });
  // An accepted WebSocket's close is counted by its own 'close' (see SocketCount.handOver) where the
  // upgraded socket is the counted one: not under TLS, where it is the TLSSocket above the counted socket.
  const closeHandedOver = tlsServer === undefined;
  const wss = createWebSocketServer({ noServer: true, maxPayload: settings.maxPayloadBytes });

  // Every refusal happens here, before the WebSocket opens, as a plain HTTP answer.
  const refuseUpgrade = (request: IncomingMessage, socket: Socket, refusal: Refusal, who?: string): void => {
    metrics.countError(refusalCode(refusal));
    log.warn(`refused a connection from ${request.socket.remoteAddress}${who ? ` (${who})` : ''}: ${refusal.status} ${refusal.reason}`);
    endSocket(socket, refusal.response);
  };
  const atCapacity = (): Refusal | undefined =>
    closing
      ? refuse(503, 'the relay is shutting down')
      : connections.size >= settings.maxConnections
        ? refuse(503, `the relay is at its limit of ${settings.maxConnections} connections; try again later`)
        : undefined;
  const upgrade = (request: IncomingMessage, socket: Socket, head: Buffer): void => {
    // A shared listener: a closure here would keep this call's request and head alive as long as the socket.
    socket.on('error', destroySocket);
    const refusal = atCapacity() ?? checkTarget(request);
    if (refusal) return refuseUpgrade(request, socket, refusal);
    const authorized = authorizer.authorize(credentialOf(request));
    if (!isPending(authorized)) return admit(request, socket, head, authorized);
    // A signed token is checked asynchronously: the socket may have gone, or the relay filled up, meanwhile.
    // A peer that half-closes still gets its answer: the socket must not end itself while we wait.
    socket.allowHalfOpen = true;
    authorized.then(
      boundary.guard('an upgrade', (result: Authorized) => admit(request, socket, head, result), () => socket.destroy()),
      boundary.guard('an upgrade', () => socket.destroy()),
    );
  };
  const admit = (request: IncomingMessage, socket: Socket, head: Buffer, authorized: Authorized): void => {
    if (socket.destroyed) return;
    if ('refused' in authorized) return refuseUpgrade(request, socket, refuse(401, authorized.refused), authorized.who);
    const refusal = atCapacity() ?? checkOrigin(request, settings.allowOrigins, web?.ownOrigin);
    if (refusal) return refuseUpgrade(request, socket, refusal, authorized.grant.who);
    const { grant } = authorized;
    wss.handleUpgrade(request, socket, head, (ws) => accept(ws, request, socket, grant));
  };
  // Whatever went wrong, the socket may be half way through a handshake: only dropping it is safe.
  httpServer.on('upgrade', boundary.guard('an upgrade', upgrade, (_request, socket) => socket.destroy()));
  // Our clients learn the epoch before sending anything, so they know what to resend.
  wss.on('headers', (headers) => {
    headers.push(`${EPOCH_HEADER}: ${engine.epoch}`, `${FEATURES_HEADER}: ack, history`);
  });
  // Requests Node's parser rejects (bad request line, headers too large, timeouts) end here.
  httpServer.on(
    'clientError',
    boundary.guard(
      'a malformed request',
      (error: Error & { code?: string }, socket: Socket) => {
        if (!socket.writable) {
          socket.destroy(); // the peer is gone (reset, timed out): nobody to answer
          return;
        }
        metrics.countError('bad_request');
        const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
        endSocket(socket, `HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      },
      (_error, socket) => socket.destroy(),
    ),
  );
  // Past listen(), a failed accept (e.g. out of file descriptors) must not end the process.
  const serverError = (error: Error): void => log.error(`the listening socket failed: ${error.message}`);

  // Every connection shares one context and one set of WebSocket listeners, which find their
  // connection on the socket: an idle connection costs its objects, not closures and labels.
  const expiries = new ExpirySchedule<RelayConnection>(boundary.guard('a token expiry', (connection: RelayConnection) => connection.expire()));
  const rate = new MessageRate(limits.messagesPerSecond, limits.messageBurst);
  const connectionContext = { engine, metrics, log, limits, boundary, expiries, rate };
  const label = (ws: WebSocket, what: string) => `#${connectionOf(ws)?.id ?? '?'} ${what}`;
  // A bug of ours must cost one reply, not the process.
  const onMessage = boundary.guardListener((ws: WebSocket) => label(ws, 'message'), (ws: WebSocket, data: Buffer, isBinary: boolean) => connectionOf(ws)?.handleFrame(data, isBinary));
  const onSocketError = boundary.guardListener(
    (ws: WebSocket) => label(ws, 'socket error'),
    (ws: WebSocket, error: Error & { code?: unknown }) => {
      metrics.countError(socketErrorCode(error));
      log.warn(`${label(ws, 'socket error')}: ${printable(error.message, 200)}`);
    },
    (ws: WebSocket) => ws.terminate(),
  );
  const onClose = boundary.guardListener((ws: WebSocket) => label(ws, 'close'), (ws: WebSocket, code: number, reason: Buffer) => {
    const connection = connectionOf(ws);
    if (!connection) return;
    connection.dispose();
    connections.delete(connection);
    if (closeHandedOver) tcp.release();
    const why = reason.length > 0 ? ` "${printable(reason.toString('utf8'), 123)}"` : '';
    log.info(`#${connection.id} disconnected (${code}${why}; ${connections.size} open)`);
  });

  const accept = (ws: WebSocket, request: IncomingMessage, transport: Socket, grant: Grant): void => {
    const features = parseFeatures(request.headers[FEATURES_HEADER]).has('ack') ? WITH_ACKS : WITHOUT_ACKS;
    const connection = new RelayConnection(nextId++, ws, transport, connectionContext, features, grant);
    // ws now hears the socket's errors and close: a second listener on an event costs each idle socket an array.
    transport.removeListener('error', destroySocket);
    if (closeHandedOver) tcp.handOver(transport);
    linkConnection(ws, connection);
    ws.on('message', onMessage);
    ws.on('pong', onPong);
    ws.on('error', onSocketError);
    ws.on('close', onClose);
    connections.add(connection);
    metrics.connectionsTotal++;
    const holder = authorizer.open ? '' : ` as ${grant.who}`;
    log.info(`#${connection.id} connected from ${connection.remote}${holder} (${connections.size} open)`);
  };

  const heartbeat =
    settings.heartbeatIntervalMs > 0
      ? setInterval(boundary.guard('the heartbeat', () => {
          for (const connection of connections) {
            if (!connection.heartbeat()) log.info(`#${connection.id} missed a heartbeat; terminating`);
          }
        }), settings.heartbeatIntervalMs)
      : undefined;
  heartbeat?.unref();

  await listen(httpServer, settings.port, settings.host);
  httpServer.on('error', serverError);
  const address = httpServer.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const close = (): Promise<void> => {
    closing ??= (async () => {
      if (heartbeat) clearInterval(heartbeat);
      expiries.stop();
      const closed = [...connections].map((connection) => closeSocket(connection.socket, settings.shutdownTimeoutMs));
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
      await Promise.all(closed);
      wss.close();
      await engine.close();
    })();
    return closing;
  };

  return {
    host: address.address,
    port: address.port,
    url: `${tlsServer ? 'wss' : 'ws'}://${urlHost}:${address.port}`,
    metrics,
    get epoch() {
      return engine.epoch;
    },
    access: authorizer.describe(),
    web: web?.status,
    reloadTls(tls: TlsFiles) {
      if (!tlsServer) throw new Error('this relay serves no TLS');
      tlsServer.setSecureContext(tlsPair(tls));
    },
    gauges,
    close,
  };
}

function refusalCode(refusal: Refusal): RelayErrorCode {
  switch (refusal.status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden_origin';
    default:
      return 'refused';
  }
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
    ws.close(CLOSE_CODES.shuttingDown, 'relay shutting down');
  });
}

/** The certificate and key, checked to be a matching pair; an Error of one sentence otherwise. */
function tlsPair({ cert, key }: TlsFiles): TlsFiles {
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new Error(`the TLS certificate and key cannot be used: ${(error as Error).message}`, { cause: error });
  }
  return { cert, key };
}

function listen(server: Server, port: number, host: string): Promise<void> {
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
