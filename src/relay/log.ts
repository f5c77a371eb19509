/**
 * The relay's log: one line per connect, disconnect and error, rate-limited so
 * that a burst of thousands of clients cannot flood the terminal or slow the relay.
 * Lines past the limit are counted, and the count is reported once logging resumes.
 */

export type LogLevel = 'info' | 'warn' | 'error';
export type LogSink = (level: LogLevel, line: string) => void;

export interface RelayLogger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export interface RateLimitedLoggerOptions {
  sink: LogSink;
  /** Lines allowed per second before further lines are only counted. */
  maxLinesPerSecond?: number;
  /** Clock, for tests. */
  now?: () => number;
}

export function createRateLimitedLogger(options: RateLimitedLoggerOptions): RelayLogger {
  const limit = options.maxLinesPerSecond ?? 20;
  const now = options.now ?? Date.now;
  let windowStart = now();
  let linesInWindow = 0;
  let suppressed = 0;

  const write = (level: LogLevel, line: string): void => {
    const time = now();
    if (time - windowStart >= 1000) {
      windowStart = time;
      linesInWindow = 0;
      if (suppressed > 0) {
        options.sink('warn', `(${suppressed} log line${suppressed === 1 ? '' : 's'} suppressed at high rate)`);
        suppressed = 0;
        linesInWindow = 1;
      }
    }
    if (linesInWindow >= limit) {
      suppressed++;
      return;
    }
    linesInWindow++;
    options.sink(level, line);
  };
  return {
    info: (line) => write('info', line),
    warn: (line) => write('warn', line),
    error: (line) => write('error', line),
  };
}

export const silentLogger: RelayLogger = { info() {}, warn() {}, error() {} };

/** Writes `2026-11-26T01:02:03.456Z warn message` lines to a stream (stderr by default). */
export function streamSink(stream: NodeJS.WritableStream = process.stderr): LogSink {
  return (level, line) => {
    stream.write(`${new Date().toISOString()} ${level} ${line}\n`);
  };
}
