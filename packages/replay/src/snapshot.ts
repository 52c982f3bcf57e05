// A trace from what an API lists now (nodes and pods with their creation times), for a cluster
// whose log cannot be read. Lossy: pods already deleted are not there, finished pods are left out,
// and a pod's spec.nodeName cannot tell the user's pin from the scheduler's choice, so it is dropped.
import type { Node, NodeManifest, Pod } from '@flotilla/model';
import { isTerminalPhase } from '@flotilla/state';
import { TRACE_KIND, TRACE_VERSION } from './trace.ts';
import type { Trace, TraceArrival } from './trace.ts';

export interface SnapshotOptions {
  description?: string;
}

const CONTROLLER_TAINT_PREFIX = 'node.kubernetes.io/';

function nodeAsRegistered(node: Node): NodeManifest {
  const { resourceVersion: _rv, ...metadata } = node.metadata;
  const { conditions: _conditions, ...status } = node.status ?? {};
  const { taints, ...spec } = node.spec ?? {};
  const own = taints?.filter((taint) => !taint.key.startsWith(CONTROLLER_TAINT_PREFIX));
  return { ...node, metadata, spec: own && own.length > 0 ? { ...spec, taints: own } : spec, status };
}

export function traceFromSnapshot(snapshot: { nodes: readonly Node[]; pods: readonly Pod[] }, options: SnapshotOptions = {}): Trace {
  const timed: Array<{ at: number; order: number; arrival: TraceArrival }> = [];
  let order = 0;
  for (const node of snapshot.nodes) {
    timed.push({ at: Date.parse(node.metadata.creationTimestamp), order: order++, arrival: { t: 0, type: 'NodeRegistered', node: nodeAsRegistered(node) } });
  }
  for (const pod of snapshot.pods) {
    if (isTerminalPhase(pod.status?.phase) || pod.metadata.deletionTimestamp) continue;
    const { metadata } = pod;
    const { nodeName: _node, ...spec } = pod.spec;
    timed.push({
      at: Date.parse(metadata.creationTimestamp),
      order: order++,
      arrival: {
        t: 0,
        type: 'PodCreated',
        pod: {
          namespace: metadata.namespace,
          name: metadata.name,
          uid: metadata.uid,
          ...(metadata.labels ? { labels: metadata.labels } : {}),
          ...(metadata.annotations ? { annotations: metadata.annotations } : {}),
          ...(metadata.ownerReferences ? { ownerReferences: metadata.ownerReferences } : {}),
          spec,
        },
      },
    });
  }
  const known = timed.filter((entry) => Number.isFinite(entry.at));
  const start = known.length > 0 ? Math.min(...known.map((entry) => entry.at)) : 0;
  // An object without a creation time arrives at the start.
  timed.sort((a, b) => (Number.isFinite(a.at) ? a.at : start) - (Number.isFinite(b.at) ? b.at : start) || a.order - b.order);
  return {
    header: {
      kind: TRACE_KIND,
      version: TRACE_VERSION,
      startedAt: new Date(start).toISOString(),
      source: 'api-snapshot',
      ...(options.description !== undefined ? { description: options.description } : {}),
    },
    arrivals: timed.map(({ at, arrival }) => ({ ...arrival, t: Number.isFinite(at) ? Math.round(at - start) : 0 })),
  };
}
