import type { Container, Pod } from '@flotilla/model';

// The port the node agent drives. One implementation simulates (sim-runtime.ts); a process runtime
// with a network namespace per pod must fit the same shape, so nothing here is sim-specific.

/** Which part of the pod a container is: a regular init container, a native sidecar, or an app container. */
export type ContainerKind = 'init' | 'sidecar' | 'app';

export type ContainerExitReason = 'Completed' | 'Error' | 'OOMKilled';

/** How a container ended. `Completed` means exit code 0. */
export interface ContainerExit {
  exitCode: number;
  reason: ContainerExitReason;
  message?: string;
  finishedAt: Date;
}

/** A started container. `exited` resolves exactly once, whether it exits by itself or through stop(). */
export interface RunningContainer {
  startedAt: Date;
  exited: Promise<ContainerExit>;
  /**
   * SIGTERM, then SIGKILL once `gracePeriodMs` has passed. Resolves when the container has exited
   * (then `exited` has resolved too). Calling it again, or after the exit, is harmless.
   */
  stop(gracePeriodMs: number): Promise<void>;
}

export interface SandboxOptions {
  /** The pod's IP from the node's pod CIDR, shared by all its containers. */
  podIP: string;
}

export interface ContainerRuntime {
  /** 'sim', 'process', ... ; shown as the node's `node.flotilla.io/runtime` label. */
  readonly mode: string;
  /** Version string for `status.nodeInfo.containerRuntimeVersion`, e.g. `sim://0.1.0`. */
  readonly version: string;
  /** Builds the pod's sandbox (network, volumes). Idempotent: again with the same IP re-attaches. */
  createSandbox(pod: Pod, options: SandboxOptions): Promise<void>;
  /**
   * Starts one container inside the pod's sandbox and resolves once it runs. `signal` aborts a start
   * still in progress (it rejects with an AbortError); a started container is stopped with stop().
   */
  startContainer(pod: Pod, container: Container, kind: ContainerKind, signal: AbortSignal): Promise<RunningContainer>;
  /**
   * Re-attaches to a container that was running before the node agent restarted (the fold says it
   * started at `startedAt`). Undefined when it no longer exists; the agent then reports it lost.
   */
  attachContainer(pod: Pod, container: Container, kind: ContainerKind, startedAt: Date): Promise<RunningContainer | undefined>;
  /** Tears the sandbox down (every container must have exited). Idempotent. */
  removeSandbox(pod: Pod): Promise<void>;
}

/** The error a start aborted through its signal rejects with. */
export class ContainerStartAbortedError extends Error {
  constructor(pod: string, container: string, options?: ErrorOptions) {
    super(`start of container ${container} of pod ${pod} was aborted`, options);
    this.name = 'AbortError';
  }
}

/**
 * A container could not be started. `reason` is the waiting reason the node reports
 * (CreateContainerConfigError, CreateContainerError, RunContainerError); the agent retries with back-off.
 */
export class ContainerStartError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ContainerStartError';
    this.reason = reason;
  }
}
