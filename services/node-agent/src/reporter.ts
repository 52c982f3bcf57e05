import { AppendTimeoutError, EventLogUnavailableError, type EventLog } from '@flotilla/eventlog';
import type { DomainEvent } from '@flotilla/events';
import { realTimers, sleep, type TimerScheduler } from '@flotilla/runtime';
import { appendWithRetry, type Logger } from '@flotilla/service-kit';

export interface ReportOptions {
  /** `node-agent/<nodeName>` */
  source: string;
  /** Goes into the deterministic Nats-Msg-Id (see msgIdFor). */
  discriminator?: string | number;
}

/** How the node agent writes what it observed. A test can record calls; production appends to the log. */
export interface Reporter {
  /** Resolves with the stream sequence once stored. */
  report(event: DomainEvent, options: ReportOptions): Promise<number>;
}

export class ReporterClosedError extends Error {
  constructor() {
    super('the reporter is closed (the node agent is shutting down): nothing more is written');
    this.name = 'ReporterClosedError';
  }
}

export interface LogReporterOptions {
  scheduler?: TimerScheduler;
  logger?: Logger;
  /** How long one appendWithRetry round may take before the reporter logs and starts another one. */
  roundDeadlineMs?: number;
}

/**
 * Appends through appendWithRetry. A status report must not be lost while the pod runs on, so when
 * the log stays unreachable past one round the reporter keeps retrying with the SAME Nats-Msg-Id
 * (the outcome of a timed-out publish is unknown) until it is stored or the reporter is closed.
 */
export class LogReporter implements Reporter {
  private closed = false;
  private readonly scheduler: TimerScheduler;

  constructor(
    private readonly log: EventLog,
    private readonly options: LogReporterOptions = {},
  ) {
    this.scheduler = options.scheduler ?? realTimers;
  }

  async report(event: DomainEvent, options: ReportOptions): Promise<number> {
    for (let round = 1; ; round++) {
      if (this.closed) throw new ReporterClosedError();
      try {
        const result = await appendWithRetry(
          this.log,
          event,
          { source: options.source, time: new Date(this.scheduler.now()).toISOString() },
          {
            deadlineMs: this.options.roundDeadlineMs ?? 30_000,
            ...(options.discriminator !== undefined ? { discriminator: options.discriminator } : {}),
          },
        );
        return result.seq;
      } catch (error) {
        const retryable = error instanceof AppendTimeoutError || error instanceof EventLogUnavailableError;
        if (!retryable || this.closed) throw error;
        this.options.logger?.warn('event log unreachable, still retrying', { event: event.type, round, error });
        await sleep(this.scheduler, 1_000);
      }
    }
  }

  /** Stops writing: reports in progress give up at their next retry, new ones fail at once. */
  close(): void {
    this.closed = true;
  }
}
