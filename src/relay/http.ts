/** Plain HTTP on the relay's port: health and metrics for humans and scrapers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EngineHealth } from './channel-engine';
import { renderPrometheus, type MetricsGauges, type RelayMetrics } from './metrics';

export function handleHttpRequest(
  request: IncomingMessage,
  response: ServerResponse,
  metrics: RelayMetrics,
  gauges: () => MetricsGauges,
  health: () => EngineHealth,
): void {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    send(response, 405, 'text/plain; charset=utf-8', 'Only GET is supported here.\n', { allow: 'GET, HEAD' });
    return;
  }
  switch (path) {
    case '/healthz': {
      const { connections, channels, subscriptions } = gauges();
      const engine = health();
      // A relay whose channels cannot work is taken out of a load balancer's rotation, and says why.
      const [status, body] = engine.ok ? [200, { status: 'ok' }] : [503, { status: 'unavailable', reason: engine.reason }];
      send(response, status, 'application/json', `${JSON.stringify({ ...body, connections, channels, subscriptions })}\n`);
      return;
    }
    case '/metrics':
      send(response, 200, 'text/plain; version=0.0.4; charset=utf-8', renderPrometheus(metrics, gauges()));
      return;
    case '/':
      send(response, 426, 'text/plain; charset=utf-8', 'This is a WebSocket relay: connect with a ws:// client.\n', {
        upgrade: 'websocket',
      });
      return;
    default:
      send(response, 404, 'text/plain; charset=utf-8', 'Not found. Try /healthz or /metrics.\n');
  }
}

function send(
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', ...headers });
  response.end(body);
}
