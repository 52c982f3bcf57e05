import type { Node, NodeManifest, Pod, PodManifest, ReplicaSet, ReplicaSetManifest } from '@flotilla/model';
import type { KubeEvent, SchedulingRecord } from '@flotilla/state';
import type { NodeVerdict, PluginScore, SchedulingSummary } from '@flotilla/events';

export type { KubeEvent, Node, NodeManifest, NodeVerdict, Pod, PodManifest, PluginScore, ReplicaSet, ReplicaSetManifest, SchedulingRecord, SchedulingSummary };

/** `GET /api/v1/namespaces/{ns}/pods/{name}/scheduling`: the pod's scheduling record from the fold. */
export interface PodScheduling {
  apiVersion: 'v1';
  kind: 'PodScheduling';
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string };
  schedulerName: string;
  nodeName?: string;
  nominatedNodeName?: string;
  /** PodBound and PodSchedulingFailed events recorded for the pod. */
  attempts: number;
  /** The last attempt with its verdict table; absent until a scheduler tried the pod. */
  lastScheduling?: SchedulingRecord;
}

/** `POST /api/v1/namespaces/{ns}/pods/plan`: where the pod would go now, and why (nothing is created). */
export interface PodSchedulingPlan {
  apiVersion: 'v1';
  kind: 'PodSchedulingPlan';
  schedulerName: string;
  resourceVersion: string;
  feasible: boolean;
  nodeName?: string;
  message?: string;
  verdicts: NodeVerdict[];
  summary: SchedulingSummary;
  preemption?: { nodeName: string; victims: Array<{ namespace: string; name: string }> };
}

export interface ListMeta {
  resourceVersion?: string;
}

export interface ObjectList<Kind extends string, T> {
  apiVersion: 'v1';
  kind: Kind;
  metadata: ListMeta;
  items: T[];
}

export type PodList = ObjectList<'PodList', Pod>;
export interface ReplicaSetList {
  apiVersion: 'apps/v1';
  kind: 'ReplicaSetList';
  metadata: ListMeta;
  items: ReplicaSet[];
}

/** autoscaling/v1 Scale: the `/scale` subresource of a ReplicaSet. */
export interface Scale {
  apiVersion: 'autoscaling/v1';
  kind: 'Scale';
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string; creationTimestamp: string };
  spec: { replicas: number };
  /** `selector` is the ReplicaSet's selector in string form (`app=web,tier in (a,b)`). */
  status: { replicas: number; selector: string };
}

/** policy/v1 Eviction: what `POST .../pods/{name}/eviction` takes. */
export interface Eviction {
  apiVersion: 'policy/v1';
  kind: 'Eviction';
  metadata: { name: string; namespace?: string };
  deleteOptions?: { gracePeriodSeconds?: number; preconditions?: { uid?: string } };
}
export type NodeList = ObjectList<'NodeList', Node>;
export type EventList = ObjectList<'EventList', KubeEvent>;

/** One field-level problem inside a `Status` (for example a validation failure). */
export interface StatusCause {
  field?: string;
  message: string;
  reason?: string;
}

/** The Kubernetes `Status` object the API answers errors with. */
export interface KubeStatus {
  apiVersion?: string;
  kind: 'Status';
  status?: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent<T = unknown> {
  type: WatchEventType;
  object: T;
  /** The SSE `id:` of the message (the log sequence it reflects), when the server sent one. */
  resourceVersion?: string;
}

/** A successful answer, with the server's `Warning` header texts (what kubectl prints as `Warning: ...`). */
export interface ApiResponse<T> {
  body: T;
  warnings: string[];
  /** HTTP status code. */
  status: number;
}

/** One event of an object's history (`GET .../{name}/history`). */
export interface HistoryEntry {
  /** Stream sequence of the event (the resourceVersion it produced). */
  seq: number;
  /** The event's envelope time (RFC 3339). */
  time: string;
  /** Domain event type, e.g. PodBound. */
  type: string;
  /** Who wrote it: api, scheduler, controller, node-agent/node-1, ... */
  source: string;
  /** The object's uid the event is about: a name reused by a later object has a new uid. */
  uid?: string;
  /** One line, e.g. `bound to node-3 (attempt 1)`. */
  summary: string;
}

/** Every event the log holds about one object (all of its incarnations under that name), oldest first. */
export interface ObjectHistory {
  apiVersion: 'v1';
  kind: 'History';
  /** resourceVersion: the log's last sequence when it was read. */
  metadata: ListMeta;
  object: { kind: 'Pod' | 'Node' | 'ReplicaSet'; name: string; namespace?: string };
  /** The distinct uids the name had, in order of appearance. */
  uids: string[];
  items: HistoryEntry[];
}

export type DiffChangeType = 'Added' | 'Removed' | 'Changed';

/** A field of a diff: its value before and after (null when the object did not exist on that side). */
export interface DiffField {
  field: string;
  from: string | null;
  to: string | null;
}

export interface DiffChange {
  kind: 'Pod' | 'Node' | 'ReplicaSet';
  namespace?: string;
  name: string;
  uid: string;
  change: DiffChangeType;
  /** Added: the object's fields (from null); Removed: its last fields (to null); Changed: the fields that differ. */
  fields: DiffField[];
}

/** `GET /api/v1/diff?from=A&to=B`: what changed between two states of the cluster. */
export interface ClusterDiff {
  apiVersion: 'v1';
  kind: 'ClusterDiff';
  /** The sequences the two sides resolved to (`at` as asked, resourceVersion as folded). */
  from: { at: string; resourceVersion: string };
  to: { at: string; resourceVersion: string };
  /** Pods, then nodes, then replicasets; by namespace and name within each. */
  changes: DiffChange[];
}
