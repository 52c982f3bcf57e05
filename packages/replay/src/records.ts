// Traces from an event log: the arrivals a real cluster run saw, read back out of its records, and
// the raw export of a log (its records as JSON Lines) that `flotilla record --raw` writes.
import { z } from 'zod';
import { toFlotillaRecord } from '@flotilla/events';
import type { FlotillaRecord } from '@flotilla/events';
import type { RecordedEvent } from '@flotilla/eventlog/core';
import { formatPath } from '@flotilla/model';
import type { Node, NodeManifest, Pod } from '@flotilla/model';
import { PREEMPTED, applyEvent, createClusterState, isTerminalPhase } from '@flotilla/state';
import type { ClusterState, NodeRecord } from '@flotilla/state';
import { TRACE_KIND, TRACE_VERSION, looksLikeTrace, parseTrace } from './trace.ts';
import type { Trace, TraceArrival, TracePod } from './trace.ts';

export interface TraceFromRecordsOptions {
  /**
   * Records below this sequence only build the starting state: the nodes and the live pods at that
   * point arrive at t = 0 (pods in creation order), and time starts at the first record from here.
   */
  fromSeq?: number;
  /** Header fields. Default source: 'log'. */
  source?: string;
  description?: string;
}

/** The taints the node lifecycle controller puts on and takes off; a replay makes its own. */
const CONTROLLER_TAINT_PREFIX = 'node.kubernetes.io/';

type PodArrival = Extract<TraceArrival, { type: 'PodCreated' }>;
type FailureArrival = Extract<TraceArrival, { type: 'NodeFailed' }>;

interface PodTrack {
  arrival: PodArrival | undefined;
  pod: TracePod;
  runningAt?: number;
  /** Its deletion is in the trace already, or is not the user's (preemption, eviction). */
  settled: boolean;
}

function tracePod(pod: Pod): TracePod {
  const { metadata } = pod;
  return {
    namespace: metadata.namespace,
    name: metadata.name,
    uid: metadata.uid,
    ...(metadata.labels ? { labels: metadata.labels } : {}),
    ...(metadata.annotations ? { annotations: metadata.annotations } : {}),
    ...(metadata.ownerReferences ? { ownerReferences: metadata.ownerReferences } : {}),
    // As created: a nodeName here is the user's own (the binding's never is in PodCreated).
    spec: pod.spec,
  };
}

/** A registered node as it came in: without the store's resourceVersion. */
function traceNode(node: Node | NodeManifest): NodeManifest {
  const { resourceVersion: _rv, ...metadata } = node.metadata;
  return { ...node, metadata };
}

/** A node as the fold holds it, back to what registered it: no controller taints, conditions or version. */
function nodeAsRegistered(record: NodeRecord): NodeManifest {
  const node = traceNode(record.node);
  const taints = node.spec?.taints?.filter((taint) => !taint.key.startsWith(CONTROLLER_TAINT_PREFIX));
  const { taints: _taints, ...spec } = node.spec ?? {};
  const { conditions: _conditions, ...status } = node.status ?? {};
  return { ...node, spec: taints && taints.length > 0 ? { ...spec, taints } : spec, status };
}

/** The exit code the pod ended with: the first failed app container's, else 0. */
function exitCodeOf(pod: Pod): number {
  for (const status of pod.status?.containerStatuses ?? []) {
    const code = status.state?.terminated?.exitCode;
    if (code !== undefined && code !== 0) return code;
  }
  return 0;
}

/**
 * Builds the arrival trace of a log: nodes registered, updated, removed, failed (lease lapsed) and
 * recovered; pods created (as the fold accepted them), deleted by a user or a controller, and for
 * pods that ended by themselves how long they ran. Preemptions and evictions are decisions, not
 * arrivals: they are left out (and so is the deletion of a pod that was preempted or evicted).
 * The records are folded with the real fold, so a creation the fold refused is no arrival either.
 */
export function traceFromRecords(records: Iterable<FlotillaRecord>, options: TraceFromRecordsOptions = {}): Trace {
  const fromSeq = options.fromSeq ?? 1;
  const state = createClusterState({ maxEvents: 0 });
  const arrivals: TraceArrival[] = [];
  const pods = new Map<string, PodTrack>();
  const failures = new Map<string, FailureArrival>();
  let startMs: number | undefined;
  let lastT = 0;
  let firstSeq: number | undefined;
  let lastSeq = 0;

  const begin = (record: FlotillaRecord): void => {
    startMs = Date.parse(record.event.time);
    firstSeq = record.seq;
    arrivals.push(...openingArrivals(state, pods));
  };

  for (const record of records) {
    if (record.seq < fromSeq) {
      prefixFold(state, record, pods);
      continue;
    }
    if (startMs === undefined) begin(record);
    lastSeq = record.seq;
    const at = Date.parse(record.event.time) - startMs!;
    // Writers' clocks differ a little: keep the log's order, never a time before the last one.
    const t = Math.max(lastT, Number.isFinite(at) ? Math.round(at) : lastT);
    lastT = t;
    const event = record.event;
    switch (event.type) {
      case 'NodeRegistered':
        arrivals.push({ t, type: 'NodeRegistered', node: traceNode(event.data.node) });
        break;
      case 'NodeUpdated': {
        const { name, labels, taints, unschedulable } = event.data;
        arrivals.push({ t, type: 'NodeUpdated', name, ...(labels ? { labels } : {}), ...(taints ? { taints } : {}), ...(unschedulable !== undefined ? { unschedulable } : {}) });
        break;
      }
      case 'NodeRemoved':
        arrivals.push({ t, type: 'NodeRemoved', name: event.data.name });
        break;
      case 'PodDeletionRequested': {
        const track = pods.get(event.data.uid);
        if (track && !track.settled) {
          track.settled = true;
          if (event.data.reason !== PREEMPTED) {
            const { namespace, name, uid, gracePeriodSeconds } = event.data;
            arrivals.push({ t, type: 'PodDeletionRequested', namespace, name, uid, gracePeriodSeconds });
          }
        }
        break;
      }
      case 'PodDeleted': {
        const track = pods.get(event.data.uid);
        if (track && !track.settled) {
          const { namespace, name, uid } = event.data;
          arrivals.push({ t, type: 'PodDeletionRequested', namespace, name, uid });
        }
        break;
      }
      case 'PodEvicted': {
        const track = pods.get(event.data.uid);
        if (track) track.settled = true;
        break;
      }
      default:
        break;
    }
    const node =
      event.type === 'NodeMarkedUnreachable' || event.type === 'NodeEvictionTaintAdded' || event.type === 'NodeMarkedReachable' ? state.nodes.get(event.data.name) : undefined;
    const wasUnreachable = node?.unreachable;
    const changes = applyEvent(state, record);
    // Node lifecycle: an arrival when the fold took it (a repeated or stale report changes nothing).
    if (node !== undefined) {
      const name = node.node.metadata.name;
      const now = node.unreachable;
      if (event.type === 'NodeMarkedUnreachable' && !wasUnreachable && now) {
        const failure: FailureArrival = { t, type: 'NodeFailed', name };
        failures.set(name, failure);
        arrivals.push(failure);
      } else if (event.type === 'NodeEvictionTaintAdded' && wasUnreachable?.evictionTaintAddedAt === undefined && now?.evictionTaintAddedAt !== undefined) {
        const failure = failures.get(name);
        if (failure && failure.evictAfterMs === undefined) failure.evictAfterMs = t - failure.t;
      } else if (event.type === 'NodeMarkedReachable' && wasUnreachable && !now) {
        failures.delete(name);
        arrivals.push({ t, type: 'NodeRecovered', name });
      }
    }
    if (event.type === 'PodCreated') {
      const pod = event.data.pod;
      const created = state.pods.get(`${pod.metadata.namespace}/${pod.metadata.name}`);
      if (created?.pod.metadata.uid === pod.metadata.uid && !pods.has(pod.metadata.uid)) {
        const arrival: PodArrival = { t, type: 'PodCreated', pod: tracePod(pod) };
        arrivals.push(arrival);
        pods.set(pod.metadata.uid, { arrival, pod: arrival.pod, settled: false });
      }
    }
    for (const change of changes) {
      if (change.kind !== 'Pod') continue;
      const uid = change.object.metadata.uid;
      const track = pods.get(uid);
      if (!track) continue;
      if (change.type === 'DELETED') {
        pods.delete(uid);
        continue;
      }
      const phase = change.object.status?.phase;
      if (phase === 'Running' && track.runningAt === undefined) track.runningAt = t;
      const record = state.pods.get(change.key);
      if (isTerminalPhase(phase) && track.arrival && track.arrival.runMs === undefined && record?.deletion === undefined && record?.evicted === undefined && !track.settled) {
        track.arrival.runMs = t - (track.runningAt ?? t);
        track.arrival.exitCode = exitCodeOf(change.object);
      }
    }
  }
  if (startMs === undefined) {
    // Nothing at or after fromSeq: the trace is the state the records left.
    startMs = 0;
    arrivals.push(...openingArrivals(state, pods));
  }
  return {
    header: {
      kind: TRACE_KIND,
      version: TRACE_VERSION,
      startedAt: new Date(startMs).toISOString(),
      source: options.source ?? 'log',
      ...(options.description !== undefined ? { description: options.description } : {}),
      ...(firstSeq !== undefined ? { fromSeq: firstSeq, toSeq: lastSeq } : {}),
    },
    arrivals,
  };
}

/** Before fromSeq: fold, and remember each live pod as it was created. */
function prefixFold(state: ClusterState, record: FlotillaRecord, pods: Map<string, PodTrack>): void {
  const changes = applyEvent(state, record);
  if (record.event.type === 'PodCreated') {
    const pod = record.event.data.pod;
    if (state.pods.get(`${pod.metadata.namespace}/${pod.metadata.name}`)?.pod.metadata.uid === pod.metadata.uid) {
      pods.set(pod.metadata.uid, { arrival: undefined, pod: tracePod(pod), settled: false });
    }
  }
  for (const change of changes) if (change.kind === 'Pod' && change.type === 'DELETED') pods.delete(change.object.metadata.uid);
}

/** The state at fromSeq as arrivals at t = 0: nodes (failed ones failing again), then the live pods. */
function openingArrivals(state: ClusterState, pods: Map<string, PodTrack>): TraceArrival[] {
  const out: TraceArrival[] = [];
  for (const [name, record] of state.nodes) {
    out.push({ t: 0, type: 'NodeRegistered', node: nodeAsRegistered(record) });
    if (record.unreachable) out.push({ t: 0, type: 'NodeFailed', name, ...(record.unreachable.evictionTaintAddedAt !== undefined ? { evictAfterMs: 0 } : {}) });
  }
  for (const [uid, track] of pods) {
    const record = state.pods.get(`${track.pod.namespace}/${track.pod.name}`);
    if (!record || record.pod.metadata.uid !== uid || record.deletion !== undefined || isTerminalPhase(record.pod.status?.phase)) {
      pods.delete(uid);
      continue;
    }
    const arrival: PodArrival = { t: 0, type: 'PodCreated', pod: track.pod };
    track.arrival = arrival;
    out.push(arrival);
  }
  return out;
}

// ---- raw export -------------------------------------------------------------------------------

/** A raw export line that does not parse: the line (1-based) and the field. */
export class LogExportParseError extends Error {
  override readonly name = 'LogExportParseError';
  constructor(
    readonly line: number,
    readonly path: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`log export line ${line}: ${path ? `${path}: ` : ''}${detail}`, options);
  }
}

const RecordSchema = z.looseObject({
  seq: z.number().int().min(1),
  subject: z.string(),
  msgId: z.string(),
  event: z.looseObject({
    id: z.string(),
    type: z.string().min(1),
    schemaVersion: z.number().int(),
    time: z.string().refine((value) => Number.isFinite(Date.parse(value)), { message: 'expected an ISO-8601 time' }),
    source: z.string(),
    data: z.record(z.string(), z.unknown()),
  }),
});

/** One record per line, as JSON: the log's raw export. */
export function serializeRecords(records: Iterable<RecordedEvent>): string {
  let out = '';
  for (const record of records) out += `${JSON.stringify(record)}\n`;
  return out;
}

/**
 * Parses a raw export. Events of types this build does not know are skipped (as the services skip
 * them); sequences must increase. Throws LogExportParseError naming the line and the field.
 */
export function parseRecords(text: string): FlotillaRecord[] {
  const out: FlotillaRecord[] = [];
  const lines = text.split('\n');
  let lastSeq = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new LogExportParseError(i + 1, '', `not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    const parsed = RecordSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new LogExportParseError(i + 1, issue ? formatPath(issue.path) : '', issue?.message ?? 'invalid', { cause: parsed.error });
    }
    const record = parsed.data as unknown as RecordedEvent;
    if (record.seq <= lastSeq) throw new LogExportParseError(i + 1, 'seq', `${record.seq} does not follow ${lastSeq}: records must be in log order`);
    lastSeq = record.seq;
    const domain = toFlotillaRecord(record);
    if (domain) out.push(domain);
  }
  return out;
}

/** A trace file or a raw export of a log, told apart by the header line. */
export function traceFromText(text: string, options: TraceFromRecordsOptions = {}): Trace {
  return looksLikeTrace(text) ? parseTrace(text) : traceFromRecords(parseRecords(text), options);
}
