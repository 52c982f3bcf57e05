// The controller's /metrics families (Prometheus text rendering and the HTTP server are in
// service-kit). Kubernetes' names where kube-controller-manager has the metric; flotilla_ for the rest.
import { renderMetricFamilies, type MetricFamily } from '@flotilla/service-kit';
import type { ClusterState } from '@flotilla/state';
import type { ControllerStats } from './controller-loop.ts';

export interface MetricsSnapshot {
  replica: string;
  stats: Readonly<ControllerStats>;
  state: ClusterState;
  inFlight: number;
}

/** The whole /metrics body. */
export function renderMetrics({ replica, stats, state, inFlight }: MetricsSnapshot): string {
  let unreachable = 0;
  let tainted = 0;
  for (const node of state.nodes.values()) {
    if (node.unreachable === undefined) continue;
    unreachable++;
    if (node.unreachable.evictionTaintAddedAt !== undefined) tainted++;
  }
  const counter = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'counter', samples: [{ value }] });
  const gauge = (name: string, help: string, value: number): MetricFamily => ({ name, help, type: 'gauge', samples: [{ value }] });
  const families: MetricFamily[] = [
    counter('flotilla_controller_pods_created_total', 'Pods this replica created for ReplicaSets.', stats.podsCreated),
    counter('flotilla_controller_pods_deleted_total', 'Pods this replica deleted: ReplicaSet scale-down and pods of deleted ReplicaSets.', stats.podsDeleted),
    counter('flotilla_controller_pod_creations_ignored_total', 'Pod creations the fold ignored because the ReplicaSet was full by then or the name was taken.', stats.creationsIgnored),
    counter('node_collector_evictions_total', 'Number of pods evicted from unreachable nodes by this replica.', stats.podsEvicted),
    counter('flotilla_controller_nodes_marked_unreachable_total', 'Nodes this replica marked unreachable (lease older than the grace period).', stats.nodesMarkedUnreachable),
    counter('flotilla_controller_nodes_marked_reachable_total', 'Unreachable nodes this replica marked reachable again (lease renewed).', stats.nodesMarkedReachable),
    counter('flotilla_controller_eviction_taints_total', 'NoExecute unreachable taints this replica added (at the eviction rate).', stats.evictionTaints),
    counter('flotilla_controller_duplicates_total', 'Decisions not stored because the log already held them (same Nats-Msg-Id).', stats.duplicates),
    counter('flotilla_controller_syncs_total', 'Passes of the controllers over the fold.', stats.syncs),
    counter('flotilla_controller_errors_total', 'Failed appends and passes.', stats.errors),
    counter('flotilla_controller_append_retries_total', 'Appends retried after a timeout or an unreachable server (same Nats-Msg-Id).', stats.appendRetries),
    gauge('flotilla_controller_nodes_unreachable', 'Nodes the fold shows unreachable (Ready=Unknown).', unreachable),
    gauge('flotilla_controller_nodes_tainted_for_eviction', 'Unreachable nodes with the NoExecute taint.', tainted),
    gauge('flotilla_controller_replicasets', 'ReplicaSets in the fold.', state.replicaSets.size),
    gauge('flotilla_controller_decisions_in_flight', 'Decisions appended and not yet applied by the fold.', inFlight),
    { name: 'flotilla_controller_info', help: 'The replica name.', type: 'gauge', samples: [{ labels: { replica }, value: 1 }] },
  ];
  return renderMetricFamilies(families);
}

export { METRICS_CONTENT_TYPE, parseMetrics, startMetricsServer } from '@flotilla/service-kit';
