import { z } from 'zod';
import { CPU, MEMORY } from '@flotilla/model';
import type { PodRecord } from '@flotilla/state';
import { stateKey } from '../framework/cycle-state.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import type { PluginFactory } from '../framework/registry.ts';
import { skip, success } from '../framework/status.ts';
import type { Status } from '../framework/status.ts';
import { MAX_NODE_SCORE } from '../framework/types.ts';
import type { NodeInfo, PreScorePlugin, ScorePlugin } from '../framework/types.ts';
import { scoredResources } from './resource-allocation.ts';
import type { ScoredResource } from './resource-allocation.ts';

export const NODE_RESOURCES_BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';

/** Balanced allocation ignores weights: kube-scheduler accepts only weight 1. */
export const BalancedResourceSpecSchema = z.strictObject({
  name: z.string().min(1),
  weight: z.literal(1, 'must be 1').default(1),
});

/** NodeResourcesBalancedAllocationArgs: the resources whose utilisation should be balanced (default cpu, memory). */
export const NodeResourcesBalancedAllocationArgsSchema = z.strictObject({
  resources: z
    .array(BalancedResourceSpecSchema)
    .min(1)
    .superRefine((resources, ctx) => {
      const seen = new Set<string>();
      resources.forEach(({ name }, i) => {
        if (seen.has(name)) ctx.addIssue({ code: 'custom', message: `duplicate resource ${JSON.stringify(name)}`, path: [i, 'name'] });
        seen.add(name);
      });
    })
    .default([
      { name: CPU, weight: 1 },
      { name: MEMORY, weight: 1 },
    ]),
});
export type NodeResourcesBalancedAllocationArgs = z.output<typeof NodeResourcesBalancedAllocationArgsSchema>;
export type NodeResourcesBalancedAllocationArgsInput = z.input<typeof NodeResourcesBalancedAllocationArgsSchema>;

const PRE_SCORE_KEY = stateKey<readonly ScoredResource[]>('PreScoreNodeResourcesBalancedAllocation');

/**
 * kube-scheduler's balancedResourceScorer over requested/allocatable fractions (each capped at 1):
 * score = (1 - std) * 100, truncated. Two fractions: std = |f1 - f2| / 2; more: the population
 * standard deviation; fewer: 0.
 */
export function balancedResourceScore(fractions: ArrayLike<number>, count: number = fractions.length): number {
  let std = 0;
  if (count === 2) {
    std = Math.abs((fractions[0]! - fractions[1]!) / 2);
  } else if (count > 2) {
    let total = 0;
    for (let i = 0; i < count; i += 1) total += fractions[i]!;
    const mean = total / count;
    let sum = 0;
    for (let i = 0; i < count; i += 1) sum += (fractions[i]! - mean) * (fractions[i]! - mean);
    std = Math.sqrt(sum / count);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

/**
 * Favours nodes whose cpu and memory (or configured resources) would be used in equal shares after
 * placing the pod. As kube-scheduler since it stopped using the non-zero defaults here, it counts
 * real requests (the node's and the pod's), and skips pods that request none of the resources
 * (best-effort pods would otherwise all pile onto the same node, kubernetes#129138).
 */
export class NodeResourcesBalancedAllocation implements PreScorePlugin, ScorePlugin {
  readonly name = NODE_RESOURCES_BALANCED_ALLOCATION;
  readonly #resources: NodeResourcesBalancedAllocationArgs['resources'];
  /** Scratch space for one node's fractions: Score runs synchronously, node after node. */
  readonly #fractions: Float64Array;

  constructor(args: NodeResourcesBalancedAllocationArgs = NodeResourcesBalancedAllocationArgsSchema.parse({})) {
    this.#resources = args.resources;
    this.#fractions = new Float64Array(args.resources.length);
  }

  preScore(state: CycleState, pod: PodRecord): Status {
    const resources = scoredResources(pod, this.#resources, true);
    if (resources.every((r) => r.podRequest === 0)) return skip();
    state.write(PRE_SCORE_KEY, resources);
    return success();
  }

  score(state: CycleState, pod: PodRecord, node: NodeInfo): { score: number; status: Status } {
    let resources = state.read(PRE_SCORE_KEY);
    if (resources === undefined) {
      // PreScore not run (a profile may leave it out): as kube-scheduler, a best-effort pod scores 0.
      resources = scoredResources(pod, this.#resources, true);
      if (resources.every((r) => r.podRequest === 0)) return { score: 0, status: success() };
    }
    const fractions = this.#fractions;
    let count = 0;
    // allocatableOf / requestedWithPod, inlined (every feasible node).
    const nodeAllocatable = node.allocatable;
    for (let r = 0; r < resources.length; r += 1) {
      const resource = resources[r]!;
      const name = resource.name;
      const allocatable = nodeAllocatable[name] ?? 0;
      if (allocatable === 0) continue;
      const fraction = (((resource.nonZero ? node.nonZeroRequested : node.requested)[name] ?? 0) + resource.podRequest) / allocatable;
      fractions[count] = fraction > 1 ? 1 : fraction;
      count += 1;
    }
    return { score: balancedResourceScore(fractions, count), status: success() };
  }
}

export const newNodeResourcesBalancedAllocation: PluginFactory = (args) =>
  new NodeResourcesBalancedAllocation(NodeResourcesBalancedAllocationArgsSchema.parse(args ?? {}));
