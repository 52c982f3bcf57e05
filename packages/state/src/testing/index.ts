// Test utilities for specifications of the fold (and of code that folds): `@flotilla/state/testing`.
export { given, toRecord, specTime, Given, When } from './spec.ts';
export type { Outcome, SpecStep } from './spec.ts';
export {
  BUILDER_TIME,
  container,
  containerProbeFailed,
  containerReadinessChanged,
  containerStarted,
  containerStartupProbeSucceeded,
  containerTerminated,
  containerWaiting,
  nodeEvictionTaintAdded,
  nodeMarkedReachable,
  nodeMarkedUnreachable,
  nodeRegistered,
  nodeRemoved,
  nodeUpdated,
  ownedPodCreated,
  podAdmissionRejected,
  podBound,
  podCreated,
  podDeleted,
  podDeletionRequested,
  podEvicted,
  podNominated,
  podSandboxReady,
  podSandboxRemoved,
  podSchedulingFailed,
  replicaSetCreated,
  replicaSetDeleted,
  replicaSetScaled,
} from './builders.ts';
export type { NodeInput, PodInput, PodRef, ReplicaSetInput } from './builders.ts';
