// @flotilla/state: the cluster state as a pure fold of the event log, and the binding arbitration.
// Specification helpers and event builders are in '@flotilla/state/testing'.

export type {
  BindingRejection,
  ChangeType,
  ClusterState,
  FoldOptions,
  KubeEvent,
  NodeRecord,
  PodRecord,
  ReplicaSetRecord,
  SchedulingRecord,
  StateChange,
} from './cluster-state.ts';
export {
  applyEvent,
  createClusterState,
  evolve,
  foldAll,
  podKey,
  DEFAULT_MAX_EVENTS,
  DEFAULT_NODE_MAX_PODS,
  NODE_STATUS_UNKNOWN_MESSAGE,
  PREEMPTED,
} from './fold.ts';
export { judgeBinding } from './binding.ts';
export type { BindingRejectionReason, BindingRequest, BindingVerdict } from './binding.ts';
export {
  nodeFits,
  insufficientResources,
  toleratesTaint,
  UNSCHEDULABLE_TAINT,
  REASON_HOST_PORTS,
  REASON_NODE_UNSCHEDULABLE,
  REASON_TOO_MANY_PODS,
} from './fit.ts';
export type { FitPod, InsufficientResource, NodeFit, NodeFitFailure, NodeFitFailureReason } from './fit.ts';
export {
  derivePodPhase,
  derivePodConditions,
  isTerminalPhase,
  setCondition,
  findCondition,
  conditionStatus,
} from './pod-status.ts';
export type { ConditionFields, PhaseOptions } from './pod-status.ts';
export { podQosClass, podRequest, podHostPorts } from './pod-resources.ts';
export type { QosClass } from './pod-resources.ts';
export { eventsFor, kubeEvent, kubeEventKey } from './kube-events.ts';
export type { KubeEventInput } from './kube-events.ts';
export { podsOnNode, pendingPods, nominatedPods, orphanedPods, holdsResources, podsOwnedBy, podByUid } from './queries.ts';
export { isPodPending, controllerOf } from './pod-index.ts';
export { isPodActive, owningReplicaSet } from './replica-set-status.ts';
export { snapshotOf, restoreSnapshot, IncompatibleSnapshotError, SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from './snapshot.ts';
export type { ClusterSnapshot, NodeRecordSnapshot, PodCidrSnapshot } from './snapshot.ts';
