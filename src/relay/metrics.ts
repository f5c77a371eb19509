/** Counters behind GET /metrics (Prometheus text format) and GET /healthz. */
import type { ErrorCode } from '../protocol';
import type { BackplaneGauges } from './channel-engine';

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

export function renderPrometheus(metrics: RelayMetrics, gauges: MetricsGauges): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: Array<[string, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  metric('weather_relay_connections', 'gauge', 'Open WebSocket connections.', [['', gauges.connections]]);
  metric('weather_relay_channels', 'gauge', 'Channels with at least one subscriber.', [['', gauges.channels]]);
  metric('weather_relay_subscriptions', 'gauge', 'Channel subscriptions across all connections.', [
    ['', gauges.subscriptions],
  ]);
  metric('weather_relay_sockets', 'gauge', 'TCP sockets open, WebSockets included.', [['', gauges.sockets]]);
  metric('weather_relay_history_bytes', 'gauge', 'Bytes of messages held for resuming subscribers.', [
    ['', gauges.historyBytes],
  ]);
  metric('weather_relay_connections_total', 'counter', 'WebSocket connections accepted.', [
    ['', metrics.connectionsTotal],
  ]);
  metric('weather_relay_messages_received_total', 'counter', 'Frames received from clients.', [
    ['', metrics.messagesReceived],
  ]);
  metric('weather_relay_messages_published_total', 'counter', 'Valid channel messages published.', [
    ['', metrics.messagesPublished],
  ]);
  metric('weather_relay_messages_delivered_total', 'counter', 'Channel messages delivered to subscribers.', [
    ['', metrics.messagesDelivered],
  ]);
  const { backplane } = gauges;
  if (backplane) {
    if (backplane.roundTripSeconds !== undefined) {
      metric('weather_relay_redis_round_trip_seconds', 'gauge', 'Round trip of the last PING to Redis.', [['', backplane.roundTripSeconds]]);
    }
    metric('weather_relay_redis_errors_total', 'counter', 'Redis operations that failed, and malformed messages from it.', [['', backplane.errors]]);
    metric('weather_relay_redis_pubsub_reconnects_total', 'counter', 'Times the Redis pub/sub connection came back.', [['', backplane.pubsubReconnects]]);
    metric('weather_relay_redis_pubsub_connected', 'gauge', 'Whether the Redis pub/sub connection is up (1) or not (0).', [['', backplane.pubsubConnected ? 1 : 0]]);
  }
  const memory = process.memoryUsage();
  metric('weather_relay_resident_memory_bytes', 'gauge', 'Resident memory of the relay process.', [['', memory.rss]]);
  metric('weather_relay_heap_used_bytes', 'gauge', 'JavaScript heap in use.', [['', memory.heapUsed]]);
  const errorSamples: Array<[string, number]> = [...metrics.errors].map(([code, count]) => [`{code="${code}"}`, count]);
  metric('weather_relay_errors_total', 'counter', 'Error replies and connection errors, by code.', errorSamples);
  return `${lines.join('\n')}\n`;
}
