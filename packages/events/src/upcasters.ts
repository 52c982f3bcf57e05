import type { EventEnvelope } from '@flotilla/eventlog/core';
import { SCHEMA_VERSIONS, type DomainEventType } from './events.ts';

type AnyEnvelope = EventEnvelope<DomainEventType, unknown>;
type Upcaster = (data: unknown) => unknown;

/**
 * Lifts payloads written with an older schema version to the current one, one version at a time.
 * Key: `${type}@${fromVersion}`. Every event type is at version 1 so far, so the table is empty; when a
 * payload changes shape, bump SCHEMA_VERSIONS and add the step here instead of rewriting history.
 */
const UPCASTERS: ReadonlyMap<string, Upcaster> = new Map<string, Upcaster>();

export class UnknownSchemaVersionError extends Error {
  constructor(readonly eventType: string, readonly schemaVersion: number) {
    super(`event ${eventType} has schema version ${schemaVersion}, newer than this build understands (${SCHEMA_VERSIONS[eventType as DomainEventType]})`);
    this.name = 'UnknownSchemaVersionError';
  }
}

export function upcast<E extends AnyEnvelope>(event: E): E {
  const current = SCHEMA_VERSIONS[event.type];
  if (event.schemaVersion === current) return event;
  if (event.schemaVersion > current) throw new UnknownSchemaVersionError(event.type, event.schemaVersion);
  let data = event.data;
  for (let version = event.schemaVersion; version < current; version++) {
    const step = UPCASTERS.get(`${event.type}@${version}`);
    if (!step) throw new UnknownSchemaVersionError(event.type, event.schemaVersion);
    data = step(data);
  }
  return { ...event, schemaVersion: current, data };
}
