// The arrival trace: what came into a cluster and when, without what the control plane decided.
//
// JSON Lines, one object per line: a header, then one arrival per line in time order. Times are
// integer milliseconds from the start of the trace (`startedAt`). Version 1:
//
//   {"kind":"FlotillaTrace","version":1,"startedAt":"2026-01-01T00:00:00.000Z","source":"log"}
//   {"t":0,"type":"NodeRegistered","node":{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1",...},...}}
//   {"t":12,"type":"PodCreated","pod":{"namespace":"default","name":"web-1","labels":{...},"spec":{...}}}
//   {"t":40,"type":"PodCreated","pod":{...},"runMs":5000,"exitCode":0}        # it ran 5 s, then ended
//   {"t":900,"type":"PodDeletionRequested","namespace":"default","name":"web-1"}
//   {"t":950,"type":"NodeUpdated","name":"node-1","unschedulable":true}
//   {"t":1000,"type":"NodeFailed","name":"node-2","evictAfterMs":0}          # its lease lapsed
//   {"t":2000,"type":"NodeRecovered","name":"node-2"}
//   {"t":3000,"type":"NodeRemoved","name":"node-3"}
//
// Decisions (bindings, preemptions, evictions, a pod's node-side life) are not arrivals: a replay
// makes its own. `runMs` is the exception that keeps a finished pod finished: how long it ran.
import { z } from 'zod';
import { NodeSchema, OwnerReferenceSchema, PodSpecSchema, StringMap, TaintSchema, formatPath, validateNode, validatePod } from '@flotilla/model';
import type { FieldError } from '@flotilla/model';
import type { NodeManifest, OwnerReference, PodSpec, Taint } from '@flotilla/model';

export const TRACE_KIND = 'FlotillaTrace';
export const TRACE_VERSION = 1;

export interface TraceHeader {
  kind: typeof TRACE_KIND;
  version: typeof TRACE_VERSION;
  /** ISO-8601 time of t = 0. */
  startedAt: string;
  /** Where it came from: 'log' (an event log), 'api-snapshot', 'generated', ... */
  source?: string;
  description?: string;
  /** The log range the trace was built from, when it came from a log. */
  fromSeq?: number;
  toSeq?: number;
}

/** A pod as it was created: identity, labels and the (defaulted) spec. */
export interface TracePod {
  namespace: string;
  name: string;
  /** The recorded uid; a replay makes one up when absent. */
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  spec: PodSpec;
}

export type TraceArrival =
  | { t: number; type: 'NodeRegistered'; node: NodeManifest }
  | { t: number; type: 'NodeUpdated'; name: string; labels?: Record<string, string>; taints?: Taint[]; unschedulable?: boolean }
  | { t: number; type: 'NodeRemoved'; name: string }
  /** The node stopped renewing its lease; after evictAfterMs (absent: never) its pods are evicted as their tolerations say. */
  | { t: number; type: 'NodeFailed'; name: string; evictAfterMs?: number }
  | { t: number; type: 'NodeRecovered'; name: string }
  /** runMs/exitCode: in the recording the pod ran this long after it started, then ended with this code. */
  | { t: number; type: 'PodCreated'; pod: TracePod; runMs?: number; exitCode?: number }
  | { t: number; type: 'PodDeletionRequested'; namespace: string; name: string; uid?: string; gracePeriodSeconds?: number };

export type TraceArrivalType = TraceArrival['type'];

export interface Trace {
  header: TraceHeader;
  arrivals: TraceArrival[];
}

const Millis = z.number().int().min(0);
const Name = z.string().min(1);

export const TraceHeaderSchema = z.strictObject({
  kind: z.literal(TRACE_KIND),
  version: z.literal(TRACE_VERSION),
  startedAt: z.iso.datetime({ offset: true }),
  source: z.string().optional(),
  description: z.string().optional(),
  fromSeq: z.number().int().min(1).optional(),
  toSeq: z.number().int().min(0).optional(),
});

export const TracePodSchema = z.strictObject({
  namespace: Name,
  name: Name,
  uid: Name.optional(),
  labels: StringMap.optional(),
  annotations: StringMap.optional(),
  ownerReferences: z.array(OwnerReferenceSchema).optional(),
  spec: PodSpecSchema,
});

const TraceNodeSchema = NodeSchema.superRefine((node, ctx) => {
  if (!node.metadata.name) ctx.addIssue({ code: 'custom', path: ['metadata', 'name'], message: 'a node needs a name' });
});

export const TraceArrivalSchema = z.discriminatedUnion('type', [
  z.strictObject({ t: Millis, type: z.literal('NodeRegistered'), node: TraceNodeSchema }),
  z.strictObject({
    t: Millis,
    type: z.literal('NodeUpdated'),
    name: Name,
    labels: StringMap.optional(),
    taints: z.array(TaintSchema).optional(),
    unschedulable: z.boolean().optional(),
  }),
  z.strictObject({ t: Millis, type: z.literal('NodeRemoved'), name: Name }),
  z.strictObject({ t: Millis, type: z.literal('NodeFailed'), name: Name, evictAfterMs: Millis.optional() }),
  z.strictObject({ t: Millis, type: z.literal('NodeRecovered'), name: Name }),
  z.strictObject({ t: Millis, type: z.literal('PodCreated'), pod: TracePodSchema, runMs: Millis.optional(), exitCode: z.number().int().optional() }),
  z.strictObject({
    t: Millis,
    type: z.literal('PodDeletionRequested'),
    namespace: Name,
    name: Name,
    uid: Name.optional(),
    gracePeriodSeconds: z.number().int().min(0).optional(),
  }),
]);

/** A trace that does not parse: the line (1-based), and the field when one is to blame. */
export class TraceParseError extends Error {
  override readonly name = 'TraceParseError';
  constructor(
    readonly line: number,
    readonly path: string,
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(`trace line ${line}: ${path ? `${path}: ` : ''}${detail}`, options);
  }
}

function zodProblem(line: number, error: z.ZodError): TraceParseError {
  const issue = error.issues[0];
  // A discriminated union reports an unknown `type` at the root; name the field instead.
  const path = issue ? formatPath(issue.path) : '';
  return new TraceParseError(line, path, issue?.message ?? 'invalid', { cause: error });
}

function parseJsonLine(text: string, line: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new TraceParseError(line, '', `not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** Whether the text starts with a trace header line (otherwise it may be a raw export of the log). */
export function looksLikeTrace(text: string): boolean {
  const first = firstLine(text);
  if (first === undefined) return false;
  try {
    const value = JSON.parse(first) as { kind?: unknown };
    return value !== null && typeof value === 'object' && value.kind === TRACE_KIND;
  } catch {
    return false;
  }
}

function firstLine(text: string): string | undefined {
  for (const line of text.split('\n')) if (line.trim() !== '') return line;
  return undefined;
}

/**
 * Parses and validates a trace. Blank lines are skipped (line numbers still count them); times must
 * not go backwards. Throws TraceParseError naming the line and the field.
 */
export function parseTrace(text: string): Trace {
  const lines = text.split('\n');
  let header: TraceHeader | undefined;
  const arrivals: TraceArrival[] = [];
  let last = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '') continue;
    const line = i + 1;
    const value = parseJsonLine(raw, line);
    if (header === undefined) {
      const parsed = TraceHeaderSchema.safeParse(value);
      if (!parsed.success) throw zodProblem(line, parsed.error);
      header = parsed.data as TraceHeader;
      continue;
    }
    const parsed = TraceArrivalSchema.safeParse(value);
    if (!parsed.success) throw zodProblem(line, parsed.error);
    const arrival = parsed.data as TraceArrival;
    const problem = semanticProblem(arrival);
    if (problem) throw new TraceParseError(line, problem.path, problem.message);
    if (arrival.t < last) throw new TraceParseError(line, 't', `${arrival.t} is earlier than the line before (${last}): arrivals must be in time order`);
    last = arrival.t;
    arrivals.push(arrival);
  }
  if (header === undefined) throw new TraceParseError(1, '', `empty: expected a header line {"kind":"${TRACE_KIND}","version":${TRACE_VERSION},...}`);
  return { header, arrivals };
}

/**
 * What the API would refuse in a node or a pod (names, quantities, ...), which the schema alone lets
 * through: the fold would skip such an object without a word.
 */
function semanticProblem(arrival: TraceArrival): FieldError | undefined {
  if (arrival.type === 'NodeRegistered') {
    const result = validateNode(arrival.node);
    return result.ok ? undefined : { path: `node.${result.errors[0]!.path}`, message: result.errors[0]!.message };
  }
  if (arrival.type !== 'PodCreated') return undefined;
  const { pod } = arrival;
  const result = validatePod({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: pod.name,
      namespace: pod.namespace,
      ...(pod.labels ? { labels: pod.labels } : {}),
      ...(pod.annotations ? { annotations: pod.annotations } : {}),
      ...(pod.ownerReferences ? { ownerReferences: pod.ownerReferences } : {}),
    },
    spec: pod.spec,
  });
  if (result.ok) return undefined;
  const error = result.errors[0]!;
  // The trace's pod has its metadata fields at the top: metadata.labels is pod.labels.
  const path = error.path.startsWith('metadata.') ? error.path.slice('metadata.'.length) : error.path;
  return { path: `pod.${path}`, message: error.message };
}

/** The trace as JSON Lines (header first, one arrival per line, a final newline). */
export function serializeTrace(trace: Trace): string {
  const out = [JSON.stringify(trace.header)];
  for (const arrival of trace.arrivals) out.push(JSON.stringify(arrival));
  return `${out.join('\n')}\n`;
}

/** Counts per arrival type, and the time of the last arrival. */
export function traceCounts(trace: Trace): { nodes: number; pods: number; deletions: number; nodeUpdates: number; nodeRemovals: number; nodeFailures: number; durationMs: number } {
  const counts = { nodes: 0, pods: 0, deletions: 0, nodeUpdates: 0, nodeRemovals: 0, nodeFailures: 0, durationMs: 0 };
  for (const arrival of trace.arrivals) {
    if (arrival.type === 'NodeRegistered') counts.nodes++;
    else if (arrival.type === 'PodCreated') counts.pods++;
    else if (arrival.type === 'PodDeletionRequested') counts.deletions++;
    else if (arrival.type === 'NodeUpdated') counts.nodeUpdates++;
    else if (arrival.type === 'NodeRemoved') counts.nodeRemovals++;
    else if (arrival.type === 'NodeFailed') counts.nodeFailures++;
    counts.durationMs = Math.max(counts.durationMs, arrival.t);
  }
  return counts;
}
