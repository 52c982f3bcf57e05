import { CPU, MEMORY, PODS } from '@flotilla/model';
import type { NodeRecord, PodRecord } from '@flotilla/state';

export type AdmissionVerdict = { admitted: true } | { admitted: false; reason: string; message: string };

const RESOURCE_ORDER = [PODS, CPU, MEMORY, 'ephemeral-storage'];

/**
 * The kubelet's admission check (generalFilter / InsufficientResourceError): with this pod counted,
 * every resource it requests must still fit in the node's allocatable. The fold already counted the
 * pod in `node.requested` when the binding took effect; the check fails when the node's allocatable
 * shrank since (re-registration with less capacity), as the kubelet rejects pods it cannot hold.
 */
export function admitPod(node: NodeRecord | undefined, pod: PodRecord): AdmissionVerdict {
  if (!node) return { admitted: false, reason: 'NodeNotFound', message: `node ${pod.nodeName ?? ''} is not registered` };
  const counted = node.podKeys.has(pod.key);
  const names = Object.keys(pod.request).filter((name) => (pod.request[name] ?? 0) > 0);
  names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const name of names) {
    const requested = pod.request[name] ?? 0;
    const used = (node.requested[name] ?? 0) - (counted ? requested : 0);
    const capacity = node.allocatable[name] ?? 0;
    if (used + requested > capacity) {
      return {
        admitted: false,
        reason: `OutOf${name}`,
        message: `Node didn't have enough resource: ${name}, requested: ${requested}, used: ${used}, capacity: ${capacity}`,
      };
    }
  }
  return { admitted: true };
}

function rank(name: string): number {
  const index = RESOURCE_ORDER.indexOf(name);
  return index === -1 ? RESOURCE_ORDER.length : index;
}
