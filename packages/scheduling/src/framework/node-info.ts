import { CPU, MEMORY, addResources } from '@flotilla/model';
import type { Node, Resources } from '@flotilla/model';
import type { ClusterState, NodeRecord, PodRecord, StateChange } from '@flotilla/state';
import type { AssumedPod, AssumedPods } from './assumed-pods.ts';
import { nonZeroRequestOf } from './resource-helpers.ts';
import type { NodeInfo } from './types.ts';

const EMPTY_KEYS: ReadonlySet<string> = new Set<string>();

/** Source of NodeInfo generations: every (re)built CachedNodeInfo takes the next one. */
let lastGeneration = 0;

/** Whether the pod has pod affinity or anti-affinity (kube-scheduler's PodsWithAffinity membership). */
function hasPodAffinity(pod: PodRecord): boolean {
  const affinity = pod.pod.spec.affinity;
  return affinity !== undefined && (affinity.podAffinity !== undefined || affinity.podAntiAffinity !== undefined);
}

/** The keys whose pods have pod affinity or anti-affinity (a shared empty set when none do). */
function podsWithAffinityOf(keys: ReadonlySet<string>, pods: ReadonlyMap<string, PodRecord>): ReadonlySet<string> {
  let out: Set<string> | undefined;
  for (const key of keys) {
    const pod = pods.get(key);
    if (pod !== undefined && hasPodAffinity(pod)) (out ??= new Set()).add(key);
  }
  return out ?? EMPTY_KEYS;
}

/**
 * NodeInfo over a NodeRecord. Nodes without assumed pods share the record's own objects (no copies:
 * this runs for every node on every attempt); nodes with assumed pods get merged copies.
 */
class NodeInfoView implements NodeInfo {
  readonly name: string;
  readonly node: Node;
  readonly allocatable: Readonly<Resources>;
  readonly requested: Readonly<Resources>;
  readonly hostPorts: ReadonlySet<string>;
  readonly podKeys: ReadonlySet<string>;
  readonly assumedPodKeys: ReadonlySet<string>;
  readonly #record: NodeRecord;
  readonly #pods: ReadonlyMap<string, PodRecord>;
  readonly #assumedNonZero: Readonly<Resources> | undefined;
  #nonZeroRequested: Resources | undefined;
  #podsWithAffinity: ReadonlySet<string> | undefined;

  constructor(
    record: NodeRecord,
    pods: ReadonlyMap<string, PodRecord>,
    assumed: readonly AssumedPod[],
    sums?: { requested: Readonly<Resources>; nonZeroRequested: Readonly<Resources>; hostPorts: Iterable<string> },
  ) {
    this.#record = record;
    this.#pods = pods;
    this.node = record.node;
    this.name = record.node.metadata.name;
    this.allocatable = record.allocatable;
    if (assumed.length === 0) {
      this.requested = record.requested;
      this.hostPorts = record.hostPorts;
      this.podKeys = record.podKeys;
      this.assumedPodKeys = EMPTY_KEYS;
      return;
    }
    const requested = { ...record.requested };
    const hostPorts = new Set(record.hostPorts);
    const podKeys = new Set(record.podKeys);
    const assumedKeys = new Set<string>();
    if (sums !== undefined) {
      addResources(requested, sums.requested);
      for (const port of sums.hostPorts) hostPorts.add(port);
      this.#assumedNonZero = sums.nonZeroRequested;
    } else {
      const nonZero: Resources = {};
      for (const pod of assumed) {
        addResources(requested, pod.request);
        addResources(nonZero, pod.nonZeroRequest);
        for (const port of pod.hostPorts) hostPorts.add(port);
      }
      this.#assumedNonZero = nonZero;
    }
    for (const pod of assumed) {
      podKeys.add(pod.key);
      assumedKeys.add(pod.key);
    }
    this.requested = requested;
    this.hostPorts = hostPorts;
    this.podKeys = podKeys;
    this.assumedPodKeys = assumedKeys;
  }

  /** Computed on first read (InterPodAffinity reads it on every node). */
  get podsWithAffinity(): ReadonlySet<string> {
    this.#podsWithAffinity ??= podsWithAffinityOf(this.podKeys, this.#pods);
    return this.#podsWithAffinity;
  }

  get nonZeroRequested(): Readonly<Resources> {
    if (this.#nonZeroRequested === undefined) {
      // Hot path (every feasible node, every attempt): plain sums of the two resources, no allocation per pod.
      let cpu = 0;
      let memory = 0;
      for (const key of this.#record.podKeys) {
        const pod = this.#pods.get(key);
        if (pod === undefined) continue;
        const request = nonZeroRequestOf(pod.pod);
        cpu += request[CPU] ?? 0;
        memory += request[MEMORY] ?? 0;
      }
      if (this.#assumedNonZero !== undefined) {
        cpu += this.#assumedNonZero[CPU] ?? 0;
        memory += this.#assumedNonZero[MEMORY] ?? 0;
      }
      this.#nonZeroRequested = { [CPU]: cpu, [MEMORY]: memory };
    }
    return this.#nonZeroRequested;
  }
}

/**
 * One node's view: the record plus the pods assumed onto it that the record does not count yet
 * (an assumed pod the fold already bound here is not counted twice).
 */
export function nodeInfoOf(record: NodeRecord, pods: ReadonlyMap<string, PodRecord>, assumed?: AssumedPods): NodeInfo {
  const sums = assumed?.onNode(record.node.metadata.name);
  if (sums === undefined) return new NodeInfoView(record, pods, []);
  const pending = [...sums.pods.values()];
  const notFolded = pending.filter((pod) => !record.podKeys.has(pod.key));
  if (notFolded.length === pending.length) {
    return new NodeInfoView(record, pods, notFolded, {
      requested: sums.requested,
      nonZeroRequested: sums.nonZeroRequested,
      hostPorts: sums.hostPorts.keys(),
    });
  }
  return new NodeInfoView(record, pods, notFolded);
}

/** Every node of the fold, in the fold's order, with this scheduler's assumed pods added. */
export function buildNodeInfos(state: ClusterState, assumed: AssumedPods): NodeInfo[] {
  const infos: NodeInfo[] = [];
  for (const record of state.nodes.values()) infos.push(nodeInfoOf(record, state.pods, assumed));
  return infos;
}

/**
 * One node's NodeInfo kept across attempts, as plain fields (the framework reads them for every node
 * it evaluates). NodeInfoCache refreshes it when the fold or the assumptions changed the node.
 */
class CachedNodeInfo implements NodeInfo {
  readonly name: string;
  readonly record: NodeRecord;
  node: Node;
  allocatable: Readonly<Resources>;
  requested: Readonly<Resources>;
  nonZeroRequested: Readonly<Resources>;
  hostPorts: ReadonlySet<string>;
  podKeys: ReadonlySet<string>;
  assumedPodKeys: ReadonlySet<string>;
  podsWithAffinity: ReadonlySet<string>;
  generation: number;

  constructor(record: NodeRecord, pods: ReadonlyMap<string, PodRecord>, assumed: AssumedPods) {
    this.record = record;
    this.name = record.node.metadata.name;
    const view = nodeInfoOf(record, pods, assumed);
    this.node = view.node;
    this.allocatable = view.allocatable;
    this.requested = view.requested;
    this.nonZeroRequested = view.nonZeroRequested;
    this.hostPorts = view.hostPorts;
    this.podKeys = view.podKeys;
    this.assumedPodKeys = view.assumedPodKeys;
    this.podsWithAffinity = view.podsWithAffinity ?? EMPTY_KEYS;
    this.generation = ++lastGeneration;
  }

  refresh(pods: ReadonlyMap<string, PodRecord>, assumed: AssumedPods): void {
    const view = nodeInfoOf(this.record, pods, assumed);
    this.node = view.node;
    this.allocatable = view.allocatable;
    this.requested = view.requested;
    this.nonZeroRequested = view.nonZeroRequested;
    this.hostPorts = view.hostPorts;
    this.podKeys = view.podKeys;
    this.assumedPodKeys = view.assumedPodKeys;
    this.podsWithAffinity = view.podsWithAffinity ?? EMPTY_KEYS;
    this.generation = ++lastGeneration;
  }
}

/**
 * The scheduler's node list across attempts, as kube-scheduler's cache snapshot: `nodes()` returns
 * the same NodeInfo objects attempt after attempt and refreshes only the nodes that changed since
 * the previous call, so that one decision costs O(nodes it evaluates + nodes changed), not
 * O(all nodes + all pods) as buildNodeInfos does.
 *
 * It has to hear of every change: the owner passes each applied event's StateChanges to
 * `applyChanges` (every fold change to a node's pods names that node in the pod's spec.nodeName or
 * in previousNodeName), and AssumedPods reports assume and forget itself.
 */
export class NodeInfoCache {
  readonly #state: ClusterState;
  readonly #assumed: AssumedPods;
  readonly #byName = new Map<string, CachedNodeInfo>();
  readonly #dirty = new Set<string>();
  #list: CachedNodeInfo[] | undefined;
  readonly #unsubscribe: () => void;

  constructor(state: ClusterState, assumed: AssumedPods) {
    this.#state = state;
    this.#assumed = assumed;
    this.#unsubscribe = assumed.onNodeChanged((nodeName) => this.#dirty.add(nodeName));
  }

  /** Notes what the fold's changes made stale. */
  applyChanges(changes: readonly StateChange[]): void {
    for (const change of changes) {
      if (change.kind === 'Node') {
        if (change.type === 'MODIFIED') this.#dirty.add(change.key);
        else this.#list = undefined;
      } else if (change.kind === 'Pod') {
        const nodeName = change.object.spec.nodeName;
        if (nodeName !== undefined) this.#dirty.add(nodeName);
        if (change.previousNodeName !== undefined) this.#dirty.add(change.previousNodeName);
      }
    }
  }

  /** Every node of the fold, in the fold's order, with the assumed pods added. */
  nodes(): readonly NodeInfo[] {
    const pods = this.#state.pods;
    if (this.#list === undefined) {
      const list: CachedNodeInfo[] = [];
      const seen = new Set<string>();
      for (const [name, record] of this.#state.nodes) {
        let info = this.#byName.get(name);
        if (info === undefined || info.record !== record) {
          info = new CachedNodeInfo(record, pods, this.#assumed);
          this.#byName.set(name, info);
        } else if (this.#dirty.has(name)) {
          info.refresh(pods, this.#assumed);
        }
        seen.add(name);
        list.push(info);
      }
      for (const name of this.#byName.keys()) if (!seen.has(name)) this.#byName.delete(name);
      this.#dirty.clear();
      this.#list = list;
      return list;
    }
    if (this.#dirty.size > 0) {
      for (const name of this.#dirty) this.#byName.get(name)?.refresh(pods, this.#assumed);
      this.#dirty.clear();
    }
    return this.#list;
  }

  /** Forgets everything (the next nodes() rebuilds from the fold). */
  reset(): void {
    this.#byName.clear();
    this.#dirty.clear();
    this.#list = undefined;
  }

  /** Stops listening to the assumptions. */
  close(): void {
    this.#unsubscribe();
  }
}
