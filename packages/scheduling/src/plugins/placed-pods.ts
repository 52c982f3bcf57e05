import type { PodRecord } from '@flotilla/state';
import { CLUSTER_PODS, stateKey } from '../framework/cycle-state.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import { NodeInfoOverlay } from '../framework/node-info-overlay.ts';
import type { NodeInfo } from '../framework/types.ts';
import { podAffinityInfo } from './affinity-terms.ts';

// The pods already on nodes, for the plugins that look at other pods (InterPodAffinity,
// PodTopologySpread): kube-scheduler's snapshot NodeInfo.Pods / PodsWithAffinity /
// PodsWithRequiredAntiAffinity, gathered at most once per scheduling cycle and shared by both plugins.

/**
 * Every node of the cycle, as PreFilter sees them. PreScore only gets the feasible nodes, but
 * kube-scheduler counts existing pods on all nodes when scoring (PodTopologySpread, InterPodAffinity).
 */
export const ALL_NODES = stateKey<readonly NodeInfo[]>('flotilla/all-nodes');

/** Pods on nodes, each with the index of its node. */
export interface PodsOnNodes {
  readonly nodes: readonly NodeInfo[];
  /** Pods on nodes (assumed ones included), terminal pods and the pod being scheduled left out. */
  readonly pods: readonly PodRecord[];
  /** `nodes` index of each of `pods`. */
  readonly nodeIndex: readonly number[];
}

/** The pods with pod affinity or anti-affinity terms (O(nodes + such pods) with NodeInfo.podsWithAffinity). */
export interface AffinityPods extends PodsOnNodes {
  /** Indexes into `pods` of the pods with required anti-affinity terms. */
  readonly withRequiredAntiAffinity: readonly number[];
}

const AFFINITY_PODS = stateKey<AffinityPods>('flotilla/affinity-pods');

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

function hasPodAffinity(pod: PodRecord): boolean {
  const affinity = pod.pod.spec.affinity;
  return affinity !== undefined && (affinity.podAffinity !== undefined || affinity.podAntiAffinity !== undefined);
}

/** Which existing pods count for a constraint or term. */
export interface PodPredicate {
  /** Names what `matches` selects: two predicates with the same signature must select the same pods. */
  readonly signature: string;
  readonly matches: (pod: PodRecord) => boolean;
}

interface NodeCounts {
  readonly generation: number;
  readonly counts: Map<string, number>;
}

// Per NodeInfo object reused across attempts (NodeInfoCache), the pods each predicate selected, for
// as long as its generation holds: a cycle then costs one lookup per node instead of a look at every
// pod of the cluster, and only the nodes that changed since (usually the one the last pod went to)
// are counted again.
const countsByNode = new WeakMap<NodeInfo, NodeCounts>();

/**
 * How many pods on the node (terminal ones and the incoming pod left out) the predicate selects, as
 * kube-scheduler counts over NodeInfo.Pods; cached per node generation.
 */
export function countOnNode(node: NodeInfo, predicate: PodPredicate, cluster: ReadonlyMap<string, PodRecord>, incoming: PodRecord): number {
  const keys = node.podKeys;
  if (keys.size === 0) return 0;
  const generation = node.generation;
  let entry: NodeCounts | undefined;
  let count: number | undefined;
  if (generation !== undefined) {
    entry = countsByNode.get(node);
    if (entry === undefined || entry.generation !== generation) {
      entry = { generation, counts: new Map() };
      countsByNode.set(node, entry);
    }
    count = entry.counts.get(predicate.signature);
  }
  if (count === undefined) {
    count = 0;
    for (const key of keys) {
      const pod = cluster.get(key);
      if (pod !== undefined && !isTerminal(pod) && predicate.matches(pod)) count += 1;
    }
    entry?.counts.set(predicate.signature, count);
  }
  if (keys.has(incoming.key)) {
    const self = cluster.get(incoming.key);
    if (self !== undefined && !isTerminal(self) && predicate.matches(self)) count -= 1;
  }
  return count;
}

/**
 * The pods with pod affinity or anti-affinity on the cycle's nodes: from each node's
 * podsWithAffinity when its provider keeps it (NodeInfoCache does, across attempts), otherwise by
 * looking at every pod of the node.
 */
export function affinityPods(state: CycleState, incoming: PodRecord, nodesGiven: readonly NodeInfo[]): AffinityPods {
  const cached = state.read(AFFINITY_PODS);
  if (cached !== undefined) return cached;
  const nodes = allNodes(state, nodesGiven);
  const cluster = state.read(CLUSTER_PODS) ?? new Map<string, PodRecord>();
  const pods: PodRecord[] = [];
  const nodeIndex: number[] = [];
  const withRequiredAntiAffinity: number[] = [];
  for (let n = 0; n < nodes.length; n += 1) {
    const info = nodes[n]!;
    const indexed = info.podsWithAffinity;
    if (indexed !== undefined && indexed.size === 0) continue;
    for (const key of indexed ?? info.podKeys) {
      if (key === incoming.key) continue;
      const pod = cluster.get(key);
      if (pod === undefined || isTerminal(pod) || !hasPodAffinity(pod)) continue;
      const terms = podAffinityInfo(pod.pod);
      if (!terms.hasAny) continue;
      if (terms.requiredAntiAffinity.length > 0) withRequiredAntiAffinity.push(pods.length);
      pods.push(pod);
      nodeIndex.push(n);
    }
  }
  const found: AffinityPods = { nodes, pods, nodeIndex, withRequiredAntiAffinity };
  state.write(AFFINITY_PODS, found);
  return found;
}

/** How a what-if view of a node (preemption's NodeInfoOverlay) differs from the node PreFilter counted. */
export interface ViewChanges {
  /** Pods PreFilter counted on the node that the view has taken off. */
  readonly removed: readonly PodRecord[];
  /** Pods on the view that PreFilter did not count there. */
  readonly added: readonly PodRecord[];
}

/**
 * What a Filter needs to recognise what-if views: the cycle's nodes, indexed on first use. Kept in
 * the PreFilter state, so that the clones of the CycleState preemption makes share one index.
 */
export interface ViewTracker {
  readonly nodes: readonly NodeInfo[];
  known?: ReadonlySet<NodeInfo>;
  byName?: Map<string, NodeInfo>;
}

export function viewTracker(nodes: readonly NodeInfo[]): ViewTracker {
  return { nodes };
}

/**
 * undefined for a node PreFilter saw (the normal Filter loop); for a what-if view of it (preemption's
 * NodeInfoOverlay: pods removed and added back, Filter run again) the pods removed and added, so that
 * a Filter can correct what PreFilter counted for that node, as kube-scheduler's PreFilterExtensions
 * RemovePod / AddPod do. Only overlays are looked at: the common path costs one instanceof.
 */
export function viewChanges(state: CycleState, tracker: ViewTracker, node: NodeInfo, incoming: PodRecord): ViewChanges | undefined {
  if (!(node instanceof NodeInfoOverlay)) return undefined;
  tracker.known ??= new Set(tracker.nodes);
  if (tracker.known.has(node)) return undefined;
  tracker.byName ??= new Map(tracker.nodes.map((info) => [info.name, info]));
  const base = tracker.byName.get(node.name);
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
