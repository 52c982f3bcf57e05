// @flotilla/controllers: the controllers' decisions as pure functions of the fold (no I/O, no clock).
// services/controller runs them and appends what they decide.
export {
  NAME_SUFFIX_ALPHABET,
  NAME_SUFFIX_LENGTH,
  MAX_GENERATE_NAME_BASE_LENGTH,
  REPLICA_SET_POD_UID_NAMESPACE,
  replicaSetPodIdentity,
  replicaSetPodPrefix,
} from './pod-identity.ts';
export type { PodIdentity, ReplicaSetRef } from './pod-identity.ts';
export { podFromTemplate } from './pod-template.ts';
export type { PodFromTemplateOptions } from './pod-template.ts';
export {
  DEFAULT_BURST_REPLICAS,
  collectOrphans,
  deletePod,
  podsToDelete,
  reconcileReplicaSet,
  reconcileReplicaSets,
} from './replica-set-controller.ts';
export type { ReplicaSetDecisionOptions } from './replica-set-controller.ts';
export { EvictionRateLimiter } from './eviction-rate-limiter.ts';
export {
  DEFAULT_EVICTION_RATE,
  DEFAULT_NODE_MONITOR_GRACE_MS,
  DEFAULT_NODE_STARTUP_GRACE_MS,
  NODE_LOST_REASON,
  decideNodeLifecycle,
  evictionTaint,
  evictionTime,
  nodeLostMessage,
} from './node-lifecycle.ts';
export type { NodeLeaseView, NodeLifecycleOptions } from './node-lifecycle.ts';
