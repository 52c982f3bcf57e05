import type { JetStreamLimit, RunSummary } from './types.ts';

/**
 * The headline ratio: pods bound per second against the most pods/s JetStream could carry if every
 * acknowledged append were spent on the events a pod needs on its critical path. 0 when undefined.
 */
export function limitRatio(summary: RunSummary, limit: JetStreamLimit, eventsPerPod: number): number {
  const ceiling = podsPerSecondCeiling(limit, eventsPerPod);
  return ceiling > 0 ? summary.throughput.podsBoundPerSecond / ceiling : 0;
}

/** appendsPerSecond / eventsPerPod: pods/s if appends were the only cost. */
export function podsPerSecondCeiling(limit: JetStreamLimit, eventsPerPod: number): number {
  return eventsPerPod > 0 ? limit.appendsPerSecond / eventsPerPod : 0;
}
