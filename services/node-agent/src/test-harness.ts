// Test support (no test runner imported): a node agent over a MemoryEventLog with a fast SimRuntime,
// and for pod-worker specs on virtual time a scriptable FakeRuntime and a RecordingReporter.
import { MemoryEventLog } from '@flotilla/eventlog';
import type { DomainEvent, DomainEventType, EventData, FlotillaRecord } from '@flotilla/events';
import { toFlotillaRecord } from '@flotilla/events';
import type { Container, LifecycleHandler, Pod } from '@flotilla/model';
import {
  ContainerLogsNotFoundError,
  SimRuntime,
  sleep,
  type ActionResult,
  type ContainerExit,
  type ContainerKind,
  type ContainerRuntime,
  type LogReadOptions,
  type ProbeAction,
  type RunningContainer,
  type SandboxInfo,
  type SandboxOptions,
  type SandboxRef,
  type SimTimings,
  type TimerScheduler,
} from '@flotilla/runtime';
import { LiveProjection, appendWithRetry, type Logger } from '@flotilla/service-kit';
import type { PodRecord } from '@flotilla/state';
import { waitFor } from '@flotilla/testkit';
import { NodeAgent, type RegisteredNode } from './node-agent.ts';
import type { HostedNodeConfig } from './node-registration.ts';
import type { CrashLoopSettings } from './pod-worker.ts';
import { LogReporter, type ReportOptions, type Reporter } from './reporter.ts';

export const FAST_SIM: SimTimings = { sandboxMs: 2, containerStartMs: 3, initRunMs: 10, stopMs: 3, jitter: 0 };
export const FAST_CRASH_LOOP: CrashLoopSettings = { baseMs: 20, maxMs: 80, resetAfterMs: 60_000 };

export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

export function nodeConfig(name = 'node-1', overrides: Partial<HostedNodeConfig> = {}): HostedNodeConfig {
  return { name, index: 1, capacity: { cpu: '4', memory: '8Gi', pods: '110' }, labels: {}, taints: [], ...overrides };
}

export interface AgentUnderTest {
  agent: NodeAgent;
  projection: LiveProjection;
  runtime: SimRuntime;
  reporter: LogReporter;
  registered: RegisteredNode[];
  stop(): Promise<void>;
}

/** One shared log; agents can be started (and stopped, and started again) on it. */
export class Cluster {
  readonly log = new MemoryEventLog();
  private readonly agents: AgentUnderTest[] = [];
  private readonly observer = new LiveProjection(this.log);
  private observing: Promise<void> | undefined;

  /** Appends as a test actor (the API, the scheduler). */
  async append(event: DomainEvent, discriminator?: string | number): Promise<number> {
    const result = await appendWithRetry(this.log, event, { source: 'test', time: new Date().toISOString() }, discriminator !== undefined ? { discriminator } : {});
    return result.seq;
  }

  async startAgent(
    options: { nodes?: HostedNodeConfig[]; sim?: Partial<SimTimings>; crashLoop?: Partial<CrashLoopSettings>; seed?: number; runtime?: SimRuntime } = {},
  ): Promise<AgentUnderTest> {
    const projection = new LiveProjection(this.log);
    const runtime = options.runtime ?? new SimRuntime({ timings: { ...FAST_SIM, ...options.sim }, seed: options.seed ?? 1 });
    const reporter = new LogReporter(this.log);
    const agent = new NodeAgent({
      projection,
      reporter,
      runtime,
      nodes: options.nodes ?? [nodeConfig()],
      logger: silentLogger,
      crashLoop: { ...FAST_CRASH_LOOP, ...options.crashLoop },
    });
    await projection.start();
    const registered = await agent.start();
    const handle: AgentUnderTest = {
      agent,
      projection,
      runtime,
      reporter,
      registered,
      stop: async () => {
        agent.stop();
        reporter.close();
        await projection.stop();
      },
    };
    this.agents.push(handle);
    return handle;
  }

  /** A projection of its own, to read the fold the way any other service would. */
  async state(): Promise<LiveProjection['state']> {
    this.observing ??= this.observer.start();
    await this.observing;
    await this.observer.waitFor(await this.log.lastSequence(), 5_000);
    return this.observer.state;
  }

  async pod(key = 'default/pod-1'): Promise<PodRecord | undefined> {
    return (await this.state()).pods.get(key);
  }

  async records(): Promise<FlotillaRecord[]> {
    const out: FlotillaRecord[] = [];
    for await (const raw of this.log.read(1)) {
      const record = toFlotillaRecord(raw);
      if (record) out.push(record);
    }
    return out;
  }

  /** Compact lines such as `ContainerStarted app#0`, for the events about one pod written by node agents. */
  async timeline(uid = 'uid-pod-1'): Promise<string[]> {
    return (await this.records())
      .filter((r) => r.event.source.startsWith('node-agent/') && 'uid' in r.event.data && r.event.data.uid === uid)
      .map((r) => describeRecord(r));
  }

  async waitForTimeline(predicate: (lines: string[]) => boolean, uid = 'uid-pod-1', timeoutMs = 5_000): Promise<string[]> {
    let lines: string[] = [];
    await waitFor(async () => predicate((lines = await this.timeline(uid))), timeoutMs, {
      description: `timeline of ${uid}; last seen:\n  ${lines.join('\n  ')}`,
    });
    return lines;
  }

  async eventsOf<T extends DomainEventType>(type: T, uid = 'uid-pod-1'): Promise<Array<{ seq: number; source: string; data: EventData<T> }>> {
    return (await this.records())
      .filter((r) => r.event.type === type && 'uid' in r.event.data && r.event.data.uid === uid)
      .map((r) => ({ seq: r.seq, source: r.event.source, data: r.event.data as EventData<T> }));
  }

  async close(): Promise<void> {
    for (const agent of this.agents) await agent.stop();
    await this.observer.stop();
    await this.log.close();
  }
}

export function describeRecord(record: FlotillaRecord): string {
  const e = record.event;
  switch (e.type) {
    case 'ContainerStarted':
      return `Started ${e.data.container}#${e.data.restartCount}`;
    case 'ContainerTerminated':
      return `Terminated ${e.data.container}#${e.data.restartCount} exit=${e.data.exitCode}`;
    case 'ContainerWaiting':
      return `Waiting ${e.data.container}#${e.data.restartCount} ${e.data.reason}`;
    case 'PodSandboxReady':
      return `SandboxReady ${e.data.podIP}`;
    case 'PodAdmissionRejected':
      return `AdmissionRejected ${e.data.reason}`;
    default:
      return e.type;
  }
}

export function indexOf(lines: string[], line: string): number {
  const index = lines.indexOf(line);
  if (index === -1) throw new Error(`no "${line}" in:\n  ${lines.join('\n  ')}`);
  return index;
}

/** Records what a node agent reports (with the discriminator that goes into its Nats-Msg-Id). */
export class RecordingReporter implements Reporter {
  readonly reports: Array<{ event: DomainEvent; options: ReportOptions; at: number }> = [];

  constructor(private readonly scheduler: TimerScheduler) {}

  async report(event: DomainEvent, options: ReportOptions): Promise<number> {
    this.reports.push({ event, options, at: this.scheduler.now() });
    return this.reports.length;
  }

  ofType<T extends DomainEventType>(type: T): Array<EventData<T>> {
    return this.reports.filter((r) => r.event.type === type).map((r) => r.event.data as EventData<T>);
  }
}

/** How a FakeRuntime container behaves. */
export interface FakeBehaviour {
  /** From SIGTERM to exit (code 0); Infinity ignores SIGTERM, so only the SIGKILL at the grace's end stops it (137). */
  stopMs?: number;
  /** It exits on its own this long after it started. */
  runMs?: number;
  exitCode?: number;
}

/** A scripted hook: how long it takes and what it answers. */
export interface FakeHook {
  ms: number;
  result: ActionResult;
}

/**
 * A runtime on virtual time that writes down everything asked of it (`calls`, each `t=<ms> ...`).
 * Probe results come from `probeResult(container, command)` (probes are told apart by their exec
 * command); hooks from `hooks[<container>/<postStart|preStop>]`.
 */
export class FakeRuntime implements ContainerRuntime {
  readonly mode = 'fake';
  readonly version = 'fake://0';
  nodeLabels: Record<string, string> = {};
  readonly calls: string[] = [];
  behaviour: Record<string, FakeBehaviour> = {};
  hooks: Record<string, FakeHook> = {};
  probeResult: (container: string, command: string) => ActionResult = () => ({ success: true });
  /** The address createSandbox answers (default: the one it was given). */
  answerIP: (options: SandboxOptions) => string = (options) => options.podIP;
  sandboxOptions: SandboxOptions[] = [];
  leftovers: SandboxRef[] = [];
  readonly orphansRemoved: SandboxRef[] = [];
  private readonly running = new Map<string, { stop(graceMs: number): Promise<void> }>();

  constructor(private readonly scheduler: TimerScheduler) {}

  /** Calls without their time stamps. */
  get steps(): string[] {
    return this.calls.map((c) => c.replace(/^t=\d+ /, ''));
  }

  isRunning(container: string): boolean {
    return this.running.has(container);
  }

  private note(text: string): void {
    this.calls.push(`t=${this.scheduler.now()} ${text}`);
  }

  async createSandbox(_pod: Pod, options: SandboxOptions): Promise<SandboxInfo> {
    this.sandboxOptions.push(options);
    return { podIP: this.answerIP(options) };
  }

  async startContainer(_pod: Pod, container: Container, _kind: ContainerKind, _signal: AbortSignal): Promise<RunningContainer> {
    this.note(`start ${container.name}`);
    return this.handle(container.name, new Date(this.scheduler.now()));
  }

  async attachContainer(_pod: Pod, container: Container, _kind: ContainerKind, startedAt: Date): Promise<RunningContainer | undefined> {
    this.note(`attach ${container.name}`);
    return this.handle(container.name, startedAt);
  }

  async removeSandbox(_pod: Pod): Promise<void> {
    this.note('removeSandbox');
  }

  async listSandboxes(_nodeNames: ReadonlySet<string>): Promise<SandboxRef[]> {
    return this.leftovers;
  }

  async removeOrphanSandbox(ref: SandboxRef): Promise<void> {
    this.orphansRemoved.push(ref);
  }

  async probe(_pod: Pod, container: Container, action: ProbeAction, timeoutMs: number): Promise<ActionResult> {
    const command = action.exec?.command?.join(' ') ?? '?';
    this.note(`probe ${container.name} ${command} timeout=${timeoutMs}`);
    return this.probeResult(container.name, command);
  }

  async runHook(_pod: Pod, container: Container, handler: LifecycleHandler, timeoutMs: number, signal?: AbortSignal): Promise<ActionResult> {
    const kind = handler === container.lifecycle?.preStop ? 'preStop' : handler === container.lifecycle?.postStart ? 'postStart' : 'hook';
    this.note(`${kind} ${container.name} timeout=${timeoutMs}`);
    const script = this.hooks[`${container.name}/${kind}`] ?? { ms: 0, result: { success: true } };
    try {
      await sleep(this.scheduler, Math.min(script.ms, timeoutMs), signal);
    } catch {
      return { success: false, message: 'aborted' };
    }
    this.note(`${kind} ${container.name} done`);
    return script.ms > timeoutMs ? { success: false, message: 'timed out' } : script.result;
  }

  // eslint-disable-next-line require-yield
  async *readLogs(pod: Pod, container: Container, _options: LogReadOptions): AsyncGenerator<string> {
    throw new ContainerLogsNotFoundError(`container "${container.name}" in pod "${pod.metadata.name}" is waiting to start: ContainerCreating`);
  }

  private handle(name: string, startedAt: Date): RunningContainer {
    const behaviour = this.behaviour[name] ?? {};
    let resolveExit!: (exit: ContainerExit) => void;
    const exited = new Promise<ContainerExit>((resolve) => (resolveExit = resolve));
    let done = false;
    const cancels: Array<() => void> = [];
    const finish = (exitCode: number): void => {
      if (done) return;
      done = true;
      for (const cancel of cancels) cancel();
      this.running.delete(name);
      this.note(`exit ${name} ${exitCode}`);
      resolveExit({ exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', finishedAt: new Date(this.scheduler.now()) });
    };
    if (behaviour.runMs !== undefined) {
      const runMs = behaviour.runMs;
      cancels.push(this.scheduler.schedule(Math.max(0, runMs - (this.scheduler.now() - startedAt.getTime())), () => finish(behaviour.exitCode ?? 0)));
    }
    let stopping: Promise<void> | undefined;
    const handle: RunningContainer = {
      startedAt,
      exited,
      stop: (graceMs) => {
        if (done) return Promise.resolve();
        if (stopping) return stopping;
        this.note(`stop ${name} grace=${graceMs}`);
        const stopMs = behaviour.stopMs ?? 0;
        stopping = new Promise<void>((resolve) => {
          if (stopMs <= graceMs) cancels.push(this.scheduler.schedule(stopMs, () => finish(0)));
          cancels.push(this.scheduler.schedule(graceMs, () => finish(137)));
          void exited.then(() => resolve());
        });
        return stopping;
      },
    };
    this.running.set(name, handle);
    return handle;
  }
}
