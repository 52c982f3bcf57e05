import { nodeForRegister, podForCreate, replicaSetForCreate } from '@flotilla/model';
import type { Container, LabelSelector, OwnerReference, ResourceListInput, Taint, Toleration } from '@flotilla/model';
import type {
  ContainerKind,
  ContainerProbeFailed,
  ContainerReadinessChanged,
  ContainerStarted,
  ContainerStartupProbeSucceeded,
  ContainerTerminated,
  ContainerWaiting,
  NodeEvictionTaintAdded,
  NodeMarkedReachable,
  NodeMarkedUnreachable,
  NodeRegistered,
  NodeRemoved,
  NodeUpdated,
  PodAdmissionRejected,
  PodBound,
  PodCreated,
  PodDeleted,
  PodDeletionRequested,
  PodEvicted,
  PodIdentity,
  PodNominated,
  PodSandboxReady,
  PodSandboxRemoved,
  PodSchedulingFailed,
  ReplicaSetCreated,
  ReplicaSetDeleted,
  ReplicaSetScaled,
} from '@flotilla/events';

// Domain event builders for specifications. Defaults name one pod (`default/pod-1`, uid
// `uid-pod-1`) on one node (`node-1`), so a spec only spells out what it is about.

/** Fixed time stamped into objects the builders create (event times come from spec.ts). */
export const BUILDER_TIME = '2026-01-01T00:00:00.000Z';

export interface PodRef {
  name?: string;
  namespace?: string;
  /** Defaults to `uid-${name}`. */
  uid?: string;
}

function ref(input: PodRef): { namespace: string; name: string; uid: string } {
  const name = input.name ?? 'pod-1';
  return { namespace: input.namespace ?? 'default', name, uid: input.uid ?? `uid-${name}` };
}

export interface PodInput extends PodRef {
  /** Requests of the single default container `app` (ignored when `containers` is given). */
  cpu?: string;
  memory?: string;
  /** Limits of the default container. */
  limits?: ResourceListInput;
  /** Extra requests of the default container, e.g. `{ 'example.com/gpu': '1' }`. */
  requests?: ResourceListInput;
  /** Host ports (TCP) of the default container. */
  hostPorts?: number[];
  containers?: Container[];
  initContainers?: Container[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  nodeName?: string;
  tolerations?: Toleration[];
  labels?: Record<string, string>;
  /** A built-in PriorityClass (`high-priority`, `low-priority`, ...): sets spec.priority from it. */
  priorityClassName?: string;
  /** spec.priority when no class is named. */
  priority?: number;
  preemptionPolicy?: 'PreemptLowerPriority' | 'Never';
  terminationGracePeriodSeconds?: number;
  ownerReferences?: OwnerReference[];
}

export function podCreated(input: PodInput = {}): PodCreated {
  const { namespace, name, uid } = ref(input);
  const requests: ResourceListInput = {
    ...(input.cpu !== undefined ? { cpu: input.cpu } : {}),
    ...(input.memory !== undefined ? { memory: input.memory } : {}),
    ...input.requests,
  };
  const defaultContainer: Container = {
    name: 'app',
    image: 'registry.example/app:1',
    ...(Object.keys(requests).length > 0 || input.limits
      ? { resources: { ...(Object.keys(requests).length > 0 ? { requests } : {}), ...(input.limits ? { limits: input.limits } : {}) } }
      : {}),
    ...(input.hostPorts ? { ports: input.hostPorts.map((port) => ({ containerPort: port, hostPort: port })) } : {}),
  };
  const pod = podForCreate(
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        ...(input.labels ? { labels: input.labels } : {}),
        ...(input.ownerReferences ? { ownerReferences: input.ownerReferences } : {}),
      },
      spec: {
        containers: input.containers ?? [defaultContainer],
        ...(input.initContainers ? { initContainers: input.initContainers } : {}),
        ...(input.restartPolicy ? { restartPolicy: input.restartPolicy } : {}),
        ...(input.nodeName !== undefined ? { nodeName: input.nodeName } : {}),
        ...(input.tolerations ? { tolerations: input.tolerations } : {}),
        ...(input.priorityClassName !== undefined ? { priorityClassName: input.priorityClassName } : {}),
        ...(input.priority !== undefined ? { priority: input.priority } : {}),
        ...(input.preemptionPolicy !== undefined ? { preemptionPolicy: input.preemptionPolicy } : {}),
        ...(input.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: input.terminationGracePeriodSeconds } : {}),
      },
    },
    { uid, now: BUILDER_TIME },
  );
  return { type: 'PodCreated', data: { pod } };
}

/** A container for `containers` / `initContainers`; `sidecar: true` makes a native sidecar. */
export function container(name: string, options: { cpu?: string; memory?: string; sidecar?: boolean; hostPort?: number } = {}): Container {
  const requests: ResourceListInput = {
    ...(options.cpu !== undefined ? { cpu: options.cpu } : {}),
    ...(options.memory !== undefined ? { memory: options.memory } : {}),
  };
  return {
    name,
    image: `registry.example/${name}:1`,
    ...(Object.keys(requests).length > 0 ? { resources: { requests } } : {}),
    ...(options.sidecar ? { restartPolicy: 'Always' as const } : {}),
    ...(options.hostPort !== undefined ? { ports: [{ containerPort: options.hostPort, hostPort: options.hostPort }] } : {}),
  };
}

export interface NodeInput {
  name?: string;
  uid?: string;
  cpu?: string;
  memory?: string;
  pods?: string;
  /** Further capacity, e.g. `{ 'example.com/gpu': '2' }`. */
  capacity?: Record<string, string>;
  /** Allocatable when it differs from capacity. */
  allocatable?: Record<string, string>;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  podCIDR?: string | null;
}

export function nodeRegistered(input: NodeInput = {}): NodeRegistered {
  const name = input.name ?? 'node-1';
  const capacity: Record<string, string> = {
    cpu: input.cpu ?? '4',
    memory: input.memory ?? '8Gi',
    ...(input.pods !== undefined ? { pods: input.pods } : {}),
    ...input.capacity,
  };
  const node = nodeForRegister(
    {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, ...(input.labels ? { labels: input.labels } : {}) },
      spec: {
        // null: the node brings no range and the fold assigns one.
        ...(input.podCIDR === null ? {} : { podCIDR: input.podCIDR ?? '10.244.1.0/24' }),
        ...(input.taints ? { taints: input.taints } : {}),
        ...(input.unschedulable !== undefined ? { unschedulable: input.unschedulable } : {}),
      },
      status: { capacity, ...(input.allocatable ? { allocatable: input.allocatable } : {}) },
    },
    { uid: input.uid ?? `uid-${name}`, now: BUILDER_TIME },
  );
  return { type: 'NodeRegistered', data: { node } };
}

export function nodeUpdated(input: { name?: string; labels?: Record<string, string>; taints?: Taint[]; unschedulable?: boolean }): NodeUpdated {
  return { type: 'NodeUpdated', data: { ...input, name: input.name ?? 'node-1' } };
}

export function nodeRemoved(input: { name?: string; reason?: string } = {}): NodeRemoved {
  return { type: 'NodeRemoved', data: { name: input.name ?? 'node-1', ...(input.reason !== undefined ? { reason: input.reason } : {}) } };
}

export function podBound(input: PodRef & { nodeName?: string; schedulerName?: string; attempt?: number } = {}): PodBound {
  return {
    type: 'PodBound',
    data: {
      ...ref(input),
      nodeName: input.nodeName ?? 'node-1',
      schedulerName: input.schedulerName ?? 'default-scheduler',
      attempt: input.attempt ?? 1,
    },
  };
}

export function podSchedulingFailed(
  input: PodRef & { message?: string; schedulerName?: string; attempt?: number; nominatedNodeName?: string } = {},
): PodSchedulingFailed {
  return {
    type: 'PodSchedulingFailed',
    data: {
      ...ref(input),
      schedulerName: input.schedulerName ?? 'default-scheduler',
      attempt: input.attempt ?? 1,
      message: input.message ?? '0/1 nodes are available: 1 Insufficient cpu.',
      ...(input.nominatedNodeName !== undefined ? { nominatedNodeName: input.nominatedNodeName } : {}),
    },
  };
}

/** The pod (default `pod-1`) nominated to `nodeName` by preemption; victims are given by name (uid `uid-${name}`) or ref. */
export function podNominated(
  input: PodRef & { nodeName?: string; victims?: Array<string | PodRef>; schedulerName?: string; attempt?: number; message?: string } = {},
): PodNominated {
  const victims: PodIdentity[] = (input.victims ?? []).map((victim) => ref(typeof victim === 'string' ? { name: victim } : victim));
  return {
    type: 'PodNominated',
    data: {
      ...ref(input),
      nodeName: input.nodeName ?? 'node-1',
      schedulerName: input.schedulerName ?? 'default-scheduler',
      attempt: input.attempt ?? 1,
      victims,
      message: input.message ?? '0/1 nodes are available: 1 Insufficient cpu.',
    },
  };
}

export function podAdmissionRejected(input: PodRef & { nodeName?: string; reason?: string; message?: string } = {}): PodAdmissionRejected {
  return {
    type: 'PodAdmissionRejected',
    data: {
      ...ref(input),
      nodeName: input.nodeName ?? 'node-1',
      reason: input.reason ?? 'OutOfcpu',
      message: input.message ?? 'Node didn\'t have enough resource: cpu, requested: 1000, used: 3500, capacity: 4000',
    },
  };
}

export function podSandboxReady(input: PodRef & { nodeName?: string; podIP?: string; hostIP?: string } = {}): PodSandboxReady {
  return {
    type: 'PodSandboxReady',
    data: { ...ref(input), nodeName: input.nodeName ?? 'node-1', podIP: input.podIP ?? '10.244.1.2', hostIP: input.hostIP ?? '192.168.0.1' },
  };
}

interface ContainerRef extends PodRef {
  nodeName?: string;
  /** Defaults to `app`. */
  container?: string;
  /** Defaults to `app`. */
  kind?: ContainerKind;
  restartCount?: number;
}

function containerRef(input: ContainerRef) {
  return {
    ...ref(input),
    nodeName: input.nodeName ?? 'node-1',
    container: input.container ?? 'app',
    kind: input.kind ?? 'app',
    restartCount: input.restartCount ?? 0,
  };
}

export function containerStarted(input: ContainerRef & { startedAt?: string } = {}): ContainerStarted {
  return { type: 'ContainerStarted', data: { ...containerRef(input), startedAt: input.startedAt ?? BUILDER_TIME } };
}

export function containerTerminated(
  input: ContainerRef & { exitCode?: number; reason?: string; message?: string; startedAt?: string; finishedAt?: string } = {},
): ContainerTerminated {
  const exitCode = input.exitCode ?? 0;
  return {
    type: 'ContainerTerminated',
    data: {
      ...containerRef(input),
      exitCode,
      reason: input.reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
      ...(input.message !== undefined ? { message: input.message } : {}),
      startedAt: input.startedAt ?? BUILDER_TIME,
      finishedAt: input.finishedAt ?? BUILDER_TIME,
    },
  };
}

export function containerWaiting(input: ContainerRef & { reason?: string; message?: string } = {}): ContainerWaiting {
  return {
    type: 'ContainerWaiting',
    data: {
      ...containerRef(input),
      reason: input.reason ?? 'CrashLoopBackOff',
      ...(input.message !== undefined ? { message: input.message } : {}),
    },
  };
}

export function containerReadinessChanged(input: ContainerRef & { ready?: boolean; message?: string } = {}): ContainerReadinessChanged {
  return {
    type: 'ContainerReadinessChanged',
    data: { ...containerRef(input), ready: input.ready ?? true, ...(input.message !== undefined ? { message: input.message } : {}) },
  };
}

export function containerStartupProbeSucceeded(input: ContainerRef = {}): ContainerStartupProbeSucceeded {
  return { type: 'ContainerStartupProbeSucceeded', data: containerRef(input) };
}

/** Defaults: the liveness probe failed 3 times in a row and the node restarts the container. */
export function containerProbeFailed(
  input: ContainerRef & { probe?: 'startup' | 'liveness' | 'readiness'; message?: string; consecutiveFailures?: number; action?: 'Restart' | 'None' } = {},
): ContainerProbeFailed {
  const probe = input.probe ?? 'liveness';
  return {
    type: 'ContainerProbeFailed',
    data: {
      ...containerRef(input),
      probe,
      message: input.message ?? 'HTTP probe failed with statuscode: 500',
      consecutiveFailures: input.consecutiveFailures ?? 3,
      action: input.action ?? (probe === 'readiness' ? 'None' : 'Restart'),
    },
  };
}

export function podSandboxRemoved(input: PodRef & { nodeName?: string } = {}): PodSandboxRemoved {
  return { type: 'PodSandboxRemoved', data: { ...ref(input), nodeName: input.nodeName ?? 'node-1' } };
}

export function podDeletionRequested(input: PodRef & { gracePeriodSeconds?: number; reason?: string; message?: string } = {}): PodDeletionRequested {
  return {
    type: 'PodDeletionRequested',
    data: {
      ...ref(input),
      gracePeriodSeconds: input.gracePeriodSeconds ?? 30,
      ...(input.reason !== undefined ? { reason: input.reason } : {}),
      ...(input.message !== undefined ? { message: input.message } : {}),
    },
  };
}

export function podDeleted(input: PodRef & { reason?: string } = {}): PodDeleted {
  return { type: 'PodDeleted', data: { ...ref(input), ...(input.reason !== undefined ? { reason: input.reason } : {}) } };
}

export function nodeMarkedUnreachable(input: { name?: string; leaseRenewTime?: string; message?: string } = {}): NodeMarkedUnreachable {
  return {
    type: 'NodeMarkedUnreachable',
    data: {
      name: input.name ?? 'node-1',
      ...(input.leaseRenewTime !== undefined ? { leaseRenewTime: input.leaseRenewTime } : {}),
      message: input.message ?? 'Kubelet stopped posting node status.',
    },
  };
}

export function nodeEvictionTaintAdded(input: { name?: string; leaseRenewTime?: string } = {}): NodeEvictionTaintAdded {
  return {
    type: 'NodeEvictionTaintAdded',
    data: { name: input.name ?? 'node-1', ...(input.leaseRenewTime !== undefined ? { leaseRenewTime: input.leaseRenewTime } : {}) },
  };
}

/** Defaults to a renewal at 2026-01-01T01:00:00Z (after any lapse a spec marks). */
export function nodeMarkedReachable(input: { name?: string; leaseRenewTime?: string } = {}): NodeMarkedReachable {
  return { type: 'NodeMarkedReachable', data: { name: input.name ?? 'node-1', leaseRenewTime: input.leaseRenewTime ?? '2026-01-01T01:00:00.000Z' } };
}

export function podEvicted(input: PodRef & { nodeName?: string; reason?: string; message?: string } = {}): PodEvicted {
  return {
    type: 'PodEvicted',
    data: {
      ...ref(input),
      nodeName: input.nodeName ?? 'node-1',
      reason: input.reason ?? 'NodeLost',
      message: input.message ?? 'Node node-1 which was running pod pod-1 is unresponsive',
    },
  };
}

export interface ReplicaSetInput {
  /** Defaults to `web`. */
  name?: string;
  namespace?: string;
  /** Defaults to `uid-${name}`. */
  uid?: string;
  /** Defaults to 3. */
  replicas?: number;
  minReadySeconds?: number;
  /** Defaults to `{ matchLabels: { app: name } }`. */
  selector?: LabelSelector;
  /** The template's labels; default `{ app: name }`. */
  labels?: Record<string, string>;
  /** Request of the template's single container. */
  cpu?: string;
}

function replicaSetRef(input: { name?: string; namespace?: string; uid?: string }): { namespace: string; name: string; uid: string } {
  const name = input.name ?? 'web';
  return { namespace: input.namespace ?? 'default', name, uid: input.uid ?? `uid-${name}` };
}

export function replicaSetCreated(input: ReplicaSetInput = {}): ReplicaSetCreated {
  const { namespace, name, uid } = replicaSetRef(input);
  const labels = input.labels ?? { app: name };
  const replicaSet = replicaSetForCreate(
    {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace },
      spec: {
        replicas: input.replicas ?? 3,
        ...(input.minReadySeconds !== undefined ? { minReadySeconds: input.minReadySeconds } : {}),
        selector: input.selector ?? { matchLabels: { app: name } },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'app', image: 'registry.example/app:1', ...(input.cpu !== undefined ? { resources: { requests: { cpu: input.cpu } } } : {}) }] },
        },
      },
    },
    { uid, now: BUILDER_TIME },
  );
  return { type: 'ReplicaSetCreated', data: { replicaSet } };
}

export function replicaSetScaled(input: { name?: string; namespace?: string; uid?: string; replicas: number; generation?: number }): ReplicaSetScaled {
  return { type: 'ReplicaSetScaled', data: { ...replicaSetRef(input), replicas: input.replicas, generation: input.generation ?? 2 } };
}

export function replicaSetDeleted(input: { name?: string; namespace?: string; uid?: string } = {}): ReplicaSetDeleted {
  return { type: 'ReplicaSetDeleted', data: replicaSetRef(input) };
}

/**
 * A PodCreated for a pod of ReplicaSet `owner` (default `web`, uid `uid-${owner}`): controller owner
 * reference, the template's default labels. The pod is named `${owner}-${suffix}`.
 */
export function ownedPodCreated(suffix: string, input: PodInput & { owner?: string; ownerUid?: string } = {}): PodCreated {
  const owner = input.owner ?? 'web';
  const { owner: _owner, ownerUid, ...rest } = input;
  return podCreated({
    labels: { app: owner },
    ...rest,
    name: input.name ?? `${owner}-${suffix}`,
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: ownerUid ?? `uid-${owner}`, controller: true, blockOwnerDeletion: true },
    ],
  });
}
