import type { Node, Pod, ReplicaSet, Resources } from '@flotilla/model';
import type { NodeVerdict, SchedulingSummary } from '@flotilla/events';
import type { PodCidrAllocator } from './pod-cidr.ts';

/** Why a binding did not take effect, as the fold recorded it. */
export interface BindingRejection {
  seq: number;
  nodeName: string;
  /** Stable reason code: PodNotFound, UidMismatch, AlreadyBound, PodTerminating, NodeNotFound, NodeUnschedulable, InsufficientResources, HostPortConflict, NodeNameMismatch, AdmissionRejected */
  reason: string;
  message: string;
}

/**
 * The last scheduling attempt recorded for a pod (its last PodBound or PodSchedulingFailed), with the
 * scheduler's verdict table. Once a binding took effect, later attempts that lost to it (a binding
 * rejected as AlreadyBound, a failure from a replica that was behind) do not replace it.
 */
export interface SchedulingRecord {
  /** Stream sequence of the event. */
  seq: number;
  attempt: number;
  schedulerName: string;
  /** Bound: the binding took effect. Rejected: the fold refused the binding. Unschedulable: no node fit. */
  outcome: 'Bound' | 'Unschedulable' | 'Rejected';
  /** The node chosen (Bound, Rejected). */
  nodeName?: string;
  /** The unschedulable message, or why the fold rejected the binding. */
  message?: string;
  verdicts: NodeVerdict[];
  summary?: SchedulingSummary;
}

export interface PodRecord {
  /** The Kubernetes object with its derived status; metadata.resourceVersion is String(resourceVersion). */
  pod: Pod;
  key: string; // `${namespace}/${name}`
  /** Stream sequence of the last event that changed this pod. */
  resourceVersion: number;
  /** Effective request (init containers and sidecars counted as kube-scheduler does), plus pods: 1. */
  request: Resources;
  /** Host ports the pod reserves, as `${protocol}/${port}`. */
  hostPorts: string[];
  /** The node the binding took effect on; undefined while pending. */
  nodeName?: string;
  /**
   * spec.nodeName as the user wrote it at create, if any. Kept so that a pod sent back to pending
   * (admission rejected) loses the node the scheduler chose but keeps the one the user pinned.
   */
  requestedNodeName?: string;
  /** Sequence of the PodBound that took effect. */
  boundSeq?: number;
  /** PodBound plus PodSchedulingFailed events seen for this uid; the next attempt is this + 1. */
  schedulingAttempts: number;
  lastBindingRejection?: BindingRejection;
  /** The last scheduling attempt with its verdicts (see SchedulingRecord). */
  lastScheduling?: SchedulingRecord;
  /** kube-scheduler's message from the last failed attempt, while still pending. */
  unschedulableMessage?: string;
  /** Set once deletion was requested. */
  deletion?: { seq: number; gracePeriodSeconds: number; requestedAt: string };
  /** True once the pod holds no node resources any more (terminal phase, sandbox removed, evicted, or deleted). */
  released: boolean;
  /**
   * Set when the node lifecycle controller evicted the pod (PodEvicted): it is Failed, holds nothing on
   * its node, and status reports from that node no longer count for it.
   */
  evicted?: { reason: string; message: string; at: string };
}

export interface NodeRecord {
  node: Node;
  resourceVersion: number;
  /** Allocatable in counted units (pods defaults to 110 when the node does not say). */
  allocatable: Resources;
  /** Sum of the requests of pods bound here that still hold resources (includes `pods`). */
  requested: Resources;
  /** Keys of pods bound here that still hold resources. */
  podKeys: Set<string>;
  /** `${protocol}/${port}` host ports in use. */
  hostPorts: Set<string>;
  /** Pod IPs in use on this node -> pod key. */
  podIPs: Map<string, string>;
  /**
   * Set while the node lifecycle controller holds the node unreachable (its lease lapsed): since when,
   * the last lease renewal it saw, and when the NoExecute taint went on (evictions count from there).
   * `message` is the Ready condition's message.
   */
  unreachable?: { since: string; leaseRenewTime?: string; evictionTaintAddedAt?: string; message?: string };
}

export interface ReplicaSetRecord {
  /** `${namespace}/${name}` */
  key: string;
  /**
   * The object with its status derived by the fold: replicas, fullyLabeledReplicas, readyReplicas,
   * availableReplicas, observedGeneration. metadata.resourceVersion is String(resourceVersion).
   */
  replicaSet: ReplicaSet;
  resourceVersion: number;
  /** PodCreated events the fold accepted for this ReplicaSet: the controller names its next pods from ordinals podsCreated, podsCreated+1, ... */
  podsCreated: number;
}

/** A Kubernetes core/v1 Event, derived from domain events (Scheduled, FailedScheduling, Started, Killing, ...). */
export interface KubeEvent {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; creationTimestamp: string };
  involvedObject: { kind: 'Pod' | 'Node' | 'ReplicaSet'; namespace?: string; name: string; uid: string; fieldPath?: string };
  reason: string;
  message: string;
  type: 'Normal' | 'Warning';
  source: { component: string; host?: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** What one applied event did to the objects a client can watch. */
export type StateChange =
  | { kind: 'Pod'; type: ChangeType; key: string; object: Pod; previousNodeName?: string }
  | { kind: 'Node'; type: ChangeType; key: string; object: Node }
  | { kind: 'ReplicaSet'; type: ChangeType; key: string; object: ReplicaSet }
  | { kind: 'Event'; type: ChangeType; key: string; object: KubeEvent };

export interface ClusterState {
  /** Last stream sequence applied. */
  seq: number;
  pods: Map<string, PodRecord>;
  nodes: Map<string, NodeRecord>;
  replicaSets: Map<string, ReplicaSetRecord>;
  /**
   * PodCreated events for a ReplicaSet that the fold refused: the ReplicaSet is gone (or is another
   * one now), it already has spec.replicas active pods, or the name or uid is taken. Two controllers
   * racing, or a restarted one repeating itself, show up here rather than as surplus pods.
   */
  rejectedCreations: number;
  /** Kubernetes Events, oldest first, at most `options.maxEvents`. */
  events: KubeEvent[];
  options: FoldOptions;
  /** Pod CIDRs given to nodes (nodes that register without one get the lowest free /24). */
  podCidrs: PodCidrAllocator;
}

export interface FoldOptions {
  /** How many Kubernetes Events to keep (oldest dropped first). */
  maxEvents: number;
}
