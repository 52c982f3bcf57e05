import { formatCount, formatMs, formatPercent, formatRate, headline, LATENCY_HEADER, latencyRow, runRows } from './format.ts';
import type { ReportMeta, RunSummary } from './types.ts';

/** A plain-text report: headline, then aligned tables (no colours, fit for a log file). */
export function renderTerminalReport(summary: RunSummary, meta: ReportMeta): string {
  const machine = meta.machine;
  const lines: string[] = [
    `Workload ${meta.workload} — ${meta.date}`,
    `Machine  ${machine.cores} cores ${machine.cpuModel}, ${formatRate(machine.memoryGiB)} GiB, node ${machine.node}, nats-server ${machine.natsServer}`,
    '',
    headline(summary, meta),
    '',
  ];

  const bindings = summary.bindings;
  lines.push(
    ...table(
      [
        ['run', 'value'],
        ...runRows(summary),
        ['bindings rejected', formatCount(bindings.rejected) + (bindings.duplicates ? ` (${formatCount(bindings.duplicates)} already bound)` : '')],
        ['scheduling failures', formatCount(bindings.schedulingFailures)],
        ['nodes', formatCount(summary.nodes.count)],
        [
          'node cpu requested',
          `min ${formatPercent(summary.nodes.cpuUtilisation.min)}  mean ${formatPercent(summary.nodes.cpuUtilisation.mean)}  max ${formatPercent(summary.nodes.cpuUtilisation.max)}`,
        ],
      ],
      ['left', 'right'],
    ),
    '',
    ...table(
      [LATENCY_HEADER, latencyRow('scheduling', summary.schedulingLatency), latencyRow('startup', summary.startupLatency)],
      ['left', 'right', 'right', 'right', 'right', 'right', 'right'],
    ),
  );

  if (meta.limit) {
    const limit = meta.limit;
    lines.push(
      '',
      ...table(
        [
          ['JetStream limit', 'value'],
          ['event size', `${formatCount(limit.eventBytes)} B`],
          ['acknowledged appends/s', formatRate(limit.appendsPerSecond)],
          ['ack p50', formatMs(limit.ackP50Ms)],
          ['ack p99', formatMs(limit.ackP99Ms)],
          ['in flight', formatCount(limit.inFlight)],
          ['appends measured', formatCount(limit.count)],
        ],
        ['left', 'right'],
      ),
    );
  }

  if (meta.targets && meta.targets.length > 0) {
    lines.push(
      '',
      ...table(
        [['target', 'wanted', 'reached', 'met'], ...meta.targets.map((target) => [target.name, target.target, target.reached, target.met ? 'yes' : 'NO'])],
        ['left', 'right', 'right', 'left'],
      ),
    );
  }

  const eventTypes = Object.entries(summary.events.byType);
  if (eventTypes.length > 0) {
    lines.push('', ...table([['event type', 'count'], ...eventTypes.map(([type, count]) => [type, formatCount(count)])], ['left', 'right']));
  }
  return `${lines.join('\n')}\n`;
}

type Align = 'left' | 'right';

/** Rows padded into columns; the first row is the header, underlined. */
export function table(rows: readonly string[][], align: readonly Align[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, column) => (widths[column] = Math.max(widths[column] ?? 0, cell.length)));
  const render = (row: readonly string[]): string =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return (align[column] ?? 'left') === 'right' ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  const [header, ...body] = rows;
  if (!header) return [];
  return [render(header), widths.map((width) => '-'.repeat(width)).join('  '), ...body.map(render)];
}
