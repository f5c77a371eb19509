/**
 * One streamed model request, the same for both APIs: opened with retries (each wait
 * announced to the listener), then read under the idle watchdog, whose timeout is
 * reported instead of the abort it caused.
 */
import type { ResolvedAssistantConfig } from './config';
import type { RoundListener } from './model-adapter';
import { withRetries } from './retry';
import { idleTimeoutError, StreamWatchdog } from './stream-watchdog';

export async function streamModel<E, R>(
  config: ResolvedAssistantConfig,
  signal: AbortSignal,
  listener: RoundListener,
  open: (signal: AbortSignal) => Promise<AsyncIterable<E>>,
  read: (events: AsyncIterable<E>) => Promise<R>,
): Promise<R> {
  const watchdog = new StreamWatchdog(config.timeoutMs, signal, () => idleTimeoutError(config.baseUrl, config.timeoutMs));
  try {
    const stream = await withRetries(() => open(watchdog.signal), {
      config,
      signal: watchdog.signal,
      onWait: (wait) => listener.waiting(wait),
    });
    return await read(watchdog.watch(stream));
  } catch (error) {
    throw watchdog.explain(error);
  } finally {
    watchdog.stop();
  }
}
