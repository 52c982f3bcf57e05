import { v4 as uuidv4 } from 'uuid';
import type { EventEnvelope, RecordedEvent } from '@flotilla/eventlog/core';
import { nodeSubject, podSubject, replicaSetSubject } from '@flotilla/eventlog/core';
import { DOMAIN_EVENT_TYPES, SCHEMA_VERSIONS, type DomainEvent, type DomainEventType, type EventData } from './events.ts';
import { upcast } from './upcasters.ts';

/** A domain event in its envelope, typed by its `type`. */
export type FlotillaEvent = { [K in DomainEventType]: EventEnvelope<K, EventData<K>> }[DomainEventType];
export type FlotillaRecord = RecordedEvent<FlotillaEvent>;

export interface EnvelopeMeta {
  /** Who writes it: 'api', 'scheduler', 'node-agent/node-1'. */
  source: string;
  /** ISO-8601 time of the decision; callers pass it so pure code never reads a clock. */
  time: string;
  causationId?: string;
  correlationId?: string;
  /** Defaults to a fresh uuid v4. */
  id?: string;
}

export function envelope<E extends DomainEvent>(event: E, meta: EnvelopeMeta): EventEnvelope<E['type'], E['data']> {
  return {
    id: meta.id ?? uuidv4(),
    type: event.type,
    schemaVersion: SCHEMA_VERSIONS[event.type],
    time: meta.time,
    source: meta.source,
    ...(meta.causationId !== undefined ? { causationId: meta.causationId } : {}),
    ...(meta.correlationId !== undefined ? { correlationId: meta.correlationId } : {}),
    data: event.data,
  };
}

/** The subject an event is stored under: one subject per object, so per-object history is a filter. */
export function subjectFor(event: DomainEvent): string {
  switch (event.type) {
    case 'NodeRegistered':
      return nodeSubject(event.data.node.metadata.name);
    case 'NodeUpdated':
    case 'NodeRemoved':
    case 'NodeMarkedUnreachable':
    case 'NodeEvictionTaintAdded':
    case 'NodeMarkedReachable':
      return nodeSubject(event.data.name);
    case 'ReplicaSetCreated':
      return replicaSetSubject(event.data.replicaSet.metadata.namespace, event.data.replicaSet.metadata.name);
    case 'ReplicaSetScaled':
    case 'ReplicaSetDeleted':
      return replicaSetSubject(event.data.namespace, event.data.name);
    case 'PodCreated':
      return podSubject(event.data.pod.metadata.namespace, event.data.pod.metadata.name);
    default:
      return podSubject(event.data.namespace, event.data.name);
  }
}

/**
 * Deterministic Nats-Msg-Id: the same decision always gets the same id, so a retried publish (or a
 * second replica making the same decision from the same log position) is stored once.
 */
export function msgIdFor(event: DomainEvent, discriminator?: string | number): string {
  const suffix = discriminator === undefined ? '' : `:${discriminator}`;
  switch (event.type) {
    case 'NodeRegistered':
      return `node:${event.data.node.metadata.name}:${event.type}:${event.data.node.metadata.uid}${suffix}`;
    case 'NodeUpdated':
    case 'NodeRemoved':
      return `node:${event.data.name}:${event.type}${suffix}`;
    case 'NodeMarkedUnreachable':
    case 'NodeEvictionTaintAdded':
      return `node:${event.data.name}:${event.type}:${event.data.leaseRenewTime ?? 'never'}${suffix}`;
    case 'NodeMarkedReachable':
      return `node:${event.data.name}:${event.type}:${event.data.leaseRenewTime}${suffix}`;
    case 'ReplicaSetCreated':
      return `${event.data.replicaSet.metadata.uid}:${event.type}${suffix}`;
    case 'ReplicaSetScaled':
      return `${event.data.uid}:${event.type}:${event.data.generation}${suffix}`;
    case 'PodCreated':
      return `${event.data.pod.metadata.uid}:${event.type}${suffix}`;
    case 'PodBound':
    case 'PodSchedulingFailed':
    case 'PodNominated':
      return `${event.data.uid}:${event.type}:${event.data.attempt}${suffix}`;
    case 'PodDeletionRequested':
      // A preemption's request (reason Preempted) must not be taken for a user's delete of the same pod.
      return `${event.data.uid}:${event.type}${event.data.reason !== undefined ? `:${event.data.reason}` : ''}${suffix}`;
    case 'ContainerStarted':
    case 'ContainerTerminated':
    case 'ContainerWaiting':
      return `${event.data.uid}:${event.type}:${event.data.container}:${event.data.restartCount}${suffix}`;
    default:
      return `${event.data.uid}:${event.type}${suffix}`;
  }
}

const KNOWN_TYPES = new Set<string>(DOMAIN_EVENT_TYPES);

/**
 * Narrows a record read from the log to a domain event, lifting older payload versions.
 * Returns undefined for event types this build does not know (written by a newer version).
 */
export function toFlotillaRecord(record: RecordedEvent): FlotillaRecord | undefined {
  if (!KNOWN_TYPES.has(record.event.type)) return undefined;
  return { ...record, event: upcast(record.event as FlotillaEvent) };
}
