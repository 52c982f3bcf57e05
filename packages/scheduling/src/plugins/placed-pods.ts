import type { PodRecord } from '@flotilla/state';
import { CLUSTER_PODS, stateKey } from '../framework/cycle-state.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import type { NodeInfo } from '../framework/types.ts';
import { podAffinityInfo } from './affinity-terms.ts';

// The pods already on nodes, for the plugins that look at other pods (InterPodAffinity,
// PodTopologySpread): kube-scheduler's snapshot NodeInfo.Pods / PodsWithAffinity /
// PodsWithRequiredAntiAffinity, built once per scheduling cycle and shared by both plugins.

/**
 * Every node of the cycle, as PreFilter sees them. PreScore only gets the feasible nodes, but
 * kube-scheduler counts existing pods on all nodes when scoring (PodTopologySpread, InterPodAffinity).
 */
export const ALL_NODES = stateKey<readonly NodeInfo[]>('flotilla/all-nodes');

const PLACED_PODS = stateKey<PlacedPods>('flotilla/placed-pods');

export interface PlacedPods {
  readonly nodes: readonly NodeInfo[];
  /** Pods on nodes (assumed ones included), terminal pods and the pod being scheduled left out. */
  readonly pods: readonly PodRecord[];
  /** `nodes` index of each of `pods`. */
  readonly nodeIndex: readonly number[];
  /** Indexes into `pods` of the pods with pod affinity or anti-affinity terms. */
  readonly withAffinity: readonly number[];
  /** Indexes into `pods` of the pods with required anti-affinity terms. */
  readonly withRequiredAntiAffinity: readonly number[];
  /** The NodeInfo objects of `nodes`: a Filter given another object is looking at a what-if view. */
  readonly known: ReadonlySet<NodeInfo>;
  /** `nodes` by name, built on first use (what-if views only). */
  byName?: Map<string, NodeInfo>;
}

/** How a what-if view of a node (preemption's NodeInfoOverlay) differs from the node PreFilter counted. */
export interface ViewChanges {
  /** Pods PreFilter counted on the node that the view has taken off. */
  readonly removed: readonly PodRecord[];
  /** Pods on the view that PreFilter did not count there. */
  readonly added: readonly PodRecord[];
}

export function rememberAllNodes(state: CycleState, nodes: readonly NodeInfo[]): void {
  if (!state.has(ALL_NODES)) state.write(ALL_NODES, nodes);
}

/** All nodes of the cycle when a PreFilter recorded them, otherwise the nodes given. */
export function allNodes(state: CycleState, fallback: readonly NodeInfo[]): readonly NodeInfo[] {
  return state.read(ALL_NODES) ?? fallback;
}

/** Succeeded or Failed: kube-scheduler's informer drops such pods, so no plugin counts them. */
export function isTerminal(pod: PodRecord): boolean {
  const phase = pod.pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** Deletion requested (the pod is terminating): PodTopologySpread does not count such pods. */
export function isDeleting(pod: PodRecord): boolean {
  return pod.deletion !== undefined || (pod.pod.metadata.deletionTimestamp ?? undefined) !== undefined;
}

/**
 * The pods on the cycle's nodes, looked up once in CLUSTER_PODS from each node's podKeys. Keys not
 * found, terminal pods and the incoming pod itself are skipped.
 */
export function placedPods(state: CycleState, incoming: PodRecord, nodesGiven: readonly NodeInfo[]): PlacedPods {
  const cached = state.read(PLACED_PODS);
  if (cached !== undefined) return cached;
  const nodes = allNodes(state, nodesGiven);
  const cluster = state.read(CLUSTER_PODS) ?? new Map<string, PodRecord>();
  const pods: PodRecord[] = [];
  const nodeIndex: number[] = [];
  const withAffinity: number[] = [];
  const withRequiredAntiAffinity: number[] = [];
  for (let n = 0; n < nodes.length; n += 1) {
    for (const key of nodes[n]!.podKeys) {
      if (key === incoming.key) continue;
      const pod = cluster.get(key);
      if (pod === undefined || isTerminal(pod)) continue;
      const at = pods.length;
      pods.push(pod);
      nodeIndex.push(n);
      const affinity = pod.pod.spec.affinity;
      if (affinity !== undefined && (affinity.podAffinity !== undefined || affinity.podAntiAffinity !== undefined)) {
        const info = podAffinityInfo(pod.pod);
        if (info.hasAny) withAffinity.push(at);
        if (info.requiredAntiAffinity.length > 0) withRequiredAntiAffinity.push(at);
      }
    }
  }
  const placed: PlacedPods = { nodes, pods, nodeIndex, withAffinity, withRequiredAntiAffinity, known: new Set(nodes) };
  state.write(PLACED_PODS, placed);
  return placed;
}

/**
 * undefined for a node PreFilter saw (the normal Filter loop); for a what-if view of it (preemption
 * removing pods and adding them back, then running Filter again) the pods removed and added, so that a
 * Filter can correct what PreFilter counted for that node, as kube-scheduler's PreFilterExtensions
 * RemovePod / AddPod do.
 */
export function viewChanges(state: CycleState, placed: PlacedPods, node: NodeInfo, incoming: PodRecord): ViewChanges | undefined {
  if (placed.known.has(node)) return undefined;
  placed.byName ??= new Map(placed.nodes.map((info) => [info.name, info]));
  const base = placed.byName.get(node.name);
  const before: ReadonlySet<string> = base?.podKeys ?? new Set<string>();
  if (before === node.podKeys) return undefined;
  const cluster = state.read(CLUSTER_PODS) ?? new Map<string, PodRecord>();
  const lookup = (keys: Iterable<string>, skip: ReadonlySet<string>): PodRecord[] => {
    const out: PodRecord[] = [];
    for (const key of keys) {
      if (skip.has(key) || key === incoming.key) continue;
      const pod = cluster.get(key);
      if (pod !== undefined && !isTerminal(pod)) out.push(pod);
    }
    return out;
  };
  return { removed: lookup(before, node.podKeys), added: lookup(node.podKeys, before) };
}
