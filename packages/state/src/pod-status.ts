import { isSidecar } from '@flotilla/model';
import type { Container, ContainerStatus, PodCondition, PodPhase, PodSpec, PodStatus } from '@flotilla/model';

export interface PhaseOptions {
  /**
   * The pod's containers will not be restarted any more: deletion was requested (its node is stopping
   * it) or its sandbox is gone. When every app container has stopped, the pod is then terminal
   * (Succeeded if all exited 0, else Failed) whatever its restartPolicy, as the kubelet decides for
   * a pod it has terminated.
   */
  stopping?: boolean;
}

export function isTerminalPhase(phase: string | undefined): phase is 'Succeeded' | 'Failed' {
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * The pod phase the way the kubelet derives it (getPhase), from the spec and the observed status.
 *
 * - Terminal phases are final.
 * - Not scheduled (no PodScheduled=True), or no sandbox yet: Pending.
 * - A regular init container failed and will not be retried (restartPolicy Never, or stopping): Failed.
 * - A regular init container has not completed, or a sidecar has not started: Pending.
 * - An app container has never started: Pending. One is running: Running.
 * - All app containers stopped: Succeeded if all exited 0 (unless Always restarts them: Running);
 *   otherwise Failed under Never, Running (restarting) under OnFailure and Always.
 *
 * Sidecars (init containers with restartPolicy Always) never keep a pod from completing.
 */
export function derivePodPhase(spec: PodSpec, status: PodStatus, options: PhaseOptions = {}): PodPhase {
  if (isTerminalPhase(status.phase)) return status.phase;
  if (conditionStatus(status.conditions, 'PodScheduled') !== 'True') return 'Pending';
  const sandbox = conditionStatus(status.conditions, 'PodReadyToStartContainers');
  const stopping = options.stopping === true || sandbox === 'False';
  if (sandbox !== 'True' && !stopping) return 'Pending';

  const restartPolicy = spec.restartPolicy ?? 'Always';
  const initStatuses = byName(status.initContainerStatuses);
  let pendingInit = 0;
  let failedInit = 0;
  for (const container of spec.initContainers ?? []) {
    const containerStatus = initStatuses.get(container.name);
    if (isSidecar(container)) {
      if (!sidecarHasStarted(containerStatus)) pendingInit++;
      continue;
    }
    const state = containerStatus?.state;
    if (state?.terminated) {
      if (state.terminated.exitCode !== 0) failedInit++;
    } else if (state?.waiting && containerStatus?.lastState?.terminated) {
      // Waiting to be restarted after a failure.
      if (containerStatus.lastState.terminated.exitCode !== 0) failedInit++;
    } else {
      pendingInit++;
    }
  }
  if (failedInit > 0 && (restartPolicy === 'Never' || stopping)) return 'Failed';
  if (pendingInit > 0) return 'Pending';

  const appStatuses = byName(status.containerStatuses);
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  let unknown = 0;
  for (const container of spec.containers) {
    const containerStatus = appStatuses.get(container.name);
    const state = containerStatus?.state;
    if (state?.running) running++;
    else if (state?.terminated) {
      stopped++;
      if (state.terminated.exitCode === 0) succeeded++;
    } else if (state?.waiting) {
      // Waiting after having run (CrashLoopBackOff) counts as stopped; waiting to start for the first time does not.
      if (containerStatus?.lastState?.terminated) stopped++;
      else waiting++;
    } else unknown++;
  }
  if (waiting > 0 || unknown > 0) return 'Pending';
  if (running > 0) return 'Running';
  if (stopped === 0) return 'Pending';
  if (stopping) return succeeded === stopped ? 'Succeeded' : 'Failed';
  if (restartPolicy === 'Always') return 'Running';
  if (succeeded === stopped) return 'Succeeded';
  if (restartPolicy === 'Never') return 'Failed';
  return 'Running';
}

/**
 * The pod's conditions, in the order the kubelet lists them. PodScheduled and
 * PodReadyToStartContainers are facts the fold records from events (a binding, a sandbox) and are
 * carried over from `status.conditions`; Initialized, ContainersReady and Ready are derived from the
 * container statuses once the pod has a sandbox (as the kubelet adds them on its first sync).
 * `lastTransitionTime` changes to `time` only when a condition's status changes.
 * Conditions of other types (DisruptionTarget, ...) are kept as they are.
 */
export function derivePodConditions(spec: PodSpec, status: PodStatus, time: string): PodCondition[] {
  const previous = status.conditions ?? [];
  const out: PodCondition[] = [];
  const sandbox = findCondition(previous, 'PodReadyToStartContainers');
  if (sandbox) {
    out.push(sandbox);
    out.push(transition(previous, initializedCondition(spec, status), time));
    const containersReady = containersReadyCondition(spec, status);
    out.push(transition(previous, { ...containersReady, type: 'Ready' }, time));
    out.push(transition(previous, containersReady, time));
  }
  const scheduled = findCondition(previous, 'PodScheduled');
  if (scheduled) out.push(scheduled);
  for (const condition of previous) if (!DERIVED_TYPES.has(condition.type)) out.push(condition);
  return out;
}

const DERIVED_TYPES = new Set(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);

/** A condition without its transition time (PodCondition has an index signature, so Omit would lose the keys). */
export interface ConditionFields {
  type: string;
  status: PodCondition['status'];
  reason?: string;
  message?: string;
}

function initializedCondition(spec: PodSpec, status: PodStatus): ConditionFields {
  const statuses = byName(status.initContainerStatuses);
  const unknown: string[] = [];
  const incomplete: string[] = [];
  for (const container of spec.initContainers ?? []) {
    const containerStatus = statuses.get(container.name);
    if (!containerStatus) unknown.push(container.name);
    else if (isSidecar(container)) {
      if (containerStatus.started !== true) incomplete.push(container.name);
    } else if (containerStatus.state?.terminated?.exitCode !== 0) incomplete.push(container.name);
  }
  if (status.phase === 'Succeeded' && unknown.length === 0) return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  // Once an app container has run, the pod was initialized, even while a sidecar restarts.
  if (anyAppContainerStarted(spec, status)) return { type: 'Initialized', status: 'True' };
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${list(unknown)}`);
  if (incomplete.length > 0) messages.push(`containers with incomplete status: ${list(incomplete)}`);
  if (messages.length > 0) return { type: 'Initialized', status: 'False', reason: 'ContainersNotInitialized', message: messages.join(', ') };
  return { type: 'Initialized', status: 'True' };
}

function containersReadyCondition(spec: PodSpec, status: PodStatus): ConditionFields {
  const unknown: string[] = [];
  const unready: string[] = [];
  const check = (containers: readonly Container[], statuses: Map<string, ContainerStatus>): void => {
    for (const container of containers) {
      const containerStatus = statuses.get(container.name);
      if (!containerStatus) unknown.push(container.name);
      else if (!containerStatus.ready) unready.push(container.name);
    }
  };
  check((spec.initContainers ?? []).filter(isSidecar), byName(status.initContainerStatuses));
  check(spec.containers, byName(status.containerStatuses));
  if (status.phase === 'Succeeded' && unknown.length === 0) return { type: 'ContainersReady', status: 'False', reason: 'PodCompleted' };
  // A failed pod's containers may still be stopping: not ready, whatever they last reported.
  if (status.phase === 'Failed') return { type: 'ContainersReady', status: 'False', reason: 'PodFailed' };
  const messages: string[] = [];
  if (unknown.length > 0) messages.push(`containers with unknown status: ${list(unknown)}`);
  if (unready.length > 0) messages.push(`containers with unready status: ${list(unready)}`);
  if (messages.length > 0) return { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady', message: messages.join(', ') };
  return { type: 'ContainersReady', status: 'True' };
}

function anyAppContainerStarted(spec: PodSpec, status: PodStatus): boolean {
  const statuses = byName(status.containerStatuses);
  return spec.containers.some((container) => {
    const containerStatus = statuses.get(container.name);
    return Boolean(containerStatus?.state?.running || containerStatus?.state?.terminated || containerStatus?.lastState?.terminated);
  });
}

function sidecarHasStarted(status: ContainerStatus | undefined): boolean {
  if (!status) return false;
  if (status.state?.running) return status.started !== false;
  // A sidecar that ran and stopped (or waits to restart) does not hold the pod back any more.
  return Boolean(status.state?.terminated || status.lastState?.terminated);
}

/** Go's `%s` of a string slice, as Kubernetes messages print it: `[a b]`. */
function list(names: readonly string[]): string {
  return `[${names.join(' ')}]`;
}

function byName(statuses: readonly ContainerStatus[] | undefined): Map<string, ContainerStatus> {
  const map = new Map<string, ContainerStatus>();
  for (const status of statuses ?? []) map.set(status.name, status);
  return map;
}

export function findCondition(conditions: readonly PodCondition[] | undefined, type: string): PodCondition | undefined {
  return conditions?.find((condition) => condition.type === type);
}

export function conditionStatus(conditions: readonly PodCondition[] | undefined, type: string): PodCondition['status'] | undefined {
  return findCondition(conditions, type)?.status;
}

/** The condition as given, with the previous lastTransitionTime when its status did not change. */
function transition(previous: readonly PodCondition[], next: ConditionFields, time: string): PodCondition {
  const before = findCondition(previous, next.type);
  const lastTransitionTime = before && before.status === next.status ? (before.lastTransitionTime ?? time) : time;
  if (before && before.status === next.status && before.reason === next.reason && before.message === next.message) return before;
  return { ...next, lastTransitionTime };
}

/**
 * Returns `conditions` with one condition set (added or replaced in place), keeping its
 * lastTransitionTime when its status is unchanged. Never mutates the input.
 */
export function setCondition(conditions: readonly PodCondition[] | undefined, next: ConditionFields, time: string): PodCondition[] {
  const previous = conditions ?? [];
  const updated = transition(previous, next, time);
  const index = previous.findIndex((condition) => condition.type === next.type);
  if (index === -1) return [...previous, updated];
  const out = [...previous];
  out[index] = updated;
  return out;
}
