// prom-client families every service exposes (event-log progress, append latency, NATS
// reconnects) and helpers for the services' own families. Each service owns one Registry (never
// prom-client's global one), so several services or tests in one process do not collide.
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AppendRequest, AppendResult, EventEnvelope, EventLog, EventLogStatus } from '@flotilla/eventlog';

/** Buckets for durations of work done in-process or over one round trip (seconds). */
export const FAST_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Buckets for durations spanning several components (pod scheduling SLI, pod start), as Kubernetes uses. */
export const SLOW_DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92, 163.84, 327.68, 655.36];

export function createMetricsRegistry(): Registry {
  return new Registry();
}

export type LabelSet<L extends string> = Partial<Record<L, string>>;

/**
 * A counter whose value is kept elsewhere (a service's stats object) and copied at scrape time:
 * `read` returns the cumulative value of each series. The series stay TYPE counter.
 */
export function mirroredCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => ReadonlyArray<readonly [LabelSet<L>, number]>,
): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.inc(labels, value);
    },
  });
}

/** A gauge set from `read` at scrape time. */
export function mirroredGauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => ReadonlyArray<readonly [LabelSet<L>, number]>,
): Gauge<L> {
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) this.set(labels, value);
    },
  });
}

export type AppendOutcome = 'stored' | 'duplicate' | 'error';
export type AppendObserver = (seconds: number, outcome: AppendOutcome) => void;

/**
 * The same EventLog with every append timed (each try of a retried append is one observation).
 * Wrapping the log, not the call sites, times the services' appends without touching their loops.
 */
export function instrumentAppends(log: EventLog, observe: AppendObserver): EventLog {
  return {
    async append<E extends EventEnvelope>(req: AppendRequest<E>): Promise<AppendResult> {
      const started = performance.now();
      try {
        const result = await log.append(req);
        observe((performance.now() - started) / 1000, result.duplicate ? 'duplicate' : 'stored');
        return result;
      } catch (error) {
        observe((performance.now() - started) / 1000, 'error');
        throw error;
      }
    },
    subscribe: (fromSeq, handler, opts) => log.subscribe(fromSeq, handler, opts),
    read: (fromSeq, toSeq, opts) => log.read(fromSeq, toSeq, opts),
    lastSequence: () => log.lastSequence(),
    firstSequence: () => log.firstSequence(),
    status: () => log.status(),
    close: () => log.close(),
  };
}

/** An EventLogStatus that also counts reconnections (the JetStream adapter may add it; see eventLogMetrics). */
type CountingStatus = EventLogStatus & { reconnects?: number };

export interface EventLogMetricsOptions {
  log: EventLog;
  /** The last sequence the service's fold applied (LiveProjection.state.seq). */
  appliedSeq: () => number;
}

export interface EventLogMetrics {
  appendDuration: Histogram<'outcome'>;
  /** Feed for instrumentAppends. */
  observeAppend: AppendObserver;
}

/**
 * flotilla_eventlog_applied_sequence, flotilla_eventlog_lag_events (last stored sequence minus the
 * applied one; asks the log at scrape time), flotilla_eventlog_append_duration_seconds{outcome},
 * flotilla_eventlog_connected and flotilla_nats_reconnects_total.
 */
export function registerEventLogMetrics(registry: Registry, { log, appliedSeq }: EventLogMetricsOptions): EventLogMetrics {
  new Gauge({
    name: 'flotilla_eventlog_applied_sequence',
    help: 'Last event-log sequence this service folded into its state.',
    registers: [registry],
    collect() {
      this.set(appliedSeq());
    },
  });
  new Gauge({
    name: 'flotilla_eventlog_lag_events',
    help: 'Events stored in the log and not yet folded by this service (last stream sequence minus the applied one).',
    registers: [registry],
    async collect() {
      try {
        this.set(Math.max(0, (await log.lastSequence()) - appliedSeq()));
      } catch {
        // Unreachable log: keep the last known lag rather than fail the whole scrape.
      }
    },
  });
  new Gauge({
    name: 'flotilla_eventlog_connected',
    help: '1 while the connection to the event log is up.',
    registers: [registry],
    collect() {
      this.set(log.status().connected ? 1 : 0);
    },
  });
  mirroredCounter(registry, 'flotilla_nats_reconnects_total', 'Times the NATS connection of the event log was re-established after a disconnect.', [], () => [
    [{}, (log.status() as CountingStatus).reconnects ?? 0],
  ]);
  const appendDuration = new Histogram<'outcome'>({
    name: 'flotilla_eventlog_append_duration_seconds',
    help: 'Time to append one event to the log (one try; a retried append counts each try), by outcome: stored, duplicate (same Nats-Msg-Id already held) or error.',
    labelNames: ['outcome'],
    buckets: FAST_DURATION_BUCKETS,
    registers: [registry],
  });
  return { appendDuration, observeAppend: (seconds, outcome) => appendDuration.observe({ outcome }, seconds) };
}
