import { randomUUID } from 'node:crypto';
import type { ContainerRuntime, SandboxRef, TimerScheduler } from '@flotilla/runtime';
import { realTimers } from '@flotilla/runtime';
import type { LiveProjection, Logger } from '@flotilla/service-kit';
import { podsOnNode, type PodRecord, type StateChange } from '@flotilla/state';
import { parseCidr } from './ip-allocator.ts';
import { HOST_IP, nodeManifest, registrationFor, type HostedNodeConfig } from './node-registration.ts';
import { DEFAULT_CRASH_LOOP, PodWorker, type CrashLoopSettings, type NodeContext, type WorkerDeps } from './pod-worker.ts';
import type { Reporter } from './reporter.ts';

export interface NodeAgentOptions {
  projection: LiveProjection;
  reporter: Reporter;
  runtime: ContainerRuntime;
  nodes: HostedNodeConfig[];
  logger: Logger;
  scheduler?: TimerScheduler;
  crashLoop?: Partial<CrashLoopSettings>;
  /** How many registrations are in flight at once (thousands of simulated nodes). */
  registrationConcurrency?: number;
  /** How long to wait for the fold to show the registrations. */
  registrationTimeoutMs?: number;
  newUid?: () => string;
}

export interface RegisteredNode {
  name: string;
  uid: string;
  podCIDR: string;
  /** Where the CIDR came from: the fold, or derived from the node's index when the fold has none. */
  action: 'registered' | 're-registered' | 'unchanged';
  seq: number;
}

/**
 * Hosts any number of nodes in one process (like KWOK): registers them, then follows the fold and
 * runs one PodWorker per pod bound to a hosted node. Per applied event the work is O(changes): pods
 * are looked up by key, never scanned.
 */
export class NodeAgent {
  private readonly nodes = new Map<string, NodeContext>();
  private readonly workers = new Map<string, PodWorker>();
  private readonly deps: WorkerDeps;
  private readonly scheduler: TimerScheduler;
  /** Fold changes are acted on only once the agent has adopted what the log already held. */
  private live = false;
  private stopped = false;

  constructor(private readonly options: NodeAgentOptions) {
    this.scheduler = options.scheduler ?? realTimers;
    this.deps = {
      state: options.projection.state,
      runtime: options.runtime,
      reporter: options.reporter,
      scheduler: this.scheduler,
      crashLoop: { ...DEFAULT_CRASH_LOOP, ...options.crashLoop },
      logger: options.logger,
    };
    options.projection.onApplied((_record, changes) => this.onApplied(changes));
  }

  /**
   * The projection must have caught up (LiveProjection.start()). Registers every hosted node that the
   * fold does not hold as configured, adopts the pods already bound to them, then removes what the
   * runtime still holds of pods that are no longer bound here (deleted while the agent was down) or
   * were evicted from here meanwhile (a node that comes back after its pods were replaced elsewhere).
   */
  async start(): Promise<RegisteredNode[]> {
    const registered = await this.registerNodes();
    if (this.stopped) return registered;
    // Adopt what is bound here now, then follow every change: both happen in this one synchronous
    // step, so nothing applied in between is missed.
    for (const name of this.nodes.keys()) {
      for (const record of podsOnNode(this.deps.state, name)) this.ensureWorker(record);
    }
    this.live = true;
    await this.removeOrphans();
    return registered;
  }

  /**
   * Sandboxes on this host for our nodes whose pod has no worker here (deleted, bound elsewhere,
   * evicted, or a new pod under the old name). A worker is created for every pod bound here (and not
   * evicted) before this runs, and a pod bound later gets its sandbox only after admission, so a
   * sandbox without a worker is an orphan.
   */
  private async removeOrphans(): Promise<void> {
    let sandboxes: SandboxRef[];
    try {
      sandboxes = await this.options.runtime.listSandboxes(new Set(this.nodes.keys()));
    } catch (error) {
      this.options.logger.error('could not list the sandboxes left on this host', { error });
      return;
    }
    const owned = new Set([...this.workers.values()].map((worker) => worker.uid));
    for (const ref of sandboxes) {
      if (this.stopped) return;
      if (owned.has(ref.uid)) continue;
      try {
        await this.options.runtime.removeOrphanSandbox(ref);
        this.options.logger.info('removed the sandbox of a pod that is no longer bound here', { ...ref });
      } catch (error) {
        this.options.logger.error('could not remove an orphaned sandbox', { ...ref, error });
      }
    }
  }

  /** Stops reporting; containers keep running (a restarted agent adopts them). */
  stop(): void {
    this.stopped = true;
    this.live = false;
    for (const worker of this.workers.values()) worker.detach();
  }

  /** The worker of a pod (for tests and diagnostics). */
  worker(key: string): PodWorker | undefined {
    return this.workers.get(key);
  }

  get workerCount(): number {
    return this.workers.size;
  }

  private async registerNodes(): Promise<RegisteredNode[]> {
    const { projection, nodes, runtime, reporter } = this.options;
    const state = projection.state;
    const out: RegisteredNode[] = [];
    const concurrency = Math.max(1, this.options.registrationConcurrency ?? 64);
    let next = 0;
    const registerOne = async (config: HostedNodeConfig): Promise<void> => {
      const existing = state.nodes.get(config.name);
      const now = new Date(this.scheduler.now()).toISOString();
      const node = registrationFor(existing, nodeManifest(config, runtime, now), { uid: this.options.newUid ?? randomUUID, now });
      let seq = existing?.resourceVersion ?? 0;
      if (node) {
        // The discriminator is the version it replaces, so a re-registration is never deduplicated away.
        seq = await reporter.report(
          { type: 'NodeRegistered', data: { node } },
          { source: `node-agent/${config.name}`, ...(existing ? { discriminator: existing.resourceVersion } : {}) },
        );
      }
      out.push({
        name: config.name,
        uid: node?.metadata.uid ?? existing?.node.metadata.uid ?? '',
        podCIDR: '',
        action: !node ? 'unchanged' : existing ? 're-registered' : 'registered',
        seq,
      });
    };
    const lanes = Array.from({ length: Math.min(concurrency, nodes.length) }, async () => {
      while (next < nodes.length && !this.stopped) await registerOne(nodes[next++]!);
    });
    await Promise.all(lanes);
    const last = out.reduce((max, r) => Math.max(max, r.seq), 0);
    await projection.waitFor(last, this.options.registrationTimeoutMs ?? 30_000);

    const configs = new Map(nodes.map((config) => [config.name, config]));
    for (const result of out) {
      const config = configs.get(result.name)!;
      // The fold assigns every node a pod CIDR as it registers (the lowest free /24).
      const podCIDR = state.nodes.get(result.name)?.node.spec.podCIDR;
      if (podCIDR === undefined) throw new Error(`node ${config.name} has no pod CIDR after registering: every /24 of 10.0.0.0/8 is taken`);
      result.podCIDR = podCIDR;
      this.nodes.set(result.name, {
        name: result.name,
        source: `node-agent/${result.name}`,
        hostIP: HOST_IP,
        podCIDR,
        podCidr: parseCidr(podCIDR),
        reservedIPs: new Set(),
      });
    }
    return out;
  }

  private onApplied(changes: StateChange[]): void {
    if (!this.live) return;
    for (const change of changes) {
      if (change.kind === 'Pod') this.onPodChange(change.key, change.type === 'DELETED');
    }
  }

  private onPodChange(key: string, deleted: boolean): void {
    const record = deleted ? undefined : this.deps.state.pods.get(key);
    const worker = this.workers.get(key);
    if (worker && (!record || !this.isSameRun(worker, record))) {
      // Deleted, unbound, bound elsewhere, evicted, or a new pod under the same name: fence the old run.
      worker.fence();
      this.workers.delete(key);
    }
    if (record) this.ensureWorker(record);
  }

  /**
   * An evicted pod is no run of ours any more, though it keeps its node name: the controller gave up
   * on this node and its replacement may run elsewhere, so it stops here at once, reporting nothing.
   */
  private isSameRun(worker: PodWorker, record: PodRecord): boolean {
    return (
      record.pod.metadata.uid === worker.uid &&
      record.nodeName === worker.nodeName &&
      (record.boundSeq ?? 0) === worker.boundSeq &&
      record.evicted === undefined
    );
  }

  private ensureWorker(record: PodRecord): void {
    // Evicted (also while this agent was away): no worker, so removeOrphans() clears what is left of it.
    if (record.nodeName === undefined || record.evicted !== undefined) return;
    const node = this.nodes.get(record.nodeName);
    if (!node) return;
    const existing = this.workers.get(record.key);
    if (existing) {
      existing.update(record);
      return;
    }
    const worker = new PodWorker(record, node, this.deps);
    this.workers.set(record.key, worker);
    worker.start();
  }
}
