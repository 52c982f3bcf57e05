import { createClusterState } from '@flotilla/state';
// Builders for specifications: PodRecord / NodeRecord / ClusterState shaped as the fold makes them.
import { PODS, addResources, effectivePodRequest, isSidecar, nodeAllocatable, nodeForRegister, podForCreate } from '@flotilla/model';
import type { Affinity, Container, OwnerReference, PodPhase, ResourceListInput, Taint, Toleration, TopologySpreadConstraint } from '@flotilla/model';
import type { ClusterState, NodeRecord, PodRecord } from '@flotilla/state';
import { AssumedPods } from '../framework/assumed-pods.ts';
import { buildNodeInfos } from '../framework/node-info.ts';
import type { NodeInfo } from '../framework/types.ts';

export const T0 = '2026-01-01T00:00:00.000Z';

export interface PodOptions {
  name?: string;
  namespace?: string;
  uid?: string;
  /** Requests of the single default container (ignored when `containers` is given). */
  cpu?: string;
  memory?: string;
  requests?: ResourceListInput;
  /** TCP host ports of the default container. */
  hostPorts?: number[];
  containers?: Container[];
  initContainers?: Container[];
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
  priority?: number;
  resourceVersion?: number;
  /** The node the fold bound it to. */
  boundTo?: string;
  labels?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  affinity?: Affinity;
  topologySpreadConstraints?: TopologySpreadConstraint[];
  /** status.phase (e.g. Succeeded for a terminal pod). */
  phase?: PodPhase;
  /** Deletion requested (terminating). */
  deleting?: boolean;
}

/** An ownerReference to a controller (a ReplicaSet by default) with the given uid. */
export function controllerRef(uid: string, kind = 'ReplicaSet'): OwnerReference {
  return { apiVersion: 'apps/v1', kind, name: `rs-${uid}`, uid, controller: true };
}

export function podRecord(options: PodOptions = {}): PodRecord {
  const name = options.name ?? 'pod-1';
  const requests: ResourceListInput = {
    ...(options.cpu !== undefined ? { cpu: options.cpu } : {}),
    ...(options.memory !== undefined ? { memory: options.memory } : {}),
    ...options.requests,
  };
  const app: Container = {
    name: 'app',
    ...(Object.keys(requests).length > 0 ? { resources: { requests } } : {}),
    ...(options.hostPorts ? { ports: options.hostPorts.map((port) => ({ containerPort: port, hostPort: port })) } : {}),
  };
  const pod = podForCreate(
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        ...(options.labels ? { labels: options.labels } : {}),
        ...(options.ownerReferences ? { ownerReferences: options.ownerReferences } : {}),
      },
      spec: {
        containers: options.containers ?? [app],
        ...(options.initContainers ? { initContainers: options.initContainers } : {}),
        ...(options.nodeName !== undefined ? { nodeName: options.nodeName } : {}),
        ...(options.nodeSelector ? { nodeSelector: options.nodeSelector } : {}),
        ...(options.tolerations ? { tolerations: options.tolerations } : {}),
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
        ...(options.affinity ? { affinity: options.affinity } : {}),
        ...(options.topologySpreadConstraints ? { topologySpreadConstraints: options.topologySpreadConstraints } : {}),
      },
    },
    { uid: options.uid ?? `uid-${name}`, now: T0, ...(options.namespace ? { namespace: options.namespace } : {}) },
  );
  const request = effectivePodRequest(pod.spec);
  request[PODS] = 1;
  const hostPorts = new Set<string>();
  for (const container of [...pod.spec.containers, ...(pod.spec.initContainers ?? []).filter(isSidecar)]) {
    for (const port of container.ports ?? []) {
      if (port.hostPort !== undefined) hostPorts.add(`${port.protocol ?? 'TCP'}/${port.hostPort}`);
    }
  }
  if (options.phase !== undefined) pod.status = { ...pod.status, phase: options.phase };
  if (options.deleting) pod.metadata = { ...pod.metadata, deletionTimestamp: T0, deletionGracePeriodSeconds: 30 };
  return {
    pod,
    key: `${pod.metadata.namespace}/${pod.metadata.name}`,
    resourceVersion: options.resourceVersion ?? 1,
    request,
    hostPorts: [...hostPorts],
    ...(options.boundTo !== undefined ? { nodeName: options.boundTo, boundSeq: 2 } : {}),
    schedulingAttempts: 0,
    released: false,
    ...(options.deleting ? { deletion: { seq: 3, gracePeriodSeconds: 30, requestedAt: T0 } } : {}),
  };
}

export interface NodeOptions {
  name: string;
  cpu?: string;
  memory?: string;
  pods?: number;
  /** Other allocatable resources. */
  extra?: ResourceListInput;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
}

export function nodeRecord(options: NodeOptions, bound: readonly PodRecord[] = []): NodeRecord {
  const capacity: ResourceListInput = {
    cpu: options.cpu ?? '4',
    memory: options.memory ?? '8Gi',
    pods: options.pods ?? 110,
    ...options.extra,
  };
  const node = nodeForRegister(
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: options.name, ...(options.labels ? { labels: options.labels } : {}) },
      spec: {
        ...(options.taints ? { taints: options.taints } : {}),
        ...(options.unschedulable !== undefined ? { unschedulable: options.unschedulable } : {}),
      },
      status: { capacity },
    },
    { uid: `uid-${options.name}`, now: T0 },
  );
  const requested = {};
  const podKeys = new Set<string>();
  const hostPorts = new Set<string>();
  for (const pod of bound) {
    addResources(requested, pod.request);
    podKeys.add(pod.key);
    for (const port of pod.hostPorts) hostPorts.add(port);
  }
  return {
    node,
    resourceVersion: 1,
    allocatable: nodeAllocatable(node.status),
    requested,
    podKeys,
    hostPorts,
    podIPs: new Map(),
  };
}

/** A cluster whose pods with `boundTo` are counted on their nodes. */
export function clusterState(nodes: readonly NodeOptions[], pods: readonly PodOptions[] = []): ClusterState {
  const podRecords = pods.map((options) => podRecord(options));
  const byNode = new Map<string, PodRecord[]>();
  for (const pod of podRecords) {
    if (pod.nodeName !== undefined) byNode.set(pod.nodeName, [...(byNode.get(pod.nodeName) ?? []), pod]);
  }
  const nodeRecords = nodes.map((options) => nodeRecord(options, byNode.get(options.name) ?? []));
  // Everything else (ReplicaSets, counters, the CIDR allocator) as an empty cluster has it.
  return {
    ...createClusterState(),
    seq: 10,
    pods: new Map(podRecords.map((pod) => [pod.key, pod])),
    nodes: new Map(nodeRecords.map((record) => [record.node.metadata.name, record])),
    events: [],
    options: { maxEvents: 100 },
  };
}

/** NodeInfos of a cluster given as options (no assumed pods unless given). */
export function nodeInfos(nodes: readonly NodeOptions[], pods: readonly PodOptions[] = [], assumed = new AssumedPods()): NodeInfo[] {
  return buildNodeInfos(clusterState(nodes, pods), assumed);
}

export function nodeInfo(node: NodeOptions, pods: readonly PodOptions[] = []): NodeInfo {
  return nodeInfos([node], pods.map((pod) => ({ ...pod, boundTo: node.name })))[0]!;
}
