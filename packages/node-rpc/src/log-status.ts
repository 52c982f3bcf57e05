import type { Container, ContainerStatus, Pod } from '@flotilla/model';

// Whether a container has a log to read, judged from the pod's status as the fold holds it, in the
// words the kubelet uses (pkg/kubelet/kubelet_pods.go validateContainerLogStatus). The API checks
// this before asking a node, the node agent again before reading: both fold the same log.

/** The spec of the container (init containers and sidecars included), or undefined. */
export function findContainer(pod: Pod, name: string): Container | undefined {
  return pod.spec.containers.find((c) => c.name === name) ?? (pod.spec.initContainers ?? []).find((c) => c.name === name);
}

/** App container names and init container names (sidecars among them), in spec order. */
export function containerNames(pod: Pod): { containers: string[]; initContainers: string[] } {
  return { containers: pod.spec.containers.map((c) => c.name), initContainers: (pod.spec.initContainers ?? []).map((c) => c.name) };
}

/**
 * Why there is no log to read for `container` (which must exist in the spec), or undefined when
 * there may be one. Without a status yet (not bound, no sandbox) the container is waiting to start.
 */
export function containerLogStatusProblem(pod: Pod, container: string, previous: boolean): string | undefined {
  const podName = pod.metadata.name;
  const status = statusOf(pod, container);
  const waitingReason = (pod.spec.initContainers ?? []).length > 0 ? 'PodInitializing' : 'ContainerCreating';
  const lastTerminated = status?.lastState?.terminated !== undefined;
  if (previous) {
    return lastTerminated ? undefined : `previous terminated container "${container}" in pod "${podName}" not found`;
  }
  if (!status) return `container "${container}" in pod "${podName}" is waiting to start: ${waitingReason}`;
  const state = status.state ?? {};
  if (state.running || state.terminated || lastTerminated) return undefined;
  if (state.waiting) return `container "${container}" in pod "${podName}" is waiting to start: ${state.waiting.reason ?? waitingReason}`;
  return `container "${container}" in pod "${podName}" is waiting to start - no logs yet`;
}

function statusOf(pod: Pod, container: string): ContainerStatus | undefined {
  const all = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])];
  return all.find((s) => s.name === container);
}
