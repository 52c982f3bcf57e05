import { CPU, MEMORY, addResources } from '@flotilla/model';
import type { Node, Resources } from '@flotilla/model';
import type { ClusterState, NodeRecord, PodRecord } from '@flotilla/state';
import type { AssumedPod, AssumedPods } from './assumed-pods.ts';
import { nonZeroRequestOf } from './resource-helpers.ts';
import type { NodeInfo } from './types.ts';

const EMPTY_KEYS: ReadonlySet<string> = new Set<string>();

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
