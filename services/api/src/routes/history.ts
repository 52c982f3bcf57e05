// Time travel over HTTP: an object's history (every event of it, read with its subject filter) and
// the diff between two past states of the cluster. `?at=` on the list and get routes is in their files.
import type { FastifyInstance } from 'fastify';
import type { ClusterDiff, DiffChange, DiffField, HistoryEntry, ObjectHistory } from '@flotilla/client';
import { nodeSubject, podSubject, replicaSetSubject, type RecordedEvent } from '@flotilla/eventlog';
import { toFlotillaRecord, type FlotillaRecord } from '@flotilla/events';
import type { Node, Pod, ReplicaSet } from '@flotilla/model';
import type { ClusterState } from '@flotilla/state';
import { ApiError, notFound } from '../api-status.ts';
import type { ApiContext } from '../server.ts';

type HistoryKind = ObjectHistory['object']['kind'];

export function registerHistoryRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Params: { ns: string; name: string } }>('/api/v1/namespaces/:ns/pods/:name/history', ({ params }) =>
    history(ctx, { kind: 'Pod', namespace: params.ns, name: params.name }, podSubject(params.ns, params.name), 'pods'),
  );
  app.get<{ Params: { name: string } }>('/api/v1/nodes/:name/history', ({ params }) =>
    history(ctx, { kind: 'Node', name: params.name }, nodeSubject(params.name), 'nodes'),
  );
  app.get<{ Params: { ns: string; name: string } }>('/apis/apps/v1/namespaces/:ns/replicasets/:name/history', ({ params }) =>
    history(ctx, { kind: 'ReplicaSet', namespace: params.ns, name: params.name }, replicaSetSubject(params.ns, params.name), 'replicasets.apps'),
  );

  app.get<{ Querystring: { from?: string; to?: string } }>('/api/v1/diff', async ({ query }) => {
    if (query.from === undefined || query.from === '') throw new ApiError('BadRequest', 'from: required: a sequence number (resourceVersion) or an RFC 3339 time');
    if (query.to === undefined || query.to === '') throw new ApiError('BadRequest', 'to: required: a sequence number (resourceVersion) or an RFC 3339 time');
    const from = await ctx.timeTravel.resolve(query.from, 'from');
    const to = await ctx.timeTravel.resolve(query.to, 'to');
    // Two folds: the earlier first, so the later one folds forward from it (the cache).
    const [a, b] = from.seq <= to.seq ? [from.seq, to.seq] : [to.seq, from.seq];
    const first = await ctx.timeTravel.stateAt(a);
    const second = await ctx.timeTravel.stateAt(b);
    const [before, after] = from.seq <= to.seq ? [first, second] : [second, first];
    const body: ClusterDiff = {
      apiVersion: 'v1',
      kind: 'ClusterDiff',
      from: { at: query.from, resourceVersion: String(from.seq) },
      to: { at: query.to, resourceVersion: String(to.seq) },
      changes: diffStates(before, after),
    };
    return body;
  });
}

async function history(ctx: ApiContext, object: ObjectHistory['object'], subject: string, resource: string): Promise<ObjectHistory> {
  const last = await ctx.log.lastSequence();
  const items: HistoryEntry[] = [];
  const uids: string[] = [];
  let current: string | undefined;
  for await (const raw of ctx.log.read(1, last, { subjectFilter: subject })) {
    const record = toFlotillaRecord(raw);
    // Node events after NodeRegistered carry no uid: they are about the node registered last.
    const uid = (record ? uidOf(record) : undefined) ?? current;
    current = record?.event.type === 'NodeRemoved' ? undefined : uid;
    if (uid !== undefined && !uids.includes(uid)) uids.push(uid);
    items.push({
      seq: raw.seq,
      time: raw.event.time,
      type: raw.event.type,
      source: raw.event.source,
      ...(uid !== undefined ? { uid } : {}),
      summary: record ? summarize(record) : unknownSummary(raw),
    });
  }
  if (items.length === 0) throw notFound(resource, object.name);
  return { apiVersion: 'v1', kind: 'History', metadata: { resourceVersion: String(last) }, object, uids, items };
}

function uidOf(record: FlotillaRecord): string | undefined {
  const event = record.event;
  switch (event.type) {
    case 'PodCreated':
      return event.data.pod.metadata.uid;
    case 'NodeRegistered':
      return event.data.node.metadata.uid;
    case 'ReplicaSetCreated':
      return event.data.replicaSet.metadata.uid;
    default:
      return 'uid' in event.data ? event.data.uid : undefined;
  }
}

function unknownSummary(raw: RecordedEvent): string {
  return `(${raw.event.type}: an event type this build does not know)`;
}

const restart = (count: number): string => (count > 0 ? ` (restart ${count})` : '');
const containerName = (kind: string, name: string): string => `${kind === 'app' ? '' : `${kind} `}container ${name}`;

/** One line about what the event says happened to its object. */
export function summarize(record: FlotillaRecord): string {
  const event = record.event;
  switch (event.type) {
    case 'PodCreated': {
      const pod = event.data.pod;
      const owner = pod.metadata.ownerReferences?.find((o) => o.controller) ?? pod.metadata.ownerReferences?.[0];
      const pinned = pod.spec.nodeName ? `, spec.nodeName ${pod.spec.nodeName}` : '';
      return `created${owner ? ` by ${owner.kind} ${owner.name}` : ''}${pinned}`;
    }
    case 'PodBound':
      return `bound to ${event.data.nodeName} (attempt ${event.data.attempt})`;
    case 'PodSchedulingFailed':
      return `scheduling failed (attempt ${event.data.attempt}): ${event.data.message}`;
    case 'PodNominated':
      return `nominated to ${event.data.nodeName}, preempting ${event.data.victims.map((v) => v.name).join(', ') || 'nothing'} (attempt ${event.data.attempt})`;
    case 'PodAdmissionRejected':
      return `rejected by ${event.data.nodeName}: ${event.data.reason}: ${event.data.message}`;
    case 'PodSandboxReady':
      return `sandbox ready on ${event.data.nodeName}, IP ${event.data.podIP}`;
    case 'ContainerStarted':
      return `${containerName(event.data.kind, event.data.container)} started${restart(event.data.restartCount)}`;
    case 'ContainerTerminated':
      return `${containerName(event.data.kind, event.data.container)} terminated: ${event.data.reason}, exit code ${event.data.exitCode}${restart(event.data.restartCount)}`;
    case 'ContainerWaiting':
      return `${containerName(event.data.kind, event.data.container)} waiting: ${event.data.reason}${event.data.message ? `: ${event.data.message}` : ''}`;
    case 'ContainerReadinessChanged':
      return `${containerName(event.data.kind, event.data.container)} ${event.data.ready ? 'ready' : 'not ready'}${event.data.message ? `: ${event.data.message}` : ''}`;
    case 'ContainerStartupProbeSucceeded':
      return `${containerName(event.data.kind, event.data.container)} startup probe succeeded`;
    case 'ContainerProbeFailed':
      return `${containerName(event.data.kind, event.data.container)} ${event.data.probe} probe failed: ${event.data.message}${event.data.action === 'Restart' ? ' (restarting)' : ''}`;
    case 'PodDeletionRequested':
      return `deletion requested, grace ${event.data.gracePeriodSeconds}s${event.data.reason ? ` (${event.data.reason})` : ''}`;
    case 'PodSandboxRemoved':
      return `sandbox removed from ${event.data.nodeName}`;
    case 'PodDeleted':
      return `deleted${event.data.reason ? ` (${event.data.reason})` : ''}`;
    case 'PodEvicted':
      return `evicted from ${event.data.nodeName}: ${event.data.reason}: ${event.data.message}`;
    case 'NodeRegistered': {
      const capacity = event.data.node.status?.capacity ?? {};
      const parts = Object.entries(capacity).filter(([k]) => k === 'cpu' || k === 'memory').map(([k, v]) => `${k} ${String(v)}`);
      return `registered${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
    }
    case 'NodeUpdated': {
      const parts: string[] = [];
      if (event.data.unschedulable !== undefined) parts.push(event.data.unschedulable ? 'cordoned' : 'uncordoned');
      if (event.data.labels) parts.push(`labels ${formatLabels(event.data.labels)}`);
      if (event.data.taints) parts.push(`taints ${event.data.taints.map(formatTaint).join(', ') || '<none>'}`);
      return parts.length > 0 ? parts.join('; ') : 'updated';
    }
    case 'NodeRemoved':
      return `removed${event.data.reason ? ` (${event.data.reason})` : ''}`;
    case 'NodeMarkedUnreachable':
      return `marked unreachable: ${event.data.message}`;
    case 'NodeEvictionTaintAdded':
      return 'NoExecute taint node.kubernetes.io/unreachable added';
    case 'NodeMarkedReachable':
      return `reachable again (lease renewed ${event.data.leaseRenewTime})`;
    case 'ReplicaSetCreated':
      return `created, replicas ${event.data.replicaSet.spec.replicas ?? 1}`;
    case 'ReplicaSetScaled':
      return `scaled to ${event.data.replicas} (generation ${event.data.generation})`;
    case 'ReplicaSetDeleted':
      return 'deleted';
    default: {
      const _exhaustive: never = event;
      return '';
    }
  }
}

function formatLabels(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}

function formatTaint(taint: { key: string; value?: string; effect: string }): string {
  return `${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`;
}

// ---- diff ----

type Fields = Record<string, string>;

function podFields(pod: Pod): Fields {
  const statuses = pod.status?.containerStatuses ?? [];
  const ready = statuses.filter((s) => s.ready).length;
  return {
    phase: pod.metadata.deletionTimestamp ? `${pod.status?.phase ?? 'Pending'} (Terminating)` : (pod.status?.phase ?? 'Pending'),
    node: pod.spec.nodeName ?? '<none>',
    ready: `${ready}/${pod.spec.containers.length}`,
    restarts: String(statuses.reduce((n, s) => n + s.restartCount, 0)),
  };
}

function nodeFields(node: Node): Fields {
  return {
    conditions: (node.status?.conditions ?? []).map((c) => `${c.type}=${c.status}`).join(',') || '<none>',
    taints: (node.spec.taints ?? []).map(formatTaint).join(',') || '<none>',
    unschedulable: String(node.spec.unschedulable ?? false),
  };
}

function replicaSetFields(rs: ReplicaSet): Fields {
  return {
    replicas: String(rs.spec.replicas ?? 1),
    current: String(rs.status?.replicas ?? 0),
    ready: String(rs.status?.readyReplicas ?? 0),
  };
}

interface Keyed {
  key: string;
  namespace?: string;
  name: string;
  uid: string;
  fields: Fields;
}

/** What changed from `before` to `after`: pods, nodes and replicasets added, removed or changed. */
export function diffStates(before: ClusterState, after: ClusterState): DiffChange[] {
  const pods = (state: ClusterState): Keyed[] =>
    [...state.pods.values()].map(({ key, pod }) => ({ key, namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid, fields: podFields(pod) }));
  const nodes = (state: ClusterState): Keyed[] =>
    [...state.nodes.values()].map(({ node }) => ({ key: node.metadata.name, name: node.metadata.name, uid: node.metadata.uid, fields: nodeFields(node) }));
  const replicaSets = (state: ClusterState): Keyed[] =>
    [...state.replicaSets.values()].map(({ key, replicaSet: rs }) => ({ key, namespace: rs.metadata.namespace, name: rs.metadata.name, uid: rs.metadata.uid, fields: replicaSetFields(rs) }));
  return [
    ...diffKind('Pod', pods(before), pods(after)),
    ...diffKind('Node', nodes(before), nodes(after)),
    ...diffKind('ReplicaSet', replicaSets(before), replicaSets(after)),
  ];
}

function diffKind(kind: HistoryKind, before: Keyed[], after: Keyed[]): DiffChange[] {
  const old = new Map(before.map((o) => [o.key, o]));
  const now = new Map(after.map((o) => [o.key, o]));
  const keys = [...new Set([...old.keys(), ...now.keys()])].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const changes: DiffChange[] = [];
  const change = (o: Keyed, type: DiffChange['change'], fields: DiffField[]): DiffChange => ({
    kind,
    ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
    name: o.name,
    uid: o.uid,
    change: type,
    fields,
  });
  const removed = (o: Keyed) => change(o, 'Removed', Object.entries(o.fields).map(([field, value]) => ({ field, from: value, to: null })));
  const added = (o: Keyed) => change(o, 'Added', Object.entries(o.fields).map(([field, value]) => ({ field, from: null, to: value })));
  for (const key of keys) {
    const a = old.get(key);
    const b = now.get(key);
    if (a && !b) changes.push(removed(a));
    else if (!a && b) changes.push(added(b));
    else if (a && b && a.uid !== b.uid) {
      // The name was reused by a new object: the old one went, another came.
      changes.push(removed(a), added(b));
    } else if (a && b) {
      const fields = Object.keys({ ...a.fields, ...b.fields })
        .filter((field) => a.fields[field] !== b.fields[field])
        .map((field) => ({ field, from: a.fields[field] ?? null, to: b.fields[field] ?? null }));
      if (fields.length > 0) changes.push(change(b, 'Changed', fields));
    }
  }
  return changes;
}
