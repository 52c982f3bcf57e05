import { CPU, MEMORY, PODS } from '@flotilla/model';
import type { Resources, Taint, Toleration } from '@flotilla/model';
import type { NodeRecord, PodRecord } from './cluster-state.ts';

/** The taint a cordoned node carries; a pod that tolerates it may still be bound there. */
export const UNSCHEDULABLE_TAINT: Readonly<Taint> = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

// kube-scheduler's own wording, so that explanations read the same as in Kubernetes.
export const REASON_NODE_UNSCHEDULABLE = 'node(s) were unschedulable';
export const REASON_HOST_PORTS = "node(s) didn't have free ports for the requested pod ports";
export const REASON_TOO_MANY_PODS = 'Too many pods';

/** Node-side binding rejection codes (the pod-side ones are decided in binding.ts). */
export type NodeFitFailureReason = 'NodeUnschedulable' | 'InsufficientResources' | 'HostPortConflict';

export interface NodeFitFailure {
  reason: NodeFitFailureReason;
  /** The kube-scheduler reasons of this kind joined: "Insufficient cpu, Insufficient memory". */
  message: string;
}

export interface NodeFit {
  fits: boolean;
  /** kube-scheduler reasons, one per failed check: "node(s) were unschedulable", "Insufficient cpu", "Too many pods", ... */
  reasons: string[];
  /** The same failures grouped by binding rejection code, in the order the fold checks them. */
  failures: NodeFitFailure[];
}

/** The part of a pod record the fit check reads. */
export type FitPod = Pick<PodRecord, 'request' | 'hostPorts'> & { pod: { spec: { tolerations?: Toleration[] | undefined } } };

/**
 * Whether a pod fits a node right now: the node is schedulable (or the pod tolerates the cordon
 * taint), each requested resource fits in allocatable minus what bound pods already hold, and the
 * pod's host ports are free. This is the one implementation: the fold's binding arbitration calls
 * it, and so do the scheduler (NodeResourcesFit / NodePorts / NodeUnschedulable) and the node agent
 * (admission), so that they can never disagree.
 */
export function nodeFits(node: NodeRecord, pod: FitPod): NodeFit {
  const failures: NodeFitFailure[] = [];
  const reasons: string[] = [];

  if (node.node.spec.unschedulable === true && !toleratesTaint(pod.pod.spec.tolerations, UNSCHEDULABLE_TAINT)) {
    reasons.push(REASON_NODE_UNSCHEDULABLE);
    failures.push({ reason: 'NodeUnschedulable', message: REASON_NODE_UNSCHEDULABLE });
  }

  const insufficient = insufficientResources(node.allocatable, node.requested, pod.request).map((r) => r.reason);
  if (insufficient.length > 0) {
    reasons.push(...insufficient);
    failures.push({ reason: 'InsufficientResources', message: insufficient.join(', ') });
  }

  if (pod.hostPorts.some((port) => node.hostPorts.has(port))) {
    reasons.push(REASON_HOST_PORTS);
    failures.push({ reason: 'HostPortConflict', message: REASON_HOST_PORTS });
  }

  return { fits: failures.length === 0, reasons, failures };
}

const RESOURCE_ORDER = [PODS, CPU, MEMORY, 'ephemeral-storage'];

/** One resource a pod does not fit on a node, with the numbers for an explanation. */
export interface InsufficientResource {
  resource: string;
  /** kube-scheduler's reason: "Too many pods", "Insufficient cpu", ... */
  reason: string;
  requested: number;
  used: number;
  capacity: number;
  /** The pod asks for more than the node's whole allocatable: evicting pods there cannot help. */
  unresolvable: boolean;
}

/**
 * kube-scheduler's NodeResourcesFit check: every resource the pod requests (> 0) must fit in
 * allocatable - requested. A resource the node does not list has 0 allocatable. Results come in
 * kube-scheduler's order (pods, cpu, memory, ephemeral-storage, then the others by name).
 */
export function insufficientResources(allocatable: Resources, requested: Resources, request: Resources): InsufficientResource[] {
  // Fast path (the scheduler runs this for every node it filters): most nodes fit, so check without
  // allocating first and build the ordered list only when something is short.
  let short = false;
  for (const name in request) {
    const wanted = request[name] ?? 0;
    if (wanted > 0 && wanted > (allocatable[name] ?? 0) - (requested[name] ?? 0)) {
      short = true;
      break;
    }
  }
  if (!short) return [];
  const names = Object.keys(request).filter((name) => (request[name] ?? 0) > 0);
  names.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const out: InsufficientResource[] = [];
  for (const name of names) {
    const wanted = request[name] ?? 0;
    const capacity = allocatable[name] ?? 0;
    const used = requested[name] ?? 0;
    if (wanted > capacity - used) {
      out.push({
        resource: name,
        reason: name === PODS ? REASON_TOO_MANY_PODS : `Insufficient ${name}`,
        requested: wanted,
        used,
        capacity,
        // A pod always fits the pods slot of an empty node, so "Too many pods" is always resolvable.
        unresolvable: name !== PODS && wanted > capacity,
      });
    }
  }
  return out;
}

function rank(name: string): number {
  const index = RESOURCE_ORDER.indexOf(name);
  return index === -1 ? RESOURCE_ORDER.length : index;
}

/** Kubernetes' toleration matching (v1.Toleration.ToleratesTaint). */
export function toleratesTaint(tolerations: readonly Toleration[] | undefined, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  return (tolerations ?? []).some((toleration) => tolerationMatches(toleration, taint));
}

function tolerationMatches(toleration: Toleration, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  if (toleration.effect !== undefined && toleration.effect !== taint.effect) return false;
  // An empty key matches every key (API validation only allows it with Exists).
  if ((toleration.key ?? '') !== '' && toleration.key !== taint.key) return false;
  if ((toleration.operator ?? 'Equal') === 'Exists') return true;
  return (toleration.value ?? '') === (taint.value ?? '');
}
