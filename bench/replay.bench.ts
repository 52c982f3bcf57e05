// Record and replay, as a benchmark: generated traces replayed on a virtual clock in this process
// (the real fold and scheduling framework, no NATS) against scheduler profiles, compared side by
// side: placement quality (utilisation, fragmentation, spread, pending pods) and speed (decisions per
// CPU-second of scheduling).
//
//   npm run bench -- replay [--quick] [--trace=basic,mixed,FILE] [--profile=default,FILE] [--seed=N] [--save-traces=DIR] [--results]
//
// Traces: basic is scheduler_perf's SchedulingBasic (5,000 nodes; 1,000 init pods then 10,000 pods
// of 100m / 500Mi), mixed is 500 nodes of three sizes with pods of four sizes arriving in a random
// order, the small ones churning (so the profiles differ in what they leave stranded). FILE is a
// trace from `flotilla record` (or a raw log export). --quick shrinks both generated traces tenfold.
// Profiles default to kube-scheduler's default and bench/profiles/most-allocated.yaml. --results
// appends the Markdown section to bench/RESULTS.md. Figures only; nothing is asserted.
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PROFILE } from '@flotilla/scheduling';
import type { Profile } from '@flotilla/scheduling';
import { compareReplays, generateTrace, renderReplayComparison, replayTrace, serializeTrace, traceCounts, traceFromText } from '@flotilla/replay';
import type { ReplayComparison, ReplayResult, Trace } from '@flotilla/replay';
import { loadProfiles } from '../services/scheduler/src/config.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..');
const RESULTS = join(here, 'RESULTS.md');
const MOST_ALLOCATED = join(here, 'profiles', 'most-allocated.yaml');

export interface ReplayBenchOptions {
  /** Generated traces a tenth of the size. */
  quick?: boolean;
  /** 'basic', 'mixed', or trace files; default both generated ones. */
  traces?: string[];
  /** 'default' or scheduler configuration files; default: default and bench/profiles/most-allocated.yaml. */
  profiles?: string[];
  seed?: number;
  /** Write the generated traces here (to replay them with `flotilla replay`). */
  saveTracesTo?: string;
  /** Progress lines (default: stderr). */
  log?: (line: string) => void;
}

export interface ReplayBenchRun {
  name: string;
  description: string;
  comparison: ReplayComparison;
}

export interface ReplayBenchResult {
  /** A `## ...` section for bench/RESULTS.md: the machine, then one comparison table per trace. */
  markdown: string;
  runs: ReplayBenchRun[];
}

interface NamedTrace {
  name: string;
  description: string;
  trace: Trace;
}

/** scheduler_perf SchedulingBasic: 5,000 nodes, 1,000 init pods, then 10,000 measured pods, all 100m / 500Mi. */
export function basicTrace(scale = 1): NamedTrace {
  const nodes = Math.round(5_000 * scale);
  const init = Math.round(1_000 * scale);
  const pods = Math.round(10_000 * scale);
  const pod = { cpu: '100m', memory: '500Mi' };
  const trace = generateTrace({
    nodes: [{ count: nodes, cpu: '4', memory: '32Gi', pods: 110 }],
    zones: 3,
    pods: [
      { count: init, namePrefix: 'init', ...pod },
      { count: pods, namePrefix: 'pod', ...pod, labels: { app: 'bench' } },
    ],
    ratePerSecond: 1_000,
    description: `SchedulingBasic: ${nodes} nodes (4 cpu, 32Gi, 3 zones), ${init} init pods then ${pods} pods of 100m / 500Mi at 1,000/s`,
  });
  return { name: 'basic', description: trace.header.description!, trace };
}

/**
 * Three node sizes, four pod sizes in a seeded random order at 500/s, the small pods living 5-60 s
 * (most of them still there when the last pod comes): about 95 % of the cluster's cpu asked for at the
 * peak, the largest pods fitting only on the two larger node sizes. Where the profiles put the small and medium pods decides whether the large ones
 * still find room.
 */
export function mixedTrace(scale = 1, seed = 1): NamedTrace {
  const n = (count: number): number => Math.max(1, Math.round(count * scale));
  const trace = generateTrace({
    nodes: [
      { count: n(250), namePrefix: 'small', cpu: '4', memory: '16Gi', labels: { 'node.kubernetes.io/instance-type': 'm.xlarge' } },
      { count: n(150), namePrefix: 'large', cpu: '16', memory: '64Gi', labels: { 'node.kubernetes.io/instance-type': 'm.4xlarge' } },
      { count: n(100), namePrefix: 'huge', cpu: '32', memory: '128Gi', labels: { 'node.kubernetes.io/instance-type': 'm.8xlarge' } },
    ],
    zones: 3,
    pods: [
      { count: n(4_000), namePrefix: 'small', cpu: '250m', memory: '512Mi', labels: { app: 'small' }, lifetimeMs: { min: 5_000, max: 60_000 } },
      { count: n(1_500), namePrefix: 'medium', cpu: '1', memory: '2Gi', labels: { app: 'medium' } },
      { count: n(500), namePrefix: 'large', cpu: '4', memory: '8Gi', labels: { app: 'large' } },
      { count: n(150), namePrefix: 'xlarge', cpu: '12', memory: '24Gi', labels: { app: 'xlarge' } },
    ],
    ratePerSecond: 500,
    shuffle: true,
    seed,
  });
  const counts = traceCounts(trace);
  const description =
    `Mixed: ${counts.nodes} nodes (4, 16 and 32 cpu), ${counts.pods} pods of 250m, 1, 4 and 12 cpu in a random order at 500/s, ` +
    `the ${n(4_000)} small ones deleted 5-60 s after they came`;
  return { name: 'mixed', description, trace: { ...trace, header: { ...trace.header, description } } };
}

function repoPath(path: string): string {
  const rel = relative(repoRoot, path);
  return rel.startsWith('..') ? path : rel;
}

function profilesFrom(args: readonly string[]): Array<{ name: string; profile: Profile }> {
  const out: Array<{ name: string; profile: Profile }> = [];
  for (const arg of args) {
    if (arg === 'default') {
      out.push({ name: 'default', profile: DEFAULT_PROFILE });
      continue;
    }
    const profiles = loadProfiles(resolve(repoRoot, arg));
    const stem = basename(arg, extname(arg));
    for (const profile of profiles) out.push({ name: profiles.length === 1 ? stem : `${stem}/${profile.schedulerName}`, profile });
  }
  return out;
}

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function speedLine(result: ReplayResult): string {
  const speed = result.speed;
  return (
    `${result.profile}: ${fmt(speed.decisions)} decisions, ${fmt(speed.decisionsPerCpuSecond ?? 0)} decisions per CPU-second of scheduling ` +
    `(${fmt((speed.schedulingCpuMs ?? 0) / 1000, 1)} s), replay ${fmt((speed.totalCpuMs ?? 0) / 1000, 1)} CPU-s in all (fold and simulation included)`
  );
}

export async function runReplayBench(options: ReplayBenchOptions = {}): Promise<ReplayBenchResult> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const scale = options.quick ? 0.1 : 1;
  const seed = options.seed ?? 1;
  const profiles = profilesFrom(options.profiles ?? ['default', MOST_ALLOCATED]);
  const load = loadavg();
  const traces: NamedTrace[] = (options.traces ?? ['basic', 'mixed']).map((name) => {
    if (name === 'basic') return basicTrace(scale);
    if (name === 'mixed') return mixedTrace(scale, seed);
    const file = resolve(process.cwd(), name);
    const trace = traceFromText(readFileSync(file, 'utf8'));
    return { name: basename(file), description: trace.header.description ?? `Trace file \`${repoPath(file)}\``, trace };
  });
  const runs: ReplayBenchRun[] = [];
  for (const { name, description, trace } of traces) {
    if (options.saveTracesTo !== undefined && (name === 'basic' || name === 'mixed')) {
      mkdirSync(options.saveTracesTo, { recursive: true });
      const file = join(options.saveTracesTo, `${name}${options.quick ? '-quick' : ''}.jsonl`);
      writeFileSync(file, serializeTrace(trace));
      log(`trace ${name} written to ${file}`);
    }
    const results: ReplayResult[] = [];
    for (const { name: profileName, profile } of profiles) {
      log(`replaying ${name} (${fmt(traceCounts(trace).pods)} pods) with ${profileName}...`);
      // Yield between replays so that progress lines get out (each replay is synchronous).
      await new Promise((resolveTick) => setImmediate(resolveTick));
      results.push(replayTrace(trace, { profile, name: profileName, seed, cpuTime: cpuMs }));
      log(`  ${speedLine(results[results.length - 1]!)}`);
    }
    runs.push({ name, description, comparison: compareReplays(results) });
  }
  return { markdown: markdownSection(runs, { quick: options.quick ?? false, seed, load, profiles: profiles.map((p) => p.name) }), runs };
}

function markdownSection(runs: readonly ReplayBenchRun[], context: { quick: boolean; seed: number; load: number[]; profiles: string[] }): string {
  const date = new Date().toISOString();
  const cpu = cpus();
  const lines = [
    '',
    `## ${date.slice(0, 10)}: replay comparison (${context.profiles.join(' vs ')})`,
    '',
    `\`npm run bench -- replay${context.quick ? ' --quick' : ''}\` (bench/replay.bench.ts), ${date}, seed ${context.seed}. Each trace's arrivals ` +
      'run on a virtual clock in one process: the real fold and scheduling framework (queue, backoff, preemption) over an ' +
      'in-memory log, the node side simulated (20 ms ± 20 % per step). Placement figures are at the end of the replay; ' +
      '"decisions/s" is per CPU-second spent in the framework\'s decisions.',
    '',
    `Machine: ${cpu.length} cores (${cpu[0]?.model ?? 'unknown'}), node ${process.version}, load average at the start ${context.load.map((l) => l.toFixed(1)).join(' / ')} (1 / 5 / 15 min).`,
    '',
  ];
  for (const run of runs) {
    lines.push(`### ${run.name}`, '', run.description, '', renderReplayComparison(run.comparison, 'markdown').trimEnd(), '');
  }
  return `${lines.join('\n')}\n`;
}

function flagValues(args: readonly string[], name: string): string[] {
  const prefix = `--${name}=`;
  return args
    .filter((arg) => arg.startsWith(prefix))
    .flatMap((arg) => arg.slice(prefix.length).split(','))
    .filter((value) => value.length > 0);
}

export async function run(args: readonly string[]): Promise<void> {
  const traces = flagValues(args, 'trace');
  const profiles = flagValues(args, 'profile');
  const seed = flagValues(args, 'seed')[0];
  const save = flagValues(args, 'save-traces')[0];
  const result = await runReplayBench({
    quick: args.includes('--quick'),
    ...(traces.length > 0 ? { traces } : {}),
    ...(profiles.length > 0 ? { profiles } : {}),
    ...(seed !== undefined ? { seed: Number(seed) } : {}),
    ...(save !== undefined ? { saveTracesTo: resolve(process.cwd(), save) } : {}),
  });
  for (const entry of result.runs) {
    process.stdout.write(`\n== ${entry.name}: ${entry.description}\n\n${renderReplayComparison(entry.comparison, 'table')}`);
  }
  if (args.includes('--results')) {
    appendFileSync(RESULTS, result.markdown);
    process.stdout.write(`\nresults appended to ${repoPath(RESULTS)}\n`);
  }
}
