// Pure scheduling decisions per second, in one process (no NATS): a folded cluster of N nodes (zone
// and instance-type labels) with M pods already bound, then K decisions made as the scheduler service
// makes them: the framework over the cached node list, each decision assumed before the next.
//
//   npm run bench -- scheduler [--quick] [--decisions=K] [--runs=R] [--sizes=500,5000] [--without=PluginA,PluginB] [--rebuild-node-infos]
//
// Prints one row per (nodes, workload): decisions per CPU-second (median of the runs; CPU time, so a
// busy shared machine skews it less than wall time), p50/p99 µs of wall time per decision, and the
// slowdown against the basic workload at the same size. `--without` drops plugins from the default
// profile to show what they cost. Figures only; nothing is asserted.
import { performance } from 'node:perf_hooks';
import { cpus } from 'node:os';
import type { Container, PodSpec } from '@flotilla/model';
import type { DomainEvent } from '@flotilla/events';
import { AssumedPods, DEFAULT_PROFILE, IN_TREE_REGISTRY, NodeInfoCache, buildNodeInfos, createFramework, type Profile } from '@flotilla/scheduling';
import { applyEvent, createClusterState, type ClusterState, type PodRecord } from '@flotilla/state';
import { nodeRegistered, podBound, podCreated, toRecord } from '@flotilla/state/testing';

const ZONE = 'topology.kubernetes.io/zone';
const HOSTNAME = 'kubernetes.io/hostname';
const INSTANCE_TYPE = 'node.kubernetes.io/instance-type';
const ZONES = ['zone-a', 'zone-b', 'zone-c'];
const INSTANCE_TYPES = ['m5.xlarge', 'm5.2xlarge', 'c5.4xlarge'];
/** How many verdicts the service keeps per event on a large cluster (the chosen node and the best alternatives). */
const VERDICTS_KEPT = 8;

type Workload = 'basic' | 'node-affinity' | 'topology-spread' | 'pod-anti-affinity';

interface Scenario {
  nodes: number;
  bound: number;
  workload: Workload;
}

interface Figures {
  scenario: Scenario;
  perSecond: number;
  p50us: number;
  p99us: number;
  runs: number[];
  feasible: number;
  evaluated: number;
}

const APP: Container = { name: 'app', image: 'registry.example/app:1', resources: { requests: { cpu: '100m', memory: '128Mi' } } };

/** The pod spec of each workload; the labels go on the pod. */
function workloadPod(workload: Workload): { spec: Partial<PodSpec>; labels: Record<string, string> } {
  switch (workload) {
    case 'basic':
      return { spec: {}, labels: { app: 'basic' } };
    case 'node-affinity':
      return {
        labels: { app: 'zonal' },
        spec: {
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In', values: ['zone-a', 'zone-b'] }] }],
              },
            },
          },
        },
      };
    case 'topology-spread':
      return {
        labels: { app: 'spread' },
        spec: { topologySpreadConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'spread' } } }] },
      };
    case 'pod-anti-affinity':
      return {
        labels: { app: 'anti' },
        spec: {
          affinity: {
            podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'anti' } }, topologyKey: HOSTNAME }] },
          },
        },
      };
  }
}

/** Folds N nodes and M bound pods (round robin over the nodes) through the real fold. */
function buildCluster(nodes: number, bound: number): ClusterState {
  const state = createClusterState({ maxEvents: 100 });
  let seq = 0;
  const apply = (event: DomainEvent): void => {
    applyEvent(state, toRecord(event, ++seq));
  };
  for (let i = 0; i < nodes; i += 1) {
    const name = `node-${i + 1}`;
    apply(
      nodeRegistered({
        name,
        cpu: '32',
        memory: '128Gi',
        pods: '110',
        podCIDR: null,
        labels: { [HOSTNAME]: name, [ZONE]: ZONES[i % ZONES.length]!, [INSTANCE_TYPE]: INSTANCE_TYPES[i % INSTANCE_TYPES.length]! },
      }),
    );
  }
  for (let i = 0; i < bound; i += 1) {
    const name = `bound-${i}`;
    apply(podCreated({ name, cpu: '250m', memory: '512Mi', labels: { app: `bound-${i % 20}` } }));
    apply(podBound({ name, nodeName: `node-${(i % nodes) + 1}` }));
  }
  return state;
}

/** Adds K pending pods of a workload to the fold and returns their records. */
function addPending(state: ClusterState, workload: Workload, count: number): PodRecord[] {
  const { spec, labels } = workloadPod(workload);
  const out: PodRecord[] = [];
  let seq = state.seq;
  for (let i = 0; i < count; i += 1) {
    const name = `${workload}-${i}`;
    const created = podCreated({ name, labels, containers: [APP] });
    created.data.pod.spec = { ...created.data.pod.spec, ...spec };
    applyEvent(state, toRecord(created, ++seq));
    out.push(state.pods.get(`default/${name}`)!);
  }
  return out;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length - 1) * p))]!;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The default profile, or it without some plugins (`--without=A,B`: to see what they cost). */
function benchProfile(without: ReadonlySet<string>): Profile {
  if (without.size === 0) return DEFAULT_PROFILE;
  const keep = (name: string): boolean => !without.has(name);
  const plugins = DEFAULT_PROFILE.plugins;
  return {
    ...DEFAULT_PROFILE,
    plugins: {
      ...plugins,
      filter: plugins.filter.filter(keep),
      score: plugins.score.filter((p) => keep(p.name)),
      ...(plugins.preFilter ? { preFilter: plugins.preFilter.filter(keep) } : {}),
      ...(plugins.preScore ? { preScore: plugins.preScore.filter(keep) } : {}),
    },
    pluginConfig: DEFAULT_PROFILE.pluginConfig.filter((c) => keep(c.name)),
  };
}

let PROFILE: Profile = DEFAULT_PROFILE;
/** `--rebuild-node-infos`: build every NodeInfo per decision (buildNodeInfos), as before NodeInfoCache. */
let REBUILD = false;

/** One run: a fresh framework, assume cache and node list, K decisions. */
function runOnce(state: ClusterState, pending: readonly PodRecord[], timings: Float64Array): { seconds: number; feasible: number; evaluated: number } {
  const framework = createFramework(PROFILE);
  const assumed = new AssumedPods();
  const cache = new NodeInfoCache(state, assumed);
  const maxVerdicts = state.nodes.size <= 16 ? undefined : VERDICTS_KEPT;
  let feasible = 0;
  let evaluated = 0;
  // CPU time, not wall time: the machine is shared, and a decision is synchronous work on one core.
  const started = process.cpuUsage();
  for (let k = 0; k < pending.length; k += 1) {
    const pod = pending[k]!;
    const t0 = performance.now();
    const nodes = REBUILD ? buildNodeInfos(state, assumed) : cache.nodes();
    const result = framework.schedulePod({ pod, nodes, pods: state.pods, tieBreakSeed: pod.pod.metadata.uid, maxVerdicts });
    if (result.nodeName !== undefined) assumed.assume(pod, result.nodeName);
    timings[k] = performance.now() - t0;
    if (result.feasible) feasible += 1;
    evaluated += result.evaluatedNodes;
  }
  const used = process.cpuUsage(started);
  const seconds = (used.user + used.system) / 1e6;
  cache.close();
  return { seconds, feasible, evaluated: evaluated / Math.max(1, pending.length) };
}

function measure(scenario: Scenario, state: ClusterState, decisions: number, runs: number): Figures {
  const pending = addPending(state, scenario.workload, decisions);
  // Warm-up (JIT), not counted.
  runOnce(state, pending.slice(0, Math.min(pending.length, 200)), new Float64Array(decisions));
  const rates: number[] = [];
  const all: number[] = [];
  let feasible = 0;
  let evaluated = 0;
  for (let r = 0; r < runs; r += 1) {
    const timings = new Float64Array(decisions);
    const outcome = runOnce(state, pending, timings);
    rates.push(decisions / outcome.seconds);
    for (const t of timings) all.push(t);
    feasible = outcome.feasible;
    evaluated = outcome.evaluated;
  }
  const sorted = Float64Array.from(all).sort();
  return { scenario, perSecond: median(rates), p50us: percentile(sorted, 0.5) * 1000, p99us: percentile(sorted, 0.99) * 1000, runs: rates, feasible, evaluated };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function printTable(rows: Figures[]): void {
  const basic = new Map(rows.filter((r) => r.scenario.workload === 'basic').map((r) => [r.scenario.nodes, r.perSecond]));
  const header = ['nodes', 'bound pods', 'workload', 'decisions/s', 'p50 µs', 'p99 µs', 'vs basic', 'nodes filtered', 'placed'];
  const lines = rows.map((r) => {
    const base = basic.get(r.scenario.nodes);
    return [
      r.scenario.nodes.toLocaleString('en-US'),
      r.scenario.bound.toLocaleString('en-US'),
      r.scenario.workload,
      Math.round(r.perSecond).toLocaleString('en-US'),
      r.p50us.toFixed(0),
      r.p99us.toFixed(0),
      base === undefined ? '-' : `${(base / r.perSecond).toFixed(2)}x`,
      r.evaluated.toFixed(0),
      `${r.feasible}`,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const numeric = new Set([0, 1, 3, 4, 5, 6, 7, 8]);
  const row = (cells: string[]): string => `| ${cells.map((c, i) => pad(c, widths[i]!, numeric.has(i))).join(' | ')} |`;
  process.stdout.write(`${row(header)}\n|${widths.map((w, i) => (numeric.has(i) ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|\n`);
  for (const line of lines) process.stdout.write(`${row(line)}\n`);
}

function flag(args: readonly string[], name: string): string | undefined {
  const prefix = `--${name}=`;
  return args.find((a) => a.startsWith(prefix))?.slice(prefix.length) ?? (args.includes(`--${name}`) ? 'true' : undefined);
}

export async function run(args: readonly string[]): Promise<void> {
  const quick = flag(args, 'quick') !== undefined;
  const decisions = Number(flag(args, 'decisions') ?? (quick ? 300 : 2000));
  const runs = Number(flag(args, 'runs') ?? 3);
  const without = new Set((flag(args, 'without') ?? '').split(',').filter(Boolean));
  PROFILE = benchProfile(without);
  REBUILD = flag(args, 'rebuild-node-infos') !== undefined;
  const profilePlugins = new Set(PROFILE.plugins.filter);
  const has = (plugin: string): boolean => IN_TREE_REGISTRY.has(plugin) && profilePlugins.has(plugin);
  const sizes = (flag(args, 'sizes') ?? (quick ? '500,5000' : '500,5000,20000')).split(',').map(Number);
  const affinitySize = 5000;

  process.stdout.write(
    `scheduler benchmark: ${decisions} decisions x ${runs} runs per row (median), node ${process.version}, ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown'})\n` +
      `profile filters: ${PROFILE.plugins.filter.join(', ')}\n` +
      `profile scores: ${PROFILE.plugins.score.map((p) => `${p.name} x${p.weight}`).join(', ')}\n` +
      `node list: ${REBUILD ? 'rebuilt per decision (buildNodeInfos)' : 'NodeInfoCache'}\n\n`,
  );
  const rows: Figures[] = [];
  for (const nodes of sizes) {
    const bound = nodes * 2;
    const t0 = performance.now();
    const state = buildCluster(nodes, bound);
    process.stderr.write(`built ${nodes} nodes / ${bound} bound pods in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const workloads: Workload[] = ['basic'];
    if (nodes === affinitySize) {
      workloads.push('node-affinity');
      if (has('PodTopologySpread')) workloads.push('topology-spread');
      else process.stderr.write('PodTopologySpread is not in the profile: skipped\n');
      if (has('InterPodAffinity')) workloads.push('pod-anti-affinity');
      else process.stderr.write('InterPodAffinity is not in the profile: skipped\n');
    }
    for (const workload of workloads) {
      const figures = measure({ nodes, bound, workload }, state, decisions, runs);
      process.stderr.write(`  ${workload}: ${figures.runs.map((r) => Math.round(r)).join(' / ')} decisions/s\n`);
      rows.push(figures);
    }
  }
  process.stdout.write('\n');
  printTable(rows);
}
