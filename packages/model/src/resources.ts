import { cpuToMillis, quantityToUnits } from './quantity.ts';
import type { Container, PodSpec } from './pod.ts';
import type { ResourceListInput } from './meta.ts';

/**
 * Resources in the units the scheduler counts: CPU in millicores, memory and ephemeral storage in
 * bytes, everything else (pods, extended resources) in whole units.
 */
export type Resources = Record<string, number>;

export const CPU = 'cpu';
export const MEMORY = 'memory';
export const PODS = 'pods';

/** Converts a manifest's resource list into counted units. Assumes the list passed validation. */
export function toResources(list: ResourceListInput | undefined): Resources {
  const out: Resources = {};
  if (!list) return out;
  for (const [name, quantity] of Object.entries(list)) {
    out[name] = name === CPU ? cpuToMillis(quantity) : quantityToUnits(quantity);
  }
  return out;
}

/** A container's request; Kubernetes defaults a missing request to the limit. */
export function containerRequest(container: Container): Resources {
  return { ...toResources(container.resources?.limits), ...toResources(container.resources?.requests) };
}

export function addResources(into: Resources, add: Resources): Resources {
  for (const [name, value] of Object.entries(add)) into[name] = (into[name] ?? 0) + value;
  return into;
}

export function maxResources(into: Resources, other: Resources): Resources {
  for (const [name, value] of Object.entries(other)) into[name] = Math.max(into[name] ?? 0, value);
  return into;
}

export function subtractResources(into: Resources, sub: Resources): Resources {
  for (const [name, value] of Object.entries(sub)) into[name] = (into[name] ?? 0) - value;
  return into;
}

export function isSidecar(container: Container): boolean {
  return container.restartPolicy === 'Always';
}

/**
 * The pod's effective request, as kube-scheduler computes it: per resource, the larger of
 * (sum of app containers and sidecars) and, for each regular init container, its own request plus
 * the sidecars started before it. Counts do not include the `pods` slot itself. `requestOf` is the
 * per-container request (scoring passes one with kube-scheduler's non-zero defaults).
 */
export function effectivePodRequest(spec: PodSpec, requestOf: (container: Container) => Resources = containerRequest): Resources {
  const steady: Resources = {};
  for (const container of spec.containers) addResources(steady, requestOf(container));
  const sidecarsSoFar: Resources = {};
  const initPeak: Resources = {};
  for (const init of spec.initContainers ?? []) {
    const request = requestOf(init);
    if (isSidecar(init)) {
      addResources(sidecarsSoFar, request);
      addResources(steady, request);
      maxResources(initPeak, sidecarsSoFar);
    } else {
      maxResources(initPeak, addResources({ ...sidecarsSoFar }, request));
    }
  }
  return maxResources(steady, initPeak);
}

/** Node allocatable (falling back to capacity) in counted units. */
export function nodeAllocatable(status: { allocatable?: ResourceListInput; capacity?: ResourceListInput } | undefined): Resources {
  return toResources(status?.allocatable ?? status?.capacity);
}
