import { CPU, MEMORY, PODS, effectivePodRequest, isSidecar, toResources } from '@flotilla/model';
import type { PodSpec, Resources } from '@flotilla/model';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const QOS_RESOURCES = [CPU, MEMORY] as const;

/**
 * The pod's QoS class by Kubernetes' rules (GetPodQOS), over app and init containers, CPU and memory
 * only. A missing request defaults to the limit, as the API server defaults it.
 * - BestEffort: no container requests or limits CPU or memory.
 * - Guaranteed: every container has CPU and memory limits, and the summed requests equal the summed limits.
 * - Burstable: anything else.
 */
export function podQosClass(spec: PodSpec): QosClass {
  const requests: Partial<Record<(typeof QOS_RESOURCES)[number], number>> = {};
  const limits: Partial<Record<(typeof QOS_RESOURCES)[number], number>> = {};
  let guaranteed = true;
  for (const container of [...spec.containers, ...(spec.initContainers ?? [])]) {
    const containerLimits = toResources(container.resources?.limits);
    const containerRequests = { ...containerLimits, ...toResources(container.resources?.requests) };
    for (const name of QOS_RESOURCES) {
      const request = containerRequests[name];
      if (request !== undefined && request > 0) requests[name] = (requests[name] ?? 0) + request;
      const limit = containerLimits[name];
      if (limit === undefined) guaranteed = false;
      else if (limit > 0) limits[name] = (limits[name] ?? 0) + limit;
    }
  }
  const requestNames = Object.keys(requests) as Array<(typeof QOS_RESOURCES)[number]>;
  if (requestNames.length === 0 && Object.keys(limits).length === 0) return 'BestEffort';
  if (guaranteed && requestNames.every((name) => limits[name] === requests[name]) && requestNames.length === Object.keys(limits).length) {
    return 'Guaranteed';
  }
  return 'Burstable';
}

/** What the pod holds on its node: the effective request (init containers and sidecars counted) plus one pod slot. */
export function podRequest(spec: PodSpec): Resources {
  const request = effectivePodRequest(spec);
  request[PODS] = 1;
  return request;
}

/**
 * Host ports the pod reserves on its node, as `${protocol}/${port}`: those of app containers and of
 * sidecars (which run for the pod's lifetime). Regular init containers do not keep theirs.
 */
export function podHostPorts(spec: PodSpec): string[] {
  const ports = new Set<string>();
  const containers = [...(spec.initContainers ?? []).filter(isSidecar), ...spec.containers];
  for (const container of containers) {
    for (const port of container.ports ?? []) {
      if (port.hostPort !== undefined && port.hostPort > 0) ports.add(`${port.protocol ?? 'TCP'}/${port.hostPort}`);
    }
  }
  return [...ports];
}
