// `flotilla top nodes`: kubectl top's table, but of resource *requests* against allocatable (Flotilla
// runs no metrics-server, so there is no measured usage to show).
import { addResources, effectivePodRequest, nodeAllocatable, type Node, type Pod, type Resources } from '@flotilla/model';
import { podNodeName } from './pod-status.ts';
import { formatTable } from './tabwriter.ts';

export type TopSortBy = 'cpu' | 'memory';
export const TOP_SORT_KEYS: readonly TopSortBy[] = ['cpu', 'memory'];

export interface NodeRequests {
  name: string;
  /** Millicores. */
  cpuRequested: number;
  cpuAllocatable: number;
  /** Bytes. */
  memoryRequested: number;
  memoryAllocatable: number;
}

/** Sums the requests of each node's non-terminated pods (as `describe node` does). */
export function nodeRequests(nodes: readonly Node[], pods: readonly Pod[]): NodeRequests[] {
  const totals = new Map<string, Resources>();
  for (const pod of pods) {
    const nodeName = podNodeName(pod);
    if (nodeName === undefined || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    let total = totals.get(nodeName);
    if (!total) totals.set(nodeName, (total = {}));
    addResources(total, effectivePodRequest(pod.spec));
  }
  return nodes.map((node) => {
    const allocatable = nodeAllocatable(node.status);
    const total = totals.get(node.metadata.name) ?? {};
    return {
      name: node.metadata.name,
      cpuRequested: total['cpu'] ?? 0,
      cpuAllocatable: allocatable['cpu'] ?? 0,
      memoryRequested: total['memory'] ?? 0,
      memoryAllocatable: allocatable['memory'] ?? 0,
    };
  });
}

/** By name (kubectl's order); with --sort-by, largest first as kubectl does, names breaking ties. */
export function sortNodeRequests(rows: readonly NodeRequests[], sortBy?: TopSortBy): NodeRequests[] {
  const byName = (a: NodeRequests, b: NodeRequests): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  if (sortBy === undefined) return [...rows].sort(byName);
  const key = sortBy === 'cpu' ? 'cpuRequested' : 'memoryRequested';
  return [...rows].sort((a, b) => b[key] - a[key] || byName(a, b));
}

// kubectl top: whole percent, truncated; CPU in millicores, memory in whole MiB.
function percent(used: number, allocatable: number): string {
  return allocatable > 0 ? `${Math.trunc((used / allocatable) * 100)}%` : '<unknown>';
}

export const TOP_NODES_HEADER = ['NAME', 'CPU(cores)', 'CPU(%)', 'MEMORY(bytes)', 'MEMORY(%)'] as const;
/** Printed on stderr above the table: the columns look like kubectl's but mean something else. */
export const TOP_NODES_NOTE = 'Showing resource requests of the pods on each node against its allocatable (Flotilla measures no usage).\n';

export function topNodesTable(rows: readonly NodeRequests[], options: { noHeaders?: boolean } = {}): string {
  const cells = rows.map((row) => [
    row.name,
    `${Math.round(row.cpuRequested)}m`,
    percent(row.cpuRequested, row.cpuAllocatable),
    `${Math.trunc(row.memoryRequested / 2 ** 20)}Mi`,
    percent(row.memoryRequested, row.memoryAllocatable),
  ]);
  // Without headers the widths come from the rows alone, as kubectl's --no-headers gives.
  const lines: Array<readonly string[]> = options.noHeaders ? cells : [TOP_NODES_HEADER, ...cells];
  return lines.length === 0 ? '' : formatTable(lines[0]!, lines.slice(1));
}
