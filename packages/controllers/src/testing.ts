// Test support for the controllers' specs (`@flotilla/controllers/testing`): a ReplicaSet builder and a small world that
// folds events at chosen times, so that a spec can run deciders, apply what they decide and move on.
import type { DomainEvent } from '@flotilla/events';
import type { Container, ReplicaSet, Toleration } from '@flotilla/model';
import { BUILDER_TIME, toRecord } from '@flotilla/state/testing';
import { applyEvent, createClusterState, type ClusterState, type PodRecord } from '@flotilla/state';

export const T0 = Date.parse(BUILDER_TIME);

export interface ReplicaSetInput {
  name?: string;
  namespace?: string;
  uid?: string;
  replicas?: number;
  labels?: Record<string, string>;
  containers?: Container[];
  tolerations?: Toleration[];
  terminationGracePeriodSeconds?: number;
}

export function replicaSet(input: ReplicaSetInput = {}): ReplicaSet {
  const name = input.name ?? 'web';
  const labels = input.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: input.namespace ?? 'default', uid: input.uid ?? `uid-rs-${name}`, creationTimestamp: BUILDER_TIME, generation: 1 },
    spec: {
      replicas: input.replicas ?? 3,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: input.containers ?? [{ name: 'app', image: 'registry.example/app:1' }],
          ...(input.tolerations ? { tolerations: input.tolerations } : {}),
          ...(input.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: input.terminationGracePeriodSeconds } : {}),
        },
      },
    },
  };
}

export function replicaSetCreated(input: ReplicaSetInput = {}): DomainEvent {
  return { type: 'ReplicaSetCreated', data: { replicaSet: replicaSet(input) } };
}

export function replicaSetScaled(rs: ReplicaSet, replicas: number, generation = rs.metadata.generation + 1): DomainEvent {
  const { namespace, name, uid } = rs.metadata;
  return { type: 'ReplicaSetScaled', data: { namespace, name, uid, replicas, generation } };
}

/** A cluster state that events are folded into one by one, each at a time the spec chooses. */
export class World {
  readonly state: ClusterState = createClusterState();
  private seq = 0;

  /** Folds the events, stamped `at` (ms; default T0 + one second per sequence). */
  apply(events: DomainEvent | readonly DomainEvent[], at?: number): this {
    for (const event of Array.isArray(events) ? events : [events as DomainEvent]) {
      this.seq += 1;
      applyEvent(this.state, toRecord(event, this.seq, at === undefined ? {} : { time: new Date(at).toISOString() }));
    }
    return this;
  }

  pod(name: string, namespace = 'default'): PodRecord {
    const record = this.state.pods.get(`${namespace}/${name}`);
    if (!record) throw new Error(`no pod ${namespace}/${name}`);
    return record;
  }

  /** Pods whose controller is the ReplicaSet with this uid. */
  ownedBy(uid: string): PodRecord[] {
    return [...this.state.pods.values()].filter((p) => p.pod.metadata.ownerReferences?.some((ref) => ref.uid === uid && ref.controller === true));
  }
}
