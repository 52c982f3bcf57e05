// Structured JSON logs, one line per record, with the service (and node) name on every line.
// pino does the formatting and writes asynchronously to stdout, where the launcher collects them;
// the Logger interface stays small so call sites (and test doubles) do not depend on pino.
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

/** What a sonic-boom destination offers beyond `write`; test streams have neither. */
interface FlushableStream extends DestinationStream {
  flush?(cb?: (error?: Error) => void): void;
  flushSync?(): void;
}

// One asynchronous stdout destination per process, shared by every logger: lines from different
// loggers keep their order, and there is a single buffer to flush on exit. minLength 0 writes as
// soon as the previous write finishes (a quiet service's last line is not held back), without
// blocking the event loop on a slow pipe. pino itself flushes it synchronously on process exit.
let stdoutDestination: FlushableStream | undefined;

function sharedStdout(): FlushableStream {
  stdoutDestination ??= pino.destination({ dest: 1, sync: false, minLength: 0 });
  return stdoutDestination;
}

/**
 * `destination` is for tests (anything with `write(line)`); services log to stdout.
 * Records look like `{"level":"info","time":"2026-…Z","service":"api",…base,…fields,"msg":"…"}`.
 */
export function createLogger(
  service: string,
  base: Record<string, unknown> = {},
  level: LogLevel = envLevel(),
  destination: DestinationStream = sharedStdout(),
): Logger {
  const root = pino(
    {
      level,
      // Replaces pino's pid/hostname: the launcher knows those, the reader wants the service.
      base: { service, ...serialiseErrors(base) },
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names, not pino's numbers: `flotilla sim` and the benches read `level: 'warn'`.
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return wrap(root);
}

function wrap(target: PinoLogger): Logger {
  // pino's `(obj, msg)` order, behind the existing `(msg, fields)` signature.
  return {
    debug: (msg, fields) => (fields ? target.debug(serialiseErrors(fields), msg) : target.debug(msg)),
    info: (msg, fields) => (fields ? target.info(serialiseErrors(fields), msg) : target.info(msg)),
    warn: (msg, fields) => (fields ? target.warn(serialiseErrors(fields), msg) : target.warn(msg)),
    error: (msg, fields) => (fields ? target.error(serialiseErrors(fields), msg) : target.error(msg)),
    child: (fields) => wrap(target.child(serialiseErrors(fields))),
  };
}

/**
 * Writes out whatever the stdout destination still buffers, waiting for a write in progress.
 * Call before `process.exit` (onShutdown does); resolves at once when nothing was logged to stdout.
 */
export function flushLogs(): Promise<void> {
  const destination = stdoutDestination;
  if (!destination?.flush) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      destination.flush?.(() => resolve());
    } catch {
      // Not ready yet or already closed: nothing more can be written.
      resolve();
    }
  });
}

/**
 * Writes what is still buffered for stdout synchronously: the last resort before process.exit, when
 * an asynchronous flush did not finish in time (a busy machine, a slow pipe).
 */
export function flushLogsSync(): void {
  try {
    stdoutDestination?.flushSync?.();
  } catch {
    // Not ready yet or already closed: nothing more can be written.
  }
}

function envLevel(): LogLevel {
  const value = process.env.FLOTILLA_LOG_LEVEL;
  return value === 'debug' || value === 'info' || value === 'warn' || value === 'error' ? value : 'info';
}

/** An Error as plain data: name, message, stack, a `code` if it has one, and its cause chain. */
export interface SerialisedError {
  name: string;
  message: string;
  stack?: string;
  code?: unknown;
  cause?: unknown;
}

const MAX_CAUSE_DEPTH = 5;

export function serialiseError(error: Error, depth = 0): SerialisedError {
  const out: SerialisedError = { name: error.name, message: error.message };
  if (error.stack !== undefined) out.stack = error.stack;
  const code = (error as { code?: unknown }).code;
  if (code !== undefined) out.code = code;
  if (error.cause !== undefined) {
    out.cause =
      error.cause instanceof Error
        ? depth < MAX_CAUSE_DEPTH
          ? serialiseError(error.cause, depth + 1)
          : { name: error.cause.name, message: error.cause.message }
        : error.cause;
  }
  return out;
}

// Only top-level field values: Errors are passed as `{ error }` at every call site.
function serialiseErrors(fields: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (value instanceof Error) {
      out ??= { ...fields };
      out[key] = serialiseError(value);
    }
  }
  return out ?? fields;
}
