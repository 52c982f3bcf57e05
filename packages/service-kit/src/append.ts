import { AppendTimeoutError, EventLogUnavailableError, type AppendResult, type EventLog } from '@flotilla/eventlog';
import { envelope, msgIdFor, subjectFor, type DomainEvent, type EnvelopeMeta } from '@flotilla/events';

export interface AppendOptions {
  /** Gives up after this long; the error then says the outcome is unknown. */
  deadlineMs?: number;
  discriminator?: string | number;
  expectedLastSubjectSequence?: number;
  /** Called before each retry, for logs and metrics. */
  onRetry?: (attempt: number, error: Error) => void;
}

/**
 * Appends a domain event with its deterministic Nats-Msg-Id. A timed-out publish may have been
 * stored, so it is retried with the SAME id (the server's dedupe window stores it once); an
 * unavailable server is retried with backoff until the deadline.
 */
export async function appendWithRetry(
  log: EventLog,
  event: DomainEvent,
  meta: EnvelopeMeta,
  options: AppendOptions = {},
): Promise<AppendResult> {
  const deadline = Date.now() + (options.deadlineMs ?? 30_000);
  const request = {
    subject: subjectFor(event),
    msgId: msgIdFor(event, options.discriminator),
    event: envelope(event, meta),
    ...(options.expectedLastSubjectSequence !== undefined ? { expectedLastSubjectSequence: options.expectedLastSubjectSequence } : {}),
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await log.append(request);
    } catch (error) {
      const retryable = error instanceof AppendTimeoutError || error instanceof EventLogUnavailableError;
      if (!retryable || Date.now() >= deadline) throw error;
      options.onRetry?.(attempt, error);
      await new Promise((resolve) => setTimeout(resolve, Math.min(2000, 50 * 2 ** Math.min(attempt, 6))));
    }
  }
}
