import type { NodeVerdict, PodScheduling, PodSchedulingPlan, SchedulingSummary } from '@flotilla/client';
import { formatTable, type PrefixWriter } from './tabwriter.ts';

// `flotilla explain pod`, `flotilla plan` and describe's "Scheduling:" section: the scheduler's
// per-node, per-plugin verdicts as a table.

/** A rejection as the verdict tables print it (and as summary.rejectedBy counts it). */
export function filterText(verdict: NodeVerdict): string {
  if (verdict.rejectedBy === undefined) return 'passed';
  const reasons = verdict.reasons ?? [];
  return reasons.length === 0 ? verdict.rejectedBy : `${verdict.rejectedBy}: ${reasons.join(', ')}`;
}

function feasible(verdict: NodeVerdict): boolean {
  return verdict.rejectedBy === undefined && verdict.score !== undefined;
}

/** Feasible nodes first, by total score (highest first), then the rejected ones; ties by name. */
export function sortVerdicts(verdicts: readonly NodeVerdict[]): NodeVerdict[] {
  return [...verdicts].sort((a, b) => {
    const fa = feasible(a);
    const fb = feasible(b);
    if (fa !== fb) return fa ? -1 : 1;
    if (fa && a.score !== b.score) return (b.score ?? 0) - (a.score ?? 0);
    return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
  });
}

/** Score plugins in the order the verdicts list them (the profile's order). */
function scorePlugins(verdicts: readonly NodeVerdict[]): string[] {
  const names = new Set<string>();
  for (const verdict of verdicts) for (const name of Object.keys(verdict.plugins ?? verdict.scores ?? {})) names.add(name);
  return [...names];
}

/** Integers as they are; fractions with at most two decimals. */
export function formatScore(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
}

function pluginCell(verdict: NodeVerdict, plugin: string): string {
  if (!feasible(verdict)) return '-';
  const detail = verdict.plugins?.[plugin];
  if (detail !== undefined) return `${formatScore(detail.weighted)} (${formatScore(detail.raw)})`;
  const weighted = verdict.scores?.[plugin];
  return weighted === undefined ? '-' : formatScore(weighted);
}

/**
 * The verdict table: NODE, FILTER (passed, or the plugin that rejected the node and why), one column
 * per score plugin as `weighted (raw)`, TOTAL.
 */
export function verdictTable(verdicts: readonly NodeVerdict[]): string {
  if (verdicts.length === 0) return '';
  const plugins = scorePlugins(verdicts);
  const rows = sortVerdicts(verdicts).map((verdict) => [
    verdict.node,
    filterText(verdict),
    ...plugins.map((plugin) => pluginCell(verdict, plugin)),
    feasible(verdict) ? formatScore(verdict.score ?? 0) : '-',
  ]);
  return formatTable(['NODE', 'FILTER', ...plugins, 'TOTAL'], rows);
}

const count = (n: number): string => n.toLocaleString('en-US');

/** What the table leaves out: sampled or trimmed, with the rejections counted over every evaluated node. */
export function summaryLines(summary: SchedulingSummary | undefined, shown: number): string[] {
  if (summary === undefined) return [];
  const nodes = summary.nodes ?? summary.evaluated;
  const lines: string[] = [];
  const sampled = summary.evaluated < nodes;
  const trimmed = shown < summary.evaluated;
  if (!sampled && !trimmed) return lines;
  lines.push(
    `Nodes: ${count(nodes)} in the cluster, ${count(summary.evaluated)} evaluated${sampled ? ' (percentageOfNodesToScore)' : ''}, ${count(summary.feasible)} feasible; the table shows ${count(shown)}.`,
  );
  const rejections = Object.entries(summary.rejectedBy).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (trimmed && rejections.length > 0) {
    lines.push('Rejected:');
    for (const [text, n] of rejections) lines.push(`  ${count(n)}\t${text}`);
  }
  return lines;
}

function bestScore(verdicts: readonly NodeVerdict[], node: string | undefined): string {
  const score = verdicts.find((v) => v.node === node)?.score;
  return score === undefined ? '' : ` (score ${formatScore(score)})`;
}

/** `flotilla explain pod NAME`. */
export function explainPod(scheduling: PodScheduling): string {
  const { metadata } = scheduling;
  const last = scheduling.lastScheduling;
  const pod = `${metadata.namespace}/${metadata.name}`;
  if (last === undefined) {
    return `Pod ${pod} has no scheduling attempt recorded yet (scheduler ${scheduling.schedulerName}).\n`;
  }
  const out: string[] = [`Pod ${pod}: attempt ${last.attempt} by ${last.schedulerName}, log position ${last.seq}.`, ''];
  const table = verdictTable(last.verdicts);
  if (table === '') out.push('(the scheduler recorded no per-node verdicts)');
  else out.push(table.trimEnd());
  const summary = summaryLines(last.summary, last.verdicts.length);
  if (summary.length > 0) out.push('', ...tabbed(summary));
  out.push('');
  switch (last.outcome) {
    case 'Bound':
      out.push(`Chosen node: ${last.nodeName ?? '<unknown>'}${bestScore(last.verdicts, last.nodeName)}`);
      break;
    case 'Rejected':
      out.push(`Chosen node: ${last.nodeName ?? '<unknown>'}${bestScore(last.verdicts, last.nodeName)}, but the binding was rejected: ${last.message ?? 'no reason recorded'}`);
      break;
    case 'Unschedulable':
      out.push(`Unschedulable: ${last.message ?? 'no node fits'}`);
      break;
  }
  if (scheduling.nominatedNodeName) out.push(`Nominated node (preemption): ${scheduling.nominatedNodeName}`);
  return `${out.join('\n')}\n`;
}

/** `flotilla plan -f pod.yaml`, for one pod. */
export function planOutput(name: string, plan: PodSchedulingPlan): string {
  const out: string[] = [];
  const table = verdictTable(plan.verdicts);
  if (table !== '') out.push(table.trimEnd());
  const summary = summaryLines(plan.summary, plan.verdicts.length);
  if (summary.length > 0) out.push('', ...tabbed(summary));
  if (out.length > 0) out.push('');
  if (plan.feasible) {
    out.push(`pod/${name} would be placed on node ${plan.nodeName ?? '<unknown>'}${bestScore(plan.verdicts, plan.nodeName)}`);
  } else {
    out.push(`pod/${name} would not be scheduled: ${plan.message ?? 'no node fits'}`);
    if (plan.preemption) {
      const victims = plan.preemption.victims.map((v) => `${v.namespace}/${v.name}`).join(', ');
      out.push(`Preemption would make room on node ${plan.preemption.nodeName} by evicting ${victims || 'no pods'}.`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** Aligns `label\tvalue` lines (the Rejected counts). */
function tabbed(lines: readonly string[]): string[] {
  const width = Math.max(0, ...lines.filter((l) => l.includes('\t')).map((l) => l.split('\t')[0]!.length));
  return lines.map((line) => {
    const at = line.indexOf('\t');
    return at < 0 ? line : `${line.slice(0, at).padStart(width)}  ${line.slice(at + 1)}`;
  });
}

/** describe pod's "Scheduling:" section: the chosen node and the best alternatives, or the message. */
export function describeScheduling(w: PrefixWriter, scheduling: PodScheduling | undefined): void {
  const last = scheduling?.lastScheduling;
  if (scheduling === undefined || last === undefined) return;
  w.write(0, 'Scheduling:\n');
  w.write(1, `Scheduler:\t${last.schedulerName} (attempt ${last.attempt})\n`);
  const alternatives = sortVerdicts(last.verdicts)
    .filter((v) => feasible(v) && v.node !== last.nodeName)
    .slice(0, 3)
    .map((v) => `${v.node} (${formatScore(v.score ?? 0)})`);
  if (last.outcome === 'Unschedulable') {
    w.write(1, `Unschedulable:\t${last.message ?? ''}\n`);
  } else {
    w.write(1, `Chosen Node:\t${last.nodeName ?? '<unknown>'}${bestScore(last.verdicts, last.nodeName)}\n`);
    if (last.outcome === 'Rejected') w.write(1, `Binding Rejected:\t${last.message ?? ''}\n`);
    w.write(1, `Alternatives:\t${alternatives.length > 0 ? alternatives.join(', ') : '<none>'}\n`);
  }
  const summary = last.summary;
  if (summary !== undefined) {
    w.write(1, `Nodes:\t${count(summary.feasible)} feasible of ${count(summary.evaluated)} evaluated${summary.nodes !== undefined && summary.nodes !== summary.evaluated ? ` (${count(summary.nodes)} in the cluster)` : ''}\n`);
  }
}
