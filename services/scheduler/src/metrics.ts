// The scheduler's /metrics families (Prometheus text rendering and the HTTP server are in
// service-kit). kube-scheduler's names where it has the metric; flotilla_ for the rest.
import { renderMetricFamilies, type MetricFamily } from '@flotilla/service-kit';
import type { QueueStats } from '@flotilla/scheduling';
import type { SchedulerStats } from './scheduler-loop.ts';

export interface MetricsSnapshot {
  replica: string;
  profiles: readonly string[];
  stats: Readonly<SchedulerStats>;
  queue: Readonly<QueueStats>;
}

/** The whole /metrics body. */
export function renderMetrics({ replica, profiles, stats, queue }: MetricsSnapshot): string {
  const families: MetricFamily[] = [
    {
      name: 'scheduler_schedule_attempts_total',
      help: 'Number of attempts to schedule pods, by the result. "unschedulable" means a pod could not be scheduled, while "error" means an internal scheduler problem.',
      type: 'counter',
      samples: [
        { labels: { result: 'scheduled' }, value: stats.bound },
        { labels: { result: 'unschedulable' }, value: stats.unschedulable },
        { labels: { result: 'error' }, value: stats.errors },
      ],
    },
    {
      name: 'scheduler_pending_pods',
      help: 'Number of pending pods, by the queue type. "active" means number of pods in activeQ; "backoff" means number of pods in backoffQ; "unschedulable" means number of pods in unschedulablePods.',
      type: 'gauge',
      samples: [
        { labels: { queue: 'active' }, value: queue.active },
        { labels: { queue: 'backoff' }, value: queue.backoff },
        { labels: { queue: 'unschedulable' }, value: queue.unschedulable },
      ],
    },
    {
      name: 'flotilla_scheduler_binding_conflicts_total',
      help: "This replica's bindings the fold rejected because another binding took the pod or the node's room first.",
      type: 'counter',
      samples: [{ value: stats.conflicts }],
    },
    {
      name: 'flotilla_scheduler_binding_duplicates_total',
      help: "This replica's decisions not stored because another replica had already written the same attempt (same Nats-Msg-Id).",
      type: 'counter',
      samples: [{ value: stats.duplicates }],
    },
    {
      name: 'flotilla_scheduler_retries_total',
      help: 'Scheduling cycles that retried a pod after a lost binding, a superseded decision or a failed cycle.',
      type: 'counter',
      samples: [{ value: stats.retries }],
    },
    {
      name: 'flotilla_scheduler_append_retries_total',
      help: 'Appends to the event log retried after a timeout or an unreachable server (same Nats-Msg-Id).',
      type: 'counter',
      samples: [{ value: stats.appendRetries }],
    },
    {
      name: 'flotilla_scheduler_info',
      help: 'The replica name and the profiles it schedules for.',
      type: 'gauge',
      samples: [{ labels: { replica, profiles: [...profiles].join(',') }, value: 1 }],
    },
  ];
  return renderMetricFamilies(families);
}

export { METRICS_CONTENT_TYPE, parseMetrics, startMetricsServer } from '@flotilla/service-kit';
