import type { LatencyStats } from './latency.ts';
import type { ReportMeta, RunSummary } from './types.ts';
import { limitRatio } from './limit.ts';

// Number formatting shared by the terminal and HTML reports (the JSON report keeps raw numbers).

export function formatCount(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Rates: no decimals from 100 on, one below. */
export function formatRate(value: number): string {
  return value >= 100 ? formatCount(value) : value.toLocaleString('en-US', { maximumFractionDigits: 1 });
}

export function formatMs(value: number): string {
  if (value >= 10_000) return `${(value / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} s`;
  return `${value.toLocaleString('en-US', { maximumFractionDigits: value >= 100 ? 0 : 1 })} ms`;
}

export function formatPercent(fraction: number): string {
  return `${(fraction * 100).toLocaleString('en-US', { maximumFractionDigits: 1 })}%`;
}

export function formatRatio(value: number): string {
  return value.toFixed(2);
}

/** "N pods/s bound (x of the JetStream limit: L appends/s ÷ E events per pod)". */
export function headline(summary: RunSummary, meta: ReportMeta): string {
  const rate = `${formatRate(summary.throughput.podsBoundPerSecond)} pods/s bound`;
  const limit = meta.limit;
  if (!limit) return rate;
  const eventsPerPod = meta.eventsPerPodOnCriticalPath;
  const appends = `${formatRate(limit.appendsPerSecond)} appends/s`;
  if (eventsPerPod === undefined || eventsPerPod <= 0) return `${rate} (JetStream limit: ${appends})`;
  const ratio = limitRatio(summary, limit, eventsPerPod);
  return `${rate} (${formatRatio(ratio)} of the JetStream limit: ${appends} ÷ ${eventsPerPod} events per pod)`;
}

export function latencyRow(name: string, stats: LatencyStats): string[] {
  return [name, formatCount(stats.count), formatMs(stats.p50), formatMs(stats.p90), formatMs(stats.p99), formatMs(stats.max), formatMs(stats.mean)];
}

export const LATENCY_HEADER = ['latency', 'count', 'p50', 'p90', 'p99', 'max', 'mean'];

/** The run figures both reports show first, in order (each report adds its own rows after them). */
export function runRows(summary: RunSummary): string[][] {
  return [
    ['duration', formatMs(summary.durationMs)],
    ['pods created', formatCount(summary.pods.created)],
    ['pods bound', formatCount(summary.pods.bound)],
    ['pods running', formatCount(summary.pods.running)],
    ['pods pending', formatCount(summary.pods.pending)],
    ['bound pods/s', formatRate(summary.throughput.podsBoundPerSecond)],
    ['peak bound in 1 s', formatCount(summary.throughput.peakPerSecond)],
    ['events', formatCount(summary.events.total)],
    ['events/s', formatRate(summary.events.perSecond)],
    ['bindings accepted', formatCount(summary.bindings.accepted)],
  ];
}
