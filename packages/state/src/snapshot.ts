// Snapshots of the fold: the whole ClusterState as plain JSON, so that a process (or time travel)
// can start from it and fold only the tail of the log. restoreSnapshot(snapshotOf(S)) folds every
// later event exactly as S does: Maps and Sets keep their insertion order (iteration order shows in
// lists), and the pod-CIDR allocator keeps its taken ranges. The derived indexes (pod index,
// ReplicaSet tallies) could be rebuilt from the records, but not in the same order: their Sets keep
// the order things happened in (which pods a node got first, which pods of a ReplicaSet came first),
// and that order shows in later events. So they are stored as well, and put back in place.
import type { ClusterState, FoldOptions, KubeEvent, NodeRecord, PodRecord, ReplicaSetRecord } from './cluster-state.ts';
import { PodCidrAllocator } from './pod-cidr.ts';
import { podIndex } from './pod-index.ts';
import { replicaSetIndex } from './replica-set-status.ts';

/** Bumped whenever the shape of ClusterState (or of what it holds) changes incompatibly. */
export const SNAPSHOT_VERSION = 1;
export const SNAPSHOT_FORMAT = 'flotilla.cluster-snapshot';

export type NodeRecordSnapshot = Omit<NodeRecord, 'podKeys' | 'hostPorts' | 'podIPs'> & {
  podKeys: string[];
  hostPorts: string[];
  podIPs: Array<[string, string]>;
};

export interface PodCidrSnapshot {
  byName: Array<[string, string]>;
  taken: number[];
  lowestFree: number;
}

export interface ClusterSnapshot {
  format: typeof SNAPSHOT_FORMAT;
  version: number;
  /** The last sequence the state applied. */
  seq: number;
  pods: Array<[string, PodRecord]>;
  nodes: Array<[string, NodeRecordSnapshot]>;
  replicaSets: Array<[string, ReplicaSetRecord]>;
  rejectedCreations: number;
  events: KubeEvent[];
  options: FoldOptions;
  podCidrs: PodCidrSnapshot;
  indexes: IndexesSnapshot;
}

type Entries<V> = Array<[string, V]>;

/** The fold's derived indexes (pod-index.ts, replica-set-status.ts) as entries, in their order. */
export interface IndexesSnapshot {
  pods: {
    nodeOf: Entries<string>;
    byNode: Entries<string[]>;
    pending: string[];
    nominated: Entries<string>;
    identity: Entries<{ uid: string; owner?: string }>;
    byUid: Entries<string>;
    byOwner: Entries<string[]>;
  };
  replicaSets: {
    tallies: Entries<{ active: number; fullyLabeled: number; ready: number; notYetAvailable: Entries<number>; due: Array<[number, string]> }>;
    contributions: Entries<{ replicaSet: string; active: boolean; fullyLabeled: boolean; ready: boolean; availableAfter?: number }>;
    awaiting: string[];
  };
}

/** A snapshot that cannot be restored by this build (another version, or not a snapshot at all). */
export class IncompatibleSnapshotError extends Error {
  readonly code = 'IncompatibleSnapshot';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IncompatibleSnapshotError';
  }
}

// The allocator keeps its bookkeeping private; a snapshot is the one reader that needs all of it.
interface AllocatorInternals {
  taken: Set<number>;
  byName: Map<string, string>;
  lowestFree: number;
}

function internals(allocator: PodCidrAllocator): AllocatorInternals {
  return allocator as unknown as AllocatorInternals;
}

/**
 * The state as a JSON-serialisable value, taken synchronously (the caller may serialise it later:
 * the fold replaces rather than mutates the objects it hands out, so records shared with the live
 * state stay as they were; the containers are copied here).
 */
export function snapshotOf(state: ClusterState): ClusterSnapshot {
  const cidrs = internals(state.podCidrs);
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    seq: state.seq,
    pods: [...state.pods].map(([key, record]) => [key, { ...record }]),
    nodes: [...state.nodes].map(([key, record]) => [
      key,
      { ...record, requested: { ...record.requested }, podKeys: [...record.podKeys], hostPorts: [...record.hostPorts], podIPs: [...record.podIPs] },
    ]),
    replicaSets: [...state.replicaSets].map(([key, record]) => [key, { ...record }]),
    rejectedCreations: state.rejectedCreations,
    events: [...state.events],
    options: { ...state.options },
    podCidrs: { byName: [...cidrs.byName], taken: [...cidrs.taken], lowestFree: cidrs.lowestFree },
    indexes: indexesOf(state),
  };
}

function indexesOf(state: ClusterState): IndexesSnapshot {
  const pods = podIndex(state);
  const sets = replicaSetIndex(state);
  return {
    pods: {
      nodeOf: [...pods.nodeOf],
      byNode: [...pods.byNode].map(([node, keys]) => [node, [...keys]]),
      pending: [...pods.pending],
      nominated: [...pods.nominated],
      identity: [...pods.identity].map(([key, identity]) => [key, { ...identity }]),
      byUid: [...pods.byUid],
      byOwner: [...pods.byOwner].map(([owner, keys]) => [owner, [...keys]]),
    },
    replicaSets: {
      tallies: [...sets.tallies].map(([key, tally]) => [
        key,
        { ...tally, notYetAvailable: [...tally.notYetAvailable], due: tally.due.map(([ms, pod]): [number, string] => [ms, pod]) },
      ]),
      contributions: [...sets.contributions].map(([key, contribution]) => [key, { ...contribution }]),
      awaiting: [...sets.awaiting],
    },
  };
}

/** Puts the stored indexes in place of the ones the first use would rebuild (same content, history's order). */
function restoreIndexes(state: ClusterState, stored: IndexesSnapshot): void {
  const pods = podIndex(state);
  refill(pods.nodeOf, stored.pods.nodeOf);
  refill(pods.byNode, stored.pods.byNode.map(([node, keys]) => [node, new Set(keys)]));
  refill(pods.nominated, stored.pods.nominated);
  refill(pods.identity, stored.pods.identity.map(([key, identity]) => [key, { ...identity }]));
  refill(pods.byUid, stored.pods.byUid);
  refill(pods.byOwner, stored.pods.byOwner.map(([owner, keys]) => [owner, new Set(keys)]));
  pods.pending.clear();
  for (const key of stored.pods.pending) pods.pending.add(key);
  const sets = replicaSetIndex(state);
  refill(
    sets.tallies,
    stored.replicaSets.tallies.map(([key, tally]) => [
      key,
      { ...tally, notYetAvailable: new Map(tally.notYetAvailable), due: tally.due.map(([ms, pod]): [number, string] => [ms, pod]) },
    ]),
  );
  refill(sets.contributions, stored.replicaSets.contributions.map(([key, contribution]) => [key, { ...contribution }]));
  sets.awaiting.clear();
  for (const key of stored.replicaSets.awaiting) sets.awaiting.add(key);
}

function refill<V>(map: Map<string, V>, entries: Array<[string, V]>): void {
  map.clear();
  for (const [key, value] of entries) map.set(key, value);
}

/**
 * A ClusterState from a snapshot (as snapshotOf made it, or as JSON.parse read it back). The result
 * shares nothing mutable with `snapshot` that the fold would change in place. With `into`, that
 * object becomes the restored state (for holders of a reference to it, such as a projection's
 * listeners); it is left untouched when the snapshot is refused. Throws IncompatibleSnapshotError
 * for another format or version.
 */
export function restoreSnapshot(snapshot: unknown, into?: ClusterState): ClusterState {
  const checked = checkSnapshot(snapshot);
  const podCidrs = new PodCidrAllocator();
  const cidrs = internals(podCidrs);
  for (const [name, cidr] of checked.podCidrs.byName) cidrs.byName.set(name, cidr);
  for (const index of checked.podCidrs.taken) cidrs.taken.add(index);
  cidrs.lowestFree = checked.podCidrs.lowestFree;
  const restored: ClusterState = {
    seq: checked.seq,
    pods: new Map(checked.pods.map(([key, record]) => [key, { ...record }])),
    nodes: new Map(
      checked.nodes.map(([key, record]): [string, NodeRecord] => [
        key,
        { ...record, requested: { ...record.requested }, podKeys: new Set(record.podKeys), hostPorts: new Set(record.hostPorts), podIPs: new Map(record.podIPs) },
      ]),
    ),
    replicaSets: new Map(checked.replicaSets.map(([key, record]) => [key, { ...record }])),
    rejectedCreations: checked.rejectedCreations,
    events: [...checked.events],
    options: { ...checked.options },
    podCidrs,
  };
  const state = into ? Object.assign(into, restored) : restored;
  restoreIndexes(state, checked.indexes);
  return state;
}

/** The snapshot's envelope is what this build writes; the records inside are trusted (we wrote them). */
function checkSnapshot(value: unknown): ClusterSnapshot {
  if (typeof value !== 'object' || value === null) throw new IncompatibleSnapshotError('not a cluster snapshot: not an object');
  const candidate = value as Partial<ClusterSnapshot>;
  if (candidate.format !== SNAPSHOT_FORMAT) throw new IncompatibleSnapshotError(`not a cluster snapshot: format ${JSON.stringify(candidate.format)}`);
  if (candidate.version !== SNAPSHOT_VERSION) {
    throw new IncompatibleSnapshotError(`cluster snapshot version ${JSON.stringify(candidate.version)} is not the supported version ${SNAPSHOT_VERSION}`);
  }
  const arrays = ['pods', 'nodes', 'replicaSets', 'events'] as const;
  for (const field of arrays) if (!Array.isArray(candidate[field])) throw new IncompatibleSnapshotError(`cluster snapshot: ${field} is not an array`);
  if (!Number.isSafeInteger(candidate.seq) || typeof candidate.rejectedCreations !== 'number') throw new IncompatibleSnapshotError('cluster snapshot: seq or counters missing');
  const cidrs = candidate.podCidrs;
  if (!cidrs || !Array.isArray(cidrs.byName) || !Array.isArray(cidrs.taken) || typeof cidrs.lowestFree !== 'number') {
    throw new IncompatibleSnapshotError('cluster snapshot: podCidrs missing');
  }
  const indexes = candidate.indexes;
  const indexLists = indexes && [
    ...Object.values(indexes.pods ?? { missing: undefined }),
    ...Object.values(indexes.replicaSets ?? { missing: undefined }),
  ];
  // Checked before anything is restored, so that a refused snapshot leaves `into` untouched.
  if (!indexLists || indexLists.length !== 10 || !indexLists.every((list) => Array.isArray(list))) {
    throw new IncompatibleSnapshotError('cluster snapshot: indexes missing');
  }
  if (typeof candidate.options?.maxEvents !== 'number') throw new IncompatibleSnapshotError('cluster snapshot: options missing');
  return candidate as ClusterSnapshot;
}
