import { limitRatio } from './limit.ts';
import type { LatencyStats } from './latency.ts';
import type { ReportMeta, RunSummary } from './types.ts';

/**
 * The report as JSON: { meta, limitRatio?, summary }. Keys come out in a fixed order (as the
 * interfaces declare them; free-form maps sorted) whatever order the objects were built in, so two
 * reports diff line by line.
 */
export function renderJsonReport(summary: RunSummary, meta: ReportMeta): string {
  const ratio =
    meta.limit && meta.eventsPerPodOnCriticalPath !== undefined && meta.eventsPerPodOnCriticalPath > 0
      ? { limitRatio: limitRatio(summary, meta.limit, meta.eventsPerPodOnCriticalPath) }
      : {};
  return `${JSON.stringify({ meta: orderedMeta(meta), ...ratio, summary: orderedSummary(summary) }, null, 2)}\n`;
}

function orderedMeta(meta: ReportMeta): ReportMeta {
  const machine = meta.machine;
  return {
    workload: meta.workload,
    date: meta.date,
    machine: { cores: machine.cores, cpuModel: machine.cpuModel, memoryGiB: machine.memoryGiB, node: machine.node, natsServer: machine.natsServer },
    ...(meta.limit
      ? {
          limit: {
            eventBytes: meta.limit.eventBytes,
            appendsPerSecond: meta.limit.appendsPerSecond,
            ackP50Ms: meta.limit.ackP50Ms,
            ackP99Ms: meta.limit.ackP99Ms,
            inFlight: meta.limit.inFlight,
            count: meta.limit.count,
          },
        }
      : {}),
    ...(meta.eventsPerPodOnCriticalPath !== undefined ? { eventsPerPodOnCriticalPath: meta.eventsPerPodOnCriticalPath } : {}),
    ...(meta.targets
      ? { targets: meta.targets.map((target) => ({ name: target.name, target: target.target, reached: target.reached, met: target.met })) }
      : {}),
  };
}

function orderedLatency(stats: LatencyStats): LatencyStats {
  return { count: stats.count, p50: stats.p50, p90: stats.p90, p99: stats.p99, max: stats.max, mean: stats.mean };
}

function sortedRecord(record: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key] as number;
  return out;
}

function orderedSummary(summary: RunSummary): RunSummary {
  const { bindings, nodes, distributions } = summary;
  return {
    startedAt: summary.startedAt,
    endedAt: summary.endedAt,
    durationMs: summary.durationMs,
    pods: { created: summary.pods.created, bound: summary.pods.bound, running: summary.pods.running, pending: summary.pods.pending },
    throughput: {
      podsBoundPerSecond: summary.throughput.podsBoundPerSecond,
      peakPerSecond: summary.throughput.peakPerSecond,
      perSecond: summary.throughput.perSecond.map((bucket) => ({
        second: bucket.second,
        created: bucket.created,
        bound: bucket.bound,
        running: bucket.running,
        events: bucket.events,
      })),
    },
    schedulingLatency: orderedLatency(summary.schedulingLatency),
    startupLatency: orderedLatency(summary.startupLatency),
    events: { total: summary.events.total, perSecond: summary.events.perSecond, byType: sortedRecord(summary.events.byType) },
    bindings: {
      accepted: bindings.accepted,
      rejected: bindings.rejected,
      ...(bindings.duplicates !== undefined ? { duplicates: bindings.duplicates } : {}),
      schedulingFailures: bindings.schedulingFailures,
    },
    nodes: {
      count: nodes.count,
      cpuUtilisation: { min: nodes.cpuUtilisation.min, mean: nodes.cpuUtilisation.mean, max: nodes.cpuUtilisation.max },
      perNode: nodes.perNode.map((node) => ({ name: node.name, pods: node.pods, cpu: node.cpu })),
    },
    ...(distributions
      ? {
          distributions: {
            scheduling: { boundsMs: distributions.scheduling.boundsMs, counts: distributions.scheduling.counts },
            startup: { boundsMs: distributions.startup.boundsMs, counts: distributions.startup.counts },
          },
        }
      : {}),
  };
}
