import type { ClusterState, PodRecord } from './cluster-state.ts';
import { podIndex } from './pod-index.ts';

/**
 * Every pod bound to the node, in binding order: those holding resources and those that no longer do
 * (terminal, sandbox removed) until they are deleted. This is what a node agent has to look after.
 * O(pods on the node).
 */
export function podsOnNode(state: ClusterState, nodeName: string): PodRecord[] {
  return records(state, podIndex(state).byNode.get(nodeName));
}

/** Pods a scheduler has to place: not bound, no deletion requested, not terminal. In log order of when they became pending. O(pending pods). */
export function pendingPods(state: ClusterState): PodRecord[] {
  return records(state, podIndex(state).pending);
}

/**
 * Pending pods nominated to a node by preemption (status.nominatedNodeName), with that node. A
 * scheduler counts them on their node for pods of lower or equal priority, so that the room their
 * victims free is not taken by others. O(nominated pods).
 */
export function nominatedPods(state: ClusterState): Array<{ pod: PodRecord; nodeName: string }> {
  const out: Array<{ pod: PodRecord; nodeName: string }> = [];
  for (const [key, nodeName] of podIndex(state).nominated) {
    const pod = state.pods.get(key);
    if (pod) out.push({ pod, nodeName });
  }
  return out;
}

/** Pods still bound to a node name that is no longer registered (NodeRemoved), for a controller to evict. */
export function orphanedPods(state: ClusterState): PodRecord[] {
  const out: PodRecord[] = [];
  for (const [nodeName, keys] of podIndex(state).byNode) {
    if (!state.nodes.has(nodeName)) out.push(...records(state, keys));
  }
  return out;
}

/**
 * The pods whose controller ownerReference (`controller: true`) has this uid, in creation order,
 * whatever their state (the owner may be gone: a controller then deletes them). O(owned pods).
 */
export function podsOwnedBy(state: ClusterState, ownerUid: string): PodRecord[] {
  return records(state, podIndex(state).byOwner.get(ownerUid));
}

/** The pod with this uid, if it still exists. */
export function podByUid(state: ClusterState, uid: string): PodRecord | undefined {
  const key = podIndex(state).byUid.get(uid);
  return key === undefined ? undefined : state.pods.get(key);
}

/** True while the pod counts against its node's allocatable. */
export function holdsResources(record: PodRecord): boolean {
  return record.nodeName !== undefined && !record.released;
}

function records(state: ClusterState, keys: Iterable<string> | undefined): PodRecord[] {
  const out: PodRecord[] = [];
  for (const key of keys ?? []) {
    const record = state.pods.get(key);
    if (record) out.push(record);
  }
  return out;
}
