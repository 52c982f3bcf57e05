import { AppendTimeoutError, EventLogUnavailableError, type EventLog } from '@flotilla/eventlog';
import { envelope, msgIdFor, subjectFor, type DomainEvent } from '@flotilla/events';
import { ProjectionTimeoutError, type LiveProjection } from '@flotilla/service-kit';
import { ApiError } from './api-status.ts';

export interface WriterOptions {
  timeoutMs: number;
  now: () => Date;
}

/**
 * The API's only way to change anything: append a domain event, then wait until this replica's own
 * projection has applied it, so the answer reflects the write (read-your-writes). A publish whose
 * outcome is unknown is retried with the same Nats-Msg-Id and never reported as a success.
 */
export class Writer {
  constructor(
    private readonly log: EventLog,
    private readonly projection: LiveProjection,
    private readonly options: WriterOptions,
  ) {}

  async append(event: DomainEvent, opts: { discriminator?: string; correlationId?: string } = {}): Promise<number> {
    if (!this.log.status().connected) {
      throw new ApiError('ServiceUnavailable', 'the event log (NATS JetStream) is unreachable; nothing was written, retry later');
    }
    const deadline = Date.now() + this.options.timeoutMs;
    const request = {
      subject: subjectFor(event),
      msgId: msgIdFor(event, opts.discriminator),
      event: envelope(event, { source: 'api', time: this.options.now().toISOString(), ...(opts.correlationId ? { correlationId: opts.correlationId } : {}) }),
    };
    let seq: number | undefined;
    let lastError: unknown;
    while (seq === undefined) {
      try {
        seq = (await this.log.append(request)).seq;
      } catch (error) {
        lastError = error;
        const retryable = error instanceof AppendTimeoutError || error instanceof EventLogUnavailableError;
        if (!retryable) throw error;
        if (Date.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    if (seq === undefined) {
      if (lastError instanceof EventLogUnavailableError) {
        throw new ApiError('ServiceUnavailable', 'the event log (NATS JetStream) is unreachable; nothing was written, retry later', undefined, undefined, { cause: lastError });
      }
      throw new ApiError(
        'Timeout',
        `the event log did not acknowledge the write within ${this.options.timeoutMs} ms: the outcome is unknown; read the object back before retrying`,
        undefined,
        undefined,
        { cause: lastError },
      );
    }
    try {
      await this.projection.waitFor(seq, Math.max(1000, deadline - Date.now()));
    } catch (error) {
      if (error instanceof ProjectionTimeoutError) {
        throw new ApiError('Timeout', `the write was stored at resourceVersion ${seq} but is not visible yet; read it back shortly`, undefined, undefined, { cause: error });
      }
      throw error;
    }
    return seq;
  }
}
