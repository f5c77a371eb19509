/** Counters behind GET /metrics (Prometheus text format) and GET /healthz. */
import type { ErrorCode } from '../protocol';

export class RelayMetrics {
  connectionsTotal = 0;
  messagesReceived = 0;
  messagesPublished = 0;
  messagesDelivered = 0;
  readonly errors = new Map<string, number>();

  countError(code: ErrorCode | string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  get errorsTotal(): number {
    let total = 0;
    for (const count of this.errors.values()) total += count;
    return total;
  }
}

export interface RelayGauges {
  connections: number;
  channels: number;
  subscriptions: number;
}

export function renderPrometheus(metrics: RelayMetrics, gauges: RelayGauges): string {
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
  const memory = process.memoryUsage();
  metric('weather_relay_resident_memory_bytes', 'gauge', 'Resident memory of the relay process.', [['', memory.rss]]);
  metric('weather_relay_heap_used_bytes', 'gauge', 'JavaScript heap in use.', [['', memory.heapUsed]]);
  const errorSamples: Array<[string, number]> = [...metrics.errors].map(([code, count]) => [`{code="${code}"}`, count]);
  metric('weather_relay_errors_total', 'counter', 'Error replies and connection errors, by code.', errorSamples);
  return `${lines.join('\n')}\n`;
}
