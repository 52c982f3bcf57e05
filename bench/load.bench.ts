// Workloads end to end over real NATS JetStream (file storage): each run starts its own cluster
// (nats-server, API, scheduler, node agents with simulated nodes), measures this machine's
// JetStream append limit first, creates the workload's pods and measures the run from the log.
//
//   npm run bench -- load [--quick] [--workload=FILE ...]
//
// Default: bench/workloads/scheduling-basic-5000n-10000p.yaml; --quick: bench/workloads/small.yaml;
// --workload (repeatable, or comma-separated) runs the files given instead. Prints each run's terminal
// report, then appends a dated section to bench/RESULTS.md: the machine, the figures against the
// issue's targets (pods/s, p99 scheduling latency, p99 startup latency, ratio to the JetStream limit)
// and the report paths. Figures only; nothing is asserted.
import { appendFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { limitRatio } from '@flotilla/measure';
import type { ReportMeta, RunSummary } from '@flotilla/measure';
import { loadWorkload, runWorkload, workloadPodCounts, type RunResult, type Workload } from '@flotilla/loadgen';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..');
const RESULTS = join(here, 'RESULTS.md');
const DEFAULT_WORKLOADS = [join(here, 'workloads', 'scheduling-basic-5000n-10000p.yaml')];
const QUICK_WORKLOADS = [join(here, 'workloads', 'small.yaml')];

/** The issue's targets (issue 6), on a 2-core machine over real JetStream with file storage. */
const ISSUE_TARGETS = {
  podsPerSecond: 2_500,
  podsPerSecondStretch: 5_000,
  schedulingP99Ms: 50,
  schedulingP99ArrivalRate: 1_000,
  startupP99Ms: 500,
  startupP99ArrivalRate: 500,
  limitRatio: 0.5,
};

/** Some workload runs failed (after the others ran and the results were written). */
export class LoadBenchError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'LoadBenchError';
  }
}

interface Run {
  file: string;
  workload?: Workload;
  result?: RunResult;
  error?: string;
}

function flagValues(args: readonly string[], name: string): string[] {
  const prefix = `--${name}=`;
  return args
    .filter((arg) => arg.startsWith(prefix))
    .flatMap((arg) => arg.slice(prefix.length).split(','))
    .filter((value) => value.length > 0);
}

function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function repoPath(path: string): string {
  const rel = relative(repoRoot, path);
  return rel.startsWith('..') ? path : rel;
}

/** How the measured pods arrived: the issue's latency targets hold at given arrival rates. */
function arrivals(workload: Workload): string {
  const rates = [...new Set(workload.phases.filter((p) => p.measure).map((p) => p.pods.rate))];
  return rates.map((rate) => (rate > 0 ? `${fmt(rate)}/s` : 'burst')).join(', ');
}

function measuredPods(workload: Workload): number {
  return workloadPodCounts(workload).measured;
}

function ratioOf(summary: RunSummary, meta: ReportMeta): number | undefined {
  if (!meta.limit || !meta.eventsPerPodOnCriticalPath) return undefined;
  return limitRatio(summary, meta.limit, meta.eventsPerPodOnCriticalPath);
}

function yesNo(met: boolean): string {
  return met ? 'yes' : '**no**';
}

/** The issue's targets against one run, as markdown table rows. */
function issueTargetRows(workload: Workload, summary: RunSummary, meta: ReportMeta): string[] {
  const t = ISSUE_TARGETS;
  const podsPerSecond = summary.throughput.podsBoundPerSecond;
  const ratio = ratioOf(summary, meta);
  const conditions = `${fmt(workload.cluster.nodes)} nodes, ${fmt(measuredPods(workload))} measured pods, arrivals ${arrivals(workload)}`;
  const rows = [
    `| pods bound/s (sustained) | >= ${fmt(t.podsPerSecond)} (stretch ${fmt(t.podsPerSecondStretch)}) | ${fmt(podsPerSecond)} (peak ${fmt(summary.throughput.peakPerSecond)} in one second) | ${yesNo(podsPerSecond >= t.podsPerSecond)} | ${conditions} |`,
    `| p99 scheduling latency | <= ${t.schedulingP99Ms} ms at ${fmt(t.schedulingP99ArrivalRate)} pods/s arriving | ${fmt(summary.schedulingLatency.p99)} ms (p50 ${fmt(summary.schedulingLatency.p50)}, max ${fmt(summary.schedulingLatency.max)}) | ${yesNo(summary.schedulingLatency.p99 <= t.schedulingP99Ms)} | arrivals ${arrivals(workload)} |`,
  ];
  if (summary.startupLatency.count > 0) {
    rows.push(
      `| p99 pod startup latency | <= ${t.startupP99Ms} ms at ${fmt(t.startupP99ArrivalRate)} pods/s arriving | ${fmt(summary.startupLatency.p99)} ms (p50 ${fmt(summary.startupLatency.p50)}, max ${fmt(summary.startupLatency.max)}) | ${yesNo(summary.startupLatency.p99 <= t.startupP99Ms)} | arrivals ${arrivals(workload)}, ${fmt(summary.startupLatency.count)} pods Running |`,
    );
  } else {
    rows.push(`| p99 pod startup latency | <= ${t.startupP99Ms} ms at ${fmt(t.startupP99ArrivalRate)} pods/s arriving | not measured | - | the workload does not wait for Running |`);
  }
  if (ratio !== undefined && meta.limit) {
    const ceiling = meta.limit.appendsPerSecond / (meta.eventsPerPodOnCriticalPath ?? 1);
    rows.push(
      `| ratio to the JetStream limit | >= ${t.limitRatio} | ${fmt(ratio, 2)} | ${yesNo(ratio >= t.limitRatio)} | limit ${fmt(meta.limit.appendsPerSecond)} appends/s of ${fmt(meta.limit.eventBytes)} B (ack p99 ${fmt(meta.limit.ackP99Ms, 1)} ms, ${fmt(meta.limit.inFlight)} in flight) / ${meta.eventsPerPodOnCriticalPath} events per pod = ${fmt(ceiling)} pods/s |`,
    );
  } else {
    rows.push(`| ratio to the JetStream limit | >= ${t.limitRatio} | not measured | - | |`);
  }
  return rows;
}

function runSection(run: Run): string[] {
  const name = run.workload?.name ?? repoPath(run.file);
  const lines = [`### ${name}`, ''];
  if (run.workload?.description) lines.push(run.workload.description, '');
  lines.push(`Workload file: \`${repoPath(run.file)}\``, '');
  if (!run.result || !run.workload) {
    lines.push(`**The run failed:** ${run.error ?? 'unknown error'}`, '');
    return lines;
  }
  const { summary, meta, reportFiles, loadgen } = run.result;
  const incomplete = loadgen.phases.filter((p) => !p.completed || p.created < p.requested);
  if (loadgen.timedOut || incomplete.length > 0) {
    lines.push(
      `**Incomplete run:** ${incomplete.map((p) => `phase ${p.name} created ${fmt(p.created)}/${fmt(p.requested)}${p.completed ? '' : `, did not reach ${p.waitFor}`}`).join('; ')}`,
      '',
    );
  }
  lines.push(
    `Pods: ${fmt(summary.pods.created)} created, ${fmt(summary.pods.bound)} bound, ${fmt(summary.pods.running)} running, ${fmt(summary.pods.pending)} pending; ` +
      `bindings ${fmt(summary.bindings.accepted)} accepted, ${fmt(summary.bindings.rejected)} rejected, ${fmt(summary.bindings.schedulingFailures)} scheduling failures; ` +
      `${fmt(summary.events.total)} events (${fmt(summary.events.perSecond)}/s) in ${fmt(summary.durationMs / 1000, 1)} s.`,
    '',
    '| issue target | target | reached | met | conditions |',
    '|---|---|---|---|---|',
    ...issueTargetRows(run.workload, summary, meta),
    '',
  );
  if (meta.targets && meta.targets.length > 0) {
    lines.push('The workload file\'s own targets:', '', '| target | wanted | reached | met |', '|---|---|---|---|');
    for (const target of meta.targets) lines.push(`| ${target.name} | ${target.target} | ${target.reached} | ${yesNo(target.met)} |`);
    lines.push('');
  }
  const processes = Object.entries(loadgen.processes);
  if (processes.length > 0) {
    lines.push('| process | max RSS MiB | CPU s |', '|---|---:|---:|');
    for (const [id, usage] of processes) lines.push(`| ${id} | ${fmt(usage.maxRssBytes / 2 ** 20)} | ${fmt(usage.cpuSeconds, 1)} |`);
    lines.push('');
  }
  const files = [reportFiles.json, reportFiles.html].filter((file): file is string => file !== undefined);
  if (files.length > 0) lines.push(`Reports: ${files.map((file) => `\`${repoPath(file)}\``).join(', ')}`, '');
  return lines;
}

function section(runs: readonly Run[], args: readonly string[]): string {
  const date = new Date().toISOString();
  const machine = runs.find((run) => run.result)?.result?.meta.machine;
  const lines = [
    '',
    `## ${date.slice(0, 10)}: load workloads over real JetStream (${runs.map((run) => run.workload?.name ?? repoPath(run.file)).join(', ')})`,
    '',
    `\`npm run bench -- load${args.length > 0 ? ` ${args.join(' ')}` : ''}\` (bench/load.bench.ts), ${date}. Each run starts its own cluster ` +
      '(nats-server with file storage, API, scheduler, node agents with simulated nodes), measures the JetStream append ' +
      'limit for events of the workload\'s size on the same server first, then creates the pods; figures come from the event log.',
    '',
  ];
  if (machine) {
    lines.push(
      `Machine: ${machine.cores} cores (${machine.cpuModel}), ${fmt(machine.memoryGiB, 1)} GiB, node ${machine.node}, ${machine.natsServer}.`,
      '',
    );
  }
  for (const run of runs) lines.push(...runSection(run));
  return `${lines.join('\n')}\n`;
}

export async function run(args: readonly string[]): Promise<void> {
  const given = flagValues(args, 'workload').map((file) => resolve(process.cwd(), file));
  const files = given.length > 0 ? given : args.includes('--quick') ? QUICK_WORKLOADS : DEFAULT_WORKLOADS;

  const runs: Run[] = [];
  for (const file of files) {
    const entry: Run = { file };
    runs.push(entry);
    try {
      entry.workload = loadWorkload(file);
      process.stdout.write(`\n== ${entry.workload.name} (${repoPath(file)})\n`);
      // Not quiet: the runner shows its progress and prints the terminal report and the report paths.
      entry.result = await runWorkload(entry.workload);
    } catch (err) {
      entry.error = err instanceof Error ? err.message : String(err);
      process.stderr.write(`load ${repoPath(file)} failed: ${entry.error}\n`);
    }
  }

  appendFileSync(RESULTS, section(runs, args));
  process.stdout.write(`\nresults appended to ${repoPath(RESULTS)}\n`);
  const failed = runs.filter((entry) => entry.result === undefined);
  if (failed.length > 0) throw new LoadBenchError(`${failed.length} of ${runs.length} workload runs failed: ${failed.map((entry) => repoPath(entry.file)).join(', ')}`);
}
