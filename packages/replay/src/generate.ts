// Synthetic traces (benchmarks, tests): node groups and pod groups with a seeded arrival order.
import type { NodeManifest, PodSpec } from '@flotilla/model';
import { seededRandom } from './random.ts';
import { TRACE_KIND, TRACE_VERSION } from './trace.ts';
import type { Trace, TraceArrival } from './trace.ts';

export interface NodeGroup {
  count: number;
  /** Nodes are named `${namePrefix}-${n}` (default `node`); prefixes must differ between groups. */
  namePrefix?: string;
  cpu: string;
  memory: string;
  pods?: number;
  labels?: Record<string, string>;
}

export interface PodGroup {
  count: number;
  /** Pods are named `${namePrefix}-${n}`. */
  namePrefix: string;
  cpu: string;
  memory: string;
  labels?: Record<string, string>;
  priority?: number;
  /** Each pod is deleted this long (ms) after it was created: churn. */
  lifetimeMs?: { min: number; max: number };
  /** Extra spec fields (affinity, tolerations, topologySpreadConstraints, ...). */
  spec?: Partial<PodSpec>;
}

export interface GenerateTraceOptions {
  nodes: NodeGroup[];
  /** topology.kubernetes.io/zone labels zone-a, zone-b, ... round-robin over all nodes (0: none). */
  zones?: number;
  pods: PodGroup[];
  /** Pod arrivals per second after the nodes (which all arrive at t = 0); 0: all at t = 0. */
  ratePerSecond?: number;
  /** Interleave the groups' pods in a seeded random order instead of group after group. */
  shuffle?: boolean;
  seed?: number;
  description?: string;
  /** t = 0 (default 2026-01-01T00:00:00.000Z: generated traces are reproducible). */
  startedAt?: string;
}

export class GenerateTraceError extends Error {
  override readonly name = 'GenerateTraceError';
}

export function generateTrace(options: GenerateTraceOptions): Trace {
  const random = seededRandom(options.seed ?? 1);
  const zones = options.zones ?? 0;
  const arrivals: TraceArrival[] = [];
  const prefixes = new Set<string>();
  let index = 0;
  options.nodes.forEach((group, g) => {
    const prefix = group.namePrefix ?? 'node';
    if (prefixes.has(prefix)) throw new GenerateTraceError(`nodes[${g}].namePrefix: ${JSON.stringify(prefix)} is used by another group`);
    prefixes.add(prefix);
    for (let n = 1; n <= group.count; n++, index++) {
      const name = `${prefix}-${n}`;
      const labels: Record<string, string> = { 'kubernetes.io/hostname': name, ...group.labels };
      if (zones > 0) labels['topology.kubernetes.io/zone'] = `zone-${String.fromCharCode(97 + (index % zones))}`;
      const capacity: Record<string, string> = { cpu: group.cpu, memory: group.memory, pods: String(group.pods ?? 110) };
      const node: NodeManifest = { apiVersion: 'v1', kind: 'Node', metadata: { name, uid: `uid-${name}`, labels }, spec: {}, status: { capacity, allocatable: capacity } };
      arrivals.push({ t: 0, type: 'NodeRegistered', node });
    }
  });
  const order: Array<{ group: PodGroup; n: number }> = [];
  const podPrefixes = new Set<string>();
  options.pods.forEach((group, g) => {
    if (podPrefixes.has(group.namePrefix)) throw new GenerateTraceError(`pods[${g}].namePrefix: ${JSON.stringify(group.namePrefix)} is used by another group`);
    podPrefixes.add(group.namePrefix);
    for (let n = 1; n <= group.count; n++) order.push({ group, n });
  });
  if (options.shuffle) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
  }
  const rate = options.ratePerSecond ?? 0;
  const later: TraceArrival[] = [];
  order.forEach(({ group, n }, i) => {
    const t = rate > 0 ? Math.floor((i * 1000) / rate) : 0;
    const name = `${group.namePrefix}-${n}`;
    const spec: PodSpec = {
      ...group.spec,
      containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.9', resources: { requests: { cpu: group.cpu, memory: group.memory } } }],
      ...(group.priority !== undefined ? { priority: group.priority } : {}),
    };
    arrivals.push({ t, type: 'PodCreated', pod: { namespace: 'default', name, uid: `uid-${name}`, ...(group.labels ? { labels: group.labels } : {}), spec } });
    if (group.lifetimeMs) {
      const { min, max } = group.lifetimeMs;
      const lifetime = Math.round(min + random() * Math.max(0, max - min));
      later.push({ t: t + lifetime, type: 'PodDeletionRequested', namespace: 'default', name, uid: `uid-${name}` });
    }
  });
  // Stable: at equal times creations stay before the deletions that came later.
  const all = [...arrivals, ...later].map((arrival, i) => ({ arrival, i })).sort((a, b) => a.arrival.t - b.arrival.t || a.i - b.i);
  return {
    header: {
      kind: TRACE_KIND,
      version: TRACE_VERSION,
      startedAt: options.startedAt ?? '2026-01-01T00:00:00.000Z',
      source: 'generated',
      ...(options.description !== undefined ? { description: options.description } : {}),
    },
    arrivals: all.map(({ arrival }) => arrival),
  };
}
