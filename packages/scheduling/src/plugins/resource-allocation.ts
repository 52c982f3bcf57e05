import { CPU, MEMORY, PODS } from '@flotilla/model';
import type { Resources } from '@flotilla/model';
import type { PodRecord } from '@flotilla/state';
import { nonZeroRequestOf } from '../framework/resource-helpers.ts';
import type { NodeInfo } from '../framework/types.ts';

export const EPHEMERAL_STORAGE = 'ephemeral-storage';

/** One resource a resource-allocation scorer (NodeResourcesFit, NodeResourcesBalancedAllocation) counts for one pod. */
export interface ScoredResource {
  readonly name: string;
  readonly weight: number;
  /** What the pod asks for: cpu and memory with the non-zero defaults unless the scorer uses real requests. */
  readonly podRequest: number;
  /** Read the node's nonZeroRequested (cpu and memory, non-zero scorers) rather than its requested. */
  readonly nonZero: boolean;
}

/**
 * kube-scheduler's resourceAllocationScorer.calculateResourceAllocatableRequest, decided once per pod
 * (PreScore) rather than per node: cpu, memory and ephemeral-storage always count; `pods` never (the
 * scorer has no allocatable for it); any other (extended) resource only when the pod requests it.
 * `useRequested` (BalancedAllocation) counts real requests instead of the non-zero defaults.
 */
export function scoredResources(
  pod: PodRecord,
  resources: ReadonlyArray<{ readonly name: string; readonly weight: number }>,
  useRequested: boolean,
): ScoredResource[] {
  const nonZero = useRequested ? undefined : nonZeroRequestOf(pod.pod);
  const out: ScoredResource[] = [];
  for (const { name, weight } of resources) {
    if (name === PODS) continue;
    const cpuOrMemory = name === CPU || name === MEMORY;
    const podRequest = nonZero !== undefined && cpuOrMemory ? (nonZero[name] ?? 0) : (pod.request[name] ?? 0);
    if (podRequest === 0 && !cpuOrMemory && name !== EPHEMERAL_STORAGE) continue;
    out.push({ name, weight, podRequest, nonZero: nonZero !== undefined && cpuOrMemory });
  }
  return out;
}

/** What the node has of the resource: 0 means the resource is not scored on this node. */
export function allocatableOf(node: NodeInfo, resource: ScoredResource): number {
  return node.allocatable[resource.name] ?? 0;
}

/** What the node's pods (assumed ones included) request of the resource, plus the pod being scheduled. */
export function requestedWithPod(node: NodeInfo, resource: ScoredResource): number {
  const requested: Readonly<Resources> = resource.nonZero ? node.nonZeroRequested : node.requested;
  return (requested[resource.name] ?? 0) + resource.podRequest;
}
