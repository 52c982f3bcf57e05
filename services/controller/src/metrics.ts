// The controller's /metrics (prom-client; the HTTP server is service-kit's). Kubernetes' names where
// kube-controller-manager has the metric; flotilla_ for the rest. Read from the loop and the fold at scrape time.
import type { EventLog } from '@flotilla/eventlog';
import {
  createMetricsRegistry,
  mirroredCounter,
  mirroredGauge,
  registerEventLogMetrics,
  type AppendObserver,
  type LiveProjection,
} from '@flotilla/service-kit';
import type { ClusterState } from '@flotilla/state';
import type { Registry } from 'prom-client';
import type { ControllerStats } from './controller-loop.ts';

export interface MetricsSnapshot {
  replica: string;
  stats: Readonly<ControllerStats>;
  state: ClusterState;
  inFlight: number;
}

export interface ControllerMetricsOptions {
  replica: string;
  /** Read at scrape time (ControllerLoop.stats, the projection's state, ControllerLoop.inFlight). */
  read: () => Omit<MetricsSnapshot, 'replica'>;
  /** With these, the shared event-log families too. */
  log?: EventLog;
  projection?: LiveProjection;
}

export interface ControllerMetrics {
  registry: Registry;
  /** For instrumentAppends (absent without a log). */
  observeAppend: AppendObserver | undefined;
  render(): Promise<string>;
}

export function createControllerMetrics(options: ControllerMetricsOptions): ControllerMetrics {
  const registry = createMetricsRegistry();
  const counter = (name: string, help: string, pick: (stats: Readonly<ControllerStats>) => number): void =>
    void mirroredCounter(registry, name, help, [], () => [[{}, pick(options.read().stats)]]);
  const gauge = (name: string, help: string, pick: (snapshot: Omit<MetricsSnapshot, 'replica'>) => number): void =>
    void mirroredGauge(registry, name, help, [], () => [[{}, pick(options.read())]]);
  counter('flotilla_controller_pods_created_total', 'Pods this replica created for ReplicaSets.', (s) => s.podsCreated);
  counter('flotilla_controller_pods_deleted_total', 'Pods this replica deleted: ReplicaSet scale-down and pods of deleted ReplicaSets.', (s) => s.podsDeleted);
  counter('flotilla_controller_pod_creations_ignored_total', 'Pod creations the fold ignored because the ReplicaSet was full by then or the name was taken.', (s) => s.creationsIgnored);
  counter('node_collector_evictions_total', 'Number of pods evicted from unreachable nodes by this replica.', (s) => s.podsEvicted);
  counter('flotilla_controller_nodes_marked_unreachable_total', 'Nodes this replica marked unreachable (lease older than the grace period).', (s) => s.nodesMarkedUnreachable);
  counter('flotilla_controller_nodes_marked_reachable_total', 'Unreachable nodes this replica marked reachable again (lease renewed).', (s) => s.nodesMarkedReachable);
  counter('flotilla_controller_eviction_taints_total', 'NoExecute unreachable taints this replica added (at the eviction rate).', (s) => s.evictionTaints);
  counter('flotilla_controller_duplicates_total', 'Decisions not stored because the log already held them (same Nats-Msg-Id).', (s) => s.duplicates);
  counter('flotilla_controller_syncs_total', 'Passes of the controllers over the fold.', (s) => s.syncs);
  counter('flotilla_controller_errors_total', 'Failed appends and passes.', (s) => s.errors);
  counter('flotilla_controller_append_retries_total', 'Appends retried after a timeout or an unreachable server (same Nats-Msg-Id).', (s) => s.appendRetries);
  gauge('flotilla_controller_nodes_unreachable', 'Nodes the fold shows unreachable (Ready=Unknown).', ({ state }) => unreachableNodes(state).unreachable);
  gauge('flotilla_controller_nodes_tainted_for_eviction', 'Unreachable nodes with the NoExecute taint.', ({ state }) => unreachableNodes(state).tainted);
  gauge('flotilla_controller_replicasets', 'ReplicaSets in the fold.', ({ state }) => state.replicaSets.size);
  gauge('flotilla_controller_decisions_in_flight', 'Decisions appended and not yet applied by the fold.', ({ inFlight }) => inFlight);
  mirroredGauge(registry, 'flotilla_controller_info', 'The replica name.', ['replica'], () => [[{ replica: options.replica }, 1]]);
  let observeAppend: AppendObserver | undefined;
  if (options.log && options.projection) {
    const projection = options.projection;
    observeAppend = registerEventLogMetrics(registry, { log: options.log, appliedSeq: () => projection.state.seq }).observeAppend;
  }
  return { registry, observeAppend, render: () => registry.metrics() };
}

function unreachableNodes(state: ClusterState): { unreachable: number; tainted: number } {
  let unreachable = 0;
  let tainted = 0;
  for (const node of state.nodes.values()) {
    if (node.unreachable === undefined) continue;
    unreachable++;
    if (node.unreachable.evictionTaintAddedAt !== undefined) tainted++;
  }
  return { unreachable, tainted };
}

/** The whole /metrics body for one snapshot (without the event-log families). */
export function renderMetrics({ replica, ...rest }: MetricsSnapshot): Promise<string> {
  return createControllerMetrics({ replica, read: () => rest }).render();
}

export { METRICS_CONTENT_TYPE, parseMetrics, startMetricsServer } from '@flotilla/service-kit';
