import { z } from 'zod';
import { TopologySpreadConstraintSchema } from '@flotilla/model';
import type { Node, Pod, TaintEffect, TopologySpreadConstraint } from '@flotilla/model';
import type { PodRecord } from '@flotilla/state';
import { stateKey } from '../framework/cycle-state.ts';
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
import { compileSelector, selectorMatches, withLabelKeys } from './affinity-terms.ts';
import { podMatchesNodeAffinity } from './node-selector-match.ts';
import { allNodes, isDeleting, placedPods, rememberAllNodes, viewChanges, viewTracker } from './placed-pods.ts';
import type { ViewChanges, ViewTracker } from './placed-pods.ts';
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
  /** Whether a pod counts for this constraint (same namespace as the incoming pod, and selected). */
  readonly matches: (pod: Pod) => boolean;
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
        return toSpreadConstraint(c, (other) => other.metadata.namespace === namespace && selectorMatches(selector, other.metadata.labels));
      });
  }
  const applicable = defaults.filter((c) => c.whenUnsatisfiable === action);
  if (applicable.length === 0) return [];
  const uid = controllerUid(pod.pod);
  if (uid === undefined) return [];
  const sameController = (other: Pod): boolean => other.metadata.namespace === namespace && controllerUid(other) === uid;
  return applicable.map((c) => toSpreadConstraint(c, sameController));
}

function toSpreadConstraint(c: TopologySpreadConstraint, matches: (pod: Pod) => boolean): SpreadConstraint {
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    // Unset minDomains counts as 1; unset policies are nodeAffinityPolicy Honor, nodeTaintsPolicy Ignore.
    minDomains: c.minDomains ?? 1,
    honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorNodeTaints: (c.nodeTaintsPolicy ?? 'Ignore') === 'Honor',
    matches,
  };
}

function hasAllTopologyKeys(labels: Readonly<Record<string, string>> | undefined, constraints: readonly SpreadConstraint[]): boolean {
  for (const c of constraints) if (labels?.[c.topologyKey] === undefined) return false;
  return true;
}

/** Per node, whether each constraint's node inclusion policies (affinity, taints) admit it. */
class InclusionPolicies {
  #affinity: boolean | undefined;
  #taints: boolean | undefined;

  constructor(
    private readonly pod: PodRecord,
    private readonly node: Node,
  ) {}

  admits(c: SpreadConstraint): boolean {
    if (c.honorNodeAffinity) {
      this.#affinity ??= podMatchesNodeAffinity(this.pod.pod, this.node);
      if (!this.#affinity) return false;
    }
    if (c.honorNodeTaints) {
      this.#taints ??= findUntoleratedTaint(this.node.spec.taints, this.pod.pod.spec.tolerations, DO_NOT_SCHEDULE_EFFECTS) === undefined;
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
  const policies = new InclusionPolicies(pod, node.node);
  const namespace = pod.pod.metadata.namespace;
  const counted = (other: PodRecord, c: SpreadConstraint): boolean =>
    other.pod.metadata.namespace === namespace && !isDeleting(other) && c.matches(other.pod);
  const counts = s.counts.slice();
  const minMatch = s.minMatch.slice();
  s.constraints.forEach((c, i) => {
    if (!policies.admits(c)) return;
    let delta = 0;
    for (const other of changes.added) if (counted(other, c)) delta += 1;
    for (const other of changes.removed) if (counted(other, c)) delta -= 1;
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
    const placed = placedPods(state, pod, nodes);
    const all = placed.nodes;
    const counts = constraints.map(() => new Map<string, number>());
    // domains[i][n]: node n's domain for constraint i, or undefined when the node is not eligible.
    const domains = constraints.map(() => new Array<string | undefined>(all.length));
    for (let n = 0; n < all.length; n += 1) {
      const node = all[n]!.node;
      const labels = node.metadata.labels;
      if (!hasAllTopologyKeys(labels, constraints)) continue;
      const policies = new InclusionPolicies(pod, node);
      for (let i = 0; i < constraints.length; i += 1) {
        const c = constraints[i]!;
        if (!policies.admits(c)) continue;
        const value = labels![c.topologyKey]!;
        domains[i]![n] = value;
        if (!counts[i]!.has(value)) counts[i]!.set(value, 0);
      }
    }
    const namespace = pod.pod.metadata.namespace;
    for (let p = 0; p < placed.pods.length; p += 1) {
      const existing = placed.pods[p]!;
      // Terminating pods are bypassed (kubernetes#87621); other namespaces never match.
      if (existing.pod.metadata.namespace !== namespace || isDeleting(existing)) continue;
      const n = placed.nodeIndex[p]!;
      for (let i = 0; i < constraints.length; i += 1) {
        const value = domains[i]![n];
        if (value === undefined || !constraints[i]!.matches(existing.pod)) continue;
        counts[i]!.set(value, counts[i]!.get(value)! + 1);
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

    const placed = placedPods(state, pod, filtered);
    const all = placed.nodes;
    const domains = constraints.map(() => new Array<string | undefined>(all.length));
    for (let n = 0; n < all.length; n += 1) {
      const node = all[n]!.node;
      const labels = node.metadata.labels;
      if (requireAll && !hasAllTopologyKeys(labels, constraints)) continue;
      const policies = new InclusionPolicies(pod, node);
      for (let i = 0; i < constraints.length; i += 1) {
        if (hostname[i]) continue;
        const value = labels?.[constraints[i]!.topologyKey] ?? '';
        // A domain without a feasible node is not scored: its pods need not be counted.
        if (!counts[i]!.has(value) || !policies.admits(constraints[i]!)) continue;
        domains[i]![n] = value;
      }
    }
    const nodeCounts = constraints.map(() => new Map<string, number>());
    const namespace = pod.pod.metadata.namespace;
    for (let p = 0; p < placed.pods.length; p += 1) {
      const existing = placed.pods[p]!;
      if (existing.pod.metadata.namespace !== namespace || isDeleting(existing)) continue;
      const n = placed.nodeIndex[p]!;
      for (let i = 0; i < constraints.length; i += 1) {
        if (hostname[i]) {
          const nodeName = all[n]!.name;
          if (scored.has(nodeName) && constraints[i]!.matches(existing.pod)) nodeCounts[i]!.set(nodeName, (nodeCounts[i]!.get(nodeName) ?? 0) + 1);
          continue;
        }
        const value = domains[i]![n];
        if (value === undefined || !constraints[i]!.matches(existing.pod)) continue;
        counts[i]!.set(value, counts[i]!.get(value)! + 1);
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
