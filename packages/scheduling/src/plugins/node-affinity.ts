import { z } from 'zod';
import { NodeAffinitySchema } from '@flotilla/model';
import type { PodRecord } from '@flotilla/state';
import { stateKey } from '../framework/cycle-state.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import { defaultNormalizeScore } from '../framework/normalize.ts';
import type { PluginFactory } from '../framework/registry.ts';
import { errorStatus, skip, success, unresolvable } from '../framework/status.ts';
import type { Status } from '../framework/status.ts';
import { MAX_NODE_SCORE } from '../framework/types.ts';
import type {
  ClusterEvent,
  FilterPlugin,
  NodeInfo,
  NodeScore,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  ScorePlugin,
} from '../framework/types.ts';
import {
  compileNodeSelector,
  compilePreferredSchedulingTerms,
  matchesRequiredNodeAffinity,
  nodeSelectorMatches,
  preferredNodeAffinityOf,
  preferredTermsScore,
  requiredNodeAffinityOf,
  selectorErrorMessage,
} from './node-selector-match.ts';
import type { CompiledNodeSelector, CompiledPreferredTerms, RequiredNodeAffinity, SelectorError } from './node-selector-match.ts';

// The matching lives in node-selector-match.ts (PodTopologySpread reuses it); these names stay here too.
export { requiredNodeAffinityOf, matchesRequiredNodeAffinity } from './node-selector-match.ts';
export type { RequiredNodeAffinity } from './node-selector-match.ts';

export const NODE_AFFINITY = 'NodeAffinity';
export const ERR_REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
/** The profile's addedAffinity rejected the node. */
export const ERR_REASON_ENFORCED_NODE_AFFINITY = "node(s) didn't match scheduler-enforced node affinity";
/** Every required term pins metadata.name, and the pins of each term intersect to nothing. */
export const ERR_REASON_NODE_AFFINITY_CONFLICT = 'pod affinity terms conflict';

function addIssues(ctx: z.RefinementCtx, prefix: readonly PropertyKey[], errors: readonly SelectorError[]): void {
  for (const error of errors) ctx.addIssue({ code: 'custom', message: error.message, path: [...prefix, ...error.path] });
}

/**
 * NodeAffinityArgs: `addedAffinity` applies to every pod of the profile, on top of the pod's own
 * (required terms filter, preferred terms add to the score).
 */
export const NodeAffinityArgsSchema = z.strictObject({ addedAffinity: NodeAffinitySchema.optional() }).superRefine((args, ctx) => {
  const added = args.addedAffinity;
  if (added === undefined) return;
  const required = added.requiredDuringSchedulingIgnoredDuringExecution;
  if (required !== undefined) {
    const path = ['addedAffinity', 'requiredDuringSchedulingIgnoredDuringExecution'];
    if (required.nodeSelectorTerms.length === 0) ctx.addIssue({ code: 'custom', message: 'must have at least one node selector term', path: [...path, 'nodeSelectorTerms'] });
    addIssues(ctx, path, compileNodeSelector(required).errors);
  }
  const preferred = added.preferredDuringSchedulingIgnoredDuringExecution;
  if (preferred !== undefined) {
    const path = ['addedAffinity', 'preferredDuringSchedulingIgnoredDuringExecution'];
    preferred.forEach(({ weight }, i) => {
      if (weight < 1 || weight > 100) ctx.addIssue({ code: 'custom', message: `must be in the range 1-100, got ${weight}`, path: [...path, i, 'weight'] });
    });
    addIssues(ctx, path, compilePreferredSchedulingTerms(preferred).errors);
  }
});
export type NodeAffinityArgs = z.output<typeof NodeAffinityArgsSchema>;
export type NodeAffinityArgsInput = z.input<typeof NodeAffinityArgsSchema>;

const REQUIRED_KEY = stateKey<RequiredNodeAffinity>('PreFilterNodeAffinity');
/** The pod's own preferred terms (undefined: none; the profile's added terms may still score). */
const PREFERRED_KEY = stateKey<{ readonly own: CompiledPreferredTerms | undefined }>('PreScoreNodeAffinity');

// Shared rejections: Filter runs for every node, a rejection need not allocate.
const REJECTED: Status = Object.freeze(unresolvable(NODE_AFFINITY, ERR_REASON_NODE_AFFINITY));
const REJECTED_ENFORCED: Status = Object.freeze(unresolvable(NODE_AFFINITY, ERR_REASON_ENFORCED_NODE_AFFINITY));

/**
 * kube-scheduler's NodeAffinity. Filter: spec.nodeSelector AND requiredDuringScheduling node affinity
 * (terms ORed, requirements ANDed), plus the profile's addedAffinity. PreFilter narrows the nodes to
 * those named when every required term pins metadata.name. Score: the summed weights of the matching
 * preferred terms, normalised so the best node gets 100.
 */
export class NodeAffinity implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NODE_AFFINITY;
  readonly requeueOn: readonly ClusterEvent[] = ['NodeAdded', 'NodeUpdated'];
  readonly #addedRequired: CompiledNodeSelector | undefined;
  readonly #addedPreferred: CompiledPreferredTerms | undefined;

  constructor(args: NodeAffinityArgs = {}) {
    const added = args.addedAffinity;
    const required = added?.requiredDuringSchedulingIgnoredDuringExecution;
    const preferred = added?.preferredDuringSchedulingIgnoredDuringExecution;
    this.#addedRequired = required !== undefined ? compileNodeSelector(required) : undefined;
    this.#addedPreferred = preferred !== undefined && preferred.length > 0 ? compilePreferredSchedulingTerms(preferred) : undefined;
  }

  preFilter(state: CycleState, pod: PodRecord): Status | PreFilterResult {
    const spec = pod.pod.spec;
    const hasRequired = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution !== undefined;
    // Nothing to check: Filter need not run at all.
    if (!hasRequired && spec.nodeSelector === undefined && this.#addedRequired === undefined) return skip();
    const required = requiredNodeAffinityOf(pod);
    state.write(REQUIRED_KEY, required);
    if (required.nodeNames === undefined) return success();
    if (required.nodeNames.size === 0) return unresolvable(NODE_AFFINITY, ERR_REASON_NODE_AFFINITY_CONFLICT);
    return { status: success(), nodeNames: required.nodeNames };
  }

  filter(state: CycleState, pod: PodRecord, node: NodeInfo): Status {
    if (this.#addedRequired !== undefined && !nodeSelectorMatches(this.#addedRequired, node.node)) return REJECTED_ENFORCED;
    const required = state.read(REQUIRED_KEY) ?? requiredNodeAffinityOf(pod);
    return matchesRequiredNodeAffinity(required, node.node) ? success() : REJECTED;
  }

  preScore(state: CycleState, pod: PodRecord): Status {
    const preferred = preferredNodeAffinityOf(pod);
    // As kube-scheduler: preferred terms that do not parse fail the attempt (API validation prevents them).
    if (preferred !== undefined && preferred.errors.length > 0) return errorStatus(NODE_AFFINITY, selectorErrorMessage(preferred.errors));
    const own = preferred !== undefined && preferred.terms.length > 0 ? preferred : undefined;
    if (own === undefined && this.#addedPreferred === undefined) return skip();
    state.write(PREFERRED_KEY, { own });
    return success();
  }

  score(state: CycleState, pod: PodRecord, node: NodeInfo): { score: number; status: Status } {
    const written = state.read(PREFERRED_KEY);
    let preferred = written?.own;
    if (written === undefined) {
      // PreScore not run (a profile may leave it out): compile here, as kube-scheduler falls back.
      preferred = preferredNodeAffinityOf(pod);
      if (preferred !== undefined && preferred.errors.length > 0) return { score: 0, status: errorStatus(NODE_AFFINITY, selectorErrorMessage(preferred.errors)) };
    }
    let score = this.#addedPreferred !== undefined ? preferredTermsScore(this.#addedPreferred, node.node) : 0;
    if (preferred !== undefined) score += preferredTermsScore(preferred, node.node);
    return { score, status: success() };
  }

  normalizeScores(_state: CycleState, _pod: PodRecord, scores: NodeScore[]): Status {
    defaultNormalizeScore(MAX_NODE_SCORE, false, scores);
    return success();
  }
}

export const newNodeAffinity: PluginFactory = (args) => new NodeAffinity(NodeAffinityArgsSchema.parse(args ?? {}));
