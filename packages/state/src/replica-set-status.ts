import type { Pod, ReplicaSet, ReplicaSetStatus } from '@flotilla/model';
import type { ClusterState, PodRecord, ReplicaSetRecord } from './cluster-state.ts';
import { controllerOf, podIndex } from './pod-index.ts';
import { findCondition, isTerminalPhase } from './pod-status.ts';

/**
 * Counts toward a ReplicaSet's replicas (the RS controller's FilterActivePods): not being deleted,
 * not Failed or Succeeded, not evicted.
 */
export function isPodActive(record: PodRecord): boolean {
  return record.deletion === undefined && record.evicted === undefined && !isTerminalPhase(record.pod.status?.phase);
}

/** The ReplicaSet that controls the pod: its controller ownerReference names one that exists with that uid. */
export function owningReplicaSet(state: ClusterState, pod: Pod): ReplicaSetRecord | undefined {
  const reference = controllerOf(pod);
  if (!reference || reference.kind !== 'ReplicaSet') return undefined;
  const record = state.replicaSets.get(`${pod.metadata.namespace}/${reference.name}`);
  return record && record.replicaSet.metadata.uid === reference.uid ? record : undefined;
}

/** What one owned pod adds to its ReplicaSet's status. */
interface Contribution {
  replicaSet: string;
  active: boolean;
  fullyLabeled: boolean;
  ready: boolean;
  /** Ready with minReadySeconds > 0: the epoch ms after which it counts as available. */
  availableAfter?: number;
}

/** A ReplicaSet's status counts, kept up to date pod by pod so that a status costs O(1) per pod change. */
interface Tally {
  active: number;
  fullyLabeled: number;
  ready: number;
  /** Ready pods not yet ready for minReadySeconds: pod key -> epoch ms after which they are available. */
  notYetAvailable: Map<string, number>;
  /**
   * The same as a min-heap of [ms, pod key], so that a sweep only looks at what is due. Entries whose
   * pod left notYetAvailable (or got another time) meanwhile are dropped when they come up.
   */
  due: Array<[number, string]>;
}

/**
 * Derived beside the state (like the pod index) and rebuilt from it when missing, e.g. for a state
 * structured-cloned from a snapshot.
 */
export interface ReplicaSetIndex {
  tallies: Map<string, Tally>;
  contributions: Map<string, Contribution>;
  /** ReplicaSets with pods waiting to become available. */
  awaiting: Set<string>;
}

const indexes = new WeakMap<ClusterState, ReplicaSetIndex>();

export function replicaSetIndex(state: ClusterState): ReplicaSetIndex {
  let index = indexes.get(state);
  if (!index) {
    index = { tallies: new Map(), contributions: new Map(), awaiting: new Set() };
    const byOwner = podIndex(state).byOwner;
    for (const record of state.replicaSets.values()) {
      // Availability is settled by the next event's sweep (nothing counts as available yet here).
      const owned = ownedRecords(state, byOwner.get(record.replicaSet.metadata.uid)).filter((pod) => owningReplicaSet(state, pod.pod) === record);
      trackReplicaSet(index, record, owned, -Infinity);
    }
    indexes.set(state, index);
  }
  return index;
}

/** Starts counting for a ReplicaSet, from the pods it owns already. */
export function trackReplicaSet(index: ReplicaSetIndex, record: ReplicaSetRecord, owned: readonly PodRecord[], now: number): void {
  index.tallies.set(record.key, { active: 0, fullyLabeled: 0, ready: 0, notYetAvailable: new Map(), due: [] });
  for (const pod of owned) countPod(index, pod.key, record, pod, now);
}

/** Stops counting for a ReplicaSet that is gone. */
export function untrackReplicaSet(index: ReplicaSetIndex, key: string, ownedKeys: Iterable<string>): void {
  index.tallies.delete(key);
  index.awaiting.delete(key);
  for (const podKey of ownedKeys) if (index.contributions.get(podKey)?.replicaSet === key) index.contributions.delete(podKey);
}

/**
 * Brings the counts in line with one pod: its previous contribution out, its present one (if the pod
 * still exists and `owner` is its ReplicaSet) in. Returns the keys of the ReplicaSets whose counts may
 * have changed.
 */
export function countPod(index: ReplicaSetIndex, podKey: string, owner: ReplicaSetRecord | undefined, pod: PodRecord | undefined, now: number): string[] {
  const touched: string[] = [];
  const previous = index.contributions.get(podKey);
  const previousTally = previous ? index.tallies.get(previous.replicaSet) : undefined;
  if (previous) {
    if (previousTally) {
      previousTally.active -= Number(previous.active);
      previousTally.fullyLabeled -= Number(previous.fullyLabeled);
      previousTally.ready -= Number(previous.ready);
    }
    index.contributions.delete(podKey);
    touched.push(previous.replicaSet);
  }
  const tally = owner && pod ? index.tallies.get(owner.key) : undefined;
  if (previousTally && previousTally !== tally) previousTally.notYetAvailable.delete(podKey);
  if (!owner || !pod || !tally) return touched;
  const next = contribution(owner, pod);
  index.contributions.set(podKey, next);
  tally.active += Number(next.active);
  tally.fullyLabeled += Number(next.fullyLabeled);
  tally.ready += Number(next.ready);
  if (next.availableAfter !== undefined && !(next.availableAfter < now)) {
    if (tally.notYetAvailable.get(podKey) !== next.availableAfter) {
      tally.notYetAvailable.set(podKey, next.availableAfter);
      heapPush(tally.due, [next.availableAfter, podKey]);
      index.awaiting.add(owner.key);
    }
  } else tally.notYetAvailable.delete(podKey);
  if (touched[0] !== owner.key) touched.push(owner.key);
  return touched;
}

/** Pods that have now been ready for minReadySeconds become available. Returns the ReplicaSets whose count changed. */
export function sweepAvailability(index: ReplicaSetIndex, now: number): string[] {
  const changed: string[] = [];
  for (const key of index.awaiting) {
    const tally = index.tallies.get(key);
    if (!tally) {
      index.awaiting.delete(key);
      continue;
    }
    let removed = false;
    for (let top = tally.due[0]; top !== undefined && top[0] < now; top = tally.due[0]) {
      heapPop(tally.due);
      const [after, podKey] = top;
      if (tally.notYetAvailable.get(podKey) === after) {
        tally.notYetAvailable.delete(podKey);
        removed = true;
      }
    }
    if (tally.due.length === 0) index.awaiting.delete(key);
    if (removed) changed.push(key);
  }
  return changed;
}

/** The status the ReplicaSet's owned pods give it now (the RS controller's calculateStatus). */
export function replicaSetStatus(index: ReplicaSetIndex, replicaSet: ReplicaSet, key: string): ReplicaSetStatus {
  const tally = index.tallies.get(key);
  const ready = tally?.ready ?? 0;
  return {
    replicas: tally?.active ?? 0,
    fullyLabeledReplicas: tally?.fullyLabeled ?? 0,
    readyReplicas: ready,
    availableReplicas: ready - (tally?.notYetAvailable.size ?? 0),
    observedGeneration: replicaSet.metadata.generation,
  };
}

export function sameStatus(a: ReplicaSetStatus | undefined, b: ReplicaSetStatus): boolean {
  return (
    a !== undefined &&
    a.replicas === b.replicas &&
    a.fullyLabeledReplicas === b.fullyLabeledReplicas &&
    a.readyReplicas === b.readyReplicas &&
    a.availableReplicas === b.availableReplicas &&
    a.observedGeneration === b.observedGeneration
  );
}

/** Active owned pods, ready ones among them, and when each ready one counts as available (IsPodAvailable). */
function contribution(owner: ReplicaSetRecord, pod: PodRecord): Contribution {
  const active = isPodActive(pod);
  const spec = owner.replicaSet.spec;
  const templateLabels = spec.template.metadata?.labels ?? {};
  const labels = pod.pod.metadata.labels ?? {};
  const fullyLabeled = active && Object.entries(templateLabels).every(([key, value]) => labels[key] === value);
  const readyCondition = findCondition(pod.pod.status?.conditions, 'Ready');
  const ready = active && readyCondition?.status === 'True';
  const minReadySeconds = spec.minReadySeconds ?? 0;
  const out: Contribution = { replicaSet: owner.key, active, fullyLabeled, ready };
  if (ready && minReadySeconds > 0) {
    const since = readyCondition?.lastTransitionTime ? Date.parse(readyCondition.lastTransitionTime) : NaN;
    // Kubernetes: available once lastTransitionTime + minReadySeconds is before now; never without a time.
    out.availableAfter = Number.isNaN(since) ? Infinity : since + minReadySeconds * 1000;
  }
  return out;
}

function heapPush(heap: Array<[number, string]>, entry: [number, string]): void {
  heap.push(entry);
  let at = heap.length - 1;
  while (at > 0) {
    const parent = (at - 1) >> 1;
    if (heap[parent]![0] <= entry[0]) break;
    heap[at] = heap[parent]!;
    at = parent;
  }
  heap[at] = entry;
}

function heapPop(heap: Array<[number, string]>): void {
  const last = heap.pop();
  if (last === undefined || heap.length === 0) return;
  let at = 0;
  for (;;) {
    const left = 2 * at + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child = right < heap.length && heap[right]![0] < heap[left]![0] ? right : left;
    if (heap[child]![0] >= last[0]) break;
    heap[at] = heap[child]!;
    at = child;
  }
  heap[at] = last;
}

function ownedRecords(state: ClusterState, keys: Iterable<string> | undefined): PodRecord[] {
  const out: PodRecord[] = [];
  for (const key of keys ?? []) {
    const record = state.pods.get(key);
    if (record) out.push(record);
  }
  return out;
}
