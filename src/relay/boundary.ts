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
  /**
   * The same wall for one listener shared by every emitter of a kind (every WebSocket): the
   * emitter (`this` of the listener) comes first to `handler` and `recover`, and `what` is
   * worked out only when something was thrown. One function for all connections, instead of
   * closures and a label per connection.
   */
  guardListener<T, A extends unknown[]>(what: (self: T) => string, handler: (self: T, ...args: A) => void, recover?: (self: T, ...args: A) => void): (this: T, ...args: A) => void;
}

export function createBoundary(metrics: RelayMetrics, log: RelayLogger): Boundary {
  const report = (what: () => string, error: unknown, recover: () => void): void => {
    try {
      metrics.countError('internal_error');
      log.error(`internal error in ${what()}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      recover();
    } catch {
      // Nothing more can be done for this one; the process goes on.
    }
  };
  return {
    guard: (what, handler, recover) =>
      (...args) => {
        try {
          handler(...args);
        } catch (error) {
          report(() => what, error, () => recover?.(...args));
        }
      },
    guardListener: (what, handler, recover) =>
      function (this, ...args) {
        try {
          handler(this, ...args);
        } catch (error) {
          report(() => what(this), error, () => recover?.(this, ...args));
        }
      },
  };
}
