// Test support (no test runner imported): a node agent over a MemoryEventLog with a fast SimRuntime.
import { MemoryEventLog } from '@flotilla/eventlog';
import type { DomainEvent, DomainEventType, EventData, FlotillaRecord } from '@flotilla/events';
import { toFlotillaRecord } from '@flotilla/events';
import { SimRuntime, type SimTimings } from '@flotilla/runtime';
import { LiveProjection, appendWithRetry, type Logger } from '@flotilla/service-kit';
import type { PodRecord } from '@flotilla/state';
import { waitFor } from '@flotilla/testkit';
import { NodeAgent, type RegisteredNode } from './node-agent.ts';
import type { HostedNodeConfig } from './node-registration.ts';
import type { CrashLoopSettings } from './pod-worker.ts';
import { LogReporter } from './reporter.ts';

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

  async startAgent(options: { nodes?: HostedNodeConfig[]; sim?: Partial<SimTimings>; crashLoop?: Partial<CrashLoopSettings>; seed?: number } = {}): Promise<AgentUnderTest> {
    const projection = new LiveProjection(this.log);
    const runtime = new SimRuntime({ timings: { ...FAST_SIM, ...options.sim }, seed: options.seed ?? 1 });
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
