import type { Container, LifecycleHandler, Pod, Probe } from '@flotilla/model';

// The port the node agent drives. One implementation simulates (sim-runtime.ts); a process runtime
// with a network namespace per pod must fit the same shape, so nothing here is sim-specific.

/** Which part of the pod a container is: a regular init container, a native sidecar, or an app container. */
export type ContainerKind = 'init' | 'sidecar' | 'app';

/** StartError: the command could not be executed (exit code 128), as containerd reports it. */
export type ContainerExitReason = 'Completed' | 'Error' | 'OOMKilled' | 'StartError';

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
  /** The node the pod runs on, and its pod CIDR (a per-node bridge takes the CIDR's first address). */
  node: { name: string; podCIDR: string };
}

/** What createSandbox built. */
export interface SandboxInfo {
  /**
   * The address the pod is reachable at. Usually `options.podIP`; a runtime that cannot give the pod
   * its own network (the process runtime without root) answers the address it used instead.
   */
  podIP: string;
}

/** A sandbox found on this host (after an agent restart): the agent keeps those of pods bound here and removes the rest. */
export interface SandboxRef {
  uid: string;
  namespace: string;
  name: string;
  nodeName: string;
}

/** The probe's handler and timeout (thresholds and periods are the agent's business). */
export type ProbeAction = Pick<Probe, 'exec' | 'httpGet' | 'tcpSocket' | 'grpc'>;

export type ActionResult = { success: true; message?: string } | { success: false; message: string };

export interface LogReadOptions {
  /** The instance before the current one (`kubectl logs --previous`). */
  previous: boolean;
  /** Only the last N lines (of the chosen instance). */
  tailLines?: number;
  /** Keep the iterator open and yield new output until the container instance exits or `signal` aborts. */
  follow: boolean;
  /** Prefix each line with its RFC 3339 time, as `kubectl logs --timestamps`. */
  timestamps: boolean;
  signal?: AbortSignal;
}

/** The requested log does not exist: `reason` says why, in Kubernetes' words. */
export class ContainerLogsNotFoundError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ContainerLogsNotFoundError';
  }
}

export interface ContainerRuntime {
  /** 'sim', 'process', ... ; shown as the node's `node.flotilla.io/runtime` label. */
  readonly mode: string;
  /** Version string for `status.nodeInfo.containerRuntimeVersion`, e.g. `sim://0.1.0`. */
  readonly version: string;
  /** Labels the node carries because of this runtime, e.g. `node.flotilla.io/pod-network: netns`. */
  readonly nodeLabels: Readonly<Record<string, string>>;
  /** Builds the pod's sandbox (network, volumes). Idempotent: again with the same IP re-attaches. */
  createSandbox(pod: Pod, options: SandboxOptions): Promise<SandboxInfo>;
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
  /** Sandboxes that exist on this host for the given nodes (the agent's own), e.g. left by an agent that was killed. */
  listSandboxes(nodeNames: ReadonlySet<string>): Promise<SandboxRef[]>;
  /** Removes a sandbox found by listSandboxes that no pod owns any more: kills what still runs in it first. */
  removeOrphanSandbox(ref: SandboxRef): Promise<void>;
  /** Runs one probe attempt against a running container; a timeout is a failure. */
  probe(pod: Pod, container: Container, action: ProbeAction, timeoutMs: number): Promise<ActionResult>;
  /** Runs a lifecycle hook (preStop, postStart) against a running container. */
  runHook(pod: Pod, container: Container, handler: LifecycleHandler, timeoutMs: number, signal?: AbortSignal): Promise<ActionResult>;
  /**
   * The container's output (stdout and stderr interleaved, as written), in chunks of whole lines.
   * Rejects with ContainerLogsNotFoundError when there is none to read (never started, no previous).
   */
  readLogs(pod: Pod, container: Container, options: LogReadOptions): AsyncIterable<string>;
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
