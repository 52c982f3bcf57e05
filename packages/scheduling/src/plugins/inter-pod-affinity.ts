import { z } from 'zod';
import type { Pod } from '@flotilla/model';
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
import { matchesAllTerms, podAffinityInfo, termMatches, termSignature } from './affinity-terms.ts';
import type { AffinityTerm, PodAffinityInfo } from './affinity-terms.ts';
import { affinityTermGroups, allNodes, domainTotals, rememberAllNodes, viewChanges, viewTracker } from './placed-pods.ts';
import type { PodPredicate, TermGroup, ViewChanges, ViewTracker } from './placed-pods.ts';

export const INTER_POD_AFFINITY = 'InterPodAffinity';
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH = "node(s) didn't satisfy existing pods anti-affinity rules";

export const InterPodAffinityArgsSchema = z.strictObject({
  /** Score weight of an existing pod's required affinity term the incoming pod matches (0 turns it off). */
  hardPodAffinityWeight: z.number().int().min(0).max(100).default(1),
  /** Skip scoring for a pod without preferred terms, ignoring existing pods' preferences toward it. */
  ignorePreferredTermsOfExistingPods: z.boolean().default(false),
});
export type InterPodAffinityArgs = z.output<typeof InterPodAffinityArgsSchema>;
export type InterPodAffinityArgsInput = z.input<typeof InterPodAffinityArgsSchema>;

/** topologyKey -> topology value -> count (or weight): kube-scheduler's topologyToMatchedTermCount / scoreMap. */
export type TopologyCounts = Map<string, Map<string, number>>;

/**
 * Adds `values` (value -> count, all non-zero) times `factor` under `key`. The first map for a key
 * is taken as it is when `factor` is 1 (`owned` tells the maps that may be changed), so the caller
 * must not change maps outside `owned`.
 */
function merge(counts: TopologyCounts, owned: Set<Map<string, number>>, key: string, values: ReadonlyMap<string, number>, factor: number): boolean {
  if (values.size === 0) return false;
  const current = counts.get(key);
  if (current === undefined && factor === 1) {
    // Read-only for everyone: adjustedForView copies before changing.
    counts.set(key, values as Map<string, number>);
    return true;
  }
  let target = current;
  if (target === undefined) {
    target = new Map();
    owned.add(target);
    counts.set(key, target);
  } else if (!owned.has(target)) {
    target = new Map(target);
    owned.add(target);
    counts.set(key, target);
  }
  for (const [value, count] of values) target.set(value, (target.get(value) ?? 0) + count * factor);
  return true;
}

function countAt(counts: TopologyCounts, key: string, value: string): number {
  return counts.get(key)?.get(value) ?? 0;
}

interface AffinityFilterState {
  /** Recognises preemption's what-if views of a node. */
  readonly views: ViewTracker;
  readonly info: PodAffinityInfo;
  /** Existing pods whose required anti-affinity terms match the incoming pod, per their topology. */
  readonly existingAntiAffinity: TopologyCounts;
  /** Existing pods matching all of the incoming pod's required affinity terms, per each term's topology. */
  readonly affinity: TopologyCounts;
  /** Existing pods matching each required anti-affinity term of the incoming pod, per its topology. */
  readonly antiAffinity: TopologyCounts;
  /** The first-pod rule: no pod anywhere matches the affinity terms, and the pod matches them itself. */
  readonly selfAffinityAllowed: boolean;
}

interface AffinityScoreState {
  /** topologyKey -> value -> summed weights. */
  readonly scores: TopologyCounts;
}

const FILTER_KEY = stateKey<AffinityFilterState>('PreFilterInterPodAffinity');
const SCORE_KEY = stateKey<AffinityScoreState>('PreScoreInterPodAffinity');

function processGroups(scores: TopologyCounts, owned: Set<Map<string, number>>, groups: readonly TermGroup[], weightOf: (t: AffinityTerm) => number, pod: Pod, sign: number): boolean {
  let added = false;
  for (const group of groups) {
    if (termMatches(group.term, pod) && merge(scores, owned, group.term.topologyKey, group.counts, sign * weightOf(group.term))) added = true;
  }
  return added;
}

const termWeight = (term: AffinityTerm): number => term.weight;

const predicates = new WeakMap<AffinityTerm, PodPredicate>();

/** The existing pods a term selects (terminating ones included, as kube-scheduler counts them). */
function termPredicate(term: AffinityTerm): PodPredicate {
  let predicate = predicates.get(term);
  if (predicate === undefined) {
    predicate = { signature: `affinity|${termSignature(term)}`, matches: (pod) => termMatches(term, pod.pod) };
    predicates.set(term, predicate);
  }
  return predicate;
}

/** The existing pods that match every one of the terms. */
function allTermsPredicate(terms: readonly AffinityTerm[]): PodPredicate {
  return { signature: `affinity-all|${terms.map(termSignature).join('&')}`, matches: (pod) => matchesAllTerms(terms, pod.pod) };
}

/** A copy of `counts` with `delta` added at key -> labels[key] for each key (entries reaching 0 dropped). */
function withDelta(counts: TopologyCounts, labels: Readonly<Record<string, string>> | undefined, delta: ReadonlyMap<string, number>): TopologyCounts {
  if (delta.size === 0) return counts;
  const out: TopologyCounts = new Map(counts);
  for (const [key, change] of delta) {
    const value = labels?.[key];
    if (value === undefined || change === 0) continue;
    const values = new Map(out.get(key));
    const next = (values.get(value) ?? 0) + change;
    if (next === 0) values.delete(value);
    else values.set(value, next);
    if (values.size === 0) out.delete(key);
    else out.set(key, values);
  }
  return out;
}

function bump(delta: Map<string, number>, key: string, change: number): void {
  delta.set(key, (delta.get(key) ?? 0) + change);
}

/**
 * The PreFilter state as it would be had PreFilter seen the what-if view of this node: the pods the
 * view removed (or added) take away (or add) their counts in the node's domains, as kube-scheduler's
 * InterPodAffinity RemovePod / AddPod. Only this node's domains change, which is all its Filter reads.
 */
function adjustedForView(s: AffinityFilterState, pod: PodRecord, labels: Readonly<Record<string, string>> | undefined, changes: ViewChanges): AffinityFilterState {
  const affinity = new Map<string, number>();
  const anti = new Map<string, number>();
  const existing = new Map<string, number>();
  const apply = (other: PodRecord, sign: number): void => {
    if (matchesAllTerms(s.info.requiredAffinity, other.pod)) for (const term of s.info.requiredAffinity) bump(affinity, term.topologyKey, sign);
    for (const term of s.info.requiredAntiAffinity) if (termMatches(term, other.pod)) bump(anti, term.topologyKey, sign);
    for (const term of podAffinityInfo(other.pod).requiredAntiAffinity) if (termMatches(term, pod.pod)) bump(existing, term.topologyKey, sign);
  };
  for (const other of changes.removed) apply(other, -1);
  for (const other of changes.added) apply(other, 1);
  const adjustedAffinity = withDelta(s.affinity, labels, affinity);
  return {
    ...s,
    affinity: adjustedAffinity,
    antiAffinity: withDelta(s.antiAffinity, labels, anti),
    existingAntiAffinity: withDelta(s.existingAntiAffinity, labels, existing),
    selfAffinityAllowed: adjustedAffinity.size === 0 && matchesAllTerms(s.info.requiredAffinity, pod.pod),
  };
}

/**
 * kube-scheduler's InterPodAffinity.
 * Filter: (1) the pod's required affinity terms: on the node's domain of each term's topologyKey
 * some existing pod must match all the terms (the node must have every topology key); when no pod in
 * the cluster matches and the pod matches its own terms, any node with the keys passes (first pod of
 * a self-affine group). (2) No existing pod matching one of the pod's required anti-affinity terms in
 * that term's domain. (3) No existing pod whose required anti-affinity terms match the incoming pod
 * in their domain (symmetry). Term namespaces default to the owner's namespace; namespaceSelector
 * matches `kubernetes.io/metadata.name` (the only namespace label Flotilla has).
 * Score: per topology domain, + weight of the pod's preferred affinity terms each existing pod
 * matches, - weight for preferred anti-affinity, + existing pods' preferred affinity (- anti) toward
 * the pod and hardPodAffinityWeight for their required affinity terms it matches; normalised over
 * min..max to 0..100.
 */
export class InterPodAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = INTER_POD_AFFINITY;
  /**
   * kube-scheduler also requeues on pod add and label updates (a pod that satisfies an affinity
   * term); ClusterEvent has no such events, so the queue's own timeout covers those.
   */
  readonly requeueOn: readonly ClusterEvent[] = ['NodeAdded', 'NodeUpdated', 'PodDeleted', 'PodReleased'];
  readonly #hardPodAffinityWeight: number;
  readonly #ignorePreferredTermsOfExistingPods: boolean;

  constructor(args: InterPodAffinityArgs = InterPodAffinityArgsSchema.parse({})) {
    this.#hardPodAffinityWeight = args.hardPodAffinityWeight;
    this.#ignorePreferredTermsOfExistingPods = args.ignorePreferredTermsOfExistingPods;
  }

  preFilter(state: CycleState, pod: PodRecord, nodes: readonly NodeInfo[]): Status {
    rememberAllNodes(state, nodes);
    const info = podAffinityInfo(pod.pod);
    // Existing pods' anti-affinity: only pods with terms (NodeInfo.podsWithAffinity) need a look.
    // Grouped by what the terms select: one match per distinct term, not per pod.
    const groups = affinityTermGroups(state, pod, nodes);
    const all = allNodes(state, nodes);
    const existingAntiAffinity: TopologyCounts = new Map();
    const owned = new Set<Map<string, number>>();
    for (const group of groups.requiredAntiAffinity) {
      if (termMatches(group.term, pod.pod)) merge(existingAntiAffinity, owned, group.term.topologyKey, group.counts, 1);
    }

    const required = info.requiredAffinity;
    const requiredAnti = info.requiredAntiAffinity;
    if (existingAntiAffinity.size === 0 && required.length === 0 && requiredAnti.length === 0) return skip();

    const affinity: TopologyCounts = new Map();
    const antiAffinity: TopologyCounts = new Map();
    if (required.length > 0 || requiredAnti.length > 0) {
      // The pod's own terms may select any pod: counted on every node (kept per node generation).
      const cluster = state.read(CLUSTER_PODS) ?? new Map<string, PodRecord>();
      if (required.length > 0) {
        const matchingAll = allTermsPredicate(required);
        for (const term of required) merge(affinity, owned, term.topologyKey, domainTotals(all, matchingAll, term.topologyKey, cluster), 1);
      }
      for (const term of requiredAnti) merge(antiAffinity, owned, term.topologyKey, domainTotals(all, termPredicate(term), term.topologyKey, cluster), 1);
    }
    state.write(FILTER_KEY, {
      views: viewTracker(all),
      info,
      existingAntiAffinity,
      affinity,
      antiAffinity,
      selfAffinityAllowed: affinity.size === 0 && matchesAllTerms(required, pod.pod),
    });
    return success();
  }

  filter(state: CycleState, pod: PodRecord, node: NodeInfo): Status {
    const prepared = state.read(FILTER_KEY);
    if (prepared === undefined) return errorStatus(INTER_POD_AFFINITY, 'reading "PreFilterInterPodAffinity" from cycleState: not found');
    const labels = node.node.metadata.labels;
    const changes = viewChanges(state, prepared.views, node, pod);
    const s = changes === undefined ? prepared : adjustedForView(prepared, pod, labels, changes);

    let podsExist = true;
    for (const term of s.info.requiredAffinity) {
      const value = labels?.[term.topologyKey];
      // Every topology key must be on the node, even for the first pod of a group.
      if (value === undefined) return unresolvable(INTER_POD_AFFINITY, ERR_REASON_AFFINITY_RULES_NOT_MATCH);
      if (countAt(s.affinity, term.topologyKey, value) <= 0) podsExist = false;
    }
    if (!podsExist && !s.selfAffinityAllowed) return unresolvable(INTER_POD_AFFINITY, ERR_REASON_AFFINITY_RULES_NOT_MATCH);

    if (s.antiAffinity.size > 0) {
      for (const term of s.info.requiredAntiAffinity) {
        const value = labels?.[term.topologyKey];
        if (value !== undefined && countAt(s.antiAffinity, term.topologyKey, value) > 0) {
          return unschedulable(INTER_POD_AFFINITY, ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH);
        }
      }
    }

    for (const [key, values] of s.existingAntiAffinity) {
      const value = labels?.[key];
      if (value !== undefined && (values.get(value) ?? 0) > 0) {
        return unschedulable(INTER_POD_AFFINITY, ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH);
      }
    }
    return success();
  }

  preScore(state: CycleState, pod: PodRecord, filtered: readonly NodeInfo[]): Status {
    const info = podAffinityInfo(pod.pod);
    const hasPreferred = info.preferredAffinity.length > 0 || info.preferredAntiAffinity.length > 0;
    if (this.#ignorePreferredTermsOfExistingPods && !hasPreferred) return skip();
    const hardWeight = this.#hardPodAffinityWeight;
    const scores: TopologyCounts = new Map();
    const owned = new Set<Map<string, number>>();
    let any = false;
    // The pod's preferred terms may select any pod: counted on every node (kept per node generation).
    if (hasPreferred) {
      const cluster = state.read(CLUSTER_PODS) ?? new Map<string, PodRecord>();
      const weighted = [
        ...info.preferredAffinity.map((term) => ({ term, sign: 1, predicate: termPredicate(term) })),
        ...info.preferredAntiAffinity.map((term) => ({ term, sign: -1, predicate: termPredicate(term) })),
      ];
      const all = allNodes(state, filtered);
      for (const { term, sign, predicate } of weighted) {
        if (merge(scores, owned, term.topologyKey, domainTotals(all, predicate, term.topologyKey, cluster), sign * term.weight)) any = true;
      }
    }
    // Existing pods' terms toward the pod (only pods with terms), grouped by what the terms select.
    const groups = affinityTermGroups(state, pod, filtered);
    if (hardWeight > 0 && processGroups(scores, owned, groups.requiredAffinity, () => hardWeight, pod.pod, 1)) any = true;
    if (processGroups(scores, owned, groups.preferredAffinity, termWeight, pod.pod, 1)) any = true;
    if (processGroups(scores, owned, groups.preferredAntiAffinity, termWeight, pod.pod, -1)) any = true;
    if (!any) return skip();
    state.write(SCORE_KEY, { scores });
    return success();
  }

  score(state: CycleState, _pod: PodRecord, node: NodeInfo): { score: number; status: Status } {
    const s = state.read(SCORE_KEY);
    if (s === undefined) return { score: 0, status: errorStatus(INTER_POD_AFFINITY, 'reading "PreScoreInterPodAffinity" from cycleState: not found') };
    const labels = node.node.metadata.labels;
    let score = 0;
    if (labels !== undefined) {
      for (const [key, values] of s.scores) {
        const value = labels[key];
        if (value !== undefined) score += values.get(value) ?? 0;
      }
    }
    return { score, status: success() };
  }

  /** Scales min..max to 0..100 (all 0 when every node scored the same). */
  normalizeScores(state: CycleState, _pod: PodRecord, scores: NodeScore[]): Status {
    const s = state.read(SCORE_KEY);
    if (s === undefined || s.scores.size === 0) return success();
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const { score } of scores) {
      if (score < min) min = score;
      if (score > max) max = score;
    }
    const diff = max - min;
    for (const entry of scores) entry.score = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((entry.score - min) / diff)) : 0;
    return success();
  }
}

export const newInterPodAffinity: PluginFactory = (args) => new InterPodAffinity(InterPodAffinityArgsSchema.parse(args ?? {}));
