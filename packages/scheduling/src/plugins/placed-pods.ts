import type { PodRecord } from '@flotilla/state';
import { CLUSTER_PODS, stateKey } from '../framework/cycle-state.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import { NodeInfoOverlay } from '../framework/node-info-overlay.ts';
import type { NodeInfo } from '../framework/types.ts';
import { podAffinityInfo } from './affinity-terms.ts';

// The pods already on nodes, for the plugins that look at other pods (InterPodAffinity,
// PodTopologySpread): kube-scheduler's NodeInfo.Pods / PodsWithAffinity / PodsWithRequiredAntiAffinity.
// Counts of the pods a constraint or term selects are kept per node generation across attempts, and
// the pods with affinity terms come from NodeInfo.podsWithAffinity, so that a cycle costs O(nodes),
// not O(pods in the cluster).

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

interface CountsAcrossNodes {
  nodes: NodeInfo[];
  generations: Array<number | undefined>;
  counts: number[];
}

// Per predicate, the count on each node of the last cycle that asked, with the generation of the node
// it was counted at. NodeInfoCache hands out the same NodeInfo objects attempt after attempt and gives
// a node a new generation whenever it or its pods change: a cycle then costs one comparison per node,
// and only the nodes that changed since (usually the one the last pod went to) are counted again.
const countsByPredicate = new Map<string, CountsAcrossNodes>();
/** Predicates remembered at once (least recently used dropped first). */
const MAX_PREDICATES = 64;

function countPods(node: NodeInfo, predicate: PodPredicate, cluster: ReadonlyMap<string, PodRecord>): number {
  let count = 0;
  for (const key of node.podKeys) {
    const pod = cluster.get(key);
    if (pod !== undefined && !isTerminal(pod) && predicate.matches(pod)) count += 1;
  }
  return count;
}

/**
 * For each of `nodes`, how many of its pods (terminal ones left out) the predicate selects, as
 * kube-scheduler counts over NodeInfo.Pods. Counts of nodes with an unchanged generation are reused
 * from earlier cycles. The pod being scheduled is pending, so it is on no node: a pod is only
 * assumed onto a node once it has been scheduled.
 */
export function countsOnNodes(nodes: readonly NodeInfo[], predicate: PodPredicate, cluster: ReadonlyMap<string, PodRecord>): readonly number[] {
  let entry = countsByPredicate.get(predicate.signature);
  if (entry !== undefined) {
    countsByPredicate.delete(predicate.signature); // re-inserted below: most recently used last
  } else {
    entry = { nodes: [], generations: [], counts: [] };
  }
  if (entry.nodes.length !== nodes.length) {
    entry.nodes = new Array<NodeInfo>(nodes.length);
    entry.generations = new Array<number | undefined>(nodes.length).fill(undefined);
    entry.counts = new Array<number>(nodes.length).fill(0);
  }
  const { nodes: seen, generations, counts } = entry;
  for (let n = 0; n < nodes.length; n += 1) {
    const node = nodes[n]!;
    const generation = node.generation;
    if (generation !== undefined && seen[n] === node && generations[n] === generation) continue;
    seen[n] = node;
    generations[n] = generation;
    counts[n] = node.podKeys.size === 0 ? 0 : countPods(node, predicate, cluster);
  }
  countsByPredicate.set(predicate.signature, entry);
  if (countsByPredicate.size > MAX_PREDICATES) countsByPredicate.delete(countsByPredicate.keys().next().value!);
  return counts;
}

interface DomainSums {
  nodes: NodeInfo[];
  generations: Array<number | undefined>;
  /** Each node's domain (undefined: not eligible) and matching pods, as last added to the sums. */
  domains: Array<string | undefined>;
  contributions: number[];
  /** Domain -> matching pods over its eligible nodes. */
  sums: Map<string, number>;
  /** Domain -> eligible nodes in it (a domain goes when its last node does). */
  members: Map<string, number>;
}

const sumsByDomainKey = new Map<string, DomainSums>();

function leave(entry: DomainSums, n: number): void {
  const domain = entry.domains[n];
  if (domain === undefined) return;
  const left = entry.members.get(domain)! - 1;
  if (left === 0) {
    entry.members.delete(domain);
    entry.sums.delete(domain);
  } else {
    entry.members.set(domain, left);
    entry.sums.set(domain, entry.sums.get(domain)! - entry.contributions[n]!);
  }
  entry.domains[n] = undefined;
}

/**
 * Matching pods per topology domain over the eligible nodes: those with every one of `requiredKeys`
 * (the domain is the node's `topologyKey` label, '' when it has none). Every domain of an eligible
 * node is present, with 0 when nothing matches there. Kept per predicate across cycles like
 * countsOnNodes: only nodes whose generation changed are counted and moved again.
 */
export function domainCounts(
  nodes: readonly NodeInfo[],
  predicate: PodPredicate,
  topologyKey: string,
  requiredKeys: readonly string[],
  cluster: ReadonlyMap<string, PodRecord>,
): ReadonlyMap<string, number> {
  const cacheKey = `${predicate.signature}|${topologyKey}|${requiredKeys.join(',')}`;
  let entry = sumsByDomainKey.get(cacheKey);
  if (entry !== undefined) sumsByDomainKey.delete(cacheKey);
  if (entry === undefined || entry.nodes.length !== nodes.length) {
    entry = {
      nodes: new Array<NodeInfo>(nodes.length),
      generations: new Array<number | undefined>(nodes.length).fill(undefined),
      domains: new Array<string | undefined>(nodes.length).fill(undefined),
      contributions: new Array<number>(nodes.length).fill(0),
      sums: new Map(),
      members: new Map(),
    };
  }
  for (let n = 0; n < nodes.length; n += 1) {
    const node = nodes[n]!;
    const generation = node.generation;
    if (generation !== undefined && entry.nodes[n] === node && entry.generations[n] === generation) continue;
    leave(entry, n);
    entry.nodes[n] = node;
    entry.generations[n] = generation;
    const labels = node.node.metadata.labels;
    let eligible = true;
    for (const key of requiredKeys) {
      if (labels?.[key] === undefined) {
        eligible = false;
        break;
      }
    }
    if (!eligible) continue;
    const domain = labels?.[topologyKey] ?? '';
    const count = node.podKeys.size === 0 ? 0 : countPods(node, predicate, cluster);
    entry.domains[n] = domain;
    entry.contributions[n] = count;
    entry.members.set(domain, (entry.members.get(domain) ?? 0) + 1);
    entry.sums.set(domain, (entry.sums.get(domain) ?? 0) + count);
  }
  sumsByDomainKey.set(cacheKey, entry);
  if (sumsByDomainKey.size > MAX_PREDICATES) sumsByDomainKey.delete(sumsByDomainKey.keys().next().value!);
  return entry.sums;
}

interface NodeCounts {
  readonly generation: number;
  readonly counts: Map<string, number>;
}

const countsByNode = new WeakMap<NodeInfo, NodeCounts>();

/** How many of the node's pods the predicate selects; kept per node generation (for a few nodes: the feasible ones). */
export function countOnNode(node: NodeInfo, predicate: PodPredicate, cluster: ReadonlyMap<string, PodRecord>): number {
  if (node.podKeys.size === 0) return 0;
  const generation = node.generation;
  if (generation === undefined) return countPods(node, predicate, cluster);
  let entry = countsByNode.get(node);
  if (entry === undefined || entry.generation !== generation || entry.counts.size >= MAX_PREDICATES) {
    entry = { generation, counts: new Map() };
    countsByNode.set(node, entry);
  }
  let count = entry.counts.get(predicate.signature);
  if (count === undefined) {
    count = countPods(node, predicate, cluster);
    entry.counts.set(predicate.signature, count);
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
