import { formatCount, formatMs, formatPercent, formatRate, headline, LATENCY_HEADER, latencyRow, runRows } from './format.ts';
import type { LatencyStats } from './latency.ts';
import type { LatencyHistogram, ReportMeta, RunSummary, SecondBucket } from './types.ts';

// One self-contained HTML file: inline CSS and SVG, no scripts, no external assets, so the report can
// be mailed or attached to an issue and still open anywhere. Every piece of text goes through escapeHtml.

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

export function renderHtmlReport(summary: RunSummary, meta: ReportMeta): string {
  const title = `Flotilla load report: ${meta.workload}`;
  const machine = meta.machine;
  const sections = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${escapeHtml(meta.date)} · ${escapeHtml(`${machine.cores} cores ${machine.cpuModel}, ${formatRate(machine.memoryGiB)} GiB, node ${machine.node}, nats-server ${machine.natsServer}`)}</p>`,
    `<p class="headline">${escapeHtml(headline(summary, meta))}</p>`,
    targetsTable(meta),
    `<div class="tables">${runTable(summary)}${limitTable(meta)}</div>`,
    `<h2>Latency</h2>`,
    htmlTable([LATENCY_HEADER, latencyRow('scheduling', summary.schedulingLatency), latencyRow('startup', summary.startupLatency)], 'latency'),
    `<h2>Throughput per second</h2>`,
    throughputChart(summary.throughput.perSecond),
    `<h2>Latency distribution</h2>`,
    `<div class="charts">`,
    latencyChart('Scheduling latency (created → bound)', 'scheduling', summary.schedulingLatency, summary.distributions?.scheduling),
    latencyChart('Startup latency (created → Running)', 'startup', summary.startupLatency, summary.distributions?.startup),
    `</div>`,
    `<h2>Node utilisation (cpu requested / allocatable)</h2>`,
    heatMap(summary.nodes.perNode),
    `<h2>Events by type</h2>`,
    htmlTable([['event type', 'count'], ...Object.entries(summary.events.byType).map(([type, count]) => [type, formatCount(count)])], 'events'),
  ];
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...sections.filter((section) => section !== ''),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const STYLE = [
  'body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px;color:#1d2330;max-width:1100px}',
  'h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}',
  '.meta{color:#5b6475;margin:0 0 12px}.headline{font-size:18px;font-weight:600;margin:12px 0}',
  'table{border-collapse:collapse;margin:8px 24px 8px 0}td,th{padding:3px 10px;border-bottom:1px solid #e3e6ec;text-align:right}',
  'td:first-child,th:first-child{text-align:left}th{background:#f3f5f8}',
  '.tables,.charts{display:flex;flex-wrap:wrap;align-items:flex-start;gap:8px}',
  '.met{color:#17803d}.missed{color:#b3261e;font-weight:600}',
  'svg{background:#fff;border:1px solid #e3e6ec;margin:4px 0}svg text{font:11px system-ui,sans-serif;fill:#3b4252}',
  '.bar-bound{fill:#3b74c4}.line-created{fill:none;stroke:#e08a1e;stroke-width:1.5}.line-running{fill:none;stroke:#2e9d5b;stroke-width:1.5}',
  '.bar-latency{fill:#7a5cc2}.mark{stroke:#b3261e;stroke-width:1.5;stroke-dasharray:4 3}.axis{stroke:#8a93a6}',
].join('\n');

function htmlTable(rows: readonly string[][], className: string): string {
  const [header, ...body] = rows;
  if (!header) return '';
  const head = `<tr>${header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')}</tr>`;
  const cells = body.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`);
  return `<table class="${escapeHtml(className)}">${head}${cells.join('')}</table>`;
}

function runTable(summary: RunSummary): string {
  const { bindings, nodes } = summary;
  return htmlTable(
    [
      ['run', 'value'],
      ...runRows(summary),
      ['bindings rejected', formatCount(bindings.rejected)],
      ...(bindings.duplicates !== undefined ? [['rejected as already bound', formatCount(bindings.duplicates)]] : []),
      ['scheduling failures', formatCount(bindings.schedulingFailures)],
      ['nodes', formatCount(nodes.count)],
      ['node cpu min / mean / max', `${formatPercent(nodes.cpuUtilisation.min)} / ${formatPercent(nodes.cpuUtilisation.mean)} / ${formatPercent(nodes.cpuUtilisation.max)}`],
    ],
    'run',
  );
}

function limitTable(meta: ReportMeta): string {
  const limit = meta.limit;
  if (!limit) return '';
  return htmlTable(
    [
      ['JetStream limit', 'value'],
      ['event size', `${formatCount(limit.eventBytes)} B`],
      ['acknowledged appends/s', formatRate(limit.appendsPerSecond)],
      ['ack p50', formatMs(limit.ackP50Ms)],
      ['ack p99', formatMs(limit.ackP99Ms)],
      ['in flight', formatCount(limit.inFlight)],
      ['appends measured', formatCount(limit.count)],
      ...(meta.eventsPerPodOnCriticalPath !== undefined ? [['events per pod (critical path)', String(meta.eventsPerPodOnCriticalPath)]] : []),
    ],
    'limit',
  );
}

function targetsTable(meta: ReportMeta): string {
  if (!meta.targets || meta.targets.length === 0) return '';
  const rows = meta.targets.map(
    (target) =>
      `<tr><td>${escapeHtml(target.name)}</td><td>${escapeHtml(target.target)}</td><td>${escapeHtml(target.reached)}</td>` +
      `<td class="${target.met ? 'met' : 'missed'}">${target.met ? 'met' : 'missed'}</td></tr>`,
  );
  return `<table class="targets"><tr><th>target</th><th>wanted</th><th>reached</th><th></th></tr>${rows.join('')}</table>`;
}

const fmt = (value: number): string => (Math.round(value * 10) / 10).toString();

/** Bound pods per second as bars, created and running per second as lines. */
function throughputChart(buckets: readonly SecondBucket[]): string {
  const width = 900;
  const height = 260;
  const left = 48;
  const bottom = 28;
  const top = 24;
  const plotWidth = width - left - 12;
  const plotHeight = height - top - bottom;
  const peak = buckets.reduce((max, bucket) => Math.max(max, bucket.bound, bucket.created, bucket.running), 1);
  const yMax = niceCeiling(peak);
  const step = buckets.length > 0 ? plotWidth / buckets.length : plotWidth;
  const y = (value: number): number => top + plotHeight - (value / yMax) * plotHeight;

  const parts: string[] = [
    `<svg class="chart throughput" role="img" aria-label="Pods per second over the run" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">`,
    `<line class="axis" x1="${left}" y1="${top + plotHeight}" x2="${left + plotWidth}" y2="${top + plotHeight}"/>`,
    `<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}"/>`,
  ];
  for (const tick of [0, 0.5, 1]) {
    parts.push(`<text x="${left - 6}" y="${fmt(y(yMax * tick) + 4)}" text-anchor="end">${formatCount(yMax * tick)}</text>`);
  }
  parts.push(`<text x="${left}" y="14">pods/s</text>`);
  parts.push(
    `<text x="${left + 60}" y="14"><tspan fill="#3b74c4">■ bound</tspan>  <tspan fill="#e08a1e">— created</tspan>  <tspan fill="#2e9d5b">— running</tspan></text>`,
  );
  buckets.forEach((bucket, index) => {
    const x = left + index * step;
    const barHeight = (bucket.bound / yMax) * plotHeight;
    parts.push(
      `<rect class="bar-bound" x="${fmt(x + step * 0.1)}" y="${fmt(top + plotHeight - barHeight)}" width="${fmt(Math.max(0.5, step * 0.8))}" height="${fmt(barHeight)}">` +
        `<title>second ${bucket.second}: ${bucket.bound} bound, ${bucket.created} created, ${bucket.running} running, ${bucket.events} events</title></rect>`,
    );
  });
  for (const [series, className] of [
    ['created', 'line-created'],
    ['running', 'line-running'],
  ] as const) {
    if (buckets.length === 0) continue;
    const points = buckets.map((bucket, index) => `${fmt(left + (index + 0.5) * step)},${fmt(y(bucket[series]))}`).join(' ');
    parts.push(`<polyline class="${className}" points="${points}"/>`);
  }
  const labelEvery = Math.max(1, Math.ceil(buckets.length / 10));
  buckets.forEach((bucket, index) => {
    if (index % labelEvery === 0) parts.push(`<text x="${fmt(left + (index + 0.5) * step)}" y="${height - 10}" text-anchor="middle">${bucket.second}s</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Bars per latency bucket (log-spaced), with p50/p90/p99 marked. */
function latencyChart(title: string, name: string, stats: LatencyStats, distribution: LatencyHistogram | undefined): string {
  const width = 440;
  const height = 240;
  const left = 40;
  const top = 36;
  const bottom = 40;
  const plotWidth = width - left - 12;
  const plotHeight = height - top - bottom;
  const bounds = distribution?.boundsMs ?? [];
  const counts = distribution?.counts ?? [];
  // Show the buckets from the first to the last non-empty one (and the one holding the max).
  const nonEmpty = counts.flatMap((count, index) => (count > 0 ? [index] : []));
  const first = nonEmpty[0] ?? 0;
  const last = Math.max(nonEmpty[nonEmpty.length - 1] ?? 0, stats.count > 0 ? bucketIndex(bounds, stats.max) : 0);
  const shown = counts.slice(first, last + 1);
  const slots = Math.max(1, shown.length);
  const step = plotWidth / slots;
  const peak = shown.reduce((max, count) => Math.max(max, count), 1);
  const parts: string[] = [
    `<svg class="chart latency latency-${escapeHtml(name)}" role="img" aria-label="${escapeHtml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">`,
    `<text x="${left}" y="16">${escapeHtml(title)}</text>`,
    `<line class="axis" x1="${left}" y1="${top + plotHeight}" x2="${left + plotWidth}" y2="${top + plotHeight}"/>`,
  ];
  if (shown.length > 0) {
    const lowest = first === 0 ? 0 : (bounds[first - 1] ?? 0);
    parts.push(`<text x="${left}" y="${top + plotHeight + 14}" text-anchor="middle">${escapeHtml(shortMs(lowest))}</text>`);
  }
  shown.forEach((count, slot) => {
    const index = first + slot;
    const barHeight = (count / peak) * plotHeight;
    const lower = index === 0 ? 0 : (bounds[index - 1] ?? 0);
    const upper = bounds[index];
    const range = upper === undefined ? `> ${formatMs(lower)}` : `${formatMs(lower)} – ${formatMs(upper)}`;
    parts.push(
      `<rect class="bar-latency" x="${fmt(left + slot * step + 1)}" y="${fmt(top + plotHeight - barHeight)}" width="${fmt(Math.max(0.5, step - 2))}" height="${fmt(barHeight)}">` +
        `<title>${escapeHtml(`${range}: ${formatCount(count)} pods`)}</title></rect>`,
    );
    if (upper !== undefined && (slots <= 12 || slot % 2 === 1)) {
      parts.push(`<text x="${fmt(left + (slot + 1) * step)}" y="${top + plotHeight + 14}" text-anchor="middle">${escapeHtml(shortMs(upper))}</text>`);
    }
  });
  if (stats.count > 0) {
    const marks: Array<[string, number]> = [
      ['p50', stats.p50],
      ['p90', stats.p90],
      ['p99', stats.p99],
    ];
    marks.forEach(([label, value], index) => {
      const x = left + Math.min(slots, Math.max(0, markPosition(bounds, value) - first)) * step;
      parts.push(
        `<line class="mark mark-${label}" x1="${fmt(x)}" y1="${top - 4}" x2="${fmt(x)}" y2="${top + plotHeight}"><title>${escapeHtml(`${label} ${formatMs(value)}`)}</title></line>`,
        `<text x="${fmt(x + 3)}" y="${top + 6 + index * 12}">${escapeHtml(`${label} ${formatMs(value)}`)}</text>`,
      );
    });
  } else {
    parts.push(`<text x="${left + 10}" y="${top + plotHeight / 2}">no samples</text>`);
  }
  parts.push(`<text x="${left}" y="${height - 6}">${escapeHtml(`${formatCount(stats.count)} pods, ms (log buckets)`)}</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

function bucketIndex(bounds: readonly number[], value: number): number {
  const index = bounds.findIndex((bound) => value <= bound);
  return index === -1 ? bounds.length : index;
}

/** Where a value falls in slot units: its bucket plus its place within it, on a log scale. */
function markPosition(bounds: readonly number[], value: number): number {
  if (bounds.length === 0) return 0.5;
  const index = bucketIndex(bounds, value);
  const lower = index === 0 ? 0 : (bounds[index - 1] ?? 0);
  const upper = bounds[index];
  if (upper === undefined) return index + 0.5;
  const within = lower <= 0 ? value / upper : Math.log(value / lower) / Math.log(upper / lower);
  return index + Math.min(1, Math.max(0, within));
}

function shortMs(value: number): string {
  return value >= 1000 ? `${value / 1000}s` : `${value}`;
}

/** A grid of nodes, one cell each, coloured by cpu requested / allocatable. */
function heatMap(perNode: RunSummary['nodes']['perNode']): string {
  const count = perNode.length;
  if (count === 0) return '<p>No nodes.</p>';
  const columns = Math.min(count, Math.max(10, Math.ceil(Math.sqrt(count * 2))));
  const cell = Math.max(4, Math.min(28, Math.floor(880 / columns)));
  const rows = Math.ceil(count / columns);
  const legend = 28;
  const width = columns * cell + 2;
  const height = rows * cell + legend + 2;
  const parts: string[] = [
    `<svg class="chart heatmap" role="img" aria-label="Node utilisation" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">`,
  ];
  for (let step = 0; step <= 10; step++) {
    parts.push(`<rect x="${1 + step * 16}" y="4" width="16" height="12" fill="${utilisationColour(step / 10)}"/>`);
  }
  parts.push(`<text x="${1 + 11 * 16 + 6}" y="14">0% → 100% cpu requested</text>`);
  perNode.forEach((node, index) => {
    const x = 1 + (index % columns) * cell;
    const y = legend + 1 + Math.floor(index / columns) * cell;
    parts.push(
      `<rect class="node" x="${x}" y="${y}" width="${cell - 1}" height="${cell - 1}" fill="${utilisationColour(node.cpu)}">` +
        `<title>${escapeHtml(`${node.name}: ${formatCount(node.pods)} pods, cpu ${formatPercent(node.cpu)}`)}</title></rect>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** Pale blue at 0 through yellow to red at 1 (and beyond, which would be overcommit). */
function utilisationColour(fraction: number): string {
  const clamped = Math.min(1, Math.max(0, fraction));
  const hue = Math.round(210 - clamped * 210);
  const lightness = Math.round(92 - clamped * 44);
  return `hsl(${hue},70%,${lightness}%)`;
}

function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 2, 5, 10]) if (factor * magnitude >= value) return factor * magnitude;
  return 10 * magnitude;
}
