import type { ClusterState } from './cluster-state.ts';
import { nodeFits } from './fit.ts';
import type { NodeFitFailureReason } from './fit.ts';
import { isTerminalPhase } from './pod-status.ts';

export type BindingRejectionReason =
  | 'PodNotFound'
  | 'UidMismatch'
  | 'AlreadyBound'
  | 'PodTerminating'
  | 'NodeNameMismatch'
  | 'NodeNotFound'
  | NodeFitFailureReason
  | 'AdmissionRejected';

export interface BindingRequest {
  namespace: string;
  name: string;
  uid: string;
  nodeName: string;
}

export type BindingVerdict = { accepted: true } | { accepted: false; reason: BindingRejectionReason; message: string };

/**
 * The arbitration of a PodBound at the current point of the log (read-only). A binding takes effect
 * only if the pod is still there with the same uid, is not bound yet, is not being deleted, is not
 * pinned to another node, and the node exists and fits it (nodeFits: schedulable, resources, host
 * ports). The first failing check, in that order, is the verdict. Schedulers may call it to see what
 * the fold will say; the fold calls it to decide.
 */
export function judgeBinding(state: ClusterState, binding: BindingRequest): BindingVerdict {
  const key = `${binding.namespace}/${binding.name}`;
  const record = state.pods.get(key);
  if (!record) return reject('PodNotFound', `pod ${key} not found`);
  const uid = record.pod.metadata.uid;
  if (uid !== binding.uid) return reject('UidMismatch', `pod ${key} is now uid ${uid}, the binding was for uid ${binding.uid}`);
  if (record.nodeName !== undefined) return reject('AlreadyBound', `pod ${key} is already bound to node ${record.nodeName}`);
  if (record.deletion !== undefined) return reject('PodTerminating', `pod ${key} is being deleted`);
  if (isTerminalPhase(record.pod.status?.phase)) return reject('PodTerminating', `pod ${key} has terminated`);
  const pinned = record.pod.spec.nodeName;
  if (pinned !== undefined && pinned !== '' && pinned !== binding.nodeName) {
    return reject('NodeNameMismatch', `pod ${key} requires node ${pinned} (spec.nodeName), the binding was to ${binding.nodeName}`);
  }
  const node = state.nodes.get(binding.nodeName);
  if (!node) return reject('NodeNotFound', `node ${binding.nodeName} not found`);
  const fit = nodeFits(node, record);
  const failure = fit.failures[0];
  if (failure) return reject(failure.reason, failure.message);
  return { accepted: true };
}

function reject(reason: BindingRejectionReason, message: string): BindingVerdict {
  return { accepted: false, reason, message };
}
