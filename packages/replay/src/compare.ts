// Replays of one trace side by side: one row per figure, one column per profile, as an aligned
// terminal table, a Markdown table or JSON.
import type { ReplayResult } from './replay.ts';

export type FigureFormat = 'count' | 'percent' | 'ms' | 'rate' | 'decimal';

export interface ComparisonRow {
  section: string;
  metric: string;
  format: FigureFormat;
  /** One per profile; null where a replay has no such figure (e.g. CPU time not measured). */
  values: Array<number | null>;
}

export interface ReplayComparison {
  profiles: string[];
  trace: ReplayResult['trace'];
  rows: ComparisonRow[];
  results: ReplayResult[];
}

export type ComparisonFormat = 'table' | 'markdown' | 'json';

export class ReplayComparisonError extends Error {
  override readonly name = 'ReplayComparisonError';
}

/** The figures of several replays of the same trace, row by row. */
export function compareReplays(results: readonly ReplayResult[]): ReplayComparison {
  if (results.length === 0) throw new ReplayComparisonError('results: nothing to compare (no replays)');
  const first = results[0]!;
  for (const result of results) {
    if (JSON.stringify(result.trace) !== JSON.stringify(first.trace)) {
      throw new ReplayComparisonError(`results: ${result.profile} replayed another trace than ${first.profile}`);
    }
  }
  const rows: ComparisonRow[] = [];
  const row = (section: string, metric: string, format: FigureFormat, pick: (r: ReplayResult) => number | undefined): void => {
    rows.push({ section, metric, format, values: results.map((r) => pick(r) ?? null) });
  };
  row('pods at the end', 'bound (holding room)', 'count', (r) => r.pods.bound);
  row('pods at the end', 'running', 'count', (r) => r.pods.running);
  row('pods at the end', 'bound to a removed node', 'count', (r) => r.pods.orphaned);
  row('pods at the end', 'pending', 'count', (r) => r.pods.pending);
  row('pods at the end', 'succeeded', 'count', (r) => r.pods.succeeded);
  row('pods at the end', 'failed (evicted included)', 'count', (r) => r.pods.failed);
  row('pods at the end', 'terminating', 'count', (r) => r.pods.terminating);
  const reasons = [...new Set(results.flatMap((r) => Object.keys(r.pendingReasons)))].sort();
  for (const reason of reasons) row('pending at the end, why', reason, 'count', (r) => r.pendingReasons[reason] ?? 0);

  const placed = 'placement when the last pod arrived';
  row(placed, 'at (virtual)', 'ms', (r) => r.placement.atMs);
  row(placed, 'pods bound', 'count', (r) => r.placement.pods.bound);
  row(placed, 'pods pending', 'count', (r) => r.placement.pods.pending);
  row(placed, 'nodes used', 'count', (r) => r.placement.nodesUsed);
  row(placed, 'nodes', 'count', (r) => r.placement.nodes);
  row(placed, 'cpu requested of the cluster', 'percent', (r) => r.placement.cpuOfCluster);
  row(placed, 'cpu per node: mean', 'percent', (r) => r.placement.cpu.mean);
  row(placed, 'cpu per node: stddev', 'percent', (r) => r.placement.cpu.stddev);
  row(placed, 'cpu per node: max', 'percent', (r) => r.placement.cpu.max);
  row(placed, 'cpu per node: mean of used nodes', 'percent', (r) => r.placement.cpuMeanOfUsed);
  row(placed, 'memory requested of the cluster', 'percent', (r) => r.placement.memoryOfCluster);
  row(placed, 'memory per node: mean', 'percent', (r) => r.placement.memory.mean);
  row(placed, 'memory per node: stddev', 'percent', (r) => r.placement.memory.stddev);
  row(placed, 'memory per node: max', 'percent', (r) => r.placement.memory.max);
  row(placed, 'free cpu stranded: median pod fits not', 'percent', (r) => r.placement.fragmentation.cpuShare);
  row(placed, 'free cpu stranded: largest pod fits not', 'percent', (r) => r.placement.fragmentation.cpuShareForLargest);
  row(placed, 'free memory stranded: median pod fits not', 'percent', (r) => r.placement.fragmentation.memoryShare);
  row(placed, 'pods per node: stddev', 'decimal', (r) => r.placement.spread.nodeStddev);
  row(placed, 'pods per node: max skew', 'count', (r) => r.placement.spread.nodeSkew);
  row(placed, 'pods per node: most', 'count', (r) => r.placement.spread.maxPodsOnNode);
  const zones = [...new Set(results.flatMap((r) => Object.keys(r.placement.spread.perZone)))].sort();
  // No node has the zone label: no zone rows.
  if (zones.length > 0) {
    row(placed, 'pods per zone: max skew', 'count', (r) => r.placement.spread.zoneSkew);
    row(placed, 'pods per zone: stddev', 'decimal', (r) => r.placement.spread.zoneStddev);
  }
  for (const zone of zones) row(placed, `pods in zone ${zone === '' ? '(none)' : zone}`, 'count', (r) => r.placement.spread.perZone[zone] ?? 0);

  row('scheduling', 'decisions', 'count', (r) => r.scheduling.decisions);
  row('scheduling', 'bindings', 'count', (r) => r.scheduling.bindings);
  row('scheduling', 'unschedulable attempts', 'count', (r) => r.scheduling.unschedulable);
  row('scheduling', 'preemptions', 'count', (r) => r.scheduling.preemptions);
  row('scheduling', 'pods preempted', 'count', (r) => r.scheduling.victims);
  row('scheduling', 'pods evicted (failed nodes)', 'count', (r) => r.scheduling.evictions);
  row('scheduling', 'latency p50 (virtual)', 'ms', (r) => r.scheduling.schedulingLatencyMs.p50);
  row('scheduling', 'latency p99 (virtual)', 'ms', (r) => r.scheduling.schedulingLatencyMs.p99);
  row('scheduling', 'latency max (virtual)', 'ms', (r) => r.scheduling.schedulingLatencyMs.max);
  row('scheduling', 'last binding at (virtual)', 'ms', (r) => r.scheduling.lastBindingMs);

  row('speed', 'decisions/s (scheduling CPU)', 'rate', (r) => r.speed.decisionsPerCpuSecond);
  row('speed', 'scheduling CPU', 'ms', (r) => r.speed.schedulingCpuMs);
  row('speed', 'replay CPU (fold + simulation)', 'ms', (r) => r.speed.totalCpuMs);
  row('speed', 'events folded', 'count', (r) => r.events);
  return { profiles: results.map((r) => r.profile), trace: first.trace, rows, results: [...results] };
}

export function formatFigure(value: number | null, format: FigureFormat): string {
  if (value === null) return '-';
  switch (format) {
    case 'count':
      return Math.round(value).toLocaleString('en-US');
    case 'percent':
      return `${(value * 100).toFixed(1)}%`;
    case 'ms':
      return value >= 10_000 ? `${(value / 1000).toLocaleString('en-US', { maximumFractionDigits: 1 })} s` : `${value.toLocaleString('en-US', { maximumFractionDigits: value >= 100 ? 0 : 1 })} ms`;
    case 'rate':
      return Math.round(value).toLocaleString('en-US');
    case 'decimal':
      return value.toFixed(2);
  }
}

function plural(count: number, word: string): string {
  return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;
}

function traceLine(trace: ReplayResult['trace']): string {
  const parts = [plural(trace.nodes, 'node'), plural(trace.pods, 'pod')];
  if (trace.deletions > 0) parts.push(plural(trace.deletions, 'deletion'));
  if (trace.nodeUpdates > 0) parts.push(plural(trace.nodeUpdates, 'node update'));
  if (trace.nodeRemovals > 0) parts.push(plural(trace.nodeRemovals, 'node removal'));
  if (trace.nodeFailures > 0) parts.push(plural(trace.nodeFailures, 'node failure'));
  parts.push(`over ${formatFigure(trace.durationMs, 'ms')}`);
  return `trace: ${parts.join(', ')}`;
}

/** The comparison as an aligned table (sections as headings), a Markdown table, or JSON. */
export function renderReplayComparison(comparison: ReplayComparison, format: ComparisonFormat = 'table'): string {
  if (format === 'json') {
    return `${JSON.stringify({ trace: comparison.trace, profiles: comparison.profiles, rows: comparison.rows, results: comparison.results }, null, 2)}\n`;
  }
  const cells = comparison.rows.map((row) => row.values.map((value) => formatFigure(value, row.format)));
  if (format === 'markdown') {
    const lines = [`${traceLine(comparison.trace)}`, '', `| | ${comparison.profiles.join(' | ')} |`, `|---|${comparison.profiles.map(() => '---:').join('|')}|`];
    let section = '';
    comparison.rows.forEach((row, i) => {
      if (row.section !== section) {
        section = row.section;
        lines.push(`| **${section}** |${comparison.profiles.map(() => ' ').join('|')}|`);
      }
      lines.push(`| ${row.metric.replace(/\|/g, '\\|')} | ${cells[i]!.join(' | ')} |`);
    });
    return `${lines.join('\n')}\n`;
  }
  const labelWidth = Math.max(...comparison.rows.map((row) => row.metric.length + 2), ...comparison.rows.map((row) => row.section.length));
  const widths = comparison.profiles.map((profile, column) => Math.max(profile.length, ...cells.map((row) => row[column]!.length)));
  const lines = [traceLine(comparison.trace), '', `${''.padEnd(labelWidth)}  ${comparison.profiles.map((p, c) => p.padStart(widths[c]!)).join('  ')}`];
  let section = '';
  comparison.rows.forEach((row, i) => {
    if (row.section !== section) {
      section = row.section;
      lines.push(section.toUpperCase());
    }
    lines.push(`  ${row.metric.padEnd(labelWidth - 2)}  ${cells[i]!.map((cell, c) => cell.padStart(widths[c]!)).join('  ')}`);
  });
  return `${lines.join('\n')}\n`;
}
