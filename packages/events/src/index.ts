export { DOMAIN_EVENT_TYPES, SCHEMA_VERSIONS } from './events.ts';
export type {
  DomainEvent,
  DomainEventType,
  EventOfType,
  EventData,
  NodeVerdict,
  PluginScore,
  SchedulingSummary,
  ContainerKind,
  PodCreated,
  PodDeletionRequested,
  PodDeleted,
  PodBound,
  PodSchedulingFailed,
  PodNominated,
  PodIdentity,
  PodAdmissionRejected,
  PodSandboxReady,
  ContainerStarted,
  ContainerTerminated,
  ContainerWaiting,
  ContainerReadinessChanged,
  ContainerStartupProbeSucceeded,
  ContainerProbeFailed,
  PodSandboxRemoved,
  NodeRegistered,
  NodeUpdated,
  NodeRemoved,
} from './events.ts';
export { envelope, subjectFor, msgIdFor, toFlotillaRecord } from './envelope.ts';
export type { FlotillaEvent, FlotillaRecord, EnvelopeMeta } from './envelope.ts';
export { upcast, UnknownSchemaVersionError } from './upcasters.ts';
