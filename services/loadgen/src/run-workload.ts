// Runs a workload: a local cluster (or a running one), the JetStream append limit, the phases' pods
// created through the API, a RunRecorder folding the log, and the reports.
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
import { realClock, runPaced, TokenBucket } from './pacing.ts';
import { ProcessSampler, type ProcessUsage } from './process-stats.ts';
import type { Workload, WorkloadPhase } from './workload.ts';

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
  requested: number;
  created: number;
  /** Non-2xx answers (after retries), by status ('network' for transport errors). */
  failures: Record<string, number>;
  retries: number;
  waitFor: WorkloadPhase['waitFor'];
  /** The phase's condition held before the deadline. */
  completed: boolean;
  durationMs: number;
}

/** What the loadgen adds to M's JSON report, under the `loadgen` key. */
export interface LoadgenDetails {
  phases: PhaseResult[];
  /** Max RSS and CPU seconds per service process (absent when the cluster was not ours). */
  processes: Record<string, ProcessUsage>;
  timedOut: boolean;
  eventsPerPodOnCriticalPath: { value: number; counted: string[]; note: string };
  cluster: { nodes: number; nodeAgents: number; zones: number; apiUrl: string; natsUrl: string; dataDir?: string };
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

/** Fast simulated container timings: the benchmark measures the control plane, not sleeps. */
const SIM_FLAGS = ['--sim-sandbox-ms', '20', '--sim-start-ms', '20', '--sim-init-ms', '20', '--sim-stop-ms', '20', '--sim-jitter', '0.2'];

export interface AgentPlan {
  id: string;
  nodes: number;
  args: string[];
}

/**
 * Splits the nodes over node-agent processes. Every agent hosts nodes of one zone (labels are per
 * agent), so there are at least as many agents as zones; instance types go round-robin.
 */
export function planAgents(workload: Workload): AgentPlan[] {
  const { nodes, node, nodeAgents } = workload.cluster;
  const zones = node.zones;
  const perZone = zones > 0 ? Math.max(1, Math.ceil(nodeAgents / zones)) : nodeAgents;
  const count = Math.min(nodes, zones > 0 ? zones * perZone : perZone);
  const plans: AgentPlan[] = [];
  for (let i = 0; i < count; i++) {
    const share = Math.floor(nodes / count) + (i < nodes % count ? 1 : 0);
    const labels: Record<string, string> = { ...node.labels };
    if (zones > 0) labels['topology.kubernetes.io/zone'] = `zone-${String.fromCharCode(97 + (i % zones))}`;
    const types = node.instanceTypes ?? [];
    if (types.length > 0) labels['node.kubernetes.io/instance-type'] = types[i % types.length]!;
    const labelText = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
    const args = ['--nodes', String(share), '--name-prefix', count === 1 ? 'node' : `node-${i + 1}`, '--cpu', String(node.cpu), '--memory', node.memory, '--pods', String(node.pods), ...SIM_FLAGS];
    if (labelText) args.push('--labels', labelText);
    plans.push({ id: count === 1 ? 'node-agent' : `node-agent-${i + 1}`, nodes: share, args });
  }
  return plans;
}

/** PodCreated + PodBound, plus PodSandboxReady + ContainerStarted when a measured phase waits for running. */
export function criticalPathEvents(workload: Workload): { value: number; counted: string[] } {
  const running = workload.phases.some((p) => p.measure && p.waitFor === 'running');
  const counted = running ? ['PodCreated', 'PodBound', 'PodSandboxReady', 'ContainerStarted'] : ['PodCreated', 'PodBound'];
  return { value: counted.length, counted };
}

export function podName(phase: WorkloadPhase, index: number): string {
  return `${phase.pods.namePrefix}-${index + 1}`;
}

function belongsTo(phase: WorkloadPhase): (pod: Pod) => boolean {
  const prefix = `${phase.pods.namePrefix}-`;
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

function targetResults(workload: Workload, summary: RunSummary): NonNullable<ReportMeta['targets']> {
  return workload.targets.map((t) => {
    const value =
      t.metric === 'podsBoundPerSecond' ? summary.throughput.podsBoundPerSecond : t.metric === 'schedulingLatencyP99' ? summary.schedulingLatency.p99 : summary.startupLatency.p99;
    const unit = t.metric === 'podsBoundPerSecond' ? ' pods/s' : ' ms';
    const met = t.op === '>=' ? value >= t.value : value <= t.value;
    return { name: t.name, target: `${t.metric} ${t.op} ${t.value}${unit}`, reached: `${Math.round(value * 10) / 10}${unit}`, met };
  });
}

function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolveSleep) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolveSleep();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

const RETRYABLE = new Set([429, 500, 502, 503, 504]);
const MAX_ATTEMPTS = 8;

/** Creates one pod; 503/504 (and transport errors) retry with the same name, so a 409 afterwards means ours was stored. */
async function createPod(apiUrl: string, body: string, result: PhaseResult, signal: AbortSignal): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    let status: number | 'network';
    try {
      const response = await fetch(`${apiUrl}/api/v1/namespaces/default/pods`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal });
      status = response.status;
      await response.arrayBuffer();
    } catch (error) {
      if (signal.aborted) return false;
      status = 'network';
      void error;
    }
    if (status === 201 || status === 200) return true;
    if (status === 409 && attempt > 1) return true;
    if ((status === 'network' || RETRYABLE.has(status)) && attempt < MAX_ATTEMPTS) {
      result.retries += 1;
      await abortable(Math.min(2000, 50 * 2 ** attempt), signal);
      continue;
    }
    const key = String(status);
    result.failures[key] = (result.failures[key] ?? 0) + 1;
    return false;
  }
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
  stop(final: string): void {
    if (!this.enabled) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.write(final);
    if (this.tty) process.stderr.write('\n');
    this.lastLength = 0;
  }
}

function bar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? width : Math.min(width, Math.round((done / total) * width));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
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
    } else {
      dataDir = mkdtempSync(join(tmpdir(), `flotilla-load-${workload.name}-`));
      log(`starting a local cluster in ${dataDir}: ${workload.cluster.nodes} nodes over ${agents.length} node agent(s)`);
      cluster = new LocalCluster({ dataDir, apiPort: await getFreePort(), nodes: 0, ...(workload.cluster.scheduler ? { schedulerArgs: workload.cluster.scheduler } : {}) });
      await cluster.start();
      for (const agent of agents) cluster.add(agent.id, 'node-agent', agent.args);
      apiUrl = cluster.apiUrl;
      natsUrl = cluster.natsUrl;
      const local = cluster;
      sampler = new ProcessSampler(() => [
        ...(local.nats ? [{ id: 'nats-server', pid: local.nats.process.pid }] : []),
        ...[...local.services.values()].map((s) => ({ id: s.spec.id, pid: s.pid })),
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
      if (ready < expectedNodes) await abortable(250, signal);
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
    const perPhase = workload.phases.map((phase) => new RunRecorder({ fromSeq: startSeq, podFilter: belongsTo(phase) }));
    let seenSeq = 0;
    subscription = eventLog.subscribe(1, (record) => {
      seenSeq = record.seq;
      const domain = toFlotillaRecord(record);
      if (!domain) return;
      overall.apply(domain);
      for (const recorder of perPhase) recorder.apply(domain);
    });
    while (seenSeq < startSeq) {
      checkAborted();
      await abortable(50, signal);
    }

    const phases: PhaseResult[] = [];
    let timedOut = false;
    const progress = new Progress(!options.quiet && options.log === undefined);
    for (const [i, phase] of workload.phases.entries()) {
      checkAborted();
      const recorder = perPhase[i]!;
      const result: PhaseResult = { name: phase.name, measured: phase.measure, requested: phase.pods.count, created: 0, failures: {}, retries: 0, waitFor: phase.waitFor, completed: false, durationMs: 0 };
      phases.push(result);
      const started = Date.now();
      const label = `${phase.name}${phase.measure ? '' : ' (not measured)'}`;
      log(`phase ${label}: ${phase.pods.count} pods${phase.pods.rate > 0 ? ` at ${phase.pods.rate}/s` : ''}, ${phase.pods.concurrency} in flight, wait for ${phase.waitFor}`);
      progress.start(() => {
        const seconds = Math.max(0.001, (Date.now() - started) / 1000);
        return `${label} ${bar(recorder.bound, phase.pods.count)} created ${result.created}/${phase.pods.count} bound ${recorder.bound} running ${recorder.running} ${Math.round(recorder.bound / seconds)} bound/s`;
      });
      const bucket = phase.pods.rate > 0 ? new TokenBucket(phase.pods.rate, realClock) : undefined;
      await runPaced(phase.pods.count, { concurrency: phase.pods.concurrency, signal, ...(bucket ? { bucket } : {}) }, async (index) => {
        if (await createPod(apiUrl, JSON.stringify(podManifest(phase, index)), result, signal)) result.created += 1;
      });
      checkAborted();
      const reached = (): boolean => phase.waitFor === 'none' || (phase.waitFor === 'bound' ? recorder.bound : recorder.running) >= result.created;
      while (!reached() && Date.now() < deadline) {
        checkAborted();
        await abortable(100, signal);
      }
      result.completed = reached();
      result.durationMs = Date.now() - started;
      progress.stop(`${label} ${bar(recorder.bound, phase.pods.count)} created ${result.created}/${phase.pods.count} bound ${recorder.bound} running ${recorder.running} in ${(result.durationMs / 1000).toFixed(1)} s`);
      const failed = Object.entries(result.failures);
      if (failed.length > 0) log(`phase ${phase.name}: ${phase.pods.count - result.created} pods not created (${failed.map(([s, n]) => `${n}x ${s}`).join(', ')})`);
      if (!result.completed) {
        timedOut = true;
        log(`phase ${phase.name}: timed out waiting for ${phase.waitFor} (${phase.waitFor === 'bound' ? recorder.bound : recorder.running} of ${result.created})`);
        break;
      }
    }

    // Let the fold catch up with everything written so far before summarising.
    const endSeq = await eventLog.lastSequence();
    const catchUpUntil = Date.now() + 10_000;
    while (seenSeq < endSeq && Date.now() < catchUpUntil) await abortable(50, signal);
    await subscription.stop();
    subscription = undefined;

    const summary = overall.summary();
    const critical = criticalPathEvents(workload);
    const meta: ReportMeta = {
      workload: workload.name,
      machine: machine(natsBinary),
      date: new Date().toISOString(),
      ...(limit ? { limit } : {}),
      eventsPerPodOnCriticalPath: critical.value,
      targets: targetResults(workload, summary),
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

function renderProcesses(processes: Record<string, ProcessUsage>): string {
  const rows = Object.entries(processes);
  if (rows.length === 0) return '';
  const width = Math.max(...rows.map(([id]) => id.length), 'process'.length);
  const lines = [`${'process'.padEnd(width)}  max RSS MiB  CPU s`];
  for (const [id, usage] of rows) lines.push(`${id.padEnd(width)}  ${(usage.maxRssBytes / 2 ** 20).toFixed(0).padStart(11)}  ${usage.cpuSeconds.toFixed(1).padStart(5)}`);
  return `${lines.join('\n')}\n`;
}
