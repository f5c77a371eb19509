/**
 * The wall around every handler the network can reach (HTTP request, upgrade, client
 * error, WebSocket message, close, error, pong, a replay's flush and stall timer):
 * whatever a handler throws stops here.
 * A bug of ours costs the one request or connection that met it, never the process.
 */
import type { RelayLogger } from './log';
import type { RelayMetrics } from './metrics';

export interface Boundary {
  /**
   * Wraps `handler` so that nothing it throws escapes. `recover` then cleans up after it
   * (answers 500, drops the socket); a throw from `recover` is swallowed too.
   */
  guard<A extends unknown[]>(what: string, handler: (...args: A) => void, recover?: (...args: A) => void): (...args: A) => void;
}

export function createBoundary(metrics: RelayMetrics, log: RelayLogger): Boundary {
  return {
    guard: (what, handler, recover) =>
      (...args) => {
        try {
          handler(...args);
        } catch (error) {
          try {
            metrics.countError('internal_error');
            log.error(`internal error in ${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
            recover?.(...args);
          } catch {
            // Nothing more can be done for this one; the process goes on.
          }
        }
      },
  };
}
