import { z } from 'zod';
import { CPU, MEMORY } from '@flotilla/model';
import type { Resources } from '@flotilla/model';
import { insufficientResources as foldInsufficientResources, type InsufficientResource, type PodRecord } from '@flotilla/state';
import { stateKey } from '../framework/cycle-state.ts';
import type { CycleState } from '../framework/cycle-state.ts';
import type { PluginFactory } from '../framework/registry.ts';
import { nonZeroRequestOf } from '../framework/resource-helpers.ts';
import { success, unresolvable, unschedulable } from '../framework/status.ts';
import type { Status } from '../framework/status.ts';
import { MAX_NODE_SCORE } from '../framework/types.ts';
import type { ClusterEvent, FilterPlugin, NodeInfo, PreFilterPlugin, PreScorePlugin, ScorePlugin } from '../framework/types.ts';

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';
export const EPHEMERAL_STORAGE = 'ephemeral-storage';

export const ResourceSpecSchema = z.strictObject({
  name: z.string().min(1),
  weight: z.number().int().min(1).max(100).default(1),
});
export type ResourceSpec = z.output<typeof ResourceSpecSchema>;

export const ScoringStrategyType = z.enum(['LeastAllocated', 'MostAllocated']);
export type ScoringStrategyType = z.infer<typeof ScoringStrategyType>;

const DEFAULT_RESOURCES: ResourceSpec[] = [
  { name: CPU, weight: 1 },
  { name: MEMORY, weight: 1 },
];

export const NodeResourcesFitArgsSchema = z.strictObject({
  scoringStrategy: z
    .strictObject({
      type: ScoringStrategyType.default('LeastAllocated'),
      resources: z.array(ResourceSpecSchema).min(1).default(DEFAULT_RESOURCES),
    })
    .default({ type: 'LeastAllocated', resources: DEFAULT_RESOURCES }),
});
export type NodeResourcesFitArgs = z.output<typeof NodeResourcesFitArgsSchema>;
export type NodeResourcesFitArgsInput = z.input<typeof NodeResourcesFitArgsSchema>;

/** The fold's own fit check over this scheduler's view of the node (assumed pods included). */
export function insufficientResources(request: Readonly<Resources>, node: NodeInfo): InsufficientResource[] {
  return foldInsufficientResources(node.allocatable, node.requested, request);
}

/** The amount of each resource scoring counts for the pod (cpu and memory with the non-zero defaults). */
export function scoringRequest(pod: PodRecord, resources: readonly ResourceSpec[]): Resources {
  const nonZero = nonZeroRequestOf(pod.pod);
  const out: Resources = {};
  for (const { name } of resources) {
    out[name] = name === CPU || name === MEMORY ? (nonZero[name] ?? 0) : (pod.request[name] ?? 0);
  }
  return out;
}

/** LeastAllocated per resource: free share after placing the pod, 0–100 (integer division). */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** MostAllocated per resource: used share after placing the pod, 0–100 (over-commit counts as full). */
export function mostRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  return Math.trunc((Math.min(requested, capacity) * MAX_NODE_SCORE) / capacity);
}

const FILTER_REQUEST_KEY = stateKey<Readonly<Resources>>('PreFilterNodeResourcesFit');
const SCORE_REQUEST_KEY = stateKey<Readonly<Resources>>('PreScoreNodeResourcesFit');

/**
 * Filter: the pod's effective request must fit in allocatable minus what bound and assumed pods
 * request. Score: LeastAllocated (spread, the default) or MostAllocated (pack), weighted per
 * resource, with kube-scheduler's non-zero requests for containers that request nothing.
 */
export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NODE_RESOURCES_FIT;
  readonly requeueOn: readonly ClusterEvent[] = ['NodeAdded', 'NodeUpdated', 'PodDeleted', 'PodReleased'];
  readonly #strategy: ScoringStrategyType;
  readonly #resources: readonly ResourceSpec[];

  constructor(args: NodeResourcesFitArgs = NodeResourcesFitArgsSchema.parse({})) {
    this.#strategy = args.scoringStrategy.type;
    this.#resources = args.scoringStrategy.resources;
  }

  preFilter(state: CycleState, pod: PodRecord): Status {
    state.write(FILTER_REQUEST_KEY, pod.request);
    return success();
  }

  filter(state: CycleState, pod: PodRecord, node: NodeInfo): Status {
    const request = state.read(FILTER_REQUEST_KEY) ?? pod.request;
    const missing = insufficientResources(request, node);
    if (missing.length === 0) return success();
    const reasons = missing.map((m) => m.reason);
    return missing.some((m) => m.unresolvable)
      ? unresolvable(NODE_RESOURCES_FIT, ...reasons)
      : unschedulable(NODE_RESOURCES_FIT, ...reasons);
  }

  preScore(state: CycleState, pod: PodRecord): Status {
    state.write(SCORE_REQUEST_KEY, scoringRequest(pod, this.#resources));
    return success();
  }

  score(state: CycleState, pod: PodRecord, node: NodeInfo): { score: number; status: Status } {
    const request = state.read(SCORE_REQUEST_KEY) ?? scoringRequest(pod, this.#resources);
    const perResource = this.#strategy === 'MostAllocated' ? mostRequestedScore : leastRequestedScore;
    let nodeScore = 0;
    let weightSum = 0;
    for (const { name, weight } of this.#resources) {
      const podRequest = request[name] ?? 0;
      // An extended resource the pod does not ask for does not count for or against a node.
      if (podRequest === 0 && name !== CPU && name !== MEMORY && name !== EPHEMERAL_STORAGE) continue;
      const capacity = node.allocatable[name] ?? 0;
      if (capacity === 0) continue;
      const used = name === CPU || name === MEMORY ? (node.nonZeroRequested[name] ?? 0) : (node.requested[name] ?? 0);
      nodeScore += perResource(used + podRequest, capacity) * weight;
      weightSum += weight;
    }
    return { score: weightSum === 0 ? 0 : Math.trunc(nodeScore / weightSum), status: success() };
  }
}

export const newNodeResourcesFit: PluginFactory = (args) => new NodeResourcesFit(NodeResourcesFitArgsSchema.parse(args ?? {}));
