import type { LatencyStats } from './latency.ts';

/** What happened in one second of the run (second 0 starts at the first workload PodCreated). */
export interface SecondBucket {
  second: number;
  created: number;
  bound: number;
  running: number;
  events: number;
}

/**
 * Samples counted into fixed latency buckets: counts[i] holds samples <= boundsMs[i] (and above the
 * previous bound); the last count, counts[boundsMs.length], holds the samples above every bound.
 */
export interface LatencyHistogram {
  boundsMs: number[];
  counts: number[];
}

export interface RunSummary {
  startedAt: string;
  endedAt: string;
  durationMs: number;
  pods: { created: number; bound: number; running: number; pending: number };
  throughput: {
    /** bound / (last accepted bind - first create), in seconds. */
    podsBoundPerSecond: number;
    /** The most pods bound in one second of the run. */
    peakPerSecond: number;
    perSecond: SecondBucket[];
  };
  /** PodCreated.time -> PodBound.time of the first binding the fold accepted. */
  schedulingLatency: LatencyStats;
  /** PodCreated.time -> the time the fold first derived phase Running (all app containers started). */
  startupLatency: LatencyStats;
  events: { total: number; perSecond: number; byType: Record<string, number> };
  bindings: { accepted: number; rejected: number; duplicates?: number; schedulingFailures: number };
  nodes: {
    count: number;
    cpuUtilisation: { min: number; mean: number; max: number };
    /** cpu is requested / allocatable (0..1) at the end of the run. */
    perNode: Array<{ name: string; pods: number; cpu: number }>;
  };
  /** The latency samples bucketed, for the HTML report's distribution charts. */
  distributions?: { scheduling: LatencyHistogram; startup: LatencyHistogram };
}

/** This machine's acknowledged JetStream append rate for events of a given size. */
export interface JetStreamLimit {
  eventBytes: number;
  appendsPerSecond: number;
  ackP50Ms: number;
  ackP99Ms: number;
  inFlight: number;
  count: number;
}

export interface ReportTarget {
  name: string;
  target: string;
  reached: string;
  met: boolean;
}

export interface ReportMeta {
  workload: string;
  machine: { cores: number; cpuModel: string; memoryGiB: number; node: string; natsServer: string };
  date: string;
  limit?: JetStreamLimit;
  eventsPerPodOnCriticalPath?: number;
  targets?: ReportTarget[];
}
