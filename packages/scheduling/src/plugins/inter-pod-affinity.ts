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
import { affinityPods, allNodes, countsOnNodes, rememberAllNodes, viewChanges, viewTracker } from './placed-pods.ts';
import type { PodPredicate, ViewChanges, ViewTracker } from './placed-pods.ts';

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

function add(counts: TopologyCounts, labels: Readonly<Record<string, string>> | undefined, key: string, delta: number): boolean {
  const value = labels?.[key];
  if (value === undefined) return false;
  let values = counts.get(key);
  if (values === undefined) {
    values = new Map();
    counts.set(key, values);
  }
  values.set(value, (values.get(value) ?? 0) + delta);
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

function processTerms(scores: TopologyCounts, terms: readonly AffinityTerm[], weightOf: (t: AffinityTerm) => number, pod: Pod, labels: Readonly<Record<string, string>>, sign: number): boolean {
  let added = false;
  for (const term of terms) {
    if (termMatches(term, pod) && add(scores, labels, term.topologyKey, sign * weightOf(term))) added = true;
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
    const withTerms = affinityPods(state, pod, nodes);
    const existingAntiAffinity: TopologyCounts = new Map();
    for (const p of withTerms.withRequiredAntiAffinity) {
      const existing = withTerms.pods[p]!;
      const labels = withTerms.nodes[withTerms.nodeIndex[p]!]!.node.metadata.labels;
      for (const term of podAffinityInfo(existing.pod).requiredAntiAffinity) {
        if (termMatches(term, pod.pod)) add(existingAntiAffinity, labels, term.topologyKey, 1);
      }
    }

    const required = info.requiredAffinity;
    const requiredAnti = info.requiredAntiAffinity;
    if (existingAntiAffinity.size === 0 && required.length === 0 && requiredAnti.length === 0) return skip();

    const affinity: TopologyCounts = new Map();
    const antiAffinity: TopologyCounts = new Map();
    if (required.length > 0 || requiredAnti.length > 0) {
      // The pod's own terms may select any pod: counted on every node (kept per node generation).
      const cluster = state.read(CLUSTER_PODS) ?? new Map<string, PodRecord>();
      const all = withTerms.nodes;
      const matchingAll = required.length > 0 ? countsOnNodes(all, allTermsPredicate(required), cluster) : [];
      const matchingAnti = requiredAnti.map((term) => countsOnNodes(all, termPredicate(term), cluster));
      for (let n = 0; n < all.length; n += 1) {
        const labels = all[n]!.node.metadata.labels;
        if (labels === undefined) continue;
        const count = matchingAll[n] ?? 0;
        if (count > 0) for (const term of required) add(affinity, labels, term.topologyKey, count);
        for (let t = 0; t < requiredAnti.length; t += 1) {
          const antiCount = matchingAnti[t]![n]!;
          if (antiCount > 0) add(antiAffinity, labels, requiredAnti[t]!.topologyKey, antiCount);
        }
      }
    }
    state.write(FILTER_KEY, {
      views: viewTracker(withTerms.nodes),
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
    const hard = (): number => hardWeight;
    const scores: TopologyCounts = new Map();
    let any = false;
    // The pod's preferred terms may select any pod: counted on every node (kept per node generation).
    if (hasPreferred) {
      const cluster = state.read(CLUSTER_PODS) ?? new Map<string, PodRecord>();
      const weighted = [
        ...info.preferredAffinity.map((term) => ({ term, sign: 1, predicate: termPredicate(term) })),
        ...info.preferredAntiAffinity.map((term) => ({ term, sign: -1, predicate: termPredicate(term) })),
      ];
      const all = allNodes(state, filtered);
      const matching = weighted.map(({ predicate }) => countsOnNodes(all, predicate, cluster));
      for (let n = 0; n < all.length; n += 1) {
        const labels = all[n]!.node.metadata.labels;
        if (labels === undefined) continue;
        for (let t = 0; t < weighted.length; t += 1) {
          const { term, sign } = weighted[t]!;
          const count = matching[t]![n]!;
          if (count > 0 && add(scores, labels, term.topologyKey, sign * term.weight * count)) any = true;
        }
      }
    }
    // Existing pods' terms toward the pod: only pods with terms (NodeInfo.podsWithAffinity).
    const placed = affinityPods(state, pod, filtered);
    for (let p = 0; p < placed.pods.length; p += 1) {
      const labels = placed.nodes[placed.nodeIndex[p]!]!.node.metadata.labels;
      if (labels === undefined) continue;
      const theirs = podAffinityInfo(placed.pods[p]!.pod);
      if (hardWeight > 0 && processTerms(scores, theirs.requiredAffinity, hard, pod.pod, labels, 1)) any = true;
      if (processTerms(scores, theirs.preferredAffinity, termWeight, pod.pod, labels, 1)) any = true;
      if (processTerms(scores, theirs.preferredAntiAffinity, termWeight, pod.pod, labels, -1)) any = true;
    }
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
