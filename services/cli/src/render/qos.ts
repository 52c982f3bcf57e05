import type { Pod } from '@flotilla/model';
import { parseQuantity } from '@flotilla/model';

/** Kubernetes' ComputePodQOS over cpu and memory; a missing request defaults to the limit, as the API server does. */
export function computeQosClass(pod: Pod): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  for (const container of [...pod.spec.containers, ...(pod.spec.initContainers ?? [])]) {
    const containerLimits = container.resources?.limits ?? {};
    const containerRequests = { ...containerLimits, ...(container.resources?.requests ?? {}) };
    for (const [name, quantity] of Object.entries(containerRequests)) {
      if (name !== 'cpu' && name !== 'memory') continue;
      const value = parseQuantity(quantity) ?? 0;
      if (value > 0) requests.set(name, (requests.get(name) ?? 0) + value);
    }
    const found = new Set<string>();
    for (const [name, quantity] of Object.entries(containerLimits)) {
      if (name !== 'cpu' && name !== 'memory') continue;
      const value = parseQuantity(quantity) ?? 0;
      if (value > 0) {
        found.add(name);
        limits.set(name, (limits.get(name) ?? 0) + value);
      }
    }
    if (!found.has('cpu') || !found.has('memory')) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, request] of requests) {
      const limit = limits.get(name);
      if (limit === undefined || Math.abs(limit - request) > 1e-9 * Math.max(1, limit)) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
