/**
 * SimRuntime: containers without processes, for simulations with many nodes (like KWOK stages).
 *
 * Every container goes through timed stages: start (`containerStartMs`), run, exit. Regular init
 * containers run `initRunMs` and exit; sidecars run until stopped; app containers run until stopped
 * unless the pod says otherwise. Stopping takes `stopMs`; a stop that fits the grace period ends with
 * exit 0 (Completed), otherwise the container is killed when the grace runs out (137, Error).
 * Every duration except `sim.flotilla.io/run-seconds` gets a jitter of ±`jitter` (a fraction).
 *
 * Per-pod overrides, as annotations on the pod:
 *   sim.flotilla.io/run-seconds       app containers exit after this many seconds (absent: run until stopped)
 *   sim.flotilla.io/exit-code         the exit code they exit with (default 0)
 *   sim.flotilla.io/init-exit-code    the exit code of regular init containers (default 0)
 *   sim.flotilla.io/fail-probability  0..1: chance that a container (any kind) exits with code 1 right
 *                                     after it started
 * A malformed value fails the container's start with CreateContainerConfigError.
 *
 * Stages (sim-stages.ts, like KWOK's) replace these timings for the pods and containers they select:
 * per step (sandbox, start, init, run, stop) the first matching stage gives the delay, what happens
 * next and how often it fails; a step no stage matches keeps the timings above. The annotations
 * still win over the stages: run-seconds replaces the run stage of app containers, exit-code and
 * init-exit-code the exit code, fail-probability adds its failure right after the start.
 *
 * Randomness (jitter, failures) is seeded: one PRNG per (seed, pod uid, container, start number), and
 * one per (seed, pod uid, sandbox attempt), so a run is reproducible whatever order the pods happen
 * to be processed in. Every draw is taken whether a stage uses it or not, in a fixed order, so adding
 * a stage for one step never shifts another step's timings.
 *
 * Nothing runs, so there is nothing to probe: every probe and hook succeeds (a `sleep` hook waits its
 * seconds). Logs are a few synthetic lines per container instance (started, SIGTERM, exited), the
 * current and the previous instance only, dropped with the sandbox: `flotilla logs` works on a
 * simulated node without memory growing with restarts.
 */
import type { Container, LifecycleHandler, Pod } from '@flotilla/model';
import {
  ContainerLogsNotFoundError,
  ContainerStartAbortedError,
  ContainerStartError,
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
} from './container-runtime.ts';
import { hashString, mulberry32 } from './prng.ts';
import { matchStage, stageDelay, type SimStage, type SimStep, type StageSubject } from './sim-stages.ts';
import { isAbortError, realTimers, sleep, type TimerScheduler } from './timer-scheduler.ts';

export const SIM_RUN_SECONDS = 'sim.flotilla.io/run-seconds';
export const SIM_EXIT_CODE = 'sim.flotilla.io/exit-code';
export const SIM_INIT_EXIT_CODE = 'sim.flotilla.io/init-exit-code';
export const SIM_FAIL_PROBABILITY = 'sim.flotilla.io/fail-probability';

export interface SimTimings {
  /** Building the pod sandbox. */
  sandboxMs: number;
  /** From start request to running. */
  containerStartMs: number;
  /** How long a regular init container runs before it exits. */
  initRunMs: number;
  /** From SIGTERM to exit. */
  stopMs: number;
  /** Fraction (0..1): each duration is drawn uniformly from [d·(1-jitter), d·(1+jitter)]. */
  jitter: number;
}

export const DEFAULT_SIM_TIMINGS: SimTimings = {
  sandboxMs: 200,
  containerStartMs: 300,
  initRunMs: 1_000,
  stopMs: 200,
  jitter: 0.2,
};

export interface SimRuntimeOptions {
  timings?: Partial<SimTimings>;
  seed?: number;
  scheduler?: TimerScheduler;
  /** Validated stages (parseSimStages), first match per step wins; none: the timings alone. */
  stages?: readonly SimStage[];
}

/** A sandbox a stage failed to build (the node agent retries it after a back-off, as FailedCreatePodSandBox). */
export class SimSandboxError extends Error {
  override readonly name = 'SimSandboxError';
  constructor(
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const SIM_RUNTIME_VERSION = 'sim://0.1.0';

/** One container instance's synthetic output. */
interface SimLog {
  lines: Array<{ at: number; text: string }>;
  done: boolean;
  /** Followers waiting for more lines (or the end). */
  waiters: Set<() => void>;
}

/** Instances kept per container: the current one and the one before (`--previous`). */
const LOG_INSTANCES_KEPT = 2;

/** The pod's sim.flotilla.io/* annotations; undefined where the pod has none. */
interface PodPlan {
  runMs: number | undefined;
  exitCode: number | undefined;
  initExitCode: number | undefined;
  failProbability: number;
}

type PlannedExit = { afterMs: number; exitCode: number; message?: string };

export class SimRuntime implements ContainerRuntime {
  readonly mode = 'sim';
  readonly version = SIM_RUNTIME_VERSION;
  readonly nodeLabels: Readonly<Record<string, string>> = {};
  readonly timings: SimTimings;
  private readonly seed: number;
  private readonly scheduler: TimerScheduler;
  private readonly stages: readonly SimStage[];
  /** pod uid -> sandbox attempts that failed so far (keys the next attempt's PRNG); only pods with a failure. */
  private readonly sandboxFailures = new Map<string, number>();
  /** pod uid -> pod IP */
  private readonly sandboxes = new Map<string, string>();
  /** pod uid -> container -> how many times it was started (keys its PRNG). */
  private readonly starts = new Map<string, Map<string, number>>();
  /** pod uid -> names of containers running now. */
  private readonly live = new Map<string, Set<string>>();
  /** pod uid -> container -> its last instances' logs, oldest first. */
  private readonly logs = new Map<string, Map<string, SimLog[]>>();

  constructor(options: SimRuntimeOptions = {}) {
    this.timings = { ...DEFAULT_SIM_TIMINGS, ...options.timings };
    if (!(this.timings.jitter >= 0 && this.timings.jitter <= 1)) throw new RangeError(`jitter must be within 0..1, got ${this.timings.jitter}`);
    this.seed = options.seed ?? 1;
    this.scheduler = options.scheduler ?? realTimers;
    this.stages = options.stages ?? [];
  }

  async createSandbox(pod: Pod, options: SandboxOptions): Promise<SandboxInfo> {
    const uid = pod.metadata.uid;
    if (this.sandboxes.get(uid) === options.podIP) return { podIP: options.podIP };
    const attempt = this.sandboxFailures.get(uid) ?? 0;
    // The first attempt keeps the key it had before stages existed (same timings as before).
    const rng = mulberry32(hashString(attempt === 0 ? `${this.seed}:${uid}:sandbox` : `${this.seed}:${uid}:sandbox:${attempt}`));
    const stage = this.stageFor('sandbox', { pod });
    const delayMs = this.delayOf(stage, this.timings.sandboxMs, rng());
    const fails = rng() < (stage?.failure?.probability ?? 0);
    await sleep(this.scheduler, delayMs);
    if (fails && stage?.failure) {
      this.sandboxFailures.set(uid, attempt + 1);
      throw new SimSandboxError(stage.failure.reason, stage.failure.message ?? `simulated sandbox failure (stage ${JSON.stringify(stage.name)}, attempt ${attempt + 1})`);
    }
    this.sandboxFailures.delete(uid);
    this.sandboxes.set(uid, options.podIP);
    return { podIP: options.podIP };
  }

  async removeSandbox(pod: Pod): Promise<void> {
    const uid = pod.metadata.uid;
    this.sandboxes.delete(uid);
    this.sandboxFailures.delete(uid);
    this.live.delete(uid);
    this.starts.delete(uid);
    // Followers of a removed pod's logs end rather than wait forever.
    for (const instances of this.logs.get(uid)?.values() ?? []) for (const log of instances) this.endLog(log);
    this.logs.delete(uid);
  }

  /** Simulated sandboxes live in this process only: an agent that restarts finds none left behind. */
  async listSandboxes(_nodeNames: ReadonlySet<string>): Promise<SandboxRef[]> {
    return [];
  }

  async removeOrphanSandbox(_ref: SandboxRef): Promise<void> {}

  async probe(_pod: Pod, _container: Container, _action: ProbeAction, _timeoutMs: number): Promise<ActionResult> {
    return { success: true };
  }

  /** Succeeds; a `sleep` hook waits its seconds (a failure when that exceeds the timeout). */
  async runHook(_pod: Pod, _container: Container, handler: LifecycleHandler, timeoutMs: number, signal?: AbortSignal): Promise<ActionResult> {
    const seconds = handler.sleep?.seconds ?? 0;
    if (seconds <= 0) return { success: true };
    const waitMs = Math.min(seconds * 1000, Math.max(0, timeoutMs));
    try {
      await sleep(this.scheduler, waitMs, signal);
    } catch (error) {
      if (isAbortError(error)) return { success: false, message: 'the hook was aborted' };
      throw error;
    }
    return waitMs < seconds * 1000 ? { success: false, message: `the hook timed out after ${timeoutMs} ms` } : { success: true };
  }

  async *readLogs(pod: Pod, container: Container, options: LogReadOptions): AsyncGenerator<string> {
    const instances = this.logs.get(pod.metadata.uid)?.get(container.name) ?? [];
    const log = options.previous ? instances[instances.length - 2] : instances[instances.length - 1];
    if (!log) {
      throw new ContainerLogsNotFoundError(
        options.previous
          ? `previous terminated container "${container.name}" in pod "${pod.metadata.name}" not found`
          : `container "${container.name}" in pod "${pod.metadata.name}" is waiting to start: ContainerCreating`,
      );
    }
    const format = (line: { at: number; text: string }): string => `${options.timestamps ? `${new Date(line.at).toISOString()} ` : ''}${line.text}\n`;
    let next = options.tailLines === undefined ? 0 : Math.max(0, log.lines.length - Math.max(0, options.tailLines));
    for (;;) {
      if (next < log.lines.length) {
        const chunk = log.lines.slice(next).map(format).join('');
        next = log.lines.length;
        yield chunk;
      }
      if (!options.follow || log.done || options.signal?.aborted) return;
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          log.waiters.delete(wake);
          options.signal?.removeEventListener('abort', wake);
          resolve();
        };
        log.waiters.add(wake);
        options.signal?.addEventListener('abort', wake, { once: true });
      });
    }
  }

  async startContainer(pod: Pod, container: Container, kind: ContainerKind, signal: AbortSignal): Promise<RunningContainer> {
    const podName = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (signal.aborted) throw new ContainerStartAbortedError(podName, container.name);
    const plan = podPlan(pod);
    const subject: StageSubject = { pod, container, kind };
    const startStage = this.stageFor('start', subject);
    // A regular init container's run is the init step; an app container's or a sidecar's, the run step.
    const lifeStage = this.stageFor(kind === 'init' ? 'init' : 'run', subject);
    const stopStage = this.stageFor('stop', subject);
    const key = `${pod.metadata.uid}/${container.name}`;
    let counts = this.starts.get(pod.metadata.uid);
    if (!counts) this.starts.set(pod.metadata.uid, (counts = new Map()));
    const n = counts.get(container.name) ?? 0;
    counts.set(container.name, n + 1);
    const rng = mulberry32(hashString(`${this.seed}:${key}:${n}`));
    // Draw in a fixed order so that one decision never shifts another; the first four are the draws
    // the runtime took before stages existed, so pods no stage selects keep their timings.
    const startMs = this.delayOf(startStage, this.timings.containerStartMs, rng());
    const fails = rng() < plan.failProbability;
    const initRunMs = this.delayOf(kind === 'init' ? lifeStage : undefined, this.timings.initRunMs, rng());
    const stopMs = this.delayOf(stopStage, this.timings.stopMs, rng());
    const startFails = rng() < (startStage?.failure?.probability ?? 0);
    const runMs = this.delayOf(kind === 'init' ? undefined : lifeStage, 0, rng());
    const lifeFails = rng() < (lifeStage?.failure?.probability ?? 0);
    try {
      await sleep(this.scheduler, startMs, signal);
    } catch (error) {
      if (isAbortError(error)) throw new ContainerStartAbortedError(podName, container.name, { cause: error });
      throw error;
    }
    if (startFails && startStage?.failure) {
      const failure = startStage.failure;
      throw new ContainerStartError(failure.reason, failure.message ?? `simulated start failure of container ${container.name} (stage ${JSON.stringify(startStage.name)})`);
    }
    const startedAt = new Date(this.scheduler.now());
    let exit: PlannedExit | undefined;
    if (fails) exit = { afterMs: 0, exitCode: 1, message: `simulated failure (${SIM_FAIL_PROBABILITY})` };
    else if (kind === 'init') {
      if (plan.initExitCode !== undefined) exit = { afterMs: initRunMs, exitCode: plan.initExitCode };
      else if (lifeFails && lifeStage?.failure) exit = stageFailure(lifeStage, initRunMs);
      else exit = { afterMs: initRunMs, exitCode: lifeStage?.exitCode ?? 0 };
    } else if (kind === 'app' && plan.runMs !== undefined) exit = { afterMs: plan.runMs, exitCode: plan.exitCode ?? 0 };
    else if (lifeStage) {
      if (lifeFails && lifeStage.failure) exit = stageFailure(lifeStage, runMs);
      else if (lifeStage.next === 'exit') exit = { afterMs: runMs, exitCode: (kind === 'app' ? plan.exitCode : undefined) ?? lifeStage.exitCode };
    }
    return this.running(pod.metadata.uid, container.name, startedAt, exit, stopMs, this.newLog(pod.metadata.uid, container.name));
  }

  async attachContainer(pod: Pod, container: Container, kind: ContainerKind, startedAt: Date): Promise<RunningContainer | undefined> {
    // Simulated containers outlive the agent: they are still running, on the schedule they started
    // with (a stage's nominal delay: the instance's draw is not known any more).
    const plan = podPlan(pod);
    const subject: StageSubject = { pod, container, kind };
    const lifeStage = this.stageFor(kind === 'init' ? 'init' : 'run', subject);
    const stopStage = this.stageFor('stop', subject);
    const elapsed = this.scheduler.now() - startedAt.getTime();
    const remaining = (ms: number): number => Math.max(0, ms - elapsed);
    let exit: PlannedExit | undefined;
    if (kind === 'init') exit = { afterMs: remaining(lifeStage?.delayMs ?? this.timings.initRunMs), exitCode: plan.initExitCode ?? lifeStage?.exitCode ?? 0 };
    else if (kind === 'app' && plan.runMs !== undefined) exit = { afterMs: remaining(plan.runMs), exitCode: plan.exitCode ?? 0 };
    else if (lifeStage?.next === 'exit') exit = { afterMs: remaining(lifeStage.delayMs), exitCode: (kind === 'app' ? plan.exitCode : undefined) ?? lifeStage.exitCode };
    const current = this.logs.get(pod.metadata.uid)?.get(container.name)?.at(-1);
    const log = current && !current.done ? current : this.newLog(pod.metadata.uid, container.name, 're-attached after a node agent restart');
    return this.running(pod.metadata.uid, container.name, startedAt, exit, stopStage?.delayMs ?? this.timings.stopMs, log);
  }

  /** Names of the containers of a pod that run now (for tests and diagnostics). */
  runningContainers(podUid: string): string[] {
    return [...(this.live.get(podUid) ?? [])];
  }

  hasSandbox(podUid: string): boolean {
    return this.sandboxes.has(podUid);
  }

  private running(
    uid: string,
    name: string,
    startedAt: Date,
    exit: PlannedExit | undefined,
    stopMs: number,
    log: SimLog,
  ): RunningContainer {
    let live = this.live.get(uid);
    if (!live) this.live.set(uid, (live = new Set()));
    live.add(name);
    let resolveExit!: (exit: ContainerExit) => void;
    const exited = new Promise<ContainerExit>((resolve) => (resolveExit = resolve));
    let done = false;
    let cancelExit: (() => void) | undefined;
    let stopping: Promise<void> | undefined;
    const finish = (exitCode: number, reason: ContainerExit['reason'], message?: string): void => {
      if (done) return;
      done = true;
      cancelExit?.();
      this.live.get(uid)?.delete(name);
      this.appendLog(log, `${name} exited with code ${exitCode} (${reason})${message !== undefined ? `: ${message}` : ''}`);
      this.endLog(log);
      resolveExit({ exitCode, reason, ...(message !== undefined ? { message } : {}), finishedAt: new Date(this.scheduler.now()) });
    };
    if (exit) {
      cancelExit = this.scheduler.schedule(exit.afterMs, () => finish(exit.exitCode, exit.exitCode === 0 ? 'Completed' : 'Error', exit.message));
    }
    return {
      startedAt,
      exited,
      stop: (gracePeriodMs: number) => {
        if (done) return Promise.resolve();
        if (!stopping) this.appendLog(log, `${name} received SIGTERM (grace period ${Math.max(0, gracePeriodMs)} ms)`);
        stopping ??= new Promise<void>((resolve) => {
          const graceful = stopMs <= gracePeriodMs;
          this.scheduler.schedule(graceful ? stopMs : Math.max(0, gracePeriodMs), () => {
            if (graceful) finish(0, 'Completed');
            else finish(137, 'Error', `killed after the grace period of ${gracePeriodMs} ms`);
            resolve();
          });
          // A natural exit during the stop ends the wait too.
          void exited.then(() => resolve());
        });
        return stopping;
      },
    };
  }

  /** A new instance's log (the oldest beyond LOG_INSTANCES_KEPT goes). */
  private newLog(uid: string, name: string, how = 'started'): SimLog {
    let byContainer = this.logs.get(uid);
    if (!byContainer) this.logs.set(uid, (byContainer = new Map()));
    let instances = byContainer.get(name);
    if (!instances) byContainer.set(name, (instances = []));
    const log: SimLog = { lines: [], done: false, waiters: new Set() };
    instances.push(log);
    if (instances.length > LOG_INSTANCES_KEPT) instances.splice(0, instances.length - LOG_INSTANCES_KEPT).forEach((old) => this.endLog(old));
    this.appendLog(log, `${name} ${how} (simulated: no process runs)`);
    return log;
  }

  private appendLog(log: SimLog, text: string): void {
    if (log.done) return;
    log.lines.push({ at: this.scheduler.now(), text });
    for (const wake of [...log.waiters]) wake();
  }

  private endLog(log: SimLog): void {
    log.done = true;
    for (const wake of [...log.waiters]) wake();
  }

  private stageFor(step: SimStep, subject: StageSubject): SimStage | undefined {
    return this.stages.length === 0 ? undefined : matchStage(this.stages, step, subject);
  }

  /** A stage's delay for the draw `r`, or the built-in timing `ms` ± jitter when no stage applies. */
  private delayOf(stage: SimStage | undefined, ms: number, r: number): number {
    if (stage) return stageDelay(stage, r);
    if (ms <= 0) return 0;
    return Math.max(0, Math.round(ms * (1 + this.timings.jitter * (2 * r - 1))));
  }
}

function stageFailure(stage: SimStage, afterMs: number): PlannedExit {
  const failure = stage.failure!;
  return { afterMs, exitCode: failure.exitCode, message: failure.message ?? `simulated failure (stage ${JSON.stringify(stage.name)})` };
}

function podPlan(pod: Pod): PodPlan {
  const annotations = pod.metadata.annotations ?? {};
  const runSeconds = numberAnnotation(annotations, SIM_RUN_SECONDS, 0, Number.POSITIVE_INFINITY);
  return {
    runMs: runSeconds === undefined ? undefined : runSeconds * 1000,
    exitCode: integerAnnotation(annotations, SIM_EXIT_CODE),
    initExitCode: integerAnnotation(annotations, SIM_INIT_EXIT_CODE),
    failProbability: numberAnnotation(annotations, SIM_FAIL_PROBABILITY, 0, 1) ?? 0,
  };
}

function numberAnnotation(annotations: Record<string, string>, key: string, min: number, max: number): number | undefined {
  const raw = annotations[key];
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new ContainerStartError('CreateContainerConfigError', `annotation ${key}: expected a number within ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function integerAnnotation(annotations: Record<string, string>, key: string): number | undefined {
  const value = numberAnnotation(annotations, key, 0, 255);
  if (value !== undefined && !Number.isInteger(value)) {
    throw new ContainerStartError('CreateContainerConfigError', `annotation ${key}: expected an exit code 0..255, got ${JSON.stringify(annotations[key])}`);
  }
  return value;
}
