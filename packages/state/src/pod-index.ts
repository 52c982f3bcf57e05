import type { OwnerReference, Pod } from '@flotilla/model';
import type { ClusterState, PodRecord } from './cluster-state.ts';
import { isTerminalPhase } from './pod-status.ts';

/**
 * Secondary indexes the queries need to stay O(answer) instead of O(cluster): which pods are bound
 * to each node name (whether or not the node still exists, and whether or not they still hold
 * resources) and which pods are pending. They are derived from `state.pods` only, so they live
 * beside the state (not in its shape) and are rebuilt from the pods when missing, e.g. for a state
 * that was structured-cloned from a snapshot.
 */
export interface PodIndex {
  nodeOf: Map<string, string>;
  byNode: Map<string, Set<string>>;
  pending: Set<string>;
  /** Pending pods with status.nominatedNodeName (preemption made room for them there): key -> node. */
  nominated: Map<string, string>;
  /** Each pod's uid and controller owner's uid: key -> identity (kept to unindex a deleted pod). */
  identity: Map<string, { uid: string; owner?: string }>;
  /** uid -> pod key. */
  byUid: Map<string, string>;
  /** Controller owner uid (metadata.ownerReferences with controller: true) -> pod keys. */
  byOwner: Map<string, Set<string>>;
}

const indexes = new WeakMap<ClusterState, PodIndex>();

export function podIndex(state: ClusterState): PodIndex {
  let index = indexes.get(state);
  if (!index) {
    index = { nodeOf: new Map(), byNode: new Map(), pending: new Set(), nominated: new Map(), identity: new Map(), byUid: new Map(), byOwner: new Map() };
    for (const [key, record] of state.pods) reindexPod(index, key, record);
    indexes.set(state, index);
  }
  return index;
}

/** Pending: not bound, no deletion requested, not terminal. What a scheduler has to place. */
export function isPodPending(record: PodRecord): boolean {
  return record.nodeName === undefined && record.deletion === undefined && !isTerminalPhase(record.pod.status?.phase);
}

/** The pod's managing controller: its ownerReference with `controller: true`, if any. */
export function controllerOf(pod: Pod): OwnerReference | undefined {
  return pod.metadata.ownerReferences?.find((reference) => reference.controller === true);
}

/** Brings the index in line with one pod (`undefined`: the pod is gone). */
export function reindexPod(index: PodIndex, key: string, record: PodRecord | undefined): void {
  reindexIdentity(index, key, record);
  const before = index.nodeOf.get(key);
  const after = record?.nodeName;
  if (before !== after) {
    if (before !== undefined) {
      const keys = index.byNode.get(before);
      keys?.delete(key);
      if (keys?.size === 0) index.byNode.delete(before);
      index.nodeOf.delete(key);
    }
    if (after !== undefined) {
      let keys = index.byNode.get(after);
      if (!keys) index.byNode.set(after, (keys = new Set()));
      keys.add(key);
      index.nodeOf.set(key, after);
    }
  }
  if (record && isPodPending(record)) index.pending.add(key);
  else index.pending.delete(key);
  const nominatedNodeName = record && isPodPending(record) ? record.pod.status?.nominatedNodeName : undefined;
  if (nominatedNodeName !== undefined && nominatedNodeName !== '') index.nominated.set(key, nominatedNodeName);
  else index.nominated.delete(key);
}

/** A pod's uid and controller never change while it lives, so only its arrival and removal count. */
function reindexIdentity(index: PodIndex, key: string, record: PodRecord | undefined): void {
  const known = index.identity.get(key);
  if (record && known) return;
  if (known) {
    index.identity.delete(key);
    if (index.byUid.get(known.uid) === key) index.byUid.delete(known.uid);
    if (known.owner !== undefined) {
      const keys = index.byOwner.get(known.owner);
      keys?.delete(key);
      if (keys?.size === 0) index.byOwner.delete(known.owner);
    }
  }
  if (!record) return;
  const uid = record.pod.metadata.uid;
  const owner = controllerOf(record.pod)?.uid;
  index.identity.set(key, owner !== undefined ? { uid, owner } : { uid });
  index.byUid.set(uid, key);
  if (owner !== undefined) {
    let keys = index.byOwner.get(owner);
    if (!keys) index.byOwner.set(owner, (keys = new Set()));
    keys.add(key);
  }
}
