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
import { scoredResources } from './resource-allocation.ts';
import type { ScoredResource } from './resource-allocation.ts';

export { EPHEMERAL_STORAGE } from './resource-allocation.ts';
export const NODE_RESOURCES_FIT = 'NodeResourcesFit';

export const ResourceSpecSchema = z.strictObject({
  name: z.string().min(1),
  weight: z.number().int().min(1).max(100).default(1),
});
export type ResourceSpec = z.output<typeof ResourceSpecSchema>;

export const ScoringStrategyType = z.enum(['LeastAllocated', 'MostAllocated', 'RequestedToCapacityRatio']);
export type ScoringStrategyType = z.infer<typeof ScoringStrategyType>;

/** kube-scheduler's MaxCustomPriorityScore: shape scores are 0-10, scaled by 10 to node scores 0-100. */
export const MAX_CUSTOM_PRIORITY_SCORE = 10;
export const MAX_UTILIZATION = 100;

/** One point of RequestedToCapacityRatio's piecewise-linear function: utilization (%) -> score (0-10). */
export const UtilizationShapePointSchema = z.strictObject({
  utilization: z.number().int().min(0, 'not in valid range [0, 100]').max(MAX_UTILIZATION, 'not in valid range [0, 100]'),
  score: z.number().int().min(0, 'not in valid range [0, 10]').max(MAX_CUSTOM_PRIORITY_SCORE, 'not in valid range [0, 10]'),
});
export type UtilizationShapePoint = z.output<typeof UtilizationShapePointSchema>;

export const RequestedToCapacityRatioParamSchema = z.strictObject({
  shape: z
    .array(UtilizationShapePointSchema)
    .min(1, 'at least one point must be specified')
    .superRefine((shape, ctx) => {
      for (let i = 1; i < shape.length; i += 1) {
        if (shape[i - 1]!.utilization >= shape[i]!.utilization) {
          ctx.addIssue({ code: 'custom', message: 'utilization values must be sorted in increasing order', path: [i, 'utilization'] });
          break;
        }
      }
    }),
});
export type RequestedToCapacityRatioParam = z.output<typeof RequestedToCapacityRatioParamSchema>;

const DEFAULT_RESOURCES: ResourceSpec[] = [
  { name: CPU, weight: 1 },
  { name: MEMORY, weight: 1 },
];

export const NodeResourcesFitArgsSchema = z.strictObject({
  scoringStrategy: z
    .strictObject({
      type: ScoringStrategyType.default('LeastAllocated'),
      resources: z.array(ResourceSpecSchema).min(1).default(DEFAULT_RESOURCES),
      /** The function shape; required by (and only read for) type RequestedToCapacityRatio. */
      requestedToCapacityRatio: RequestedToCapacityRatioParamSchema.optional(),
    })
    .superRefine((strategy, ctx) => {
      if (strategy.type === 'RequestedToCapacityRatio' && strategy.requestedToCapacityRatio === undefined) {
        ctx.addIssue({ code: 'custom', message: 'required when type is RequestedToCapacityRatio', path: ['requestedToCapacityRatio'] });
      }
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

/**
 * helper.BuildBrokenLinearFunction: the shape's score at or below the first point, the last point's
 * score above the last, and linear in between with integer (truncating) arithmetic.
 */
export function brokenLinearFunction(shape: readonly UtilizationShapePoint[]): (utilization: number) => number {
  const points = shape.map((p) => ({ utilization: p.utilization, score: p.score }));
  return (p) => {
    for (let i = 0; i < points.length; i += 1) {
      const point = points[i]!;
      if (p <= point.utilization) {
        if (i === 0) return point.score;
        const previous = points[i - 1]!;
        return previous.score + Math.trunc(((point.score - previous.score) * (p - previous.utilization)) / (point.utilization - previous.utilization));
      }
    }
    return points[points.length - 1]!.score;
  };
}

/**
 * RequestedToCapacityRatio per resource: the shape (scores scaled by 10 to 0–100) at the utilization
 * after placing the pod, in integer percent; over capacity (or no capacity) reads the shape at 100 %.
 */
export function requestedToCapacityRatioScorer(shape: readonly UtilizationShapePoint[]): (requested: number, capacity: number) => number {
  const scale = MAX_NODE_SCORE / MAX_CUSTOM_PRIORITY_SCORE;
  const raw = brokenLinearFunction(shape.map((p) => ({ utilization: p.utilization, score: p.score * scale })));
  return (requested, capacity) => {
    if (capacity === 0 || requested > capacity) return raw(MAX_UTILIZATION);
    return raw(requested <= 0 ? 0 : Math.trunc((requested * MAX_UTILIZATION) / capacity));
  };
}

/** The pod's request, and the resources it asks for (> 0) as parallel arrays for the per-node check. */
interface FilterRequest {
  readonly request: Readonly<Resources>;
  readonly names: readonly string[];
  readonly amounts: readonly number[];
}

const FILTER_REQUEST_KEY = stateKey<FilterRequest>('PreFilterNodeResourcesFit');

function filterRequestOf(request: Readonly<Resources>): FilterRequest {
  const names: string[] = [];
  const amounts: number[] = [];
  for (const name in request) {
    const wanted = request[name] ?? 0;
    if (wanted > 0) {
      names.push(name);
      amounts.push(wanted);
    }
  }
  return { request, names, amounts };
}
const SCORE_RESOURCES_KEY = stateKey<readonly ScoredResource[]>('PreScoreNodeResourcesFit');

/**
 * Filter: the pod's effective request must fit in allocatable minus what bound and assumed pods
 * request. Score: LeastAllocated (spread, the default), MostAllocated (pack) or
 * RequestedToCapacityRatio (a configured utilization -> score shape), weighted per resource, with
 * kube-scheduler's non-zero requests for containers that request nothing.
 */
export class NodeResourcesFit implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin {
  readonly name = NODE_RESOURCES_FIT;
  readonly requeueOn: readonly ClusterEvent[] = ['NodeAdded', 'NodeUpdated', 'PodDeleted', 'PodReleased'];
  readonly #resources: readonly ResourceSpec[];
  readonly #perResource: (requested: number, capacity: number) => number;
  /** RequestedToCapacityRatio counts only resources scoring above 0 and rounds; the others truncate. */
  readonly #ratio: boolean;

  constructor(args: NodeResourcesFitArgs = NodeResourcesFitArgsSchema.parse({})) {
    const { type, resources, requestedToCapacityRatio } = args.scoringStrategy;
    this.#resources = resources;
    this.#ratio = type === 'RequestedToCapacityRatio';
    if (type === 'RequestedToCapacityRatio') {
      if (requestedToCapacityRatio === undefined) throw new Error('scoringStrategy.requestedToCapacityRatio is required when type is RequestedToCapacityRatio');
      this.#perResource = requestedToCapacityRatioScorer(requestedToCapacityRatio.shape);
    } else this.#perResource = type === 'MostAllocated' ? mostRequestedScore : leastRequestedScore;
  }

  preFilter(state: CycleState, pod: PodRecord): Status {
    state.write(FILTER_REQUEST_KEY, filterRequestOf(pod.request));
    return success();
  }

  filter(state: CycleState, pod: PodRecord, node: NodeInfo): Status {
    const prepared = state.read(FILTER_REQUEST_KEY) ?? filterRequestOf(pod.request);
    // Fast path (every node filtered): the pod's requested resources, no allocation, no for-in.
    const { names, amounts } = prepared;
    const allocatable = node.allocatable;
    const requested = node.requested;
    let short = false;
    for (let i = 0; i < names.length; i += 1) {
      const name = names[i]!;
      if (amounts[i]! > (allocatable[name] ?? 0) - (requested[name] ?? 0)) {
        short = true;
        break;
      }
    }
    if (!short) return success();
    const missing = insufficientResources(prepared.request, node);
    if (missing.length === 0) return success();
    const reasons = missing.map((m) => m.reason);
    return missing.some((m) => m.unresolvable)
      ? unresolvable(NODE_RESOURCES_FIT, ...reasons)
      : unschedulable(NODE_RESOURCES_FIT, ...reasons);
  }

  preScore(state: CycleState, pod: PodRecord): Status {
    state.write(SCORE_RESOURCES_KEY, scoredResources(pod, this.#resources, false));
    return success();
  }

  score(state: CycleState, pod: PodRecord, node: NodeInfo): { score: number; status: Status } {
    // An extended resource the pod does not ask for does not count for or against a node (left out
    // in PreScore), nor does one the node lacks.
    const resources = state.read(SCORE_RESOURCES_KEY) ?? scoredResources(pod, this.#resources, false);
    const perResource = this.#perResource;
    const ratio = this.#ratio;
    // allocatableOf / requestedWithPod, inlined (every feasible node).
    const allocatable = node.allocatable;
    let nodeScore = 0;
    let weightSum = 0;
    for (let r = 0; r < resources.length; r += 1) {
      const resource = resources[r]!;
      const name = resource.name;
      const capacity = allocatable[name] ?? 0;
      if (capacity === 0) continue;
      const requested = ((resource.nonZero ? node.nonZeroRequested : node.requested)[name] ?? 0) + resource.podRequest;
      const score = perResource(requested, capacity);
      if (ratio && score <= 0) continue;
      nodeScore += score * resource.weight;
      weightSum += resource.weight;
    }
    if (weightSum === 0) return { score: 0, status: success() };
    return { score: this.#ratio ? Math.round(nodeScore / weightSum) : Math.trunc(nodeScore / weightSum), status: success() };
  }
}

export const newNodeResourcesFit: PluginFactory = (args) => new NodeResourcesFit(NodeResourcesFitArgsSchema.parse(args ?? {}));
