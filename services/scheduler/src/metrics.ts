// The scheduler's /metrics (prom-client; the HTTP server is service-kit's). kube-scheduler's names
// where it has the metric; flotilla_ for the rest. Counters mirror SchedulerLoop.stats at scrape time.
import type { EventLog } from '@flotilla/eventlog';
import type { FlotillaRecord } from '@flotilla/events';
import type { QueueStats } from '@flotilla/scheduling';
import {
  FAST_DURATION_BUCKETS,
  SLOW_DURATION_BUCKETS,
  createMetricsRegistry,
  mirroredCounter,
  mirroredGauge,
  registerEventLogMetrics,
  type AppendObserver,
  type LiveProjection,
} from '@flotilla/service-kit';
import type { StateChange } from '@flotilla/state';
import { Histogram, type Registry } from 'prom-client';
import type { SchedulerStats } from './scheduler-loop.ts';

export interface MetricsSnapshot {
  replica: string;
  profiles: readonly string[];
  stats: Readonly<SchedulerStats>;
  queue: Readonly<QueueStats>;
}

export type AttemptResult = 'scheduled' | 'unschedulable' | 'error';

export interface SchedulerMetricsOptions {
  replica: string;
  profiles: readonly string[];
  /** Read at scrape time (SchedulerLoop.stats and queueStats()). */
  read: () => { stats: Readonly<SchedulerStats>; queue: Readonly<QueueStats> };
  /** With these, the shared event-log families too. */
  log?: EventLog;
  projection?: LiveProjection;
}

export class SchedulerMetrics {
  readonly registry: Registry;
  /** For instrumentAppends (absent without a log). */
  readonly observeAppend: AppendObserver | undefined;
  private readonly attemptDuration: Histogram<'result' | 'profile'>;
  private readonly sli: Histogram<'attempts'>;
  private readonly replica: string;
  /** When this replica's fold saw each pending pod created (local monotonic ms), for the SLI. */
  private readonly createdAt = new Map<string, number>();

  constructor(options: SchedulerMetricsOptions) {
    this.replica = options.replica;
    const registry = (this.registry = createMetricsRegistry());
    mirroredCounter(
      registry,
      'scheduler_schedule_attempts_total',
      'Number of attempts to schedule pods, by the result. "unschedulable" means a pod could not be scheduled, while "error" means an internal scheduler problem.',
      ['result'],
      () => {
        const { stats } = options.read();
        return [[{ result: 'scheduled' }, stats.bound], [{ result: 'unschedulable' }, stats.unschedulable], [{ result: 'error' }, stats.errors]];
      },
    );
    mirroredGauge(
      registry,
      'scheduler_pending_pods',
      'Number of pending pods, by the queue type. "active" means number of pods in activeQ; "backoff" means number of pods in backoffQ; "unschedulable" means number of pods in unschedulablePods; "gated" is always 0 (Flotilla has no scheduling gates).',
      ['queue'],
      () => {
        const { queue } = options.read();
        return [[{ queue: 'active' }, queue.active], [{ queue: 'backoff' }, queue.backoff], [{ queue: 'unschedulable' }, queue.unschedulable], [{ queue: 'gated' }, 0]];
      },
    );
    const counter = (name: string, help: string, pick: (stats: Readonly<SchedulerStats>) => number): void =>
      void mirroredCounter(registry, name, help, [], () => [[{}, pick(options.read().stats)]]);
    counter('flotilla_scheduler_binding_conflicts_total', "This replica's bindings the fold rejected because another binding took the pod or the node's room first.", (s) => s.conflicts);
    counter('flotilla_scheduler_binding_duplicates_total', "This replica's decisions not stored because another replica had already written the same attempt (same Nats-Msg-Id).", (s) => s.duplicates);
    counter('flotilla_scheduler_retries_total', 'Scheduling cycles that retried a pod after a lost binding, a superseded decision or a failed cycle.', (s) => s.retries);
    counter('flotilla_scheduler_append_retries_total', 'Appends to the event log retried after a timeout or an unreachable server (same Nats-Msg-Id).', (s) => s.appendRetries);
    mirroredGauge(registry, 'flotilla_scheduler_info', 'The replica name and the profiles it schedules for.', ['replica', 'profiles'], () => [
      [{ replica: options.replica, profiles: [...options.profiles].join(',') }, 1],
    ]);
    this.attemptDuration = new Histogram({
      name: 'scheduler_scheduling_attempt_duration_seconds',
      help: 'Scheduling attempt latency in seconds (scheduling algorithm + binding), by result and profile.',
      labelNames: ['result', 'profile'],
      buckets: FAST_DURATION_BUCKETS,
      registers: [registry],
    });
    this.sli = new Histogram({
      name: 'scheduler_pod_scheduling_sli_duration_seconds',
      help: "E2e latency for a pod being scheduled, from the moment this replica's fold saw it created to the moment it saw this replica's binding take effect, by the number of attempts.",
      labelNames: ['attempts'],
      buckets: SLOW_DURATION_BUCKETS,
      registers: [registry],
    });
    if (options.log && options.projection) {
      const projection = options.projection;
      this.observeAppend = registerEventLogMetrics(registry, { log: options.log, appliedSeq: () => projection.state.seq }).observeAppend;
    } else {
      this.observeAppend = undefined;
    }
  }

  /** The hook for SchedulerLoop: one finished scheduling attempt. */
  readonly observeAttempt = (result: AttemptResult, profile: string, seconds: number): void => {
    this.attemptDuration.observe({ result, profile }, seconds);
  };

  /**
   * A LiveProjection listener (register it after the projection's start, so a replayed history is
   * not timed): times pods from creation to this replica's binding. `nowMs` is a monotonic clock.
   */
  onApplied(record: FlotillaRecord, changes: readonly StateChange[], nowMs: number): void {
    for (const change of changes) {
      if (change.kind !== 'Pod') continue;
      if (change.type === 'DELETED') {
        this.createdAt.delete(change.key);
      } else if (change.type === 'ADDED' && change.object.spec.nodeName === undefined) {
        this.createdAt.set(change.key, nowMs);
      } else if (record.event.type === 'PodBound' && change.object.spec.nodeName !== undefined) {
        const created = this.createdAt.get(change.key);
        this.createdAt.delete(change.key);
        if (created !== undefined && record.event.source === this.replica) {
          this.sli.observe({ attempts: String(record.event.data.attempt) }, (nowMs - created) / 1000);
        }
      }
    }
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }
}

/** The whole /metrics body for one snapshot (without the event-log families). */
export function renderMetrics({ replica, profiles, stats, queue }: MetricsSnapshot): Promise<string> {
  return new SchedulerMetrics({ replica, profiles, read: () => ({ stats, queue }) }).render();
}

export { METRICS_CONTENT_TYPE, parseMetrics, startMetricsServer } from '@flotilla/service-kit';
