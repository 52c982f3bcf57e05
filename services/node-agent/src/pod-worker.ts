import { isSidecar, type Container, type ContainerStatus, type LifecycleHandler, type Pod } from '@flotilla/model';
import type { ContainerKind, DomainEvent } from '@flotilla/events';
import {
  ContainerStartError,
  isAbortError,
  sleep,
  type ActionResult,
  type ContainerExit,
  type ContainerRuntime,
  type RunningContainer,
  type TimerScheduler,
} from '@flotilla/runtime';
import type { Logger } from '@flotilla/service-kit';
import type { ClusterState, PodRecord } from '@flotilla/state';
import { admitPod } from './admission.ts';
import { cidrContains, formatIPv4, hostPart, lowestFreeIP, type Ipv4Cidr } from './ip-allocator.ts';
import { ContainerProber, type ProbeKind } from './prober.ts';
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
 * While an instance runs: its postStart hook right after the start (a failure kills it), then its
 * probes (prober.ts: startup first, then liveness and readiness; a failed liveness or startup probe
 * kills it, and the restart policy applies as for any exit). The agent stops a container the
 * kubelet's way: preStop first, then SIGTERM with what is left of the grace period, SIGKILL when
 * that runs out. A sidecar counts as started for the next init container once its postStart hook
 * and startup probe have passed.
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

/** kubelet's minimumGracePeriodInSeconds. */
export const MINIMUM_STOP_GRACE_MS = 2_000;

export const DEFAULT_CRASH_LOOP: CrashLoopSettings = { baseMs: 10_000, maxMs: 300_000, resetAfterMs: 600_000 };

/**
 * How long a postStart hook may run. Kubernetes sets no limit (the container just never counts as
 * started); a generous one keeps a hung hook from holding a container for ever.
 */
export const POST_START_TIMEOUT_MS = 10 * 60_000;

/** What a worker knows about the node it runs on. Shared by all the node's workers. */
export interface NodeContext {
  name: string;
  /** `node-agent/<name>` */
  source: string;
  hostIP: string;
  /** The node's pod CIDR as the fold holds it (what runtimes are given). */
  podCIDR: string;
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
  /** Called (once each) the next time the container has started (postStart and startup probe passed). */
  onStarted: Array<() => void>;
  /** The current instance has started in that sense. */
  started: boolean;
  prober?: ContainerProber;
  /** The agent is stopping the current instance (teardown, a failed probe or postStart hook): once per instance. */
  kill?: { handle: RunningContainer; done: Promise<void>; message?: string };
}

/** What the fold showed of a container adopted after an agent restart. */
interface Adopted {
  started: boolean;
  ready: boolean;
}

/** Where a container loop begins. */
type Resume =
  | { step: 'start' }
  /** Running: look after it (postStart when just started, probes) and wait for its exit. */
  | { step: 'watch'; handle: RunningContainer; adopted?: Adopted }
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
  /** Where in the log this worker began: keeps its per-change report ids apart from an earlier agent's. */
  private readonly epoch: number;
  /** Readiness and probe-failure reports so far (their ids count them). */
  private probeReports = 0;
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
    this.epoch = record.resourceVersion;
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
    for (const slot of this.slots.values()) void slot.prober?.stop();
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
    for (const slot of this.slots.values()) void slot.prober?.stop();
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
    const reported = status.podIP;
    // The runtime is asked again for the CIDR address it was given (the reported one may be its own).
    const podIP = this.cidrAddressOf(reported);
    this.podIP = podIP;
    this.node.reservedIPs.add(podIP);
    this.sandboxStep = this.reattachSandbox(podIP, reported);
    if (!(await this.sandboxStep)) return;
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
        const status = this.statusOf(slot);
        slot.loop = this.containerLoop(slot, { step: 'watch', handle, adopted: { started: status?.started !== false, ready: status?.ready === true } });
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

  /** Starts a sidecar (or keeps the adopted one); resolves true once it has started (postStart and startup probe passed). */
  private ensureSidecarStarted(slot: Slot): Promise<boolean> {
    if (slot.handle !== undefined && slot.started) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      slot.onStarted.push(() => resolve(true));
      slot.loop ??= this.containerLoop(slot, this.resumeFor(slot));
      void slot.loop.then(() => resolve(false));
    });
  }

  /** createSandbox again for an adopted pod, retried with back-off until it works or the pod stops here. */
  private async reattachSandbox(podIP: string, reported: string): Promise<boolean> {
    for (;;) {
      try {
        const info = await this.deps.runtime.createSandbox(this.pod, { podIP, node: this.sandboxNode() });
        if (info.podIP !== reported) this.deps.logger.warn('the re-attached sandbox answers at another address than the pod reported', { pod: this.key, reported, now: info.podIP });
        return true;
      } catch (error) {
        this.deps.logger.warn('re-attaching the pod sandbox failed, retrying', { pod: this.key, node: this.node.name, error });
        if (!(await this.pause(this.deps.crashLoop.baseMs))) return false;
      }
    }
  }

  private async createSandbox(): Promise<boolean> {
    let podIP: string | undefined;
    for (;;) {
      podIP = this.freeIP();
      if (podIP !== undefined) break;
      this.deps.logger.warn('no free pod IP on the node, retrying', { pod: this.key, node: this.node.name });
      if (!(await this.pause(this.deps.crashLoop.baseMs))) return false;
    }
    this.podIP = podIP;
    this.node.reservedIPs.add(podIP);
    let reachable: string;
    for (;;) {
      try {
        // The runtime may answer another address (the process runtime without its own network).
        reachable = (await this.deps.runtime.createSandbox(this.pod, { podIP, node: this.sandboxNode() })).podIP;
        break;
      } catch (error) {
        // The kubelet's FailedCreatePodSandBox: retry after a back-off.
        this.deps.logger.warn('creating the pod sandbox failed, retrying', { pod: this.key, node: this.node.name, error });
        if (!(await this.pause(this.deps.crashLoop.baseMs))) return false;
      }
    }
    if (this.stopping) return false; // teardown removes the runtime's sandbox; the log never saw it
    this.sandboxUp = true;
    await this.report({ type: 'PodSandboxReady', data: { ...this.ref(), podIP: reachable, hostIP: this.node.hostIP } });
    return true;
  }

  /**
   * The lowest address of the node's CIDR no pod here holds. An address outside the CIDR (one a
   * runtime chose instead, e.g. 127.x.y.z mirroring the CIDR address it was given) also holds the
   * CIDR address with the same host part: after an agent restart only the reported one is known,
   * and adoption asks the runtime again for that CIDR address (cidrAddressOf).
   */
  private freeIP(): string | undefined {
    const cidr = this.node.podCidr;
    const usedOnNode = this.deps.state.nodes.get(this.node.name)?.podIPs;
    const mirrored = new Set<number>();
    for (const ip of [...(usedOnNode?.keys() ?? []), ...this.node.reservedIPs]) {
      if (cidrContains(cidr, ip)) continue;
      const part = hostPart(cidr, ip);
      if (part !== undefined) mirrored.add(part);
    }
    return lowestFreeIP(cidr, (ip) => this.node.reservedIPs.has(ip) || usedOnNode?.has(ip) === true || mirrored.has(hostPart(cidr, ip) ?? -1));
  }

  /** The node CIDR's address with the same host part as `ip` (itself when inside the CIDR); see freeIP. */
  private cidrAddressOf(ip: string): string {
    const cidr = this.node.podCidr;
    if (cidrContains(cidr, ip)) return ip;
    const part = hostPart(cidr, ip);
    return part === undefined ? ip : formatIPv4(cidr.network + part);
  }

  private sandboxNode(): { name: string; podCIDR: string } {
    return { name: this.node.name, podCIDR: this.node.podCIDR };
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
    // Probes end with the pod: a probe failing now must not kill (or report) anything.
    for (const slot of this.slots.values()) void slot.prober?.stop();
    await this.sandboxStep?.catch(() => false);
    const deadline = this.deps.scheduler.now() + graceMs;
    const slots = [...this.slots.values()];
    await Promise.all(
      slots
        .filter((slot) => slot.kind !== 'sidecar')
        .map(async (slot) => {
          await this.stopContainer(slot, graceMs);
          await slot.loop;
        }),
    );
    for (const slot of slots.filter((s) => s.kind === 'sidecar').reverse()) {
      // What is left of the pod's grace (stopContainer still leaves 2 s); 0 only when forced.
      await this.stopContainer(slot, graceMs === 0 ? 0 : Math.max(1, deadline - this.deps.scheduler.now()));
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
          const handle = next.handle;
          const startedAt = handle.startedAt.getTime();
          const instance = new AbortController();
          this.track(this.lookAfter(slot, handle, instance.signal, next.adopted));
          const exit = await handle.exited;
          instance.abort();
          await slot.prober?.stop();
          const kill = slot.kill?.handle === handle ? slot.kill : undefined;
          slot.prober = undefined;
          slot.kill = undefined;
          slot.started = false;
          slot.handle = undefined;
          await this.report(this.terminated(slot, exit, startedAt, kill?.message));
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

  /**
   * A running instance: its postStart hook when it just started (a failure kills it), then its probes.
   * `instance` aborts when it exits.
   */
  private async lookAfter(slot: Slot, handle: RunningContainer, instance: AbortSignal, adopted: Adopted | undefined): Promise<void> {
    const { container } = slot;
    // Regular init containers have neither hooks nor probes (Kubernetes rejects them there).
    if (slot.kind === 'init' || this.stopping) {
      this.markStarted(slot);
      return;
    }
    const postStart = container.lifecycle?.postStart;
    if (postStart && !adopted) {
      const result = await this.runHook(container, postStart, POST_START_TIMEOUT_MS, instance);
      if (instance.aborted || this.stopping) return;
      if (!result.success) {
        this.deps.logger.warn('postStart hook failed: killing the container', { pod: this.key, container: container.name, message: result.message });
        void this.stopContainer(slot, this.graceMs(this.pod.spec.terminationGracePeriodSeconds), `FailedPostStartHook: ${result.message}`);
        return;
      }
    }
    if (instance.aborted || this.stopping) return;
    if (!ContainerProber.needed(container)) {
      this.markStarted(slot);
      return;
    }
    const prober = new ContainerProber({
      container,
      startedAtMs: handle.startedAt.getTime(),
      scheduler: this.deps.scheduler,
      ...(adopted ? { started: adopted.started, ready: adopted.ready } : {}),
      callbacks: {
        attempt: (_kind, action, timeoutMs) => this.deps.runtime.probe(this.pod, container, action, timeoutMs),
        onStartupSucceeded: async () => {
          await this.report(
            { type: 'ContainerStartupProbeSucceeded', data: { ...this.ref(), container: container.name, kind: slot.kind, restartCount: slot.restartCount } },
            `${this.discriminator}:${container.name}:${slot.restartCount}`,
          );
          this.markStarted(slot);
        },
        onReadinessChanged: async (ready, message) => {
          await this.report(
            {
              type: 'ContainerReadinessChanged',
              data: { ...this.ref(), container: container.name, kind: slot.kind, ready, restartCount: slot.restartCount, ...(message !== undefined ? { message } : {}) },
            },
            this.probeReportId(slot),
          );
        },
        onFailed: async (probe, message, consecutiveFailures, action) => {
          if (action === 'Restart' && !this.stopping) {
            const grace = container[probeField(probe)]?.terminationGracePeriodSeconds ?? this.pod.spec.terminationGracePeriodSeconds;
            void this.stopContainer(slot, this.graceMs(grace), `Container ${container.name} failed ${probe} probe, will be restarted`);
          }
          await this.report(
            {
              type: 'ContainerProbeFailed',
              data: { ...this.ref(), container: container.name, kind: slot.kind, probe, message, consecutiveFailures, action, restartCount: slot.restartCount },
            },
            this.probeReportId(slot),
          );
        },
        onError: (error) => this.deps.logger.error('probe failed unexpectedly', { pod: this.key, container: container.name, error }),
      },
    });
    slot.prober = prober;
    prober.start();
    if (prober.started) this.markStarted(slot);
  }

  private markStarted(slot: Slot): void {
    slot.started = true;
    for (const listener of slot.onStarted.splice(0)) listener();
  }

  /**
   * Stops the container's current instance the kubelet's way: preStop (when there is grace to run it
   * in), then SIGTERM with the grace that is left, SIGKILL when that runs out. Once per instance:
   * a second call joins the first. `message` says why the agent stopped it (in the terminated state).
   */
  private stopContainer(slot: Slot, graceMs: number, message?: string): Promise<void> {
    const handle = slot.handle;
    if (!handle) return Promise.resolve();
    if (slot.kill?.handle === handle) return slot.kill.done;
    const done = (async () => {
      const began = this.deps.scheduler.now();
      const preStop = slot.container.lifecycle?.preStop;
      if (preStop && graceMs > 0) {
        const result = await this.runHook(slot.container, preStop, graceMs);
        if (!result.success) this.deps.logger.warn('preStop hook failed', { pod: this.key, container: slot.container.name, message: result.message });
      }
      // The kubelet always leaves a container at least 2 s between SIGTERM and SIGKILL (unless forced
      // with grace 0), even when preStop or the containers stopped before it used the grace up.
      const left = graceMs - (this.deps.scheduler.now() - began);
      await handle.stop(graceMs === 0 ? 0 : Math.max(left, MINIMUM_STOP_GRACE_MS));
    })();
    slot.kill = { handle, done, ...(message !== undefined ? { message } : {}) };
    return done;
  }

  /** A lifecycle hook, bounded by `timeoutMs` here too (a runtime that overruns does not hold the stop). */
  private async runHook(container: Container, handler: LifecycleHandler, timeoutMs: number, signal?: AbortSignal): Promise<ActionResult> {
    const deadline = new AbortController();
    const cancel = this.deps.scheduler.schedule(timeoutMs, () => deadline.abort());
    try {
      const hook = this.deps.runtime.runHook(this.pod, container, handler, timeoutMs, signal).catch(
        (error: unknown): ActionResult => ({ success: false, message: error instanceof Error ? error.message : String(error) }),
      );
      const timedOut = new Promise<ActionResult>((resolve) => {
        const onAbort = (): void => resolve({ success: false, message: `the hook did not finish within ${goDuration(timeoutMs)}` });
        deadline.signal.addEventListener('abort', onAbort, { once: true });
        signal?.addEventListener('abort', () => resolve({ success: false, message: 'the container exited or the pod is stopping' }), { once: true });
      });
      return await Promise.race([hook, timedOut]);
    } finally {
      cancel();
    }
  }

  private probeReportId(slot: Slot): string {
    this.probeReports += 1;
    return `${this.discriminator}:${slot.container.name}:${slot.restartCount}:${this.epoch}:${this.probeReports}`;
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
    const slot: Slot = { container, kind, restartCount: status?.restartCount ?? 0, backoffSteps: 0, onStarted: [], started: false };
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

  /** `why`: the agent stopped it (a failed probe or postStart hook); goes before the runtime's own message. */
  private terminated(slot: Slot, exit: ContainerExit, startedAtMs: number, why?: string): DomainEvent {
    const message = why === undefined ? exit.message : exit.message === undefined ? why : `${why} (${exit.message})`;
    return {
      type: 'ContainerTerminated',
      data: {
        ...this.ref(),
        container: slot.container.name,
        kind: slot.kind,
        exitCode: exit.exitCode,
        reason: exit.reason,
        ...(message !== undefined ? { message } : {}),
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

  /**
   * Appends unless fenced or detached. Waiting events carry their reason in the id (one fact per reason
   * and count); probe reports pass their own (container, restart count, and a count of changes).
   */
  private async report(event: DomainEvent, id?: string): Promise<void> {
    if (this.halted) return;
    const discriminator =
      id ?? (event.type === 'ContainerWaiting' ? `${this.discriminator}:${event.data.reason}` : event.type === 'PodDeleted' ? undefined : this.discriminator);
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

function probeField(kind: ProbeKind): 'startupProbe' | 'livenessProbe' | 'readinessProbe' {
  return kind === 'startup' ? 'startupProbe' : kind === 'liveness' ? 'livenessProbe' : 'readinessProbe';
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
