/** Counters behind GET /metrics (Prometheus text format) and GET /healthz. */
import type { ErrorCode } from '../protocol';
import type { BackplaneGauges, EngineHealth } from './channel-engine';

/**
 * Every label `weather_relay_errors_total` can carry: a closed set, so that nothing a
 * peer sends (or an error code a library invents) can add series without bound.
 */
export type RelayErrorCode =
  | ErrorCode
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden_origin'
  | 'refused'
  | 'slow_consumer'
  | 'invalid_frame'
  | 'socket_error';

/** The label for an error on a WebSocket: ws's frame errors by kind, any other socket error as one. */
export function socketErrorCode(error: Error & { code?: unknown }): RelayErrorCode {
  if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return 'message_too_large';
  if (typeof error.code === 'string' && error.code.startsWith('WS_ERR_')) return 'invalid_frame';
  return 'socket_error';
}

export class RelayMetrics {
  connectionsTotal = 0;
  messagesReceived = 0;
  messagesPublished = 0;
  messagesDelivered = 0;
  readonly errors = new Map<RelayErrorCode, number>();

  countError(code: RelayErrorCode): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }
}

export interface RelayGauges {
  connections: number;
  channels: number;
  subscriptions: number;
}

/** What /metrics shows beside the counters. */
export interface MetricsGauges extends RelayGauges {
  /** Bytes of frames held for resuming subscribers, across all channels. */
  historyBytes: number;
  /** TCP sockets open on the relay's port, WebSockets included. */
  sockets: number;
  backplane?: BackplaneGauges;
}

/** Everything /metrics and /healthz show of one relay process, as plain data (it crosses IPC in `--workers`). */
export interface RelaySnapshot {
  counters: { connectionsTotal: number; messagesReceived: number; messagesPublished: number; messagesDelivered: number };
  errors: Array<[RelayErrorCode, number]>;
  gauges: MetricsGauges;
  memory: { rss: number; heapUsed: number };
  health: EngineHealth;
}

export function takeSnapshot(metrics: RelayMetrics, gauges: MetricsGauges, health: EngineHealth): RelaySnapshot {
  const { connectionsTotal, messagesReceived, messagesPublished, messagesDelivered } = metrics;
  const { rss, heapUsed } = process.memoryUsage();
  return {
    counters: { connectionsTotal, messagesReceived, messagesPublished, messagesDelivered },
    errors: [...metrics.errors],
    gauges,
    memory: { rss, heapUsed },
    health,
  };
}

/** One process's snapshot; `worker` (its cluster id) labels its series when a node runs several. */
export interface SnapshotPart {
  worker?: number;
  snapshot: RelaySnapshot;
}

/** Prometheus text for one process, or for every worker of a node, each series labelled `worker="N"`. */
export function renderPrometheus(parts: readonly SnapshotPart[]): string {
  const lines: string[] = [];
  const labelsOf = (part: SnapshotPart, extra = ''): string => {
    const all = [part.worker === undefined ? '' : `worker="${part.worker}"`, extra].filter((label) => label !== '');
    return all.length === 0 ? '' : `{${all.join(',')}}`;
  };
  const metric = (name: string, type: 'gauge' | 'counter', help: string, value: (snapshot: RelaySnapshot) => number | undefined) => {
    const samples = parts.flatMap((part) => {
      const sample = value(part.snapshot);
      return sample === undefined ? [] : [`${name}${labelsOf(part)} ${sample}`];
    });
    if (samples.length === 0) return;
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
  };
  metric('weather_relay_connections', 'gauge', 'Open WebSocket connections.', (s) => s.gauges.connections);
  metric('weather_relay_channels', 'gauge', 'Channels with at least one subscriber.', (s) => s.gauges.channels);
  metric('weather_relay_subscriptions', 'gauge', 'Channel subscriptions across all connections.', (s) => s.gauges.subscriptions);
  metric('weather_relay_sockets', 'gauge', 'TCP sockets open, WebSockets included.', (s) => s.gauges.sockets);
  metric('weather_relay_history_bytes', 'gauge', 'Bytes of messages held for resuming subscribers.', (s) => s.gauges.historyBytes);
  metric('weather_relay_connections_total', 'counter', 'WebSocket connections accepted.', (s) => s.counters.connectionsTotal);
  metric('weather_relay_messages_received_total', 'counter', 'Frames received from clients.', (s) => s.counters.messagesReceived);
  metric('weather_relay_messages_published_total', 'counter', 'Valid channel messages published.', (s) => s.counters.messagesPublished);
  metric('weather_relay_messages_delivered_total', 'counter', 'Channel messages delivered to subscribers.', (s) => s.counters.messagesDelivered);
  metric('weather_relay_redis_round_trip_seconds', 'gauge', 'Round trip of the last PING to Redis.', (s) => s.gauges.backplane?.roundTripSeconds);
  metric('weather_relay_redis_errors_total', 'counter', 'Redis operations that failed, and malformed messages from it.', (s) => s.gauges.backplane?.errors);
  metric('weather_relay_redis_pubsub_reconnects_total', 'counter', 'Times the Redis pub/sub connection came back.', (s) => s.gauges.backplane?.pubsubReconnects);
  metric('weather_relay_redis_pubsub_connected', 'gauge', 'Whether the Redis pub/sub connection is up (1) or not (0).', (s) =>
    s.gauges.backplane === undefined ? undefined : s.gauges.backplane.pubsubConnected ? 1 : 0,
  );
  metric('weather_relay_resident_memory_bytes', 'gauge', 'Resident memory of the relay process.', (s) => s.memory.rss);
  metric('weather_relay_heap_used_bytes', 'gauge', 'JavaScript heap in use.', (s) => s.memory.heapUsed);
  // Always announced, even before any error: a scraper sees the series exists.
  lines.push('# HELP weather_relay_errors_total Error replies and connection errors, by code.', '# TYPE weather_relay_errors_total counter');
  for (const part of parts) {
    for (const [code, count] of part.snapshot.errors) lines.push(`weather_relay_errors_total${labelsOf(part, `code="${code}"`)} ${count}`);
  }
  return `${lines.join('\n')}\n`;
}
