import { PROBE_DEFAULTS, type Container, type Probe } from '@flotilla/model';
import type { ActionResult, ProbeAction, TimerScheduler } from '@flotilla/runtime';

/**
 * The probes of one running container instance, as the kubelet's probe workers run them:
 *
 * - startupProbe first: liveness and readiness wait until it succeeds (reported once);
 * - then livenessProbe and readinessProbe, each on its own loop;
 * - every loop's first attempt comes `initialDelaySeconds` after the container started (at once when
 *   that has passed, e.g. when the startup probe took longer), then one every `periodSeconds`, each
 *   attempt bounded by `timeoutSeconds`; attempts of one probe never overlap;
 * - `successThreshold` / `failureThreshold` consecutive results flip a probe's result. Readiness
 *   reports only changes; a liveness or startup failure is reported once and probing stops (the
 *   agent kills the container, and a new instance gets a new prober).
 *
 * Time only through the TimerScheduler, so tests drive it with a ManualScheduler.
 */

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

export interface ProbeTiming {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

/** A probe's timings in milliseconds, defaults filled in; liveness and startup succeed after one success. */
export function probeTiming(probe: Probe, kind: ProbeKind): ProbeTiming {
  const atLeast = (value: number | undefined, fallback: number, min: number): number => Math.max(min, value ?? fallback);
  return {
    initialDelayMs: Math.max(0, probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: atLeast(probe.periodSeconds, PROBE_DEFAULTS.periodSeconds, 1) * 1000,
    timeoutMs: atLeast(probe.timeoutSeconds, PROBE_DEFAULTS.timeoutSeconds, 1) * 1000,
    successThreshold: kind === 'readiness' ? atLeast(probe.successThreshold, PROBE_DEFAULTS.successThreshold, 1) : 1,
    failureThreshold: atLeast(probe.failureThreshold, PROBE_DEFAULTS.failureThreshold, 1),
  };
}

/** The handler part of a probe (what the runtime runs). */
export function probeAction(probe: Probe): ProbeAction {
  return {
    ...(probe.exec ? { exec: probe.exec } : {}),
    ...(probe.httpGet ? { httpGet: probe.httpGet } : {}),
    ...(probe.tcpSocket ? { tcpSocket: probe.tcpSocket } : {}),
    ...(probe.grpc !== undefined ? { grpc: probe.grpc } : {}),
  };
}

/** How long past its own timeout an attempt may take before the prober counts it failed (a runtime that hangs). */
const ATTEMPT_SLACK_MS = 1_000;

export interface ProberCallbacks {
  /** One attempt against the container; the runtime enforces `timeoutMs`. */
  attempt(kind: ProbeKind, action: ProbeAction, timeoutMs: number): Promise<ActionResult>;
  onStartupSucceeded(): Promise<void>;
  onReadinessChanged(ready: boolean, message: string | undefined): Promise<void>;
  /**
   * A probe reached its failureThreshold. Liveness and startup: the container must be restarted
   * (`action: 'Restart'`; probing has stopped). Readiness: `action: 'None'`.
   */
  onFailed(kind: ProbeKind, message: string, consecutiveFailures: number, action: 'Restart' | 'None'): Promise<void>;
  onError?(error: unknown): void;
}

export interface ContainerProberOptions {
  container: Container;
  /** When this instance started (initial delays count from here). */
  startedAtMs: number;
  scheduler: TimerScheduler;
  callbacks: ProberCallbacks;
  /** The startup probe already succeeded (an instance adopted after an agent restart). */
  started?: boolean;
  /** The container is ready now (as the fold shows it for an adopted instance); a new one starts not ready. */
  ready?: boolean;
}

interface Loop {
  kind: ProbeKind;
  probe: Probe;
  timing: ProbeTiming;
  successes: number;
  failures: number;
  cancel?: () => void;
}

export class ContainerProber {
  private readonly options: ContainerProberOptions;
  private stopped = false;
  private startedFlag: boolean;
  private readyFlag: boolean;
  private readonly loops: Loop[] = [];
  /** Callbacks (reports) in flight: stop() waits for them, so nothing is reported after the caller moved on. Attempts are not waited for. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(options: ContainerProberOptions) {
    this.options = options;
    const { container } = options;
    this.startedFlag = options.started ?? container.startupProbe === undefined;
    this.readyFlag = options.ready ?? container.readinessProbe === undefined;
  }

  /** The startup probe has succeeded (or there is none). */
  get started(): boolean {
    return this.startedFlag;
  }

  /** The readiness probe's current result (true without a readiness probe). */
  get ready(): boolean {
    return this.readyFlag;
  }

  /** Whether the container has any probe at all. */
  static needed(container: Container): boolean {
    return container.startupProbe !== undefined || container.livenessProbe !== undefined || container.readinessProbe !== undefined;
  }

  start(): void {
    const { container } = this.options;
    if (!this.startedFlag && container.startupProbe) this.begin('startup', container.startupProbe);
    else this.beginMain();
  }

  /** Stops every loop; resolves once reports already under way are done. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const loop of this.loops) loop.cancel?.();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private beginMain(): void {
    const { container } = this.options;
    if (container.livenessProbe) this.begin('liveness', container.livenessProbe);
    if (container.readinessProbe) this.begin('readiness', container.readinessProbe);
  }

  private begin(kind: ProbeKind, probe: Probe): void {
    const loop: Loop = { kind, probe, timing: probeTiming(probe, kind), successes: 0, failures: 0 };
    this.loops.push(loop);
    const now = this.options.scheduler.now();
    this.schedule(loop, Math.max(0, this.options.startedAtMs + loop.timing.initialDelayMs - now));
  }

  private schedule(loop: Loop, delayMs: number): void {
    if (this.stopped) return;
    loop.cancel = this.options.scheduler.schedule(delayMs, () => {
      loop.cancel = undefined;
      this.runAttempt(loop).catch((error: unknown) => this.options.callbacks.onError?.(error));
    });
  }

  private async runAttempt(loop: Loop): Promise<void> {
    if (this.stopped) return;
    const began = this.options.scheduler.now();
    const result = await this.attempt(loop);
    if (this.stopped) return;
    const more = await this.record(loop, result);
    if (!more || this.stopped) return;
    this.schedule(loop, Math.max(0, began + loop.timing.periodMs - this.options.scheduler.now()));
  }

  /** The runtime's attempt, counted failed when it throws or hangs well past its timeout. */
  private attempt(loop: Loop): Promise<ActionResult> {
    const { scheduler, callbacks } = this.options;
    const timeoutMs = loop.timing.timeoutMs;
    return new Promise<ActionResult>((resolve) => {
      const cancel = scheduler.schedule(timeoutMs + ATTEMPT_SLACK_MS, () =>
        resolve({ success: false, message: `${loop.kind} probe did not answer within ${timeoutMs} ms` }),
      );
      callbacks.attempt(loop.kind, probeAction(loop.probe), timeoutMs).then(
        (result) => {
          cancel();
          resolve(result);
        },
        (error: unknown) => {
          cancel();
          resolve({ success: false, message: error instanceof Error ? error.message : String(error) });
        },
      );
    });
  }

  /** Applies one result; false when this loop ends. */
  private async record(loop: Loop, result: ActionResult): Promise<boolean> {
    const { callbacks } = this.options;
    if (result.success) {
      loop.failures = 0;
      loop.successes += 1;
      if (loop.successes < loop.timing.successThreshold) return true;
      if (loop.kind === 'startup') {
        this.startedFlag = true;
        await this.call(() => callbacks.onStartupSucceeded());
        if (!this.stopped) this.beginMain();
        return false;
      }
      if (loop.kind === 'readiness' && !this.readyFlag) {
        this.readyFlag = true;
        await this.call(() => callbacks.onReadinessChanged(true, undefined));
      }
      return true;
    }
    loop.successes = 0;
    loop.failures += 1;
    // One report per crossing: exactly when the run of failures reaches the threshold.
    if (loop.failures !== loop.timing.failureThreshold) return true;
    if (loop.kind === 'readiness') {
      await this.call(() => callbacks.onFailed('readiness', result.message, loop.failures, 'None'));
      if (this.readyFlag && !this.stopped) {
        this.readyFlag = false;
        await this.call(() => callbacks.onReadinessChanged(false, result.message));
      }
      return true;
    }
    // Liveness or startup: the container is killed; this instance is probed no more.
    this.stopped = true;
    for (const other of this.loops) other.cancel?.();
    await this.call(() => callbacks.onFailed(loop.kind, result.message, loop.failures, 'Restart'));
    return false;
  }

  /** Runs a callback, tracked so that stop() can wait for it. */
  private async call(fn: () => Promise<void>): Promise<void> {
    const task = fn();
    this.inFlight.add(task);
    try {
      await task;
    } finally {
      this.inFlight.delete(task);
    }
  }
}
