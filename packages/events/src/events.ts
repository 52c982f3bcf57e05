import type { Node, Pod, ReplicaSet, Taint } from '@flotilla/model';

// The domain events. Past tense, one per fact. Every state in Flotilla is a fold of these.
// Payload shapes are versioned by `schemaVersion` on the envelope; upcasters.ts lifts old ones.

/** API accepted a new pod. `pod` carries identity (uid), defaults and no status. */
export interface PodCreated { type: 'PodCreated'; data: { pod: Pod } }

/** A user asked to delete a pod; a bound pod's node stops it within the grace period. */
export interface PodDeletionRequested {
  type: 'PodDeletionRequested';
  data: {
    namespace: string;
    name: string;
    uid: string;
    gracePeriodSeconds: number;
    /** Why, when it is not a user's request: 'Preempted' (a scheduler evicts the pod to make room). */
    reason?: string;
    /** Detail for the reason, e.g. the DisruptionTarget condition's message. */
    message?: string;
  };
}

/** The pod object is gone: never bound, stopped by its node, or force-deleted. */
export interface PodDeleted {
  type: 'PodDeleted';
  data: { namespace: string; name: string; uid: string; reason?: string };
}

/** Per-node outcome of one scheduling attempt, kept so that every decision can be explained. */
export interface NodeVerdict {
  node: string;
  /** Filter plugin that rejected the node, if any, with its reasons. */
  rejectedBy?: string;
  reasons?: string[];
  /** Final weighted score, for feasible nodes. */
  score?: number;
  /** Per-plugin weighted scores. */
  scores?: Record<string, number>;
  /** Per score plugin: its raw score, the score after NormalizeScore (0–100), and that times the weight. */
  plugins?: Record<string, PluginScore>;
}

/** One score plugin's contribution to one node's total. */
export interface PluginScore {
  raw: number;
  normalized: number;
  weighted: number;
}

/**
 * Counts for one scheduling attempt, kept even when the verdict table is trimmed (large clusters).
 * `rejectedBy` maps a rejection as the verdict table prints it (`Plugin: reason, reason`) to the
 * number of evaluated nodes it rejected; the counts add up to `evaluated - feasible`.
 */
export interface SchedulingSummary {
  /** Nodes in the cluster when the attempt ran. */
  nodes?: number;
  /** Nodes Filter ran on (fewer than `nodes` when percentageOfNodesToScore stopped the search early). */
  evaluated: number;
  /** Evaluated nodes that passed every Filter. */
  feasible: number;
  rejectedBy: Record<string, number>;
}

/**
 * A scheduler chose a node. The fold decides whether it takes effect: only if the pod is still
 * pending with this uid and the node exists, is schedulable and has room at this point of the log.
 */
export interface PodBound {
  type: 'PodBound';
  data: {
    namespace: string;
    name: string;
    uid: string;
    nodeName: string;
    schedulerName: string;
    /** Binding attempt counter from the scheduler's fold; part of the Nats-Msg-Id. */
    attempt: number;
    /** The chosen node's and the best alternatives' verdicts. */
    verdicts?: NodeVerdict[];
    summary?: SchedulingSummary;
  };
}

/** A scheduling attempt found no node. The message is kube-scheduler's `0/N nodes are available: ...`. */
export interface PodSchedulingFailed {
  type: 'PodSchedulingFailed';
  data: {
    namespace: string;
    name: string;
    uid: string;
    schedulerName: string;
    attempt: number;
    message: string;
    verdicts?: NodeVerdict[];
    summary?: SchedulingSummary;
    /**
     * The pod's nomination after this attempt, as kube-scheduler's NominatingInfo: absent leaves
     * status.nominatedNodeName as it is; '' clears it (preemption cannot help any more).
     */
    nominatedNodeName?: string;
  };
}

/** A pod named by namespace, name and uid (the uid tells a pod from a later one of the same name). */
export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
}

/**
 * Preemption: no node fits the pod, but it will fit on `nodeName` once `victims` (lower-priority
 * pods there) are gone. The scheduler appends a PodDeletionRequested (reason Preempted) for each
 * victim first; the fold sets the pod's status.nominatedNodeName and records a Preempted Event on
 * each victim. The nomination holds the room for the pod against pods of lower or equal priority.
 */
export interface PodNominated {
  type: 'PodNominated';
  data: {
    namespace: string;
    name: string;
    uid: string;
    nodeName: string;
    schedulerName: string;
    /** The scheduling attempt that preempted (the same attempt's PodSchedulingFailed follows). */
    attempt: number;
    victims: PodIdentity[];
    /** Why the pod could not be placed without preemption (kube-scheduler's FailedScheduling message). */
    message: string;
  };
}

/** The node agent refused a pod bound to it (it does not fit there); the pod goes back to pending. */
export interface PodAdmissionRejected {
  type: 'PodAdmissionRejected';
  data: { namespace: string; name: string; uid: string; nodeName: string; reason: string; message: string };
}

/** The node built the pod's sandbox: network (one IP for all containers) and volumes. */
export interface PodSandboxReady {
  type: 'PodSandboxReady';
  data: { namespace: string; name: string; uid: string; nodeName: string; podIP: string; hostIP: string };
}

export type ContainerKind = 'init' | 'sidecar' | 'app';

export interface ContainerStarted {
  type: 'ContainerStarted';
  data: {
    namespace: string;
    name: string;
    uid: string;
    nodeName: string;
    container: string;
    kind: ContainerKind;
    startedAt: string;
    restartCount: number;
  };
}

export interface ContainerTerminated {
  type: 'ContainerTerminated';
  data: {
    namespace: string;
    name: string;
    uid: string;
    nodeName: string;
    container: string;
    kind: ContainerKind;
    exitCode: number;
    /** Completed (exit 0), Error, OOMKilled, or the reason the node stopped it. */
    reason: string;
    message?: string;
    startedAt: string;
    finishedAt: string;
    restartCount: number;
  };
}

/** A container is waiting: ContainerCreating, PodInitializing, CrashLoopBackOff, CreateContainerConfigError. */
export interface ContainerWaiting {
  type: 'ContainerWaiting';
  data: {
    namespace: string;
    name: string;
    uid: string;
    nodeName: string;
    container: string;
    kind: ContainerKind;
    reason: string;
    message?: string;
    restartCount: number;
  };
}

/**
 * A container's readiness changed: its readiness probe crossed successThreshold / failureThreshold,
 * or (no readiness probe) it became ready on starting. The fold keeps `ready` in the container status;
 * `Ready` and `ContainersReady` follow from it.
 */
export interface ContainerReadinessChanged {
  type: 'ContainerReadinessChanged';
  data: {
    namespace: string;
    name: string;
    uid: string;
    nodeName: string;
    container: string;
    kind: ContainerKind;
    ready: boolean;
    restartCount: number;
    message?: string;
  };
}

/** The container's startup probe succeeded: `started` becomes true; liveness and readiness probes begin. */
export interface ContainerStartupProbeSucceeded {
  type: 'ContainerStartupProbeSucceeded';
  data: { namespace: string; name: string; uid: string; nodeName: string; container: string; kind: ContainerKind; restartCount: number };
}

/**
 * A probe reached its failureThreshold (reported once per crossing, not per failed attempt). For
 * liveness and startup probes the node then kills the container (`action: 'Restart'`), as the kubelet does.
 */
export interface ContainerProbeFailed {
  type: 'ContainerProbeFailed';
  data: {
    namespace: string;
    name: string;
    uid: string;
    nodeName: string;
    container: string;
    kind: ContainerKind;
    probe: 'startup' | 'liveness' | 'readiness';
    message: string;
    consecutiveFailures: number;
    action: 'Restart' | 'None';
    restartCount: number;
  };
}

/** The node stopped every container of the pod and removed its sandbox; the IP is free again. */
export interface PodSandboxRemoved {
  type: 'PodSandboxRemoved';
  data: { namespace: string; name: string; uid: string; nodeName: string };
}

export interface NodeRegistered { type: 'NodeRegistered'; data: { node: Node } }

/** Spec changes made to a node after it registered (cordon, taints, labels). */
export interface NodeUpdated {
  type: 'NodeUpdated';
  data: { name: string; labels?: Record<string, string>; taints?: Taint[]; unschedulable?: boolean };
}

export interface NodeRemoved { type: 'NodeRemoved'; data: { name: string; reason?: string } }

/**
 * The node lifecycle controller found the node's lease older than the grace period: the fold sets
 * `Ready=Unknown` (reason NodeStatusUnknown, "Kubelet stopped posting node status.") and adds the taint
 * `node.kubernetes.io/unreachable:NoSchedule`, so the scheduler stops placing pods there.
 * `leaseRenewTime` is the last renewal the controller saw (part of the message id: one fact per lapse).
 */
export interface NodeMarkedUnreachable {
  type: 'NodeMarkedUnreachable';
  data: { name: string; leaseRenewTime?: string; message: string };
}

/**
 * The controller's eviction rate limiter let this unreachable node through: the fold adds
 * `node.kubernetes.io/unreachable:NoExecute` with `timeAdded` = the event's time. Pods that do not
 * tolerate it are evicted at once, the others after their `tolerationSeconds` from `timeAdded`.
 */
export interface NodeEvictionTaintAdded {
  type: 'NodeEvictionTaintAdded';
  data: { name: string; leaseRenewTime?: string };
}

/** The node's lease is renewed again: `Ready=True` and both unreachable taints removed (pending evictions are off). */
export interface NodeMarkedReachable {
  type: 'NodeMarkedReachable';
  data: { name: string; leaseRenewTime: string };
}

/**
 * The node lifecycle controller evicted a pod from an unreachable node (its toleration for the
 * unreachable taint ran out, or it had none). The fold ends the pod `Failed` with this reason
 * (`NodeLost`), adds the DisruptionTarget condition (DeletionByTaintManager), frees the node's
 * resources and the pod IP, and from then on ignores status reports for it: the pod's node, when it
 * comes back, stops it.
 */
export interface PodEvicted {
  type: 'PodEvicted';
  data: { namespace: string; name: string; uid: string; nodeName: string; reason: string; message: string };
}

/** The API accepted a ReplicaSet (identity, generation 1, defaults). */
export interface ReplicaSetCreated { type: 'ReplicaSetCreated'; data: { replicaSet: ReplicaSet } }

/** `spec.replicas` changed (scale subresource or an update). `generation` is the new generation. */
export interface ReplicaSetScaled {
  type: 'ReplicaSetScaled';
  data: { namespace: string; name: string; uid: string; replicas: number; generation: number };
}

/**
 * The ReplicaSet object is gone (background propagation, kubectl's default): the controller then
 * deletes the pods it owned.
 */
export interface ReplicaSetDeleted {
  type: 'ReplicaSetDeleted';
  data: { namespace: string; name: string; uid: string };
}

export type DomainEvent =
  | PodCreated
  | PodDeletionRequested
  | PodDeleted
  | PodBound
  | PodSchedulingFailed
  | PodNominated
  | PodAdmissionRejected
  | PodSandboxReady
  | ContainerStarted
  | ContainerTerminated
  | ContainerWaiting
  | ContainerReadinessChanged
  | ContainerStartupProbeSucceeded
  | ContainerProbeFailed
  | PodSandboxRemoved
  | NodeRegistered
  | NodeUpdated
  | NodeRemoved
  | NodeMarkedUnreachable
  | NodeEvictionTaintAdded
  | NodeMarkedReachable
  | PodEvicted
  | ReplicaSetCreated
  | ReplicaSetScaled
  | ReplicaSetDeleted;

export type DomainEventType = DomainEvent['type'];
export type EventOfType<T extends DomainEventType> = Extract<DomainEvent, { type: T }>;
export type EventData<T extends DomainEventType> = EventOfType<T>['data'];

export const DOMAIN_EVENT_TYPES: readonly DomainEventType[] = [
  'PodCreated',
  'PodDeletionRequested',
  'PodDeleted',
  'PodBound',
  'PodSchedulingFailed',
  'PodNominated',
  'PodAdmissionRejected',
  'PodSandboxReady',
  'ContainerStarted',
  'ContainerTerminated',
  'ContainerWaiting',
  'ContainerReadinessChanged',
  'ContainerStartupProbeSucceeded',
  'ContainerProbeFailed',
  'PodSandboxRemoved',
  'NodeRegistered',
  'NodeUpdated',
  'NodeRemoved',
  'NodeMarkedUnreachable',
  'NodeEvictionTaintAdded',
  'NodeMarkedReachable',
  'PodEvicted',
  'ReplicaSetCreated',
  'ReplicaSetScaled',
  'ReplicaSetDeleted',
];

/** Current payload schema version per event type. */
export const SCHEMA_VERSIONS: Record<DomainEventType, number> = Object.fromEntries(
  DOMAIN_EVENT_TYPES.map((type) => [type, 1]),
) as Record<DomainEventType, number>;
