// The controller's /metrics: Prometheus text exposition format 0.0.4, written by hand (no client
// library). Kubernetes' names where kube-controller-manager has the metric; flotilla_ for the rest.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ClusterState } from '@flotilla/state';
import type { ControllerStats } from './controller-loop.ts';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface Family {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: Array<{ labels?: Record<string, string>; value: number }>;
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function renderFamily(family: Family): string {
  const lines = [`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`];
  for (const sample of family.samples) {
    const labels = Object.entries(sample.labels ?? {});
    const labelText = labels.length === 0 ? '' : `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
    lines.push(`${family.name}${labelText} ${sample.value}`);
  }
  return lines.join('\n');
}

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
  const counter = (name: string, help: string, value: number): Family => ({ name, help, type: 'counter', samples: [{ value }] });
  const gauge = (name: string, help: string, value: number): Family => ({ name, help, type: 'gauge', samples: [{ value }] });
  const families: Family[] = [
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
  return `${families.map(renderFamily).join('\n')}\n`;
}

/** A tiny HTTP server: GET /metrics (and /healthz); everything else is 404. */
export async function startMetricsServer(port: number, host: string, render: () => string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
    } else if (path === '/metrics') {
      response.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE }).end(request.method === 'HEAD' ? undefined : render());
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
