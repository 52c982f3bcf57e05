import { CPU, MEMORY, containerRequest, effectivePodRequest } from '@flotilla/model';
import type { Container, Pod, PodSpec, Resources } from '@flotilla/model';

/** kube-scheduler's scoring defaults for a container that requests no cpu / memory. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** cpu and memory of one container, a missing request replaced by the default (an explicit 0 stays 0). */
export function nonZeroContainerRequest(container: Container): Resources {
  const request = containerRequest(container);
  return {
    [CPU]: request[CPU] ?? DEFAULT_MILLI_CPU_REQUEST,
    [MEMORY]: request[MEMORY] ?? DEFAULT_MEMORY_REQUEST,
  };
}

/**
 * The pod's cpu and memory as resource scoring counts them: the effective-request rule (app +
 * sidecars, or the peak of an init container plus the sidecars started before it) applied to
 * per-container requests with the non-zero defaults, as resourcehelper.PodRequests does with
 * NonMissingContainerRequests.
 */
export function nonZeroPodRequest(spec: PodSpec): Resources {
  return effectivePodRequest(spec, nonZeroContainerRequest);
}

// A pod's containers and requests cannot change after creation, and the fold keeps the spec object
// when it replaces the pod for a status change: memoising per spec object is safe and mostly hits.
const nonZeroBySpec = new WeakMap<PodSpec, Readonly<Resources>>();

/** nonZeroPodRequest of a stored pod ({cpu, memory}), memoised per spec object. */
export function nonZeroRequestOf(pod: Pod): Readonly<Resources> {
  let request = nonZeroBySpec.get(pod.spec);
  if (request === undefined) {
    request = nonZeroPodRequest(pod.spec);
    nonZeroBySpec.set(pod.spec, request);
  }
  return request;
}
