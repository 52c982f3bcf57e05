// The contract suite is not exported here (it imports vitest): use '@flotilla/eventlog/contract'.
export type {
  AppendRequest,
  AppendResult,
  EventEnvelope,
  EventHandler,
  EventLog,
  EventLogStatus,
  EventSubscription,
  ReadOptions,
  RecordedEvent,
  SubscribeOptions,
} from './envelope.ts';
export {
  AppendRejectedError,
  AppendTimeoutError,
  EventLogError,
  EventLogUnavailableError,
  InvalidSubjectError,
  StreamConfigMismatchError,
  WrongExpectedSequenceError,
} from './errors.ts';
export type { EventLogErrorCode } from './errors.ts';
export {
  ALL_EVENTS,
  EVENTS_SUBJECT_PREFIX,
  NODE_EVENTS,
  POD_EVENTS,
  REPLICASET_EVENTS,
  assertEventSubject,
  compileSubjectFilter,
  decodeToken,
  encodeToken,
  nodeSubject,
  parseSubject,
  podSubject,
  replicaSetSubject,
  subjectMatches,
} from './subjects.ts';
export type { ParsedSubject, SubjectKind, SubjectMatcher } from './subjects.ts';
export { MemoryEventLog } from './memory-event-log.ts';
export type { MemoryEventLogOptions } from './memory-event-log.ts';
export { JetStreamEventLog } from './jetstream-event-log.ts';
export type { JetStreamEventLogOptions } from './jetstream-event-log.ts';
export { AppendLimitError, measureAppendLimit } from './append-limit.ts';
export type { AppendLimitOptions, JetStreamLimit } from './append-limit.ts';
