// Runs a workload: a local cluster (or a running one), the JetStream append limit, the phases' pods
// created through the API (with their churn and node kills), a RunRecorder folding the log for the
// summary and a RunTracker for the phases, and the reports.
import { execFileSync } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { JetStreamEventLog, measureAppendLimit, type EventSubscription } from '@flotilla/eventlog';
import { toFlotillaRecord } from '@flotilla/events';
import { LocalCluster, REPO_ROOT } from '@flotilla/launcher';
import { RunRecorder, renderHtmlReport, renderJsonReport, renderTerminalReport, type ReportMeta, type RunSummary } from '@flotilla/measure';
import type { Pod } from '@flotilla/model';
import { findNatsServerBinary, getFreePort } from '@flotilla/testkit';
import { agentNodeNames, planAgents, planKill, type AgentPlan } from './agent-plan.ts';
import { abortableSleep, createPod, createReplicaSet, deletePod, registerNode, removeNode, type RequestTally } from './api-requests.ts';
import { churnRates, churnTimeline, runTimeline } from './churn.ts';
import { realClock, runPaced, TokenBucket } from './pacing.ts';
import { renderPhaseDetails } from './phase-report.ts';
import { ProcessSampler, type ProcessUsage } from './process-stats.ts';
import { RunTracker, type KillFigures, type WindowFigures } from './run-tracker.ts';
import { phasePodCount, type Workload, type WorkloadChurn, type WorkloadPhase } from './workload.ts';

export { planAgents } from './agent-plan.ts';
export type { AgentPlan } from './agent-plan.ts';

export interface RunOptions {
  /** Report folder (default bench/reports/<workload>-<ISO time>/). */
  out?: string;
  /** Use a running cluster: the API's URL (needs `nats` too). */
  server?: string;
  nats?: string;
  quiet?: boolean;
  /** Overrides the workload's timeoutSeconds. */
  timeoutMs?: number;
  /** Measure the JetStream append limit before the workload (default true). */
  measureLimit?: boolean;
  /** Where progress lines go (default: stderr unless quiet). */
  log?: (line: string) => void;
  /** Ends the run early (SIGINT is also handled). */
  signal?: AbortSignal;
}

export interface PhaseResult {
  name: string;
  measured: boolean;
  /** Pods the phase asked for: its count plus what its churn creates. */
  requested: number;
  /** Pods created through the API (for a ReplicaSet: pods its controller created before any kill). */
  created: number;
  /** Non-2xx answers (after retries), by status ('network' for transport errors). */
  failures: Record<string, number>;
  retries: number;
  waitFor: WorkloadPhase['waitFor'];
  /** The phase's condition held before the deadline (and, with killNodes, every pod was replaced). */
  completed: boolean;
  durationMs: number;
  churn?: ChurnResult;
  kill?: KillResult;
}

export interface ChurnResult {
  startedAt: string;
  endedAt: string;
  /** As planned, and as it ran (longer when its steps could not keep the schedule). */
  plannedMs: number;
  ranMs: number;
  steps: number;
  /** How late the steps started against the schedule. */
  lateness: { maxMs: number; meanMs: number };
  pods?: { created: number; deleted: number; nothingToDelete: number } & RequestTally;
  nodes?: {
    added: number;
    removed: number;
    nothingToRemove: number;
    /** Churn nodes still there when the churn ended, removed then. */
    removedAtEnd: number;
    /** The phase's live pods left bound to a removed node (nothing garbage-collects them), at the end of the run. */
    orphanedPods: number;
  } & RequestTally;
  /** The phase's pods created while the churn ran: throughput and latency under churn. */
  during: WindowFigures;
  /** The phase's live pods at the end of the run. */
  liveAtEnd: number;
}

export interface KillResult extends KillFigures {
  /** The node agents SIGKILLed. */
  agents: string[];
  /** Their nodes, as a share of all nodes. */
  percentOfNodes: number;
  killedAt: string;
}

/** What the loadgen adds to M's JSON report, under the `loadgen` key. */
export interface LoadgenDetails {
  phases: PhaseResult[];
  /** Max RSS and CPU seconds per service process (absent when the cluster was not ours). */
  processes: Record<string, ProcessUsage>;
  timedOut: boolean;
  eventsPerPodOnCriticalPath: { value: number; counted: string[]; note: string };
  cluster: { nodes: number; nodeAgents: number; zones: number; apiUrl: string; natsUrl: string; dataDir?: string };
  /** Nodes whose bound pods request more than they can hold at the end of the run (expected: none). */
  capacityViolations: string[];
}

export interface RunResult {
  summary: RunSummary;
  meta: ReportMeta;
  reportFiles: { json?: string; html?: string };
  cluster?: { dataDir: string };
  loadgen: LoadgenDetails;
}

export class RunWorkloadError extends Error {
  override readonly name: string = 'RunWorkloadError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class RunAbortedError extends RunWorkloadError {
  override readonly name = 'RunAbortedError';
}

/** The label a workload ReplicaSet selects its pods by. */
export const REPLICA_SET_LABEL = 'loadgen.flotilla.dev/replicaset';

/** PodCreated + PodBound, plus PodSandboxReady + ContainerStarted when a measured phase waits for running. */
export function criticalPathEvents(workload: Workload): { value: number; counted: string[] } {
  const running = workload.phases.some((p) => p.measure && p.waitFor === 'running');
  const counted = running ? ['PodCreated', 'PodBound', 'PodSandboxReady', 'ContainerStarted'] : ['PodCreated', 'PodBound'];
  return { value: counted.length, counted };
}

export function podName(phase: WorkloadPhase, index: number): string {
  return `${phase.pods.namePrefix}-${index + 1}`;
}

/** The phase's pods: `<prefix>-<n>` for bare pods, the ReplicaSet's label for a ReplicaSet's. */
function belongsTo(phase: WorkloadPhase): (pod: Pod) => boolean {
  const name = phase.pods.namePrefix;
  if (phase.pods.replicaSet) return (pod) => pod.metadata.namespace === 'default' && pod.metadata.labels?.[REPLICA_SET_LABEL] === name;
  const prefix = `${name}-`;
  return (pod) => pod.metadata.namespace === 'default' && pod.metadata.name.startsWith(prefix) && /^\d+$/.test(pod.metadata.name.slice(prefix.length));
}

function podManifest(phase: WorkloadPhase, index: number): Record<string, unknown> {
  const template = phase.pods.template;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: podName(phase, index), namespace: 'default', ...(template.metadata?.labels ? { labels: template.metadata.labels } : {}), ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}) },
    spec: template.spec,
  };
}

function replicaSetManifest(phase: WorkloadPhase): Record<string, unknown> {
  const { namePrefix: name, count, template } = phase.pods;
  const selector = { [REPLICA_SET_LABEL]: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'default' },
    spec: {
      replicas: count,
      selector: { matchLabels: selector },
      template: { metadata: { labels: { ...template.metadata?.labels, ...selector }, ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}) }, spec: template.spec },
    },
  };
}

/** A node the churn registers through the API: the cluster's node shape, the churn's labels and taints. */
function churnNodeManifest(workload: Workload, nodes: NonNullable<WorkloadChurn['nodes']>, name: string, n: number): Record<string, unknown> {
  const shape = workload.cluster.node;
  const labels: Record<string, string> = { ...shape.labels, 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...nodes.labels };
  if (shape.zones > 0) labels['topology.kubernetes.io/zone'] ??= `zone-${String.fromCharCode(97 + (n % shape.zones))}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    spec: nodes.taints.length > 0 ? { taints: nodes.taints } : {},
    status: { capacity: { cpu: String(shape.cpu), memory: shape.memory, pods: String(shape.pods) } },
  };
}

/** Bytes of a PodCreated envelope for the workload's first measured template, as the API writes it (approximately). */
export function typicalPodCreatedBytes(workload: Workload): number {
  const phase = workload.phases.find((p) => p.measure) ?? workload.phases[0]!;
  const manifest = podManifest(phase, 99_999) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
  const pod = {
    ...manifest,
    metadata: { ...manifest.metadata, uid: randomUUID(), creationTimestamp: new Date(0).toISOString(), resourceVersion: '123456' },
    spec: { restartPolicy: 'Always', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30, priority: 0, ...manifest.spec },
  };
  const event = { id: randomUUID(), type: 'PodCreated', schemaVersion: 1, time: new Date(0).toISOString(), source: 'api', correlationId: randomUUID(), data: { pod } };
  return Buffer.byteLength(JSON.stringify(event));
}

function machine(natsBinary: string | undefined): ReportMeta['machine'] {
  let natsServer = 'unknown';
  try {
    if (natsBinary) natsServer = execFileSync(natsBinary, ['--version'], { encoding: 'utf8', timeout: 5000 }).trim();
  } catch {
    // Reported as unknown.
  }
  return { cores: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10, node: process.version, natsServer };
}

/** The workload's targets against the run; the kill metrics take the first phase that killed nodes. */
export function targetResults(workload: Workload, summary: RunSummary, phases: readonly PhaseResult[]): NonNullable<ReportMeta['targets']> {
  const kill = phases.find((p) => p.kill)?.kill;
  return workload.targets.map((t) => {
    let value: number;
    let unit = ' ms';
    switch (t.metric) {
      case 'podsBoundPerSecond':
        value = summary.throughput.podsBoundPerSecond;
        unit = ' pods/s';
        break;
      case 'schedulingLatencyP99':
        value = summary.schedulingLatency.p99;
        break;
      case 'startupLatencyP99':
        value = summary.startupLatency.p99;
        break;
      case 'killRecoveryMs':
        value = kill?.recoveredMs ?? Number.NaN;
        break;
      case 'replacementLatencyP99':
        value = kill && kill.replacements.fromKill.count > 0 ? kill.replacements.fromKill.p99 : Number.NaN;
        break;
      case 'podsLost':
        value = kill ? kill.lost + kill.notEvicted : Number.NaN;
        unit = ' pods';
        break;
    }
    // NaN: nothing to measure (no kill, or it never recovered): the target is not met.
    const met = t.op === '>=' ? value >= t.value : value <= t.value;
    const reached = Number.isNaN(value) ? 'not reached' : `${Math.round(value * 10) / 10}${unit}`;
    return { name: t.name, target: `${t.metric} ${t.op} ${t.value}${unit}`, reached, met };
  });
}

async function readyNodes(apiUrl: string): Promise<number> {
  const response = await fetch(`${apiUrl}/api/v1/nodes`);
  if (!response.ok) throw new Error(`GET /api/v1/nodes answered ${response.status}`);
  const list = (await response.json()) as { items?: Array<{ status?: { conditions?: Array<{ type: string; status: string }> } }> };
  return (list.items ?? []).filter((n) => n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}

/** A progress line on stderr: redrawn in place on a terminal, a new line every 5 s otherwise (CI logs). */
class Progress {
  private timer: NodeJS.Timeout | undefined;
  private lastLength = 0;
  private readonly tty = process.stderr.isTTY === true;
  constructor(private readonly enabled: boolean) {}
  start(render: () => string): void {
    if (!this.enabled) return;
    this.stopTimer();
    this.timer = setInterval(() => this.write(render()), this.tty ? 500 : 5000);
    this.timer.unref();
  }
  private write(line: string): void {
    if (!this.tty) {
      process.stderr.write(`${line}\n`);
      return;
    }
    const pad = Math.max(0, this.lastLength - line.length);
    process.stderr.write(`\r${line}${' '.repeat(pad)}`);
    this.lastLength = line.length;
  }
  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
  stop(final: string): void {
    if (!this.enabled) return;
    this.stopTimer();
    this.write(final);
    if (this.tty) process.stderr.write('\n');
    this.lastLength = 0;
  }
}

function bar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? width : Math.min(width, Math.round((done / total) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

const seconds = (ms: number | null): string => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);

/** What a phase needs of the run around it. */
interface PhaseContext {
  workload: Workload;
  apiUrl: string;
  tracker: RunTracker;
  signal: AbortSignal;
  deadline: number;
  cluster: LocalCluster | undefined;
  agents: AgentPlan[];
  progress: Progress;
  log: (line: string) => void;
  checkAborted: () => void;
}

/** Polls `done` every `everyMs` until it holds or the deadline passes; true when it held. */
async function until(ctx: PhaseContext, done: () => boolean, everyMs = 100): Promise<boolean> {
  while (!done()) {
    ctx.checkAborted();
    if (Date.now() >= ctx.deadline) return done();
    await abortableSleep(everyMs, ctx.signal);
  }
  return true;
}

/** The phase's pods in the order they were created (bare pods only): the churn deletes from the front. */
interface CreatedPods {
  names: string[];
  /** Next pod index (0-based): churn creations continue after the phase's count. */
  next: number;
  /** Pods deleted by the churn (the answer said done). */
  deleted: number;
}

async function runPhase(ctx: PhaseContext, phase: WorkloadPhase, index: number): Promise<PhaseResult> {
  const { tracker, apiUrl, signal, log } = ctx;
  const result: PhaseResult = { name: phase.name, measured: phase.measure, requested: phasePodCount(phase), created: 0, failures: {}, retries: 0, waitFor: phase.waitFor, completed: false, durationMs: 0 };
  const started = Date.now();
  const label = `${phase.name}${phase.measure ? '' : ' (not measured)'}`;
  const what = phase.pods.replicaSet ? `a ReplicaSet of ${phase.pods.count} pods` : `${phase.pods.count} pods${phase.pods.rate > 0 ? ` at ${phase.pods.rate}/s` : ''}, ${phase.pods.concurrency} in flight`;
  const churnText = phase.churn ? `, churn for ${phase.churn.durationSeconds} s` : '';
  log(`phase ${label}: ${what}${churnText}, wait for ${phase.waitFor}${phase.killNodes ? `, then kill ${phase.killNodes.percent}% of the nodes` : ''}`);
  const line = (): string => {
    const c = tracker.phaseCounts(index);
    const secs = Math.max(0.001, (Date.now() - started) / 1000);
    const churned = c.deleted > 0 ? ` deleted ${c.deleted}` : '';
    return `${label} ${bar(c.bound, result.requested)} created ${c.created}/${result.requested} bound ${c.bound} running ${c.running}${churned} ${Math.round(c.bound / secs)} bound/s`;
  };
  ctx.progress.start(line);

  const created: CreatedPods = { names: [], next: phase.pods.count, deleted: 0 };
  let creation: Promise<boolean>;
  if (phase.pods.replicaSet) {
    creation = createReplicaSet(apiUrl, replicaSetManifest(phase), result, signal);
  } else {
    const bucket = phase.pods.rate > 0 ? new TokenBucket(phase.pods.rate, realClock) : undefined;
    creation = runPaced(phase.pods.count, { concurrency: phase.pods.concurrency, signal, ...(bucket ? { bucket } : {}) }, async (i) => {
      if (await createPod(apiUrl, podManifest(phase, i), result, signal)) {
        result.created += 1;
        created.names.push(podName(phase, i));
      }
    }).then(() => true);
  }
  const churning = phase.churn ? runChurn(ctx, phase, phase.churn, created, result) : Promise.resolve(undefined);
  const [submitted, churn] = await Promise.all([creation, churning]);
  if (churn) result.churn = churn;
  ctx.checkAborted();

  const expectedLive = (): number => (phase.pods.replicaSet ? phase.pods.count : result.created - created.deleted);
  const reached = (): boolean => {
    if (phase.waitFor === 'none') return true;
    const c = tracker.phaseCounts(index);
    return c.live >= expectedLive() && (phase.waitFor === 'bound' ? c.liveUnbound : c.liveNotRunning) === 0;
  };
  result.completed = submitted && (await until(ctx, reached));
  if (phase.pods.replicaSet) result.created = tracker.phaseCounts(index).created;
  const counts = tracker.phaseCounts(index);
  ctx.progress.stop(`${label} ${bar(counts.bound, result.requested)} created ${counts.created}/${result.requested} bound ${counts.bound} running ${counts.running} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const failed = Object.entries(result.failures);
  if (failed.length > 0) log(`phase ${phase.name}: ${result.requested - result.created} pods not created (${failed.map(([s, n]) => `${n}x ${s}`).join(', ')})`);
  if (!submitted) log(`phase ${phase.name}: the ReplicaSet ${phase.pods.namePrefix} was not created`);
  else if (!result.completed) log(`phase ${phase.name}: timed out waiting for ${phase.waitFor} (${phase.waitFor === 'bound' ? counts.bound : counts.running} of ${expectedLive()})`);

  if (result.completed && phase.killNodes) {
    const kill = await killNodes(ctx, phase, index);
    result.kill = kill;
    result.completed = kill.recovered;
  }
  result.durationMs = Date.now() - started;
  return result;
}

/** Plays the phase's churn: pod and node creations and deletions at their rates, then removes the churn nodes left. */
async function runChurn(ctx: PhaseContext, phase: WorkloadPhase, churn: WorkloadChurn, created: CreatedPods, result: PhaseResult): Promise<ChurnResult> {
  const { apiUrl, signal } = ctx;
  const plannedMs = churn.durationSeconds * 1000;
  const steps = churnTimeline(churnRates(churn), plannedMs);
  const pods = churn.pods ? { created: 0, deleted: 0, nothingToDelete: 0, retries: 0, failures: {} as Record<string, number> } : undefined;
  const nodes = churn.nodes ? { added: 0, removed: 0, nothingToRemove: 0, removedAtEnd: 0, orphanedPods: 0, retries: 0, failures: {} as Record<string, number> } : undefined;
  const added: string[] = [];
  let nodeNumber = 0;
  const startMs = Date.now();
  const timeline = await runTimeline(steps, { clock: realClock, concurrency: churn.concurrency, signal }, async (step) => {
    switch (step.action) {
      case 'createPod': {
        const i = created.next++;
        if (pods && (await createPod(apiUrl, podManifest(phase, i), pods, signal))) {
          pods.created++;
          result.created++;
          created.names.push(podName(phase, i));
        }
        return;
      }
      case 'deletePod': {
        if (!pods) return;
        const name = created.names.shift();
        if (name === undefined) {
          pods.nothingToDelete++;
          return;
        }
        if (await deletePod(apiUrl, name, churn.pods?.gracePeriodSeconds ?? 0, pods, signal)) {
          pods.deleted++;
          created.deleted++;
        }
        return;
      }
      case 'addNode': {
        if (!nodes || !churn.nodes) return;
        const n = ++nodeNumber;
        const name = `${churn.nodes.namePrefix}-${n}`;
        if (await registerNode(apiUrl, churnNodeManifest(ctx.workload, churn.nodes, name, n), nodes, signal)) {
          nodes.added++;
          added.push(name);
        }
        return;
      }
      case 'removeNode': {
        if (!nodes) return;
        const name = added.shift();
        if (name === undefined) {
          nodes.nothingToRemove++;
          return;
        }
        if (await removeNode(apiUrl, name, nodes, signal)) nodes.removed++;
        return;
      }
    }
  });
  const endMs = Date.now();
  // The cluster leaves the churn as it entered it: later phases see no agentless nodes.
  const leftovers = added.splice(0);
  if (nodes && leftovers.length > 0) {
    await runPaced(leftovers.length, { concurrency: churn.concurrency, signal }, async (i) => {
      if (await removeNode(apiUrl, leftovers[i]!, nodes, signal)) nodes.removedAtEnd++;
    });
  }
  return {
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date(endMs).toISOString(),
    plannedMs,
    ranMs: endMs - startMs,
    steps: steps.length,
    lateness: timeline.lateness,
    ...(pods ? { pods } : {}),
    ...(nodes ? { nodes } : {}),
    // Filled in at the end of the run, once the log is folded up to there.
    during: { created: 0, bound: 0, boundPerSecond: 0, schedulingLatency: latencyZero(), startupLatency: latencyZero() },
    liveAtEnd: 0,
  };
}

function latencyZero(): WindowFigures['schedulingLatency'] {
  return { count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 };
}

/** SIGKILLs the agents of `percent` of the nodes and waits until the phase's pods are all replaced elsewhere. */
async function killNodes(ctx: PhaseContext, phase: WorkloadPhase, index: number): Promise<KillResult> {
  const kill = phase.killNodes!;
  const cluster = ctx.cluster;
  if (!cluster) throw new RunWorkloadError(`phase ${phase.name}: killNodes needs a cluster the runner starts (not --server/--nats)`);
  if (kill.afterSeconds > 0) await abortableSleep(kill.afterSeconds * 1000, ctx.signal);
  ctx.checkAborted();
  // Agents an earlier phase killed are gone already: the share is taken of the nodes still hosted.
  const plan = planKill(ctx.agents.filter((agent) => cluster.services.get(agent.id)?.running === true), kill.percent);
  const nodes = plan.agents.flatMap(agentNodeNames);
  const atMs = Date.now();
  const id = ctx.tracker.startKill({ phase: index, nodes, atMs, expected: phase.pods.count, waitFor: kill.waitFor });
  await Promise.all(plan.agents.map((agent) => cluster.service(agent.id).kill()));
  const onKilled = ctx.tracker.killFigures(id).podsOnKilledNodes;
  ctx.log(`killed ${plan.agents.map((a) => a.id).join(', ')} (SIGKILL): ${plan.nodes} nodes (${plan.percent.toFixed(1)}%) hosting ${onKilled} of the phase's pods`);
  const label = `${phase.name}: recovery`;
  ctx.progress.start(() => {
    const f = ctx.tracker.killFigures(id);
    return `${label} ${bar(f.replacements.running, f.podsOnKilledNodes)} NotReady ${f.notReady.count}/${f.nodes} evicted ${f.evictions.count}/${f.podsOnKilledNodes} replacements ${f.replacements.created} running ${f.replacements.running} ${((Date.now() - atMs) / 1000).toFixed(0)} s`;
  });
  await until(ctx, () => ctx.tracker.killFigures(id).recovered, 200);
  const figures = ctx.tracker.killFigures(id);
  ctx.progress.stop(
    `${label}: NotReady after ${seconds(figures.notReady.allMs)}, evicted after ${seconds(figures.evictions.allMs)}, ` +
      `${figures.replacements.running} replacements running after ${seconds(figures.recoveredMs)}${figures.recovered ? '' : ` (not recovered: ${figures.lost} lost, ${figures.notEvicted} not evicted)`}`,
  );
  if (!figures.recovered) ctx.log(`phase ${phase.name}: not recovered before the timeout: ${figures.lost} pods not replaced, ${figures.notEvicted} not evicted`);
  return { ...figures, agents: plan.agents.map((a) => a.id), percentOfNodes: plan.percent, killedAt: new Date(atMs).toISOString() };
}

export async function runWorkload(workload: Workload, options: RunOptions = {}): Promise<RunResult> {
  const log = options.log ?? (options.quiet ? () => undefined : (line: string) => process.stderr.write(`${line}\n`));
  const measureLimit = options.measureLimit ?? true;
  const timeoutMs = options.timeoutMs ?? workload.timeoutSeconds * 1000;
  const deadline = Date.now() + timeoutMs;
  if ((options.server === undefined) !== (options.nats === undefined)) throw new RunWorkloadError('a running cluster needs both --server and --nats');

  const abort = new AbortController();
  const onSigint = (): void => abort.abort(new RunAbortedError('interrupted (SIGINT)'));
  process.once('SIGINT', onSigint);
  const onOuterAbort = (): void => abort.abort(new RunAbortedError('aborted'));
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = abort.signal;
  // Every request in flight listens on it.
  setMaxListeners(0, signal);
  const checkAborted = (): void => {
    if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new RunAbortedError('aborted');
  };

  let cluster: LocalCluster | undefined;
  let dataDir: string | undefined;
  let eventLog: JetStreamEventLog | undefined;
  let subscription: EventSubscription | undefined;
  let sampler: ProcessSampler | undefined;
  const agents = planAgents(workload);
  try {
    let apiUrl: string;
    let natsUrl: string;
    let natsBinary: string | undefined;
    try {
      natsBinary = findNatsServerBinary();
    } catch {
      natsBinary = undefined;
    }
    if (options.server !== undefined && options.nats !== undefined) {
      apiUrl = options.server.replace(/\/$/, '');
      natsUrl = options.nats;
      const killing = workload.phases.find((p) => p.killNodes);
      if (killing) throw new RunWorkloadError(`phase ${killing.name}: killNodes needs a cluster the runner starts (its node agents are killed), not --server/--nats`);
      const ignored = (['controller', 'env', 'nodeAgent', 'scheduler'] as const).filter((key) => workload.cluster[key] !== undefined);
      if (ignored.length > 0) log(`using the running cluster at ${apiUrl}: cluster.${ignored.join(', cluster.')} not applied`);
    } else {
      dataDir = mkdtempSync(join(tmpdir(), `flotilla-load-${workload.name}-`));
      log(`starting a local cluster in ${dataDir}: ${workload.cluster.nodes} nodes over ${agents.length} node agent(s)`);
      const { scheduler, controller, env } = workload.cluster;
      cluster = new LocalCluster({
        dataDir,
        apiPort: await getFreePort(),
        nodes: 0,
        ...(scheduler ? { schedulerArgs: scheduler } : {}),
        ...(controller ? { controllerArgs: controller } : {}),
        ...(env ? { env } : {}),
      });
      await cluster.start();
      for (const agent of agents) {
        const args = [...agent.args];
        if (agent.fleet) {
          const file = join(dataDir, `${agent.id}.fleet.json`);
          writeFileSync(file, JSON.stringify(agent.fleet, null, 2));
          args.push('--fleet', file);
        }
        cluster.add(agent.id, 'node-agent', args);
      }
      apiUrl = cluster.apiUrl;
      natsUrl = cluster.natsUrl;
      const local = cluster;
      sampler = new ProcessSampler(() => [
        ...(local.nats ? [{ id: 'nats-server', pid: local.nats.process.pid }] : []),
        ...[...local.services.values()].map((s) => ({ id: s.spec.id, pid: s.pid })),
        // The load generator shares the cores with the cluster it measures: its own cost is shown too.
        { id: 'loadgen (this process)', pid: process.pid },
      ]);
      sampler.start();
    }

    // Every node registered and Ready before the first pod: otherwise the run measures registration.
    const expectedNodes = workload.cluster.nodes;
    let ready = 0;
    while (ready < expectedNodes) {
      checkAborted();
      if (Date.now() > deadline) throw new RunWorkloadError(`only ${ready} of ${expectedNodes} nodes were Ready before the timeout${cluster ? `\n${cluster.tails()}` : ''}`);
      for (const s of cluster?.services.values() ?? []) {
        if (!s.running) throw new RunWorkloadError(`${s.spec.id} exited while the nodes registered:\n${s.tail()}`);
      }
      try {
        ready = await readyNodes(apiUrl);
      } catch {
        ready = 0;
      }
      if (ready < expectedNodes) await abortableSleep(250, signal);
    }
    log(`${ready} nodes Ready`);

    let limit: ReportMeta['limit'];
    if (measureLimit) {
      checkAborted();
      const eventBytes = typicalPodCreatedBytes(workload);
      log(`measuring the JetStream append limit (${eventBytes}-byte events)...`);
      limit = await measureAppendLimit({ servers: natsUrl, eventBytes });
      log(`JetStream limit: ${Math.round(limit.appendsPerSecond)} appends/s (ack p50 ${limit.ackP50Ms} ms, p99 ${limit.ackP99Ms} ms, ${limit.inFlight} in flight)`);
    }

    // Fold the whole log (nodes included, for utilisation); only pods created from here on count.
    eventLog = await JetStreamEventLog.connect({ servers: natsUrl, name: 'flotilla-loadgen' });
    const startSeq = await eventLog.lastSequence();
    const measured = workload.phases.filter((p) => p.measure).map(belongsTo);
    const overall = new RunRecorder({ fromSeq: startSeq, podFilter: (pod) => measured.some((f) => f(pod)) });
    const tracker = new RunTracker({ fromSeq: startSeq, phases: workload.phases.map(belongsTo) });
    let seenSeq = 0;
    subscription = eventLog.subscribe(1, (record) => {
      seenSeq = record.seq;
      const domain = toFlotillaRecord(record);
      if (!domain) return;
      overall.apply(domain);
      tracker.apply(domain);
    });
    while (seenSeq < startSeq) {
      checkAborted();
      await abortableSleep(50, signal);
    }

    const phases: PhaseResult[] = [];
    let timedOut = false;
    const progress = new Progress(!options.quiet && options.log === undefined);
    const ctx: PhaseContext = { workload, apiUrl, tracker, signal, deadline, cluster, agents, progress, log, checkAborted };
    for (const [i, phase] of workload.phases.entries()) {
      checkAborted();
      const result = await runPhase(ctx, phase, i);
      phases.push(result);
      if (!result.completed) {
        timedOut = true;
        break;
      }
    }

    // Let the fold catch up with everything written so far before summarising.
    const endSeq = await eventLog.lastSequence();
    const catchUpUntil = Date.now() + 10_000;
    while (seenSeq < endSeq && Date.now() < catchUpUntil) await abortableSleep(50, signal);
    await subscription.stop();
    subscription = undefined;

    finishChurnFigures(phases, tracker);
    const summary = overall.summary();
    const critical = criticalPathEvents(workload);
    const meta: ReportMeta = {
      workload: workload.name,
      machine: machine(natsBinary),
      date: new Date().toISOString(),
      ...(limit ? { limit } : {}),
      eventsPerPodOnCriticalPath: critical.value,
      targets: targetResults(workload, summary, phases),
    };
    const processes = sampler?.stop() ?? {};
    sampler = undefined;
    const loadgen: LoadgenDetails = {
      phases,
      processes,
      timedOut,
      eventsPerPodOnCriticalPath: {
        ...critical,
        note: `events a pod needs appended in order before it counts (${critical.counted.join(' + ')}); the JetStream limit divided by this is the throughput ceiling the log allows`,
      },
      cluster: { nodes: workload.cluster.nodes, nodeAgents: agents.length, zones: workload.cluster.node.zones, apiUrl, natsUrl, ...(dataDir ? { dataDir } : {}) },
      capacityViolations: tracker.capacityViolations(),
    };

    const out = resolve(options.out ?? join(REPO_ROOT, 'bench', 'reports', `${workload.name}-${meta.date.replace(/[:.]/g, '-')}`));
    mkdirSync(out, { recursive: true });
    const json = join(out, 'report.json');
    const html = join(out, 'report.html');
    const report = JSON.parse(renderJsonReport(summary, meta)) as Record<string, unknown>;
    writeFileSync(json, `${JSON.stringify({ ...report, loadgen }, null, 2)}\n`);
    writeFileSync(html, renderHtmlReport(summary, meta));
    if (!options.quiet) {
      process.stdout.write(`${renderTerminalReport(summary, meta)}\n`);
      process.stdout.write(renderPhaseDetails(phases, loadgen.capacityViolations));
      process.stdout.write(`${renderProcesses(processes)}`);
      process.stdout.write(`reports: ${json}\n         ${html}\n`);
    }
    return { summary, meta, reportFiles: { json, html }, ...(dataDir ? { cluster: { dataDir } } : {}), loadgen };
  } finally {
    process.removeListener('SIGINT', onSigint);
    options.signal?.removeEventListener('abort', onOuterAbort);
    sampler?.stop();
    await subscription?.stop().catch(() => undefined);
    await eventLog?.close().catch(() => undefined);
    if (cluster) {
      log('stopping the cluster');
      await cluster.stop();
      // The logs stay for a look afterwards; the JetStream store can be large and is of no use.
      if (dataDir) rmSync(join(dataDir, 'nats'), { recursive: true, force: true });
    }
  }
}

/** Churn figures that need the whole log folded: the pods created while it ran, orphans, live pods. */
function finishChurnFigures(phases: PhaseResult[], tracker: RunTracker): void {
  phases.forEach((phase, i) => {
    const churn = phase.churn;
    if (!churn) return;
    churn.during = tracker.window(i, Date.parse(churn.startedAt), Date.parse(churn.endedAt));
    churn.liveAtEnd = tracker.phaseCounts(i).live;
    if (churn.nodes) churn.nodes.orphanedPods = tracker.orphaned(i);
  });
}

function renderProcesses(processes: Record<string, ProcessUsage>): string {
  const rows = Object.entries(processes);
  if (rows.length === 0) return '';
  const width = Math.max(...rows.map(([id]) => id.length), 'process'.length);
  const lines = [`${'process'.padEnd(width)}  max RSS MiB  CPU s`];
  for (const [id, usage] of rows) lines.push(`${id.padEnd(width)}  ${(usage.maxRssBytes / 2 ** 20).toFixed(0).padStart(11)}  ${usage.cpuSeconds.toFixed(1).padStart(5)}`);
  return `${lines.join('\n')}\n`;
}
