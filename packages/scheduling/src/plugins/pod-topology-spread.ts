import { z } from 'zod';
import { TopologySpreadConstraintSchema } from '@flotilla/model';
import type { Node, Pod, TaintEffect, TopologySpreadConstraint } from '@flotilla/model';
import type { PodRecord } from '@flotilla/state';
import { CLUSTER_PODS, stateKey } from '../framework/cycle-state.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import type { PluginFactory } from '../framework/registry.ts';
import { errorStatus, skip, success, unresolvable, unschedulable } from '../framework/status.ts';
import type { Status } from '../framework/status.ts';
import { MAX_NODE_SCORE } from '../framework/types.ts';
import type {
  ClusterEvent,
  FilterPlugin,
  NodeInfo,
  NodeScore,
  PreFilterPlugin,
  PreScorePlugin,
  ScorePlugin,
} from '../framework/types.ts';
import { compileSelector, selectorMatches, selectorSignature, withLabelKeys } from './affinity-terms.ts';
import { podMatchesNodeAffinity, requiredNodeAffinityOf } from './node-selector-match.ts';
import { allNodes, countOnNode, countsOnNodes, domainCounts, isDeleting, rememberAllNodes, viewChanges, viewTracker } from './placed-pods.ts';
import type { PodPredicate, ViewChanges, ViewTracker } from './placed-pods.ts';
import { findUntoleratedTaint } from './tolerations.ts';

export const POD_TOPOLOGY_SPREAD = 'PodTopologySpread';
export const ERR_REASON_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_TOPOLOGY_ZONE = 'topology.kubernetes.io/zone';

/** kube-scheduler's systemDefaultConstraints (PodTopologySpreadArgs defaultingType: System). */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly TopologySpreadConstraint[] = Object.freeze([
  { topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: LABEL_TOPOLOGY_ZONE, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
]);

export const PodTopologySpreadArgsSchema = z
  .strictObject({
    /** System: SYSTEM_DEFAULT_CONSTRAINTS; List: `defaultConstraints` (possibly none). */
    defaultingType: z.enum(['System', 'List']).default('System'),
    defaultConstraints: z.array(TopologySpreadConstraintSchema).default([]),
  })
  .superRefine((args, ctx) => {
    if (args.defaultingType === 'System' && args.defaultConstraints.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['defaultConstraints'], message: 'when .defaultingType is "System", .defaultConstraints must be empty' });
    }
    args.defaultConstraints.forEach((constraint, index) => {
      if (constraint.labelSelector !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['defaultConstraints', index, 'labelSelector'], message: 'constraint must not define a selector, as they deduced for each pod' });
      }
      if (constraint.maxSkew < 1) ctx.addIssue({ code: 'custom', path: ['defaultConstraints', index, 'maxSkew'], message: 'must be greater than 0' });
    });
  });
export type PodTopologySpreadArgs = z.output<typeof PodTopologySpreadArgsSchema>;
export type PodTopologySpreadArgsInput = z.input<typeof PodTopologySpreadArgsSchema>;

const DO_NOT_SCHEDULE_EFFECTS: ReadonlySet<TaintEffect> = new Set<TaintEffect>(['NoSchedule', 'NoExecute']);

/** A constraint as kube-scheduler's internal topologySpreadConstraint: defaults applied, selector compiled. */
export interface SpreadConstraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly minDomains: number;
  readonly honorNodeAffinity: boolean;
  readonly honorNodeTaints: boolean;
  /** Whether a pod is selected (same namespace as the incoming pod, and the selector): also self-match. */
  readonly matches: (pod: Pod) => boolean;
  /** The existing pods that count: selected and not terminating (kubernetes#87621). */
  readonly counted: PodPredicate;
}

/** The uid of the pod's controller ownerReference (its ReplicaSet, Job, ...), if any. */
export function controllerUid(pod: Pod): string | undefined {
  return pod.metadata.ownerReferences?.find((ref) => ref.controller === true)?.uid;
}

/**
 * Which of the pod's constraints apply with `action`: its own, or when it has none the default
 * constraints with a selector derived for the pod. Kubernetes derives that selector from the
 * Services, ReplicationControllers, ReplicaSets and StatefulSets selecting the pod; Flotilla has no
 * Services, so the default selector selects the pods with the same controller (ownerReference with
 * controller: true, by uid) in the pod's namespace, and a pod without a controller gets no default
 * constraints (as a Kubernetes pod that nothing selects).
 */
export function spreadConstraintsOf(
  pod: PodRecord,
  action: TopologySpreadConstraint['whenUnsatisfiable'],
  defaults: readonly TopologySpreadConstraint[] = SYSTEM_DEFAULT_CONSTRAINTS,
): SpreadConstraint[] {
  const namespace = pod.pod.metadata.namespace;
  const own = pod.pod.spec.topologySpreadConstraints ?? [];
  if (own.length > 0) {
    return own
      .filter((c) => c.whenUnsatisfiable === action)
      .map((c) => {
        const selector = withLabelKeys(compileSelector(c.labelSelector), pod.pod.metadata.labels, c.matchLabelKeys);
        const matches = (other: Pod): boolean => other.metadata.namespace === namespace && selectorMatches(selector, other.metadata.labels);
        return toSpreadConstraint(c, matches, `spread|${namespace}|${selectorSignature(selector)}`);
      });
  }
  const applicable = defaults.filter((c) => c.whenUnsatisfiable === action);
  if (applicable.length === 0) return [];
  const uid = controllerUid(pod.pod);
  if (uid === undefined) return [];
  const sameController = (other: Pod): boolean => other.metadata.namespace === namespace && controllerUid(other) === uid;
  return applicable.map((c) => toSpreadConstraint(c, sameController, `spread|${namespace}|controller=${uid}`));
}

function toSpreadConstraint(c: TopologySpreadConstraint, matches: (pod: Pod) => boolean, signature: string): SpreadConstraint {
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    // Unset minDomains counts as 1; unset policies are nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore.
    minDomains: c.minDomains ?? 1,
    honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorNodeTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
    matches,
    counted: { signature, matches: (other) => !isDeleting(other) && matches(other.pod) },
  };
}

function hasAllTopologyKeys(labels: Readonly<Record<string, string>> | undefined, constraints: readonly SpreadConstraint[]): boolean {
  for (const c of constraints) if (labels?.[c.topologyKey] === undefined) return false;
  return true;
}

/** Whether each constraint's node inclusion policies (nodeAffinityPolicy, nodeTaintsPolicy) admit a node. */
class InclusionPolicies {
  readonly #pod: PodRecord;
  /** The pod requires nothing of node labels: nodeAffinityPolicy Honor admits every node. */
  readonly #anyNode: boolean;
  #node: Node | undefined;
  #affinity: boolean | undefined;
  #taints: boolean | undefined;

  constructor(pod: PodRecord) {
    this.#pod = pod;
    const required = requiredNodeAffinityOf(pod);
    this.#anyNode = required.nodeSelector === undefined && required.required === undefined;
  }

  /** Looks at another node (answers are kept per node). */
  at(node: Node): this {
    if (node !== this.#node) {
      this.#node = node;
      this.#affinity = undefined;
      this.#taints = undefined;
    }
    return this;
  }

  /** Whether the constraint's policies may leave out some node for this pod. */
  restricts(c: SpreadConstraint): boolean {
    return (c.honorNodeAffinity && !this.#anyNode) || c.honorNodeTaints;
  }

  admits(c: SpreadConstraint): boolean {
    const node = this.#node!;
    if (c.honorNodeAffinity && !this.#anyNode) {
      this.#affinity ??= podMatchesNodeAffinity(this.#pod, node);
      if (!this.#affinity) return false;
    }
    if (c.honorNodeTaints) {
      this.#taints ??= findUntoleratedTaint(node.spec.taints, this.#pod.pod.spec.tolerations, DO_NOT_SCHEDULE_EFFECTS) === undefined;
      if (!this.#taints) return false;
    }
    return true;
  }
}

/** What PreFilter computed for Filter: matching pods per topology domain, per DoNotSchedule constraint. */
export interface SpreadFilterState {
  /** Recognises preemption's what-if views of a node. */
  readonly views: ViewTracker;
  readonly constraints: readonly SpreadConstraint[];
  /** Per constraint: domain (topology value) -> matching pods, for every domain of an eligible node. */
  readonly counts: ReadonlyArray<ReadonlyMap<string, number>>;
  /** Per constraint: the global minimum (0 while there are fewer domains than minDomains). */
  readonly minMatch: readonly number[];
  /** Per constraint: 1 when the incoming pod matches the constraint's own selector. */
  readonly selfMatch: readonly number[];
}

/** What PreScore computed for Score: kube-scheduler's preScoreState. */
interface SpreadScoreState {
  readonly constraints: readonly SpreadConstraint[];
  readonly hostname: readonly boolean[];
  /** Feasible nodes missing one of the topology keys (only when all keys are required): score 0. */
  readonly ignored: ReadonlySet<string>;
  /** Per constraint: domain -> matching pods (non-hostname constraints). */
  readonly counts: ReadonlyArray<ReadonlyMap<string, number>>;
  /** Per hostname constraint: node name -> matching pods on that node. */
  readonly nodeCounts: ReadonlyArray<ReadonlyMap<string, number>>;
  /** Per constraint: log(domains + 2), so that many small domains are not watered down by few big ones. */
  readonly weights: readonly number[];
}

const FILTER_KEY = stateKey<SpreadFilterState>('PreFilterPodTopologySpread');
const SCORE_KEY = stateKey<SpreadScoreState>('PreScorePodTopologySpread');

/** The global minimum of matching pods over the constraint's domains, as kube-scheduler's minMatchNum. */
function minMatchNum(counts: ReadonlyMap<string, number>, minDomains: number): number {
  if (counts.size < minDomains) return 0;
  let min = Number.POSITIVE_INFINITY;
  for (const count of counts.values()) if (count < min) min = count;
  return min === Number.POSITIVE_INFINITY ? 0 : min;
}

/**
 * The PreFilter state as it would be had PreFilter seen the what-if view of this node (preemption
 * taking pods off it): its domain's counts move by the matching pods removed or added, and the global
 * minimum follows, as kube-scheduler's PodTopologySpread RemovePod / AddPod.
 */
function adjustedForView(s: SpreadFilterState, pod: PodRecord, node: NodeInfo, changes: ViewChanges): SpreadFilterState {
  const labels = node.node.metadata.labels;
  if (!hasAllTopologyKeys(labels, s.constraints)) return s;
  const policies = new InclusionPolicies(pod).at(node.node);
  const counts = s.counts.slice();
  const minMatch = s.minMatch.slice();
  s.constraints.forEach((c, i) => {
    if (!policies.admits(c)) return;
    let delta = 0;
    for (const other of changes.added) if (c.counted.matches(other)) delta += 1;
    for (const other of changes.removed) if (c.counted.matches(other)) delta -= 1;
    if (delta === 0) return;
    const value = labels![c.topologyKey]!;
    const adjusted = new Map(s.counts[i]!);
    adjusted.set(value, (adjusted.get(value) ?? 0) + delta);
    counts[i] = adjusted;
    minMatch[i] = minMatchNum(adjusted, c.minDomains);
  });
  return { ...s, counts, minMatch };
}

/**
 * kube-scheduler's PodTopologySpread.
 * PreFilter/Filter (whenUnsatisfiable: DoNotSchedule): for each constraint, the pods matching its
 * selector in the pod's namespace are counted per topology domain over the eligible nodes (nodes with
 * every constraint's topology key that pass the node inclusion policies); a node is rejected when
 * `matching in its domain + (pod matches itself ? 1 : 0) - global minimum > maxSkew`, where the global
 * minimum is 0 while fewer domains than minDomains exist. Terminating pods are not counted.
 * PreScore/Score (ScheduleAnyway, or the system defaults for a pod without constraints): a node scores
 * the matching pods in its domains weighted by log(domains + 2) plus maxSkew - 1; normalised reversed
 * (fewer matching pods score higher).
 */
export class PodTopologySpread implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = POD_TOPOLOGY_SPREAD;
  /**
   * kube-scheduler also requeues on any pod add or label update (a new matching pod can raise the
   * global minimum); ClusterEvent has no such events, so the queue's own timeout covers those.
   */
  readonly requeueOn: readonly ClusterEvent[] = ['NodeAdded', 'NodeUpdated', 'PodDeleted', 'PodReleased'];
  readonly #defaults: readonly TopologySpreadConstraint[];
  readonly #systemDefaulted: boolean;

  constructor(args: PodTopologySpreadArgs = PodTopologySpreadArgsSchema.parse({})) {
    this.#systemDefaulted = args.defaultingType === 'System';
    this.#defaults = this.#systemDefaulted ? SYSTEM_DEFAULT_CONSTRAINTS : args.defaultConstraints;
  }

  preFilter(state: CycleState, pod: PodRecord, nodes: readonly NodeInfo[]): Status {
    rememberAllNodes(state, nodes);
    const constraints = spreadConstraintsOf(pod, 'DoNotSchedule', this.#defaults);
    if (constraints.length === 0) return skip();
    const all = allNodes(state, nodes);
    const cluster = state.read(CLUSTER_PODS) ?? new Map<string, PodRecord>();
    const policies = new InclusionPolicies(pod);
    const keys = constraints.map((c) => c.topologyKey);
    // Eligible nodes have every constraint's topology key and pass the inclusion policies. When the
    // policies admit every node, the per-domain counts are kept across cycles (domainCounts).
    if (!constraints.some((c) => policies.restricts(c))) {
      const counts = constraints.map((c) => domainCounts(all, c.counted, c.topologyKey, keys, cluster));
      state.write(FILTER_KEY, {
        views: viewTracker(all),
        constraints,
        counts,
        minMatch: constraints.map((c, i) => minMatchNum(counts[i]!, c.minDomains)),
        selfMatch: constraints.map((c) => (c.matches(pod.pod) ? 1 : 0)),
      });
      return success();
    }
    const counts = constraints.map(() => new Map<string, number>());
    const perNode = constraints.map((c) => countsOnNodes(all, c.counted, cluster));
    for (let n = 0; n < all.length; n += 1) {
      const info = all[n]!;
      const labels = info.node.metadata.labels;
      // Eligible nodes have every constraint's topology key and pass the inclusion policies.
      if (!hasAllTopologyKeys(labels, constraints)) continue;
      policies.at(info.node);
      for (let i = 0; i < constraints.length; i += 1) {
        const c = constraints[i]!;
        if (!policies.admits(c)) continue;
        const value = labels![c.topologyKey]!;
        counts[i]!.set(value, (counts[i]!.get(value) ?? 0) + perNode[i]![n]!);
      }
    }
    state.write(FILTER_KEY, {
      views: viewTracker(all),
      constraints,
      counts,
      minMatch: constraints.map((c, i) => minMatchNum(counts[i]!, c.minDomains)),
      selfMatch: constraints.map((c) => (c.matches(pod.pod) ? 1 : 0)),
    });
    return success();
  }

  filter(state: CycleState, pod: PodRecord, node: NodeInfo): Status {
    const prepared = state.read(FILTER_KEY);
    if (prepared === undefined) return errorStatus(POD_TOPOLOGY_SPREAD, 'reading "PreFilterPodTopologySpread" from cycleState: not found');
    const labels = node.node.metadata.labels;
    const changes = viewChanges(state, prepared.views, node, pod);
    const s = changes === undefined ? prepared : adjustedForView(prepared, pod, node, changes);
    for (let i = 0; i < s.constraints.length; i += 1) {
      const c = s.constraints[i]!;
      const value = labels?.[c.topologyKey];
      if (value === undefined) return unresolvable(POD_TOPOLOGY_SPREAD, ERR_REASON_NODE_LABEL_NOT_MATCH);
      const skew = (s.counts[i]!.get(value) ?? 0) + s.selfMatch[i]! - s.minMatch[i]!;
      if (skew > c.maxSkew) return unschedulable(POD_TOPOLOGY_SPREAD, ERR_REASON_CONSTRAINTS_NOT_MATCH);
    }
    return success();
  }

  preScore(state: CycleState, pod: PodRecord, filtered: readonly NodeInfo[]): Status {
    if (allNodes(state, filtered).length === 0) return skip();
    const constraints = spreadConstraintsOf(pod, 'ScheduleAnyway', this.#defaults);
    if (constraints.length === 0) return skip();
    // Only explicit (or non-system) constraints require every topology key, so that nodes without a
    // zone label still get hostname spreading from the system defaults.
    const requireAll = (pod.pod.spec.topologySpreadConstraints ?? []).length > 0 || !this.#systemDefaulted;
    const hostname = constraints.map((c) => c.topologyKey === LABEL_HOSTNAME);
    const ignored = new Set<string>();
    const scored = new Set<string>();
    const counts = constraints.map(() => new Map<string, number>());
    for (const info of filtered) {
      const labels = info.node.metadata.labels;
      if (requireAll && !hasAllTopologyKeys(labels, constraints)) {
        ignored.add(info.name);
        continue;
      }
      scored.add(info.name);
      for (let i = 0; i < constraints.length; i += 1) {
        if (hostname[i]) continue; // per-node counts, below
        const value = labels?.[constraints[i]!.topologyKey] ?? '';
        if (!counts[i]!.has(value)) counts[i]!.set(value, 0);
      }
    }
    const weights = constraints.map((_c, i) => Math.log((hostname[i] ? filtered.length - ignored.size : counts[i]!.size) + 2));

    const cluster = state.read(CLUSTER_PODS) ?? new Map<string, PodRecord>();
    // kubernetes.io/hostname: per scored node, the pods on it (inclusion policies do not apply).
    const nodeCounts = constraints.map(() => new Map<string, number>());
    for (const info of filtered) {
      if (!scored.has(info.name)) continue;
      for (let i = 0; i < constraints.length; i += 1) {
        if (hostname[i]) nodeCounts[i]!.set(info.name, countOnNode(info, constraints[i]!.counted, cluster));
      }
    }
    const all = allNodes(state, filtered);
    const policies = new InclusionPolicies(pod);
    if (!constraints.some((c) => policies.restricts(c))) {
      // Every node the keys allow counts: per-domain counts kept across cycles (domainCounts).
      const keys = requireAll ? constraints.map((c) => c.topologyKey) : [];
      for (let i = 0; i < constraints.length; i += 1) {
        if (hostname[i]) continue;
        const sums = domainCounts(all, constraints[i]!.counted, constraints[i]!.topologyKey, keys, cluster);
        for (const value of counts[i]!.keys()) counts[i]!.set(value, sums.get(value) ?? 0);
      }
      state.write(SCORE_KEY, { constraints, hostname, ignored, counts, nodeCounts, weights });
      return success();
    }
    const perNode = constraints.map((c, i) => (hostname[i] ? [] : countsOnNodes(all, c.counted, cluster)));
    for (let n = 0; n < all.length; n += 1) {
      const info = all[n]!;
      const labels = info.node.metadata.labels;
      if (requireAll && !hasAllTopologyKeys(labels, constraints)) continue;
      policies.at(info.node);
      for (let i = 0; i < constraints.length; i += 1) {
        if (hostname[i]) continue;
        const c = constraints[i]!;
        const value = labels?.[c.topologyKey] ?? '';
        const current = counts[i]!.get(value);
        // A domain without a feasible node is not scored: its pods need not be counted.
        if (current === undefined || !policies.admits(c)) continue;
        counts[i]!.set(value, current + perNode[i]![n]!);
      }
    }
    state.write(SCORE_KEY, { constraints, hostname, ignored, counts, nodeCounts, weights });
    return success();
  }

  score(state: CycleState, _pod: PodRecord, node: NodeInfo): { score: number; status: Status } {
    const s = state.read(SCORE_KEY);
    if (s === undefined) return { score: 0, status: errorStatus(POD_TOPOLOGY_SPREAD, 'reading "PreScorePodTopologySpread" from cycleState: not found') };
    if (s.ignored.has(node.name)) return { score: 0, status: success() };
    const labels = node.node.metadata.labels;
    let score = 0;
    for (let i = 0; i < s.constraints.length; i += 1) {
      const c = s.constraints[i]!;
      const value = labels?.[c.topologyKey];
      if (value === undefined) continue;
      const count = s.hostname[i] ? (s.nodeCounts[i]!.get(node.name) ?? 0) : (s.counts[i]!.get(value) ?? 0);
      score += count * s.weights[i]! + (c.maxSkew - 1);
    }
    return { score: Math.round(score), status: success() };
  }

  /** Fewer matching pods is better: `100 * (max + min - score) / max`; ignored nodes get 0. */
  normalizeScores(state: CycleState, _pod: PodRecord, scores: NodeScore[]): Status {
    const s = state.read(SCORE_KEY);
    if (s === undefined) return success();
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (const entry of scores) {
      if (s.ignored.has(entry.name)) continue;
      if (entry.score < min) min = entry.score;
      if (entry.score > max) max = entry.score;
    }
    for (const entry of scores) {
      if (s.ignored.has(entry.name)) entry.score = 0;
      else if (max === 0) entry.score = MAX_NODE_SCORE;
      else entry.score = Math.trunc((MAX_NODE_SCORE * (max + min - entry.score)) / max);
    }
    return success();
  }
}

export const newPodTopologySpread: PluginFactory = (args) => new PodTopologySpread(PodTopologySpreadArgsSchema.parse(args ?? {}));
