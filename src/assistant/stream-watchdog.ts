/**
 * Ends a model stream that stops sending. The SDK's timeout only covers the wait for
 * the response headers; a server that then goes quiet mid-stream would otherwise hang
 * the turn until the user gives up.
 */
import { AssistantError } from './errors';

export class StreamWatchdog {
  /** Aborts on the caller's signal or when the stream has been idle too long. */
  readonly signal: AbortSignal;
  /** Set once the stream was ended for being idle. */
  expired: AssistantError | undefined;
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly idleMs: number,
    outer: AbortSignal,
    private readonly describe: () => AssistantError,
  ) {
    this.signal = AbortSignal.any([outer, this.controller.signal]);
  }

  /** Passes the stream through, counting every item as a sign of life. */
  async *watch<T>(source: AsyncIterable<T>): AsyncGenerator<T> {
    this.touch();
    for await (const item of source) {
      this.touch();
      yield item;
    }
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** The error to report: the idle timeout, when that is what ended the stream. */
  explain(error: unknown): unknown {
    return this.expired ?? error;
  }

  private touch(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expired = this.describe();
      this.controller.abort(this.expired);
    }, this.idleMs);
  }
}

export function idleTimeoutError(baseUrl: string, idleMs: number): AssistantError {
  return new AssistantError(`the model server at ${baseUrl} stopped sending mid-stream (nothing for ${idleMs / 1000} s)`);
}
