import { intSetting } from './config.ts';
import { flushLogs, flushLogsSync, type Logger } from './logger.ts';

export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
/** How long the last log lines may take to reach stdout before the process exits anyway. */
const FLUSH_LIMIT_MS = 1_000;

export interface ShutdownOptions {
  /** Deadline for `stop`; default FLOTILLA_SHUTDOWN_TIMEOUT_MS, else 10 s. */
  timeoutMs?: number;
  signals?: readonly NodeJS.Signals[];
  /** Defaults to process.exit; tests replace it. */
  exit?: (code: number) => void;
}

/**
 * On the first SIGTERM or SIGINT, runs `stop` once (the service stops taking work, finishes what
 * is in flight and drains its NATS connections), then exits 0 — or 1 if `stop` fails or is still
 * running after the deadline. A second signal exits 1 at once. The log is flushed before every
 * exit, so the last lines ("shutdown complete", the failure) reach the launcher.
 * Returns a function that removes the signal handlers.
 */
export function onShutdown(logger: Logger, stop: () => Promise<void>, options: ShutdownOptions = {}): () => void {
  const timeoutMs = options.timeoutMs ?? intSetting('FLOTILLA_SHUTDOWN_TIMEOUT_MS', process.env.FLOTILLA_SHUTDOWN_TIMEOUT_MS, DEFAULT_SHUTDOWN_TIMEOUT_MS);
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  let exited = false;

  const finish = (code: number): void => {
    if (exited) return;
    exited = true;
    void flushWithin(FLUSH_LIMIT_MS).then(() => {
      flushLogsSync();
      exit(code);
    });
  };

  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn('second signal during shutdown, exiting now', { signal });
      finish(1);
      return;
    }
    stopping = true;
    const startedAt = Date.now();
    logger.info('shutting down', { signal, timeoutMs });
    const deadline = setTimeout(() => {
      logger.error('shutdown deadline passed, exiting', { signal, timeoutMs });
      finish(1);
    }, timeoutMs);
    // Run `stop` from a promise so a synchronous throw is handled like a rejection.
    Promise.resolve()
      .then(stop)
      .then(
        () => {
          clearTimeout(deadline);
          logger.info('shutdown complete', { durationMs: Date.now() - startedAt });
          finish(0);
        },
        (error: unknown) => {
          clearTimeout(deadline);
          logger.error('shutdown failed', { error });
          finish(1);
        },
      );
  };

  for (const signal of signals) process.on(signal, handler);
  return () => {
    for (const signal of signals) process.off(signal, handler);
  };
}

function flushWithin(limitMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, limitMs);
    void flushLogs().then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
