import type { PodRecord } from '@flotilla/state';
import { CLUSTER_PODS, stateKey } from '../framework/cycle-state.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import { NodeInfoOverlay } from '../framework/node-info-overlay.ts';
import type { NodeInfo } from '../framework/types.ts';
import { podAffinityInfo, termSignature } from './affinity-terms.ts';
import type { AffinityTerm } from './affinity-terms.ts';

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

/**
 * A map handed out to callers (read-only for them) that the cache copies before it next changes
 * it, so that what an earlier cycle was handed stays as it was.
 */
interface SharedCounts {
  counts: Map<string, number>;
  shared: boolean;
}

function changeCount(entry: SharedCounts, value: string, delta: number): void {
  if (delta === 0) return;
  if (entry.shared) {
    entry.counts = new Map(entry.counts);
    entry.shared = false;
  }
  const next = (entry.counts.get(value) ?? 0) + delta;
  if (next === 0) entry.counts.delete(value);
  else entry.counts.set(value, next);
}

function handOut(entry: SharedCounts): ReadonlyMap<string, number> {
  entry.shared = true;
  return entry.counts;
}

interface DomainTotals extends SharedCounts {
  nodes: NodeInfo[];
  generations: Array<number | undefined>;
  /** Each node's `topologyKey` value (undefined: none) and matching pods, as last added to the totals. */
  values: Array<string | undefined>;
  contributions: number[];
}

const totalsByKey = new Map<string, DomainTotals>();

/**
 * Matching pods per value of the nodes' `topologyKey` label (nodes without it left out), only the
 * values with matching pods present: what adding countsOnNodes per node label comes to. Kept per
 * predicate and key across cycles like countsOnNodes: only nodes whose generation changed are
 * counted again. The map is the caller's to read, not to change.
 */
export function domainTotals(
  nodes: readonly NodeInfo[],
  predicate: PodPredicate,
  topologyKey: string,
  cluster: ReadonlyMap<string, PodRecord>,
): ReadonlyMap<string, number> {
  const cacheKey = `${predicate.signature}|${topologyKey}`;
  let entry = totalsByKey.get(cacheKey);
  if (entry !== undefined) totalsByKey.delete(cacheKey);
  if (entry === undefined || entry.nodes.length !== nodes.length) {
    entry = {
      nodes: new Array<NodeInfo>(nodes.length),
      generations: new Array<number | undefined>(nodes.length).fill(undefined),
      values: new Array<string | undefined>(nodes.length).fill(undefined),
      contributions: new Array<number>(nodes.length).fill(0),
      counts: new Map(),
      shared: false,
    };
  }
  for (let n = 0; n < nodes.length; n += 1) {
    const node = nodes[n]!;
    const generation = node.generation;
    if (generation !== undefined && entry.nodes[n] === node && entry.generations[n] === generation) continue;
    const before = entry.values[n];
    if (before !== undefined) changeCount(entry, before, -entry.contributions[n]!);
    entry.nodes[n] = node;
    entry.generations[n] = generation;
    const value = node.node.metadata.labels?.[topologyKey];
    const count = value === undefined || node.podKeys.size === 0 ? 0 : countPods(node, predicate, cluster);
    entry.values[n] = value;
    entry.contributions[n] = count;
    if (value !== undefined) changeCount(entry, value, count);
  }
  totalsByKey.set(cacheKey, entry);
  if (totalsByKey.size > MAX_PREDICATES) totalsByKey.delete(totalsByKey.keys().next().value!);
  return handOut(entry);
}

/** Which of an existing pod's term lists a term group comes from. */
export type TermKind = 'requiredAffinity' | 'requiredAntiAffinity' | 'preferredAffinity' | 'preferredAntiAffinity';

const TERM_KINDS: readonly TermKind[] = ['requiredAffinity', 'requiredAntiAffinity', 'preferredAffinity', 'preferredAntiAffinity'];

/**
 * The terms of existing pods that select the same pods over the same topology key with the same
 * weight, counted together: `counts` is, per value of the topology key on the pods' nodes, how
 * many such terms there are (only values with terms present; read-only).
 */
export interface TermGroup {
  readonly kind: TermKind;
  /** One of the group's terms: all of them match the same pods. */
  readonly term: AffinityTerm;
  readonly counts: ReadonlyMap<string, number>;
}

/** Existing pods' terms grouped, per kind: kube-scheduler's PodsWithAffinity / PodsWithRequiredAntiAffinity, term by term. */
export type AffinityTermGroups = Readonly<Record<TermKind, readonly TermGroup[]>>;

interface GroupEntry extends SharedCounts {
  readonly kind: TermKind;
  readonly term: AffinityTerm;
}

interface TermPlacement {
  readonly podKey: string;
  readonly group: GroupEntry;
  readonly value: string;
}

interface GroupedTerms {
  nodes: NodeInfo[];
  generations: Array<number | undefined>;
  /** The terms each node added to the groups, as last counted. */
  placements: TermPlacement[][];
  groups: Map<string, GroupEntry>;
  /** Pod key -> the nodes (indexes) whose placements include the pod's terms. */
  podNodes: Map<string, number[]>;
}

const groupKeys = new WeakMap<AffinityTerm, string>();

function groupKey(kind: TermKind, term: AffinityTerm): string {
  let key = groupKeys.get(term);
  if (key === undefined) {
    key = `${term.weight}|${JSON.stringify(term.topologyKey)}|${termSignature(term)}`;
    groupKeys.set(term, key);
  }
  return `${kind}|${key}`;
}

let groupedTerms: GroupedTerms | undefined;

const AFFINITY_GROUPS = stateKey<AffinityTermGroups>('flotilla/affinity-term-groups');

function placeTerms(entry: GroupedTerms, node: NodeInfo, cluster: ReadonlyMap<string, PodRecord>): TermPlacement[] {
  const placements: TermPlacement[] = [];
  const indexed = node.podsWithAffinity;
  if (indexed !== undefined && indexed.size === 0) return placements;
  const labels = node.node.metadata.labels;
  if (labels === undefined) return placements;
  for (const key of indexed ?? node.podKeys) {
    const pod = cluster.get(key);
    if (pod === undefined || isTerminal(pod) || !hasPodAffinity(pod)) continue;
    const info = podAffinityInfo(pod.pod);
    if (!info.hasAny) continue;
    for (const kind of TERM_KINDS) {
      for (const term of info[kind]) {
        const value = labels[term.topologyKey];
        if (value === undefined) continue;
        const id = groupKey(kind, term);
        let group = entry.groups.get(id);
        if (group === undefined) {
          group = { kind, term, counts: new Map(), shared: false };
          entry.groups.set(id, group);
        }
        changeCount(group, value, 1);
        placements.push({ podKey: key, group, value });
      }
    }
  }
  return placements;
}

/**
 * The terms of the pods with pod affinity or anti-affinity on the cycle's nodes (terminal pods and
 * the pod being scheduled left out), grouped by what they select: a cycle matches the incoming pod
 * once per group instead of once per pod. Kept across cycles per node generation (only the nodes
 * that changed are looked at again) and per CycleState.
 */
export function affinityTermGroups(state: CycleState, incoming: PodRecord, nodesGiven: readonly NodeInfo[]): AffinityTermGroups {
  const cached = state.read(AFFINITY_GROUPS);
  if (cached !== undefined) return cached;
  const nodes = allNodes(state, nodesGiven);
  const cluster = state.read(CLUSTER_PODS) ?? new Map<string, PodRecord>();
  let entry = groupedTerms;
  if (entry === undefined || entry.nodes.length !== nodes.length) {
    entry = {
      nodes: new Array<NodeInfo>(nodes.length),
      generations: new Array<number | undefined>(nodes.length).fill(undefined),
      placements: Array.from({ length: nodes.length }, () => []),
      groups: new Map(),
      podNodes: new Map(),
    };
    groupedTerms = entry;
  }
  // The incoming pod's own terms, if it is on a node (it never counts for itself).
  const own = new Map<GroupEntry, Map<string, number>>();
  for (let n = 0; n < nodes.length; n += 1) {
    const node = nodes[n]!;
    const generation = node.generation;
    if (generation === undefined || entry.nodes[n] !== node || entry.generations[n] !== generation) {
      let lastPod: string | undefined;
      for (const { podKey, group, value } of entry.placements[n]!) {
        changeCount(group, value, -1);
        if (group.counts.size === 0) entry.groups.delete(groupKey(group.kind, group.term));
        if (podKey !== lastPod) {
          lastPod = podKey;
          const on = entry.podNodes.get(podKey)?.filter((i) => i !== n) ?? [];
          if (on.length === 0) entry.podNodes.delete(podKey);
          else entry.podNodes.set(podKey, on);
        }
      }
      entry.nodes[n] = node;
      entry.generations[n] = generation;
      const placements = placeTerms(entry, node, cluster);
      entry.placements[n] = placements;
      lastPod = undefined;
      for (const { podKey } of placements) {
        if (podKey === lastPod) continue;
        lastPod = podKey;
        const on = entry.podNodes.get(podKey);
        if (on === undefined) entry.podNodes.set(podKey, [n]);
        else on.push(n);
      }
    }
  }
  for (const n of entry.podNodes.get(incoming.key) ?? []) {
    for (const { podKey, group, value } of entry.placements[n]!) {
      if (podKey !== incoming.key) continue;
      let mine = own.get(group);
      if (mine === undefined) {
        mine = new Map();
        own.set(group, mine);
      }
      mine.set(value, (mine.get(value) ?? 0) + 1);
    }
  }
  const found: Record<TermKind, TermGroup[]> = { requiredAffinity: [], requiredAntiAffinity: [], preferredAffinity: [], preferredAntiAffinity: [] };
  for (const group of entry.groups.values()) {
    const mine = own.get(group);
    let counts: ReadonlyMap<string, number>;
    if (mine === undefined) {
      counts = handOut(group);
    } else {
      const copy = new Map(group.counts);
      for (const [value, count] of mine) {
        const left = (copy.get(value) ?? 0) - count;
        if (left === 0) copy.delete(value);
        else copy.set(value, left);
      }
      counts = copy;
    }
    if (counts.size > 0) found[group.kind].push({ kind: group.kind, term: group.term, counts });
  }
  state.write(AFFINITY_GROUPS, found);
  return found;
}
