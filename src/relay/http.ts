/** Plain HTTP on the relay's port: health and metrics for humans and scrapers, and the watch page's routes when it serves them. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { renderPrometheus, type SnapshotPart } from './metrics';
import type { WebRoutes } from './web/router';

/**
 * Where /healthz and /metrics get their figures: this process alone, or (with `--workers`)
 * every worker of the node, gathered through the primary.
 */
export interface NodeStats {
  /** Every process's snapshot; `missing` names processes that did not answer in time. */
  read(): Promise<{ parts: SnapshotPart[]; missing: string[] }>;
}

/** `web`: the watch page's routes (/, /watch/…, /assets/…, /api/…), absent with --no-web (then / answers 426). */
export function handleHttpRequest(request: IncomingMessage, response: ServerResponse, stats: NodeStats, web?: WebRoutes): void {
  const path = (request.url ?? '/').split('?')[0];
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    send(response, 405, 'text/plain; charset=utf-8', 'Only GET is supported here.\n', { allow: 'GET, HEAD' });
    return;
  }
  if (web?.handle(request, response, path)) return;
  switch (path) {
    case '/healthz':
      answerWith(response, stats, ({ parts, missing }) => {
        const sum = (read: (part: SnapshotPart) => number) => parts.reduce((total, part) => total + read(part), 0);
        const connections = sum((part) => part.snapshot.gauges.connections);
        const channels = sum((part) => part.snapshot.gauges.channels);
        const subscriptions = sum((part) => part.snapshot.gauges.subscriptions);
        // A node is healthy only if every process is: a load balancer's connection may land on any of them.
        const unhealthy = parts.find((part) => !part.snapshot.health.ok);
        const reason =
          unhealthy && !unhealthy.snapshot.health.ok
            ? `${unhealthy.worker === undefined ? '' : `worker ${unhealthy.worker}: `}${unhealthy.snapshot.health.reason}`
            : missing.length > 0
              ? `${missing.join(', ')} did not answer`
              : undefined;
        const head = reason === undefined ? { status: 'ok' } : { status: 'unavailable', reason };
        const workers = parts.some((part) => part.worker !== undefined) ? { workers: parts.length + missing.length } : {};
        return [reason === undefined ? 200 : 503, 'application/json', `${JSON.stringify({ ...head, connections, channels, subscriptions, ...workers })}\n`];
      });
      return;
    case '/metrics':
      answerWith(response, stats, ({ parts }) => [200, 'text/plain; version=0.0.4; charset=utf-8', renderPrometheus(parts)]);
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

type Answer = [status: number, contentType: string, body: string];

/** Reads the stats, then answers; a failure to read them is a 503 that says why, never a hang. */
function answerWith(response: ServerResponse, stats: NodeStats, render: (read: Awaited<ReturnType<NodeStats['read']>>) => Answer): void {
  stats
    .read()
    .then(render)
    .then(
      ([status, contentType, body]) => {
        if (!response.destroyed) send(response, status, contentType, body);
      },
      (error: unknown) => {
        if (response.destroyed || response.headersSent) return;
        send(response, 503, 'text/plain; charset=utf-8', `The relay's figures could not be read: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    )
    .catch(() => response.destroy());
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
