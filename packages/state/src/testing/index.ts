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
  nodeRegistered,
  nodeRemoved,
  nodeUpdated,
  podAdmissionRejected,
  podBound,
  podCreated,
  podDeleted,
  podDeletionRequested,
  podNominated,
  podSandboxReady,
  podSandboxRemoved,
  podSchedulingFailed,
} from './builders.ts';
export type { NodeInput, PodInput, PodRef } from './builders.ts';
