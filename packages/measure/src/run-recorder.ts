import type { FlotillaRecord } from '@flotilla/events';
import type { Pod } from '@flotilla/model';
import { applyEvent, createClusterState, podKey } from '@flotilla/state';
import type { ClusterState } from '@flotilla/state';
import { latencyStats } from './latency.ts';
import type { LatencyHistogram, RunSummary, SecondBucket } from './types.ts';

export interface RunRecorderOptions {
  /** Only pods created by records after this sequence count (the workload's own); default 0. */
  fromSeq?: number;
  /** Only pods it accepts count (tested on the pod as created). */
  podFilter?: (pod: Pod) => boolean;
}

/** Upper bounds of the latency histogram's buckets, ms: 1-2-3-5-7 steps per decade, 1 ms to 100 s. */
export const LATENCY_BUCKETS_MS: readonly number[] = [1, 10, 100, 1_000, 10_000]
  .flatMap((decade) => [1, 2, 3, 5, 7].map((step) => step * decade))
  .concat(100_000);

/** A week: the last per-second bucket (later times are counted in it). */
const MAX_SECONDS = 7 * 24 * 3600;

interface TrackedPod {
  key: string;
  createdMs: number;
  boundMs?: number;
  runningMs?: number;
}

/**
 * Measures a run from the log alone. Records are folded with @flotilla/state, so a binding counts
 * only if the fold accepted it and a pod is Running when the fold derives that phase; all times are
 * the envelopes' (the writers' decision times), never the reader's clock.
 *
 * The run starts at the first counted PodCreated; events are counted from there on.
 */
export class RunRecorder {
  private readonly state: ClusterState;
  private readonly fromSeq: number;
  private readonly podFilter: ((pod: Pod) => boolean) | undefined;
  private readonly pods = new Map<string, TrackedPod>();
  private startMs: number | undefined;
  private endMs: number | undefined;
  private firstRecordMs: number | undefined;
  private lastBindMs: number | undefined;
  private readonly buckets: SecondBucket[] = [];
  private readonly byType = new Map<string, number>();
  private eventsTotal = 0;
  private boundCount = 0;
  private runningCount = 0;
  private accepted = 0;
  private rejected = 0;
  private duplicates = 0;
  private schedulingFailures = 0;

  constructor(options: RunRecorderOptions = {}) {
    this.fromSeq = options.fromSeq ?? 0;
    this.podFilter = options.podFilter;
    // Kubernetes Events are not needed here; keeping none saves the fold their upkeep.
    this.state = createClusterState({ maxEvents: 0 });
  }

  get created(): number {
    return this.pods.size;
  }

  get bound(): number {
    return this.boundCount;
  }

  get running(): number {
    return this.runningCount;
  }

  /** Feeds the next record of the log (every record, in order; earlier sequences are ignored). */
  apply(record: FlotillaRecord): void {
    if (record.seq <= this.state.seq) return;
    applyEvent(this.state, record);
    if (record.seq <= this.fromSeq) return;

    const event = record.event;
    const timeMs = Date.parse(event.time);
    if (Number.isNaN(timeMs)) return;
    this.firstRecordMs ??= timeMs;

    if (event.type === 'PodCreated') {
      const pod = event.data.pod;
      const uid = pod.metadata.uid;
      const key = podKey(pod.metadata.namespace, pod.metadata.name);
      // The fold may refuse a creation (name taken, ReplicaSet already full): that is no pod.
      const accepted = this.state.pods.get(key)?.pod.metadata.uid === uid;
      if (accepted && uid !== undefined && !this.pods.has(uid) && (this.podFilter?.(pod) ?? true)) {
        this.startMs ??= timeMs;
        const tracked: TrackedPod = { key, createdMs: timeMs };
        this.pods.set(uid, tracked);
        this.bucket(timeMs).created++;
        // A pod created with spec.nodeName is bound by its creation: there is no PodBound.
        if (this.state.pods.get(key)?.boundSeq === record.seq) this.markBound(tracked, timeMs);
      }
    }
    if (this.startMs === undefined) return;

    this.eventsTotal++;
    this.byType.set(event.type, (this.byType.get(event.type) ?? 0) + 1);
    this.bucket(timeMs).events++;
    this.endMs = Math.max(this.endMs ?? timeMs, timeMs);

    const data = event.data as { uid?: unknown };
    if (event.type === 'PodCreated' || typeof data.uid !== 'string') return;
    const tracked = this.pods.get(data.uid);
    if (!tracked) return;
    const podRecord = this.state.pods.get(tracked.key);
    const current = podRecord?.pod.metadata.uid === data.uid ? podRecord : undefined;

    switch (event.type) {
      case 'PodBound':
        if (current !== undefined && current.boundSeq === record.seq) {
          this.accepted++;
          this.markBound(tracked, timeMs);
        } else {
          this.rejected++;
          if (current?.lastBindingRejection?.seq === record.seq && current.lastBindingRejection.reason === 'AlreadyBound') {
            this.duplicates++;
          }
        }
        break;
      case 'PodSchedulingFailed':
        this.schedulingFailures++;
        break;
      default:
        if (tracked.runningMs === undefined && current?.pod.status?.phase === 'Running') {
          tracked.runningMs = timeMs;
          this.runningCount++;
          this.bucket(timeMs).running++;
        }
    }
  }

  summary(): RunSummary {
    const startMs = this.startMs ?? this.firstRecordMs ?? 0;
    const endMs = Math.max(this.endMs ?? startMs, startMs);
    const durationMs = endMs - startMs;

    const scheduling: number[] = [];
    const startup: number[] = [];
    let firstCreateMs: number | undefined;
    let pending = 0;
    for (const [uid, pod] of this.pods) {
      firstCreateMs = Math.min(firstCreateMs ?? pod.createdMs, pod.createdMs);
      if (pod.boundMs !== undefined) scheduling.push(pod.boundMs - pod.createdMs);
      if (pod.runningMs !== undefined) startup.push(pod.runningMs - pod.createdMs);
      const current = this.state.pods.get(pod.key);
      if (pod.boundMs === undefined && current?.pod.metadata.uid === uid && current.nodeName === undefined) pending++;
    }

    const bindWindowMs = firstCreateMs !== undefined && this.lastBindMs !== undefined ? this.lastBindMs - firstCreateMs : 0;
    const perSecond = this.buckets.map((bucket, second) => bucket ?? emptyBucket(second));
    const peakPerSecond = perSecond.reduce((peak, bucket) => Math.max(peak, bucket.bound), 0);

    const perNode: RunSummary['nodes']['perNode'] = [];
    for (const [name, node] of this.state.nodes) {
      const allocatable = node.allocatable.cpu ?? 0;
      const requested = node.requested.cpu ?? 0;
      perNode.push({ name, pods: node.podKeys.size, cpu: allocatable > 0 ? requested / allocatable : 0 });
    }
    perNode.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    const cpus = perNode.map((node) => node.cpu);

    const byType: Record<string, number> = {};
    for (const type of [...this.byType.keys()].sort()) byType[type] = this.byType.get(type) as number;

    return {
      startedAt: new Date(startMs).toISOString(),
      endedAt: new Date(endMs).toISOString(),
      durationMs,
      pods: { created: this.pods.size, bound: this.boundCount, running: this.runningCount, pending },
      throughput: {
        podsBoundPerSecond: bindWindowMs > 0 ? this.boundCount / (bindWindowMs / 1000) : 0,
        peakPerSecond,
        perSecond,
      },
      schedulingLatency: latencyStats(scheduling),
      startupLatency: latencyStats(startup),
      events: { total: this.eventsTotal, perSecond: durationMs > 0 ? this.eventsTotal / (durationMs / 1000) : 0, byType },
      bindings: {
        accepted: this.accepted,
        rejected: this.rejected,
        duplicates: this.duplicates,
        schedulingFailures: this.schedulingFailures,
      },
      nodes: {
        count: perNode.length,
        cpuUtilisation: {
          min: cpus.length > 0 ? cpus.reduce((min, cpu) => Math.min(min, cpu), Infinity) : 0,
          mean: cpus.length > 0 ? cpus.reduce((sum, cpu) => sum + cpu, 0) / cpus.length : 0,
          max: cpus.reduce((max, cpu) => Math.max(max, cpu), 0),
        },
        perNode,
      },
      distributions: { scheduling: histogram(scheduling), startup: histogram(startup) },
    };
  }

  private markBound(tracked: TrackedPod, timeMs: number): void {
    if (tracked.boundMs !== undefined) return;
    tracked.boundMs = timeMs;
    this.boundCount++;
    this.bucket(timeMs).bound++;
    this.lastBindMs = Math.max(this.lastBindMs ?? timeMs, timeMs);
  }

  /** The bucket of the second `timeMs` falls in (a writer's clock slightly behind the start counts in second 0). */
  private bucket(timeMs: number): SecondBucket {
    const start = this.startMs ?? timeMs;
    // Clamped so that one wild timestamp cannot allocate millions of buckets.
    const second = Math.min(MAX_SECONDS, Math.max(0, Math.floor((timeMs - start) / 1000)));
    for (let missing = this.buckets.length; missing <= second; missing++) this.buckets.push(emptyBucket(missing));
    return this.buckets[second] as SecondBucket;
  }
}

function emptyBucket(second: number): SecondBucket {
  return { second, created: 0, bound: 0, running: 0, events: 0 };
}

/** Counts samples into LATENCY_BUCKETS_MS. */
export function histogram(samplesMs: readonly number[]): LatencyHistogram {
  const boundsMs = [...LATENCY_BUCKETS_MS];
  const counts = new Array<number>(boundsMs.length + 1).fill(0);
  for (const sample of samplesMs) {
    let index = boundsMs.findIndex((bound) => sample <= bound);
    if (index === -1) index = boundsMs.length;
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return { boundsMs, counts };
}
