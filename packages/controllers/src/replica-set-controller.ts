import type { DomainEvent, PodDeleted, PodDeletionRequested } from '@flotilla/events';
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from '@flotilla/model';
import { controllerOf, isPodActive, owningReplicaSet, podsOwnedBy, type ClusterState, type PodRecord, type ReplicaSetRecord } from '@flotilla/state';
import { replicaSetPodIdentity, type PodIdentity } from './pod-identity.ts';
import type { DefaultTolerationOptions } from '@flotilla/model';
import { podFromTemplate } from './pod-template.ts';

// The ReplicaSet controller's decisions, as pure functions of the fold. Kubernetes' replica_set.go:
// manageReplicas creates or deletes at most `burstReplicas` pods per sync; the surplus to delete is
// chosen by ActivePodsWithRanks. Adoption of matching pods without an owner and release of owned pods
// whose labels stopped matching are not done: a ReplicaSet counts the pods it created (ownerReferences).

/** Kubernetes' BurstReplicas: at most this many creations or deletions per ReplicaSet per sync. */
export const DEFAULT_BURST_REPLICAS = 500;
/** Identities tried per ordinal before giving up on it for this sync (names collide 1 in 14 million). */
const MAX_IDENTITY_ATTEMPTS = 32;

export interface ReplicaSetDecisionOptions extends DefaultTolerationOptions {
  /** Decision time, ms since the epoch: the created pods' creationTimestamp. */
  now: number;
  burstReplicas?: number;
  /**
   * Pod uids stored in the log that the fold ignored (the ReplicaSet was full by then, or the name
   * was taken): never proposed again, since the log's dedupe window would drop them as duplicates.
   */
  burnedUids?: ReadonlySet<string>;
}

/**
 * Keeps `spec.replicas` active pods: creates the missing ones (ordinals from `record.podsCreated`, see
 * replicaSetPodIdentity) or deletes the surplus, the pods Kubernetes would delete first. Owned pods whose
 * deletion was asked but that no node will finish (never bound) are deleted outright.
 */
export function reconcileReplicaSet(state: ClusterState, record: ReplicaSetRecord, options: ReplicaSetDecisionOptions): DomainEvent[] {
  const rs = record.replicaSet;
  const burst = options.burstReplicas ?? DEFAULT_BURST_REPLICAS;
  const owned = podsOwnedBy(state, rs.metadata.uid);
  const active = owned.filter(isPodActive);
  const diff = rs.spec.replicas - active.length;
  const events: DomainEvent[] = [];
  if (diff > 0) {
    const now = new Date(options.now).toISOString();
    const usedNames = new Set<string>();
    for (let i = 0; i < Math.min(diff, burst); i++) {
      const ordinal = record.podsCreated + i;
      const identity = freeIdentity(state, rs, ordinal, usedNames, options.burnedUids);
      if (!identity) continue;
      usedNames.add(identity.name);
      events.push({ type: 'PodCreated', data: { pod: podFromTemplate(rs, ordinal, now, { ...options, identity }) } });
    }
  } else if (diff < 0) {
    for (const pod of podsToDelete(active, -diff).slice(0, burst)) events.push(deletePod(pod));
  }
  for (const pod of owned) if (isStuckTerminating(pod)) events.push(podDeleted(pod));
  return events;
}

/** Every ReplicaSet's decisions, in the fold's order of ReplicaSets. */
export function reconcileReplicaSets(state: ClusterState, options: ReplicaSetDecisionOptions): DomainEvent[] {
  const events: DomainEvent[] = [];
  for (const record of state.replicaSets.values()) events.push(...reconcileReplicaSet(state, record, options));
  return events;
}

function freeIdentity(
  state: ClusterState,
  rs: ReplicaSetRecord['replicaSet'],
  ordinal: number,
  usedNames: ReadonlySet<string>,
  burned: ReadonlySet<string> | undefined,
): PodIdentity | undefined {
  for (let attempt = 0; attempt < MAX_IDENTITY_ATTEMPTS; attempt++) {
    const identity = replicaSetPodIdentity(rs, ordinal, attempt);
    const taken = usedNames.has(identity.name) || state.pods.has(`${rs.metadata.namespace}/${identity.name}`);
    if (!taken && !burned?.has(identity.uid)) return identity;
  }
  return undefined;
}

/**
 * Garbage collection after a ReplicaSet is deleted (background propagation): pods whose controller
 * ownerReference names a ReplicaSet that no longer exists (by that uid) are deleted, gracefully when a
 * node runs them. Pods already being deleted are left alone unless no node will finish them.
 */
export function collectOrphans(state: ClusterState): DomainEvent[] {
  const events: DomainEvent[] = [];
  for (const pod of state.pods.values()) {
    if (controllerOf(pod.pod)?.kind !== 'ReplicaSet' || owningReplicaSet(state, pod.pod) !== undefined) continue;
    if (pod.deletion === undefined) events.push(deletePod(pod));
    else if (isStuckTerminating(pod)) events.push(podDeleted(pod));
  }
  return events;
}

/**
 * The delete of a pod as the API does it: a pod no node runs (never bound, or finished and released)
 * is gone at once; a running one is asked to stop within its grace period.
 */
export function deletePod(pod: PodRecord): PodDeletionRequested | PodDeleted {
  if (pod.nodeName === undefined || pod.released) return podDeleted(pod);
  const { namespace, name, uid } = pod.pod.metadata;
  const gracePeriodSeconds = pod.pod.spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  return { type: 'PodDeletionRequested', data: { namespace, name, uid, gracePeriodSeconds } };
}

function podDeleted(pod: PodRecord): PodDeleted {
  const { namespace, name, uid } = pod.pod.metadata;
  return { type: 'PodDeleted', data: { namespace, name, uid, reason: 'Deleted' } };
}

/** Deletion asked while bound, then sent back to pending (admission rejected): no node will finish it. */
function isStuckTerminating(pod: PodRecord): boolean {
  return pod.deletion !== undefined && pod.nodeName === undefined;
}

const PHASE_ORDER: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

/**
 * The `count` pods to delete first, as Kubernetes' ActivePodsWithRanks orders them: unassigned before
 * assigned; Pending < Unknown < Running; not ready before ready; more of the set's pods on the same node
 * first; ready for a shorter time first; more container restarts first; the youngest first. Ties go by
 * name so that every controller replica picks the same pods.
 */
export function podsToDelete(active: readonly PodRecord[], count: number): PodRecord[] {
  if (count <= 0) return [];
  const perNode = new Map<string, number>();
  for (const pod of active) if (pod.nodeName !== undefined) perNode.set(pod.nodeName, (perNode.get(pod.nodeName) ?? 0) + 1);
  const keyed = active.map((pod) => ({ pod, ...rankFields(pod, perNode) }));
  keyed.sort((a, b) => {
    if (a.assigned !== b.assigned) return a.assigned ? 1 : -1;
    if (a.phase !== b.phase) return a.phase - b.phase;
    if (a.ready !== b.ready) return a.ready ? 1 : -1;
    if (a.rank !== b.rank) return descending(a.rank, b.rank);
    if (a.ready && b.ready && a.readySince !== b.readySince) return descending(a.readySince, b.readySince);
    if (a.restarts !== b.restarts) return descending(a.restarts, b.restarts);
    if (a.created !== b.created) return descending(a.created, b.created);
    return a.pod.key < b.pod.key ? -1 : a.pod.key > b.pod.key ? 1 : 0;
  });
  return keyed.slice(0, count).map((k) => k.pod);
}

function rankFields(pod: PodRecord, perNode: ReadonlyMap<string, number>) {
  const status = pod.pod.status;
  const readyCondition = status?.conditions?.find((c) => c.type === 'Ready');
  const ready = readyCondition?.status === 'True';
  const restarts = Math.max(0, ...[...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])].map((s) => s.restartCount ?? 0));
  return {
    assigned: pod.nodeName !== undefined,
    phase: PHASE_ORDER[status?.phase ?? 'Pending'] ?? 0,
    ready,
    rank: pod.nodeName === undefined ? 0 : (perNode.get(pod.nodeName) ?? 0),
    // A missing time sorts as the most recent: Kubernetes' afterOrZero puts zero times first.
    readySince: timeOrLatest(readyCondition?.lastTransitionTime),
    restarts,
    created: timeOrLatest(pod.pod.metadata.creationTimestamp),
  };
}

/** Larger first; safe with Infinity (a - b is NaN for two). */
function descending(a: number, b: number): number {
  return a === b ? 0 : a > b ? -1 : 1;
}

function timeOrLatest(iso: string | undefined | null): number {
  const ms = iso ? Date.parse(iso) : Number.NaN;
  return Number.isNaN(ms) ? Number.POSITIVE_INFINITY : ms;
}
