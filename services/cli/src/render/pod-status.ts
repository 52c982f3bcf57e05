import type { Container, ContainerStatus, Pod } from '@flotilla/model';
import { since } from './duration.ts';

// The READY, STATUS and RESTARTS columns as kubectl's printPod computes them.

export interface PodSummary {
  /** `ready/total`; restartable init containers (sidecars) count toward both. */
  ready: string;
  status: string;
  /** `N` or `N (5m ago)`. */
  restarts: string;
  restartCount: number;
}

const isRestartable = (container: Container | undefined): boolean => container?.restartPolicy === 'Always';

export function summarizePod(pod: Pod, now: Date): PodSummary {
  const spec = pod.spec;
  const status = pod.status ?? {};
  const phase = status.phase ?? 'Pending';
  let reason: string = status.reason || phase;
  if (status.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) reason = 'SchedulingGated';

  let restarts = 0;
  let restartableInitRestarts = 0;
  let totalContainers = spec.containers.length;
  let readyContainers = 0;
  let lastRestart = 0;
  let lastRestartableInitRestart = 0;

  const initContainers = new Map<string, Container>();
  for (const container of spec.initContainers ?? []) {
    initContainers.set(container.name, container);
    if (isRestartable(container)) totalContainers++;
  }

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (let i = 0; i < initStatuses.length; i++) {
    const container = initStatuses[i]!;
    restarts += container.restartCount;
    const finished = finishedAt(container);
    if (finished > lastRestart) lastRestart = finished;
    const restartable = isRestartable(initContainers.get(container.name));
    if (restartable) {
      restartableInitRestarts += container.restartCount;
      if (finished > lastRestartableInitRestart) lastRestartableInitRestart = finished;
    }
    const terminated = container.state?.terminated;
    const waiting = container.state?.waiting;
    if (terminated && terminated.exitCode === 0) continue;
    if (restartable && container.started === true) {
      if (container.ready) readyContainers++;
      continue;
    }
    if (terminated) {
      if (!terminated.reason) {
        reason = terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
      } else {
        reason = `Init:${terminated.reason}`;
      }
      initializing = true;
    } else if (waiting && waiting.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
      initializing = true;
    } else {
      reason = `Init:${i}/${spec.initContainers?.length ?? 0}`;
      initializing = true;
    }
    break;
  }

  const initialized = status.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True') ?? false;
  if (!initializing || initialized) {
    restarts = restartableInitRestarts;
    lastRestart = lastRestartableInitRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = statuses[i]!;
      restarts += container.restartCount;
      const finished = finishedAt(container);
      if (finished > lastRestart) lastRestart = finished;
      const waiting = container.state?.waiting;
      const terminated = container.state?.terminated;
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated) reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
      else if (container.ready && container.state?.running) {
        hasRunning = true;
        readyContainers++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const ready = status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      reason = ready ? 'Running' : 'NotReady';
    }
  }

  const terminal = phase === 'Succeeded' || phase === 'Failed';
  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && !terminal) reason = 'Terminating';

  let restartText = String(restarts);
  if (restarts !== 0 && lastRestart > 0) restartText = `${restarts} (${since(new Date(lastRestart).toISOString(), now)} ago)`;

  return { ready: `${readyContainers}/${totalContainers}`, status: reason, restarts: restartText, restartCount: restarts };
}

function finishedAt(status: ContainerStatus): number {
  const finished = status.lastState?.terminated?.finishedAt;
  if (!finished) return 0;
  const ms = Date.parse(finished);
  return Number.isNaN(ms) ? 0 : ms;
}

/** The node a pod runs on: spec.nodeName once bound (Kubernetes), or status.nodeName. */
export function podNodeName(pod: Pod): string | undefined {
  return pod.spec.nodeName || pod.status?.nodeName || undefined;
}

export function podIP(pod: Pod): string | undefined {
  return pod.status?.podIPs?.[0]?.ip || pod.status?.podIP || undefined;
}
