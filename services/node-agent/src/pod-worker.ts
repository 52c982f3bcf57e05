import { isSidecar, type Container, type ContainerStatus, type Pod } from '@flotilla/model';
import type { ContainerKind, DomainEvent } from '@flotilla/events';
import {
  ContainerStartError,
  isAbortError,
  sleep,
  type ContainerExit,
  type ContainerRuntime,
  type RunningContainer,
  type TimerScheduler,
} from '@flotilla/runtime';
import type { Logger } from '@flotilla/service-kit';
import type { ClusterState, PodRecord } from '@flotilla/state';
import { admitPod } from './admission.ts';
import { lowestFreeIP, type Ipv4Cidr } from './ip-allocator.ts';
import { ReporterClosedError, type Reporter } from './reporter.ts';

/**
 * One pod's lifecycle on one node, driven by the fold and reported as events:
 *
 *   admission -> sandbox (pod IP) -> init containers one at a time (a sidecar only has to start)
 *   -> app containers together -> when all have terminated for good: sidecars stop in reverse order
 *   -> sandbox removed.  Deletion: apps stop, then sidecars in reverse, sandbox removed, pod deleted.
 *
 * Each container runs in its own loop (start, report Started, wait for the exit, report Terminated,
 * restart per policy with CrashLoopBackOff in between), so that reports for one container are always
 * in order and teardown can stop containers by group and wait for their last report.
 *
 * Fencing: when the pod stops being bound here (other node, unbound, gone), `fence()` stops every
 * container at once and nothing more is reported for it; the fold would ignore it anyway.
 */

export interface CrashLoopSettings {
  /** First back-off (kubelet: 10 s). */
  baseMs: number;
  /** Cap (kubelet: 300 s). */
  maxMs: number;
  /** A container that ran this long before exiting restarts with the base back-off again (kubelet: 10 min). */
  resetAfterMs: number;
}

export const DEFAULT_CRASH_LOOP: CrashLoopSettings = { baseMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

/** What a worker knows about the node it runs on. Shared by all the node's workers. */
export interface NodeContext {
  name: string;
  /** `node-agent/<name>` */
  source: string;
  hostIP: string;
  podCidr: Ipv4Cidr;
  /** IPs chosen for sandboxes the fold does not show yet. */
  reservedIPs: Set<string>;
}

export interface WorkerDeps {
  state: ClusterState;
  runtime: ContainerRuntime;
  reporter: Reporter;
  scheduler: TimerScheduler;
  crashLoop: CrashLoopSettings;
  logger: Logger;
}

type LoopEnd = 'completed' | 'failed' | 'stopped';

interface Slot {
  container: Container;
  kind: ContainerKind;
  restartCount: number;
  /** Doublings of the back-off so far. */
  backoffSteps: number;
  handle?: RunningContainer;
  loop?: Promise<LoopEnd>;
  /** Called (once each) the next time the container has started. */
  onStarted: Array<() => void>;
}

/** Where a container loop begins. */
type Resume =
  | { step: 'start' }
  /** Running already (a container adopted after an agent restart): wait for its exit. */
  | { step: 'watch'; handle: RunningContainer }
  /** It exited: decide per restart policy. */
  | { step: 'exited'; exitCode: number; startedAt: number; finishedAt: number }
  /** It waits for a restart after a failure: back off, then start. */
  | { step: 'backoff' };

export type WorkerPhase = 'starting' | 'running' | 'terminating' | 'finished' | 'fenced' | 'detached';

export class PodWorker {
  readonly key: string;
  readonly uid: string;
  readonly boundSeq: number;
  private record: PodRecord;
  private readonly pod: Pod;
  private readonly discriminator: string;
  private readonly lifecycle = new AbortController();
  private readonly slots = new Map<string, Slot>();
  private phase: WorkerPhase = 'starting';
  /** Set once teardown or fencing begins: no container starts or restarts any more. */
  private stopping = false;
  /** Fenced or detached: nothing is reported any more. */
  private halted = false;
  private podIP: string | undefined;
  /** The sandbox exists (reported ready, or adopted) and has not been removed. */
  private sandboxUp = false;
  private sandboxStep: Promise<boolean> | undefined;
  private prepared: Promise<void> | undefined;
  private teardownRun: Promise<void> | undefined;
  private deletion: Promise<void> | undefined;

  constructor(
    record: PodRecord,
    readonly node: NodeContext,
    private readonly deps: WorkerDeps,
  ) {
    this.record = record;
    this.pod = record.pod;
    this.key = record.key;
    this.uid = record.pod.metadata.uid;
    this.boundSeq = record.boundSeq ?? 0;
    // The binding identifies this run of the pod: a pod rebound here later reports under new ids.
    this.discriminator = String(this.boundSeq);
    for (const container of this.pod.spec.initContainers ?? []) this.slotFor(container, isSidecar(container) ? 'sidecar' : 'init');
    for (const container of this.pod.spec.containers) this.slotFor(container, 'app');
  }

  get nodeName(): string {
    return this.node.name;
  }

  get state(): WorkerPhase {
    return this.phase;
  }

  /** Begins (or, after an agent restart, resumes) the pod from what the fold shows. */
  start(): void {
    this.prepared = this.prepare();
    this.track(this.run());
    this.update(this.record);
  }

  /** A newer fold record of this pod (same uid, same binding). */
  update(record: PodRecord): void {
    this.record = record;
    if (record.deletion !== undefined && this.deletion === undefined && !this.halted) {
      this.deletion = this.deletePod();
      this.track(this.deletion);
    }
  }

  /** The pod is no longer bound here: stop everything now, report nothing more. */
  fence(): void {
    if (this.halted) return;
    this.halted = true;
    this.stopping = true;
    this.phase = 'fenced';
    this.lifecycle.abort();
    const stops = [...this.slots.values()].map((slot) => slot.handle?.stop(0));
    this.track(
      Promise.all(stops).then(async () => {
        await this.sandboxStep?.catch(() => false);
        await this.deps.runtime.removeSandbox(this.pod);
        this.releaseIP();
      }),
    );
  }

  /** The agent is shutting down: report nothing more, but leave the containers running (like a kubelet restart). */
  detach(): void {
    if (this.halted) return;
    this.halted = true;
    this.stopping = true;
    this.phase = 'detached';
    this.lifecycle.abort();
  }

  // ---- the lifecycle ----------------------------------------------------------------------------

  /** Adoption after an agent restart: re-attach to the sandbox and to the containers the fold shows running. */
  private async prepare(): Promise<void> {
    const status = this.pod.status ?? {};
    const sandbox = conditionStatus(status, 'PodReadyToStartContainers');
    if (sandbox === 'False') {
      this.phase = 'finished';
      return;
    }
    if (sandbox !== 'True' || status.podIP === undefined) return;
    this.podIP = status.podIP;
    this.node.reservedIPs.add(status.podIP);
    this.sandboxStep = this.deps.runtime.createSandbox(this.pod, { podIP: status.podIP }).then(() => true);
    await this.sandboxStep;
    this.sandboxUp = true;
    for (const slot of this.slots.values()) {
      if (this.halted) return;
      const running = this.statusOf(slot)?.state?.running;
      if (!running) continue;
      const startedAt = running.startedAt !== undefined ? Date.parse(running.startedAt) : this.deps.scheduler.now();
      const handle = await this.deps.runtime.attachContainer(this.pod, slot.container, slot.kind, new Date(startedAt));
      if (this.halted) {
        // Fenced meanwhile (fence() did not see this one yet); a detached agent leaves it running.
        if (this.phase === 'fenced') await handle?.stop(0);
        return;
      }
      if (handle) {
        slot.handle = handle;
        slot.loop = this.containerLoop(slot, { step: 'watch', handle });
      } else {
        // It did not survive the agent restart: report it lost, then the restart policy applies.
        const finishedAt = this.deps.scheduler.now();
        await this.report(this.terminated(slot, { exitCode: 137, reason: 'Error', message: 'container was not found after the node agent restarted', finishedAt: new Date(finishedAt) }, startedAt));
        slot.loop = this.containerLoop(slot, { step: 'exited', exitCode: 137, startedAt, finishedAt });
      }
    }
  }

  private async run(): Promise<void> {
    await this.prepared;
    if (this.stopping || this.phase === 'finished') return;
    if (!this.sandboxUp) {
      if (this.record.deletion !== undefined) return; // deletePod() finishes it
      const verdict = admitPod(this.deps.state.nodes.get(this.node.name), this.record);
      if (!verdict.admitted) {
        this.phase = 'finished';
        this.stopping = true;
        await this.report({ type: 'PodAdmissionRejected', data: { ...this.ref(), reason: verdict.reason, message: verdict.message } });
        return;
      }
      this.sandboxStep = this.createSandbox();
      if (!(await this.sandboxStep)) return;
    }
    if (this.stopping) return;
    this.phase = 'running';

    // Init containers, one at a time. Once an app container has run, the pod was initialized.
    const initialized = this.pod.spec.containers.some((c) => hasRun(this.statusOf(this.slots.get(c.name))));
    for (const container of this.pod.spec.initContainers ?? []) {
      const slot = this.slots.get(container.name)!;
      if (slot.kind === 'sidecar') {
        if (!(await this.ensureSidecarStarted(slot))) return;
        continue;
      }
      if (initialized) continue;
      const status = this.statusOf(slot);
      if (slot.loop === undefined && status?.state?.terminated?.exitCode === 0) continue;
      slot.loop ??= this.containerLoop(slot, this.resumeFor(slot));
      const end = await slot.loop;
      if (end === 'stopped' || this.stopping) return;
      if (end === 'failed') {
        // restartPolicy Never: the fold derives Failed; what still runs (sidecars) stops.
        await this.teardown(this.graceMs(this.pod.spec.terminationGracePeriodSeconds));
        return;
      }
    }

    // App containers start together; the pod is done when each has terminated for good.
    const apps = this.pod.spec.containers.map((container) => {
      const slot = this.slots.get(container.name)!;
      slot.loop ??= this.containerLoop(slot, this.resumeFor(slot));
      return slot.loop;
    });
    const ends = await Promise.all(apps);
    if (this.stopping || ends.includes('stopped')) return;
    await this.teardown(this.graceMs(this.pod.spec.terminationGracePeriodSeconds));
  }

  /** Starts a sidecar (or keeps the adopted one); resolves true once it has started. */
  private ensureSidecarStarted(slot: Slot): Promise<boolean> {
    if (slot.handle !== undefined) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      slot.onStarted.push(() => resolve(true));
      slot.loop ??= this.containerLoop(slot, this.resumeFor(slot));
      void slot.loop.then(() => resolve(false));
    });
  }

  private async createSandbox(): Promise<boolean> {
    let podIP: string | undefined;
    const usedOnNode = this.deps.state.nodes.get(this.node.name)?.podIPs;
    for (;;) {
      podIP = lowestFreeIP(this.node.podCidr, (ip) => this.node.reservedIPs.has(ip) || usedOnNode?.has(ip) === true);
      if (podIP !== undefined) break;
      this.deps.logger.warn('no free pod IP on the node, retrying', { pod: this.key, node: this.node.name });
      if (!(await this.pause(this.deps.crashLoop.baseMs))) return false;
    }
    this.podIP = podIP;
    this.node.reservedIPs.add(podIP);
    for (;;) {
      try {
        await this.deps.runtime.createSandbox(this.pod, { podIP });
        break;
      } catch (error) {
        // The kubelet's FailedCreatePodSandBox: retry after a back-off.
        this.deps.logger.warn('creating the pod sandbox failed, retrying', { pod: this.key, node: this.node.name, error });
        if (!(await this.pause(this.deps.crashLoop.baseMs))) return false;
      }
    }
    if (this.stopping) return false; // teardown removes the runtime's sandbox; the log never saw it
    this.sandboxUp = true;
    await this.report({ type: 'PodSandboxReady', data: { ...this.ref(), podIP, hostIP: this.node.hostIP } });
    return true;
  }

  /**
   * Stops the pod's containers in order (app and regular init containers together, then sidecars one
   * by one in reverse order, all within one grace period) and removes the sandbox. Runs once.
   */
  private teardown(graceMs: number): Promise<void> {
    this.teardownRun ??= this.doTeardown(graceMs);
    return this.teardownRun;
  }

  private async doTeardown(graceMs: number): Promise<void> {
    this.stopping = true;
    if (!this.halted) this.phase = 'terminating';
    this.lifecycle.abort();
    await this.sandboxStep?.catch(() => false);
    const deadline = this.deps.scheduler.now() + graceMs;
    const slots = [...this.slots.values()];
    await Promise.all(
      slots
        .filter((slot) => slot.kind !== 'sidecar')
        .map(async (slot) => {
          await slot.handle?.stop(graceMs);
          await slot.loop;
        }),
    );
    for (const slot of slots.filter((s) => s.kind === 'sidecar').reverse()) {
      await slot.handle?.stop(Math.max(0, deadline - this.deps.scheduler.now()));
      await slot.loop;
    }
    if (this.halted) return;
    await this.deps.runtime.removeSandbox(this.pod);
    if (this.sandboxUp) {
      this.sandboxUp = false;
      await this.report({ type: 'PodSandboxRemoved', data: this.ref() });
    }
    this.releaseIP();
    if (!this.halted) this.phase = 'finished';
  }

  private async deletePod(): Promise<void> {
    await this.prepared;
    const graceMs = this.graceMs(this.record.deletion?.gracePeriodSeconds ?? this.pod.spec.terminationGracePeriodSeconds);
    await this.teardown(graceMs);
    if (this.halted) return;
    await this.report({ type: 'PodDeleted', data: { namespace: this.pod.metadata.namespace, name: this.pod.metadata.name, uid: this.uid } });
  }

  // ---- one container ----------------------------------------------------------------------------

  /**
   * Runs a container until it is done for good ('completed' / 'failed' per its restart policy) or the
   * pod stops ('stopped'). Whoever waits in `slot.onStarted` hears when it has started (and was reported).
   */
  private async containerLoop(slot: Slot, first: Resume): Promise<LoopEnd> {
    let next = first;
    try {
      for (;;) {
        if (next.step === 'watch') {
          for (const listener of slot.onStarted.splice(0)) listener();
          const startedAt = next.handle.startedAt.getTime();
          const exit = await next.handle.exited;
          slot.handle = undefined;
          await this.report(this.terminated(slot, exit, startedAt));
          next = { step: 'exited', exitCode: exit.exitCode, startedAt, finishedAt: exit.finishedAt.getTime() };
          continue;
        }
        if (this.stopping) return 'stopped';
        if (next.step === 'exited') {
          const decision = this.afterExit(slot, next.exitCode);
          if (decision !== 'restart') return decision;
          if (next.finishedAt - next.startedAt >= this.deps.crashLoop.resetAfterMs) slot.backoffSteps = 0;
          const delay = this.nextBackoff(slot);
          slot.restartCount += 1;
          await this.report(
            this.waiting(slot, 'CrashLoopBackOff', `back-off ${goDuration(delay)} restarting failed container=${slot.container.name} pod=${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.uid})`),
          );
          if (!(await this.pause(delay))) return 'stopped';
          next = { step: 'start' };
          continue;
        }
        if (next.step === 'backoff') {
          if (!(await this.pause(this.nextBackoff(slot)))) return 'stopped';
          next = { step: 'start' };
          continue;
        }
        // start
        let handle: RunningContainer;
        try {
          handle = await this.deps.runtime.startContainer(this.pod, slot.container, slot.kind, this.lifecycle.signal);
        } catch (error) {
          if (isAbortError(error) || this.stopping) return 'stopped';
          const reason = error instanceof ContainerStartError ? error.reason : 'RunContainerError';
          const message = error instanceof Error ? error.message : String(error);
          await this.report(this.waiting(slot, reason, message));
          if (!(await this.pause(this.nextBackoff(slot)))) return 'stopped';
          continue;
        }
        if (this.stopping) {
          // Started while the pod began to stop: it was never reported, so it just goes away.
          if (this.phase !== 'detached') await handle.stop(0);
          return 'stopped';
        }
        slot.handle = handle;
        await this.report({
          type: 'ContainerStarted',
          data: { ...this.ref(), container: slot.container.name, kind: slot.kind, startedAt: handle.startedAt.toISOString(), restartCount: slot.restartCount },
        });
        next = { step: 'watch', handle };
      }
    } catch (error) {
      if (!(error instanceof ReporterClosedError)) this.deps.logger.error('container loop failed', { pod: this.key, container: slot.container.name, error });
      return 'stopped';
    }
  }

  private afterExit(slot: Slot, exitCode: number): 'restart' | 'completed' | 'failed' {
    const policy = this.pod.spec.restartPolicy ?? 'Always';
    switch (slot.kind) {
      case 'sidecar':
        return 'restart';
      case 'init':
        if (exitCode === 0) return 'completed';
        return policy === 'Never' ? 'failed' : 'restart';
      case 'app':
        if (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) return 'restart';
        return exitCode === 0 ? 'completed' : 'failed';
    }
  }

  /** Where a container not yet looked after begins, from the fold's view of it. */
  private resumeFor(slot: Slot): Resume {
    const status = this.statusOf(slot);
    const state = status?.state;
    if (state?.terminated) {
      const t = state.terminated;
      const finishedAt = t.finishedAt !== undefined ? Date.parse(t.finishedAt) : this.deps.scheduler.now();
      const startedAt = t.startedAt !== undefined ? Date.parse(t.startedAt) : finishedAt;
      return { step: 'exited', exitCode: t.exitCode, startedAt, finishedAt };
    }
    // Waiting after it ran: the fold already shows the count the restart will have.
    if (status?.lastState?.terminated) return { step: 'backoff' };
    return { step: 'start' };
  }

  private nextBackoff(slot: Slot): number {
    const { baseMs, maxMs } = this.deps.crashLoop;
    const delay = Math.min(maxMs, baseMs * 2 ** slot.backoffSteps);
    if (delay < maxMs) slot.backoffSteps += 1;
    return delay;
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private slotFor(container: Container, kind: ContainerKind): Slot {
    const status = kind === 'app'
      ? this.pod.status?.containerStatuses?.find((s) => s.name === container.name)
      : this.pod.status?.initContainerStatuses?.find((s) => s.name === container.name);
    const slot: Slot = { container, kind, restartCount: status?.restartCount ?? 0, backoffSteps: 0, onStarted: [] };
    this.slots.set(container.name, slot);
    return slot;
  }

  /** The container's status in the fold as the worker found it (adoption reads it once). */
  private statusOf(slot: Slot | undefined): ContainerStatus | undefined {
    if (!slot) return undefined;
    const list = slot.kind === 'app' ? this.pod.status?.containerStatuses : this.pod.status?.initContainerStatuses;
    return list?.find((s) => s.name === slot.container.name);
  }

  private ref(): { namespace: string; name: string; uid: string; nodeName: string } {
    return { namespace: this.pod.metadata.namespace, name: this.pod.metadata.name, uid: this.uid, nodeName: this.node.name };
  }

  private terminated(slot: Slot, exit: ContainerExit, startedAtMs: number): DomainEvent {
    return {
      type: 'ContainerTerminated',
      data: {
        ...this.ref(),
        container: slot.container.name,
        kind: slot.kind,
        exitCode: exit.exitCode,
        reason: exit.reason,
        ...(exit.message !== undefined ? { message: exit.message } : {}),
        startedAt: new Date(startedAtMs).toISOString(),
        finishedAt: exit.finishedAt.toISOString(),
        restartCount: slot.restartCount,
      },
    };
  }

  private waiting(slot: Slot, reason: string, message: string): DomainEvent {
    return {
      type: 'ContainerWaiting',
      data: { ...this.ref(), container: slot.container.name, kind: slot.kind, reason, message, restartCount: slot.restartCount },
    };
  }

  /** Appends unless fenced or detached. Waiting events carry their reason in the id (one fact per reason and count). */
  private async report(event: DomainEvent): Promise<void> {
    if (this.halted) return;
    const discriminator = event.type === 'ContainerWaiting' ? `${this.discriminator}:${event.data.reason}` : event.type === 'PodDeleted' ? undefined : this.discriminator;
    await this.deps.reporter.report(event, { source: this.node.source, ...(discriminator !== undefined ? { discriminator } : {}) });
  }

  /** Sleeps unless the pod begins to stop; false when interrupted. */
  private async pause(ms: number): Promise<boolean> {
    try {
      await sleep(this.deps.scheduler, ms, this.lifecycle.signal);
      return !this.stopping;
    } catch (error) {
      if (isAbortError(error)) return false;
      throw error;
    }
  }

  private graceMs(seconds: number | undefined): number {
    return Math.max(0, (seconds ?? 30) * 1000);
  }

  private releaseIP(): void {
    if (this.podIP !== undefined) this.node.reservedIPs.delete(this.podIP);
  }

  private track(task: Promise<void>): void {
    task.catch((error: unknown) => {
      if (error instanceof ReporterClosedError) return;
      this.deps.logger.error('pod worker failed', { pod: this.key, node: this.node.name, error });
    });
  }
}

function conditionStatus(status: { conditions?: Array<{ type: string; status: string }> }, type: string): string | undefined {
  return status.conditions?.find((c) => c.type === type)?.status;
}

/** The container has run at least once (per the fold). */
function hasRun(status: ContainerStatus | undefined): boolean {
  return Boolean(status?.state?.running || status?.state?.terminated || status?.lastState?.terminated);
}

/** Go's time.Duration formatting, as kubelet messages print it: 10s, 1m20s, 5m0s. */
export function goDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const totalSeconds = ms / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = +(totalSeconds % 60).toFixed(3);
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}
