import { addResources, isSidecar, nodeAllocatable, subtractResources, DEFAULT_SCHEDULER_NAME, PODS } from '@flotilla/model';
import type { Container, ContainerStatus, Node, Pod, PodSpec, PodStatus } from '@flotilla/model';
import type { EventData, FlotillaRecord } from '@flotilla/events';
import type { ChangeType, ClusterState, FoldOptions, KubeEvent, NodeRecord, PodRecord, SchedulingRecord, StateChange } from './cluster-state.ts';
import { judgeBinding } from './binding.ts';
import { kubeEvent, kubeEventKey } from './kube-events.ts';
import type { KubeEventInput } from './kube-events.ts';
import { podHostPorts, podQosClass, podRequest } from './pod-resources.ts';
import { isPodPending, podIndex, reindexPod } from './pod-index.ts';
import { PodCidrAllocator } from './pod-cidr.ts';
import type { PodIndex } from './pod-index.ts';
import { conditionStatus, derivePodConditions, derivePodPhase, findCondition, isTerminalPhase, setCondition } from './pod-status.ts';

export const DEFAULT_MAX_EVENTS = 10_000;
/** kubelet's default --max-pods, used when a node does not state its pod capacity. */
export const DEFAULT_NODE_MAX_PODS = 110;

export function createClusterState(options: Partial<FoldOptions> = {}): ClusterState {
  return {
    seq: 0,
    pods: new Map(),
    nodes: new Map(),
    events: [],
    options: { maxEvents: options.maxEvents ?? DEFAULT_MAX_EVENTS },
    podCidrs: new PodCidrAllocator(),
  };
}

export function podKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * Applies one record of the log to `state`, in place, and returns what changed for watchers.
 *
 * Deterministic and free of side effects beyond `state`: no I/O, no clock (times come from the
 * envelope), no randomness, so every process folding the same log reaches the same state. It mutates
 * rather than copies so that a 50k-pod cluster folds at O(size of one pod) per event. Objects handed
 * out (pods, nodes, events; also in the returned changes) are never mutated afterwards: a change
 * replaces them, so watchers can keep references.
 *
 * Records at or below `state.seq` are ignored (idempotent replay). Records the fold judges invalid (a
 * binding that lost a race, status from a node the pod is not bound to) change nothing but `state.seq`,
 * except that a rejected binding is recorded on the pod (if it still exists) and as a Warning Event.
 */
export function applyEvent(state: ClusterState, record: FlotillaRecord): StateChange[] {
  if (record.seq <= state.seq) return [];
  const fold = new Fold(state, record.seq, record.event.time);
  const event = record.event;
  switch (event.type) {
    case 'NodeRegistered':
      fold.nodeRegistered(event.data);
      break;
    case 'NodeUpdated':
      fold.nodeUpdated(event.data);
      break;
    case 'NodeRemoved':
      fold.nodeRemoved(event.data);
      break;
    case 'PodCreated':
      fold.podCreated(event.data);
      break;
    case 'PodBound':
      fold.podBound(event.data);
      break;
    case 'PodSchedulingFailed':
      fold.podSchedulingFailed(event.data);
      break;
    case 'PodNominated':
      fold.podNominated(event.data);
      break;
    case 'PodAdmissionRejected':
      fold.podAdmissionRejected(event.data);
      break;
    case 'PodSandboxReady':
      fold.podSandboxReady(event.data);
      break;
    case 'ContainerStarted':
      fold.containerStarted(event.data);
      break;
    case 'ContainerWaiting':
      fold.containerWaiting(event.data);
      break;
    case 'ContainerTerminated':
      fold.containerTerminated(event.data);
      break;
    case 'ContainerReadinessChanged':
      fold.containerReadinessChanged(event.data);
      break;
    case 'ContainerStartupProbeSucceeded':
      fold.containerStartupProbeSucceeded(event.data);
      break;
    case 'ContainerProbeFailed':
      fold.containerProbeFailed(event.data);
      break;
    case 'PodDeletionRequested':
      fold.podDeletionRequested(event.data);
      break;
    case 'PodSandboxRemoved':
      fold.podSandboxRemoved(event.data);
      break;
    case 'PodDeleted':
      fold.podDeleted(event.data);
      break;
    default: {
      // A type this build does not know (written by a newer one): skip it, keep the position.
      const _unknown: never = event;
      break;
    }
  }
  state.seq = record.seq;
  return fold.changes;
}

/** applyEvent, returning the state: `evolve(state, record) -> state`. */
export function evolve(state: ClusterState, record: FlotillaRecord): ClusterState {
  applyEvent(state, record);
  return state;
}

/** Folds records, in order, into a fresh state. */
export function foldAll(records: Iterable<FlotillaRecord>, options?: Partial<FoldOptions>): ClusterState {
  const state = createClusterState(options);
  for (const record of records) applyEvent(state, record);
  return state;
}

type PodRef = { namespace: string; name: string; uid: string };
type OnNodeRef = PodRef & { nodeName: string };
type ContainerEventData = EventData<'ContainerStarted'> | EventData<'ContainerWaiting'> | EventData<'ContainerTerminated'>;
type ContainerRef = OnNodeRef & { container: string };
type ProbeEventData = EventData<'ContainerReadinessChanged'> | EventData<'ContainerStartupProbeSucceeded'> | EventData<'ContainerProbeFailed'>;

/** One container of a pod on its node, found from a node's report. */
interface ContainerTarget {
  record: PodRecord;
  container: Container;
  /** In spec.initContainers (sidecars included): its status lives in initContainerStatuses. */
  isInit: boolean;
  /** The status the fold has for it (a blank one if none yet). */
  previous: ContainerStatus;
}

/** One application of one record: the state, the log position and time, and the changes so far. */
class Fold {
  readonly changes: StateChange[] = [];
  private readonly index: PodIndex;
  private kubeEvents = 0;

  constructor(
    private readonly state: ClusterState,
    private readonly seq: number,
    private readonly time: string,
  ) {
    this.index = podIndex(state);
  }

  // ---- nodes ----------------------------------------------------------------------------------

  nodeRegistered({ node }: EventData<'NodeRegistered'>): void {
    const allocatable = tryCount(() => nodeAllocatable(node.status));
    // A payload the API should never have accepted must not wedge every projection: skip it.
    if (!allocatable) return;
    if (allocatable[PODS] === undefined) allocatable[PODS] = DEFAULT_NODE_MAX_PODS;
    const name = node.metadata.name;
    const existing = this.state.nodes.get(name);
    const podCIDR = this.podCidrFor(node, existing);
    const object = this.versioned(podCIDR === undefined ? node : { ...node, spec: { ...node.spec, podCIDR, podCIDRs: [podCIDR] } });
    if (existing) {
      // Re-registration (agent restart): new object and capacity; the pods bound here stay, and so
      // does their accounting, even if that now exceeds the new allocatable.
      existing.node = object;
      existing.allocatable = allocatable;
      existing.resourceVersion = this.seq;
      this.nodeChanged(existing, 'MODIFIED');
      return;
    }
    const record: NodeRecord = {
      node: object,
      resourceVersion: this.seq,
      allocatable,
      requested: {},
      podKeys: new Set(),
      hostPorts: new Set(),
      podIPs: new Map(),
    };
    // A node that comes back under a name that was removed finds the pods still bound to that name.
    for (const key of this.index.byNode.get(name) ?? []) {
      const pod = this.state.pods.get(key);
      if (!pod) continue;
      if (!pod.released) hold(record, pod);
      const ip = pod.pod.status?.podIP;
      if (ip !== undefined && conditionStatus(pod.pod.status?.conditions, 'PodReadyToStartContainers') === 'True') {
        record.podIPs.set(ip, key);
      }
    }
    this.state.nodes.set(name, record);
    this.nodeChanged(record, 'ADDED');
  }

  /** The node's own range if it brought one, else the one it had, else the lowest free /24. */
  private podCidrFor(node: Node, existing: NodeRecord | undefined): string | undefined {
    const own = node.spec.podCIDR;
    if (own !== undefined) {
      this.state.podCidrs.reserve(node.metadata.name, own);
      return own;
    }
    return existing?.node.spec.podCIDR ?? this.state.podCidrs.allocate(node.metadata.name);
  }

  nodeUpdated(data: EventData<'NodeUpdated'>): void {
    const record = this.state.nodes.get(data.name);
    if (!record) return;
    const node = record.node;
    const metadata = data.labels !== undefined ? { ...node.metadata, labels: data.labels } : node.metadata;
    const spec = {
      ...node.spec,
      ...(data.taints !== undefined ? { taints: data.taints } : {}),
      ...(data.unschedulable !== undefined ? { unschedulable: data.unschedulable } : {}),
    };
    record.node = this.versioned({ ...node, metadata, spec });
    record.resourceVersion = this.seq;
    this.nodeChanged(record, 'MODIFIED');
  }

  nodeRemoved(data: EventData<'NodeRemoved'>): void {
    const record = this.state.nodes.get(data.name);
    if (!record) return;
    this.state.nodes.delete(data.name);
    record.node = this.versioned(record.node);
    record.resourceVersion = this.seq;
    this.nodeChanged(record, 'DELETED');
    // Pods bound here stay bound to the name (see orphanedPods): evicting them is a controller's
    // decision, which it appends as events of its own.
    const bound = this.index.byNode.get(data.name)?.size ?? 0;
    const node = record.node;
    this.emit({
      involvedObject: { kind: 'Node', name: data.name, uid: node.metadata.uid },
      reason: 'RemovingNode',
      message:
        `Node ${data.name} event: Removing Node ${data.name} from Controller` +
        (data.reason !== undefined ? ` (${data.reason})` : '') +
        (bound > 0 ? `; ${bound} pod(s) are still bound to it` : ''),
      type: 'Normal',
      source: { component: 'node-controller' },
    });
  }

  // ---- pods: creation, scheduling ---------------------------------------------------------------

  podCreated({ pod }: EventData<'PodCreated'>): void {
    const key = podKey(pod.metadata.namespace, pod.metadata.name);
    // The API checks for a name clash first; if two creates raced, the first in the log wins.
    if (this.state.pods.has(key)) return;
    const derived = tryCount(() => ({ request: podRequest(pod.spec), qosClass: podQosClass(pod.spec) }));
    if (!derived) return;
    const record: PodRecord = {
      pod,
      key,
      resourceVersion: this.seq,
      request: derived.request,
      hostPorts: podHostPorts(pod.spec),
      schedulingAttempts: 0,
      released: false,
      ...(pod.spec.nodeName !== undefined && pod.spec.nodeName !== '' ? { requestedNodeName: pod.spec.nodeName } : {}),
    };
    this.state.pods.set(key, record);
    this.commit(record, { ...pod, status: { phase: 'Pending', conditions: [], qosClass: derived.qosClass } }, 'ADDED');
  }

  podBound(data: EventData<'PodBound'>): void {
    const key = podKey(data.namespace, data.name);
    const record = this.state.pods.get(key);
    const verdict = judgeBinding(this.state, data);
    const schedulerName = data.schedulerName || DEFAULT_SCHEDULER_NAME;
    if (!record || record.pod.metadata.uid !== data.uid) {
      // No pod of that uid to record it on: the Event is the only trace of the stale decision.
      if (!verdict.accepted) {
        this.emit({
          involvedObject: { kind: 'Pod', namespace: data.namespace, name: data.name, uid: data.uid },
          reason: 'BindingRejected',
          message: `Binding to node ${data.nodeName} rejected (${verdict.reason}): ${verdict.message}`,
          type: 'Warning',
          source: { component: schedulerName },
        });
      }
      return;
    }
    record.schedulingAttempts += 1;
    const pod = record.pod;
    // The record of the binding that took effect stays: a loser's rejected binding does not replace it.
    if (record.nodeName === undefined) {
      record.lastScheduling = schedulingRecord(this.seq, data, verdict.accepted ? 'Bound' : 'Rejected', verdict.accepted ? undefined : verdict.message);
    }
    if (!verdict.accepted) {
      record.lastBindingRejection = { seq: this.seq, nodeName: data.nodeName, reason: verdict.reason, message: verdict.message };
      // The object is unchanged, but its resourceVersion moves so that the scheduler waiting on its
      // binding sees the outcome.
      this.commit(record, pod);
      this.emit({
        involvedObject: podObject(pod),
        reason: 'BindingRejected',
        message: `Binding to node ${data.nodeName} rejected (${verdict.reason}): ${verdict.message}`,
        type: 'Warning',
        source: { component: schedulerName },
      });
      return;
    }
    const node = this.state.nodes.get(data.nodeName);
    if (!node) return; // judgeBinding accepted, so the node exists; this keeps the types honest.
    record.nodeName = data.nodeName;
    record.boundSeq = this.seq;
    record.released = false;
    delete record.unschedulableMessage;
    hold(node, record);
    // A nomination only holds room until the pod is placed (wherever that is).
    const { nominatedNodeName: _nominated, ...status } = pod.status ?? {};
    this.commit(record, {
      ...pod,
      spec: { ...pod.spec, nodeName: data.nodeName },
      status: { ...status, conditions: setCondition(status.conditions, { type: 'PodScheduled', status: 'True' }, this.time) },
    });
    this.emit({
      involvedObject: podObject(pod),
      reason: 'Scheduled',
      message: `Successfully assigned ${key} to ${data.nodeName}`,
      type: 'Normal',
      source: { component: schedulerName },
    });
  }

  podSchedulingFailed(data: EventData<'PodSchedulingFailed'>): void {
    const record = this.podWithUid(data);
    if (!record) return;
    record.schedulingAttempts += 1;
    const pod = record.pod;
    // A scheduler that lost the race to another replica's binding: only the attempt counts.
    if (record.nodeName !== undefined || isTerminalPhase(pod.status?.phase)) return;
    record.unschedulableMessage = data.message;
    record.lastScheduling = schedulingRecord(this.seq, data, 'Unschedulable', data.message);
    const status = withNomination(pod.status ?? {}, data.nominatedNodeName);
    const conditions = setCondition(
      status.conditions,
      { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: data.message },
      this.time,
    );
    this.commit(record, { ...pod, status: { ...status, conditions } });
    this.emit({
      involvedObject: podObject(pod),
      reason: 'FailedScheduling',
      message: data.message,
      type: 'Warning',
      source: { component: data.schedulerName || DEFAULT_SCHEDULER_NAME },
    });
  }

  /**
   * Preemption chose a node for the pod: it is nominated there (while still pending) and each victim
   * that still exists gets kube-scheduler's `Preempted` Event. The victims' deletion is their own
   * PodDeletionRequested events, appended before this one.
   */
  podNominated(data: EventData<'PodNominated'>): void {
    const schedulerName = data.schedulerName || DEFAULT_SCHEDULER_NAME;
    const record = this.podWithUid(data);
    // A pod placed, finished or deleting meanwhile (another replica won) keeps no nomination.
    if (record && isPodPending(record)) {
      const pod = record.pod;
      this.commit(record, { ...pod, status: withNomination(pod.status ?? {}, data.nodeName) });
    }
    for (const victim of data.victims) {
      const target = this.podWithUid(victim);
      if (!target) continue;
      this.emit({
        involvedObject: podObject(target.pod),
        reason: 'Preempted',
        message: `Preempted by pod ${data.uid} on node ${data.nodeName}`,
        type: 'Normal',
        source: { component: schedulerName },
      });
    }
  }

  podAdmissionRejected(data: EventData<'PodAdmissionRejected'>): void {
    const record = this.podOnNode(data);
    if (!record) return;
    const pod = record.pod;
    if (isTerminalPhase(pod.status?.phase)) return;
    this.releaseNode(record);
    this.freeIP(record);
    const previousNodeName = data.nodeName;
    delete record.nodeName;
    delete record.boundSeq;
    record.released = false;
    record.lastBindingRejection = { seq: this.seq, nodeName: data.nodeName, reason: 'AdmissionRejected', message: data.message };
    const { nodeName: _chosen, ...unboundSpec } = pod.spec;
    const spec: PodSpec = record.requestedNodeName !== undefined ? { ...unboundSpec, nodeName: record.requestedNodeName } : unboundSpec;
    // Back to what a pending pod shows: no node-side status survives the unbinding.
    const status: PodStatus = {
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: data.reason, message: data.message, lastTransitionTime: this.time }],
      ...(pod.status?.qosClass !== undefined ? { qosClass: pod.status.qosClass } : {}),
    };
    this.commit(record, { ...pod, spec, status }, 'MODIFIED', previousNodeName);
    this.emit({
      involvedObject: podObject(pod),
      reason: data.reason,
      message: data.message,
      type: 'Warning',
      source: { component: 'kubelet', host: data.nodeName },
    });
  }

  // ---- pods: on the node ------------------------------------------------------------------------

  podSandboxReady(data: EventData<'PodSandboxReady'>): void {
    const record = this.podOnNode(data);
    if (!record || record.released) return;
    const pod = record.pod;
    const status = pod.status ?? {};
    const node = this.state.nodes.get(data.nodeName);
    if (node) {
      const previousIP = status.podIP;
      if (previousIP !== undefined && previousIP !== data.podIP && node.podIPs.get(previousIP) === record.key) node.podIPs.delete(previousIP);
      node.podIPs.set(data.podIP, record.key);
    }
    const waitingReason = (pod.spec.initContainers ?? []).length > 0 ? 'PodInitializing' : 'ContainerCreating';
    const fresh = (containers: PodSpec['containers']): ContainerStatus[] =>
      containers.map((container) => ({
        name: container.name,
        state: { waiting: { reason: waitingReason } },
        ready: false,
        started: false,
        restartCount: 0,
        ...(container.image !== undefined ? { image: container.image } : {}),
      }));
    const next: PodStatus = {
      ...status,
      hostIP: data.hostIP,
      podIP: data.podIP,
      podIPs: [{ ip: data.podIP }],
      startTime: status.startTime ?? this.time,
      conditions: setCondition(status.conditions, { type: 'PodReadyToStartContainers', status: 'True' }, this.time),
      initContainerStatuses: status.initContainerStatuses ?? fresh(pod.spec.initContainers ?? []),
      containerStatuses: status.containerStatuses ?? fresh(pod.spec.containers),
    };
    this.commitStatus(record, next);
  }

  /**
   * As the kubelet's prober manager reports a running container: `started` once its startup probe
   * succeeded (at once without one), `ready` once started and its readiness probe succeeded (at once
   * without one). A regular init container is never ready while it runs.
   */
  containerStarted(data: EventData<'ContainerStarted'>): void {
    this.containerChanged(data, 'started', (previous, container, isInit) => {
      const regularInit = isInit && !isSidecar(container);
      const started = regularInit || container.startupProbe === undefined;
      return {
        ...previous,
        state: { running: { startedAt: data.startedAt } },
        ...lastStateAfter(previous),
        ready: !regularInit && started && container.readinessProbe === undefined,
        started,
        restartCount: data.restartCount,
      };
    });
  }

  containerWaiting(data: EventData<'ContainerWaiting'>): void {
    this.containerChanged(data, 'waiting', (previous) => ({
      ...previous,
      state: { waiting: { reason: data.reason, ...(data.message !== undefined ? { message: data.message } : {}) } },
      ...lastStateAfter(previous),
      ready: false,
      started: false,
      restartCount: data.restartCount,
    }));
  }

  containerTerminated(data: EventData<'ContainerTerminated'>): void {
    this.containerChanged(data, 'terminated', (previous, container, isInit) => ({
      ...previous,
      state: {
        terminated: {
          exitCode: data.exitCode,
          reason: data.reason,
          ...(data.message !== undefined ? { message: data.message } : {}),
          startedAt: data.startedAt,
          finishedAt: data.finishedAt,
        },
      },
      // The kubelet calls a regular init container that completed ready; nothing else that stopped is.
      ready: isInit && !isSidecar(container) && data.exitCode === 0,
      started: false,
      restartCount: data.restartCount,
    }));
  }

  /** A readiness probe crossed its threshold (or a container without one became ready on starting). */
  containerReadinessChanged(data: EventData<'ContainerReadinessChanged'>): void {
    const target = this.runningContainer(data);
    if (!target || (target.isInit && !isSidecar(target.container))) return;
    // Readiness probes only run once the container has started (its startup probe passed).
    const ready = data.ready && target.previous.started === true;
    if (ready === target.previous.ready) return;
    this.setContainerStatus(target, { ...target.previous, ready });
  }

  containerStartupProbeSucceeded(data: EventData<'ContainerStartupProbeSucceeded'>): void {
    const target = this.runningContainer(data);
    // Regular init containers have no probes (validation), and are started as they run.
    if (!target || target.previous.started === true || (target.isInit && !isSidecar(target.container))) return;
    this.setContainerStatus(target, { ...target.previous, started: true, ready: target.container.readinessProbe === undefined });
  }

  /**
   * A probe crossed its failureThreshold: no status of its own (a readiness change or the container's
   * termination follows as events of their own), but the kubelet's `Unhealthy` Event and, when the
   * node kills the container for it, `Killing`.
   */
  containerProbeFailed(data: EventData<'ContainerProbeFailed'>): void {
    const target = this.runningContainer(data, { needsSandbox: false });
    if (!target) return;
    const { record, isInit } = target;
    const involvedObject = containerObject(record.pod, isInit, data.container);
    const source = { component: 'kubelet', host: data.nodeName };
    const kind = data.probe === 'liveness' ? 'Liveness' : data.probe === 'startup' ? 'Startup' : 'Readiness';
    this.emit({ involvedObject, reason: 'Unhealthy', message: `${kind} probe failed: ${data.message}`, type: 'Warning', source });
    if (data.action !== 'Restart' || data.probe === 'readiness') return;
    // The kubelet's words (computePodActions / computeInitContainerActions).
    const message = isInit
      ? `Init container ${data.container} failed ${data.probe} probe`
      : `Container ${data.container} failed ${data.probe} probe${record.pod.spec.restartPolicy === 'Never' ? '' : ', will be restarted'}`;
    this.emit({ involvedObject, reason: 'Killing', message, type: 'Normal', source });
  }

  podSandboxRemoved(data: EventData<'PodSandboxRemoved'>): void {
    const record = this.podOnNode(data);
    if (!record) return;
    this.freeIP(record);
    this.releaseNode(record);
    const status = record.pod.status ?? {};
    const conditions = setCondition(status.conditions, { type: 'PodReadyToStartContainers', status: 'False' }, this.time);
    this.commitStatus(record, { ...status, conditions });
  }

  // ---- pods: deletion ---------------------------------------------------------------------------

  podDeletionRequested(data: EventData<'PodDeletionRequested'>): void {
    const record = this.podWithUid(data);
    if (!record) return;
    const pod = record.pod;
    const current = pod.status ?? {};
    // Preemption marks its victim as kube-scheduler does, even one that was already terminating.
    const status = data.reason === PREEMPTED ? disruptionTarget(current, data.message, this.time) : current;
    // A second request only counts if it shortens the grace period, as in Kubernetes.
    if (record.deletion && data.gracePeriodSeconds >= record.deletion.gracePeriodSeconds) {
      if (status !== current) this.commitStatus(record, status);
      return;
    }
    const requestedAt = record.deletion?.requestedAt ?? this.time;
    record.deletion = { seq: this.seq, gracePeriodSeconds: data.gracePeriodSeconds, requestedAt };
    // As in Kubernetes, deletionTimestamp is when the grace period runs out, not when it was asked.
    const deadline = new Date(Date.parse(requestedAt) + data.gracePeriodSeconds * 1000).toISOString();
    const metadata = { ...pod.metadata, deletionTimestamp: deadline, deletionGracePeriodSeconds: data.gracePeriodSeconds };
    this.commitStatus(record, status, metadata);
  }

  podDeleted(data: EventData<'PodDeleted'>): void {
    const record = this.podWithUid(data);
    if (!record) return;
    this.releaseNode(record);
    this.freeIP(record);
    record.released = true;
    this.state.pods.delete(record.key);
    this.commit(record, record.pod, 'DELETED', record.nodeName);
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private podWithUid(ref: PodRef): PodRecord | undefined {
    const record = this.state.pods.get(podKey(ref.namespace, ref.name));
    return record && record.pod.metadata.uid === ref.uid ? record : undefined;
  }

  /** Fencing: node-side events count only from the node the pod is bound to, for the same uid. */
  private podOnNode(ref: OnNodeRef): PodRecord | undefined {
    const record = this.podWithUid(ref);
    return record && record.nodeName === ref.nodeName ? record : undefined;
  }

  /** Fencing for container reports: the pod on that node, for its uid, and a container it has. */
  private containerOf(data: ContainerRef): ContainerTarget | undefined {
    const record = this.podOnNode(data);
    if (!record) return undefined;
    const spec = record.pod.spec;
    const initContainer = spec.initContainers?.find((c) => c.name === data.container);
    const container = initContainer ?? spec.containers.find((c) => c.name === data.container);
    if (!container) return undefined;
    const isInit = initContainer !== undefined;
    const status = record.pod.status ?? {};
    const previous = ((isInit ? status.initContainerStatuses : status.containerStatuses) ?? []).find((s) => s.name === data.container);
    return { record, container, isInit, previous: previous ?? { name: data.container, ready: false, restartCount: 0 } };
  }

  /**
   * A probe report counts only for the container instance it was made on: running, with the same
   * restartCount (a report about the run before a restart is stale), and, for reports that change
   * status, in a sandbox that is still there.
   */
  private runningContainer(data: ProbeEventData, options: { needsSandbox?: boolean } = {}): ContainerTarget | undefined {
    const target = this.containerOf(data);
    if (!target) return undefined;
    if (options.needsSandbox !== false && conditionStatus(target.record.pod.status?.conditions, 'PodReadyToStartContainers') !== 'True') return undefined;
    const previous = target.previous;
    return previous.state?.running && previous.restartCount === data.restartCount ? target : undefined;
  }

  /** Init containers (sidecars included) report into initContainerStatuses, app containers into containerStatuses. */
  private setContainerStatus(target: ContainerTarget, next: ContainerStatus): void {
    const { record, isInit } = target;
    const status = record.pod.status ?? {};
    const list = (isInit ? status.initContainerStatuses : status.containerStatuses) ?? [];
    const at = list.findIndex((s) => s.name === next.name);
    const nextList = [...list];
    if (at === -1) nextList.push(next);
    else nextList[at] = next;
    this.commitStatus(record, isInit ? { ...status, initContainerStatuses: nextList } : { ...status, containerStatuses: nextList });
  }

  private containerChanged(
    data: ContainerEventData,
    change: 'started' | 'waiting' | 'terminated',
    update: (previous: ContainerStatus, container: Container, isInit: boolean) => ContainerStatus,
  ): void {
    const target = this.containerOf(data);
    if (!target) return;
    const { record, isInit } = target;
    const pod = record.pod;
    // Nothing starts without a sandbox: a start reported before PodSandboxReady or after
    // PodSandboxRemoved is stale, and honouring it could show a pod running that holds no resources.
    if (change === 'started' && conditionStatus(pod.status?.conditions, 'PodReadyToStartContainers') !== 'True') return;
    this.setContainerStatus(target, update(target.previous, target.container, isInit));

    const involvedObject = containerObject(pod, isInit, data.container);
    const source = { component: 'kubelet', host: data.nodeName };
    if (change === 'started') {
      this.emit({ involvedObject, reason: 'Started', message: `Started container ${data.container}`, type: 'Normal', source });
    } else if (change === 'terminated' && record.deletion !== undefined) {
      this.emit({ involvedObject, reason: 'Killing', message: `Stopping container ${data.container}`, type: 'Normal', source });
    } else if (change === 'waiting' && 'reason' in data && data.reason === 'CrashLoopBackOff') {
      this.emit({
        involvedObject,
        reason: 'BackOff',
        message: `Back-off restarting failed container ${data.container} in pod ${pod.metadata.name}`,
        type: 'Warning',
        source,
      });
    }
  }

  /**
   * Re-derives phase and conditions from a new status and commits the pod. A pod that reaches a
   * terminal phase gives its node resources back (kube-scheduler drops terminal pods from its cache).
   */
  private commitStatus(record: PodRecord, status: PodStatus, metadata: Pod['metadata'] = record.pod.metadata): void {
    const spec = record.pod.spec;
    const stopping = record.deletion !== undefined;
    const phase = derivePodPhase(spec, status, { stopping });
    const withPhase: PodStatus = { ...status, phase };
    const next: PodStatus = { ...withPhase, conditions: derivePodConditions(spec, withPhase, this.time) };
    if (isTerminalPhase(phase)) this.releaseNode(record);
    this.commit(record, { ...record.pod, metadata, status: next });
  }

  /** Installs the pod's new object (never mutating the old one) at this seq and records the change. */
  private commit(record: PodRecord, pod: Pod, type: ChangeType = 'MODIFIED', previousNodeName?: string): void {
    record.resourceVersion = this.seq;
    record.pod = { ...pod, metadata: { ...pod.metadata, resourceVersion: String(this.seq) } };
    reindexPod(this.index, record.key, type === 'DELETED' ? undefined : record);
    this.changes.push({
      kind: 'Pod',
      type,
      key: record.key,
      object: record.pod,
      ...(previousNodeName !== undefined ? { previousNodeName } : {}),
    });
  }

  /** Gives the pod's resources and host ports back to its node. Safe to call more than once. */
  private releaseNode(record: PodRecord): void {
    if (record.nodeName === undefined || record.released) return;
    record.released = true;
    const node = this.state.nodes.get(record.nodeName);
    if (!node || !node.podKeys.delete(record.key)) return;
    subtractResources(node.requested, record.request);
    // Drop what reached zero so that an idle node reads `{}` (and its accounting can be compared).
    for (const name of Object.keys(record.request)) if (node.requested[name] === 0) delete node.requested[name];
    for (const port of record.hostPorts) node.hostPorts.delete(port);
  }

  private freeIP(record: PodRecord): void {
    const ip = record.pod.status?.podIP;
    if (record.nodeName === undefined || ip === undefined) return;
    const node = this.state.nodes.get(record.nodeName);
    if (node && node.podIPs.get(ip) === record.key) node.podIPs.delete(ip);
  }

  private versioned(node: Node): Node {
    return { ...node, metadata: { ...node.metadata, resourceVersion: String(this.seq) } };
  }

  private nodeChanged(record: NodeRecord, type: ChangeType): void {
    this.changes.push({ kind: 'Node', type, key: record.node.metadata.name, object: record.node });
  }

  private emit(input: KubeEventInput): void {
    const event = kubeEvent(input, this.seq, this.time, this.kubeEvents++);
    const events = this.state.events;
    events.push(event);
    this.changes.push({ kind: 'Event', type: 'ADDED', key: kubeEventKey(event), object: event });
    while (events.length > this.state.options.maxEvents) {
      const dropped = events.shift() as KubeEvent;
      this.changes.push({ kind: 'Event', type: 'DELETED', key: kubeEventKey(dropped), object: dropped });
    }
  }
}

/** A pod's lastScheduling from a PodBound or PodSchedulingFailed. */
function schedulingRecord(
  seq: number,
  data: EventData<'PodBound'> | EventData<'PodSchedulingFailed'>,
  outcome: SchedulingRecord['outcome'],
  message: string | undefined,
): SchedulingRecord {
  return {
    seq,
    attempt: data.attempt,
    schedulerName: data.schedulerName || DEFAULT_SCHEDULER_NAME,
    outcome,
    ...('nodeName' in data ? { nodeName: data.nodeName } : {}),
    ...(message !== undefined ? { message } : {}),
    verdicts: data.verdicts ?? [],
    ...(data.summary !== undefined ? { summary: data.summary } : {}),
  };
}

/** Adds a pod's request, key and host ports to a node's accounting. */
function hold(node: NodeRecord, record: PodRecord): void {
  if (node.podKeys.has(record.key)) return;
  node.podKeys.add(record.key);
  addResources(node.requested, record.request);
  for (const port of record.hostPorts) node.hostPorts.add(port);
}

/** PodDeletionRequested's reason when a scheduler preempts the pod. */
export const PREEMPTED = 'Preempted';

/**
 * The status with status.nominatedNodeName set (a name), cleared (''), or left as it is (undefined).
 * Returns the same object when nothing changes.
 */
function withNomination(status: PodStatus, nominatedNodeName: string | undefined): PodStatus {
  if (nominatedNodeName === undefined || (status.nominatedNodeName ?? '') === nominatedNodeName) return status;
  if (nominatedNodeName !== '') return { ...status, nominatedNodeName };
  const { nominatedNodeName: _cleared, ...rest } = status;
  return rest;
}

/**
 * Kubernetes' DisruptionTarget condition for a pod preempted by the scheduler. Returns the same object
 * when the pod already carries it.
 */
function disruptionTarget(status: PodStatus, message: string | undefined, time: string): PodStatus {
  const existing = findCondition(status.conditions, 'DisruptionTarget');
  if (existing?.status === 'True' && existing.reason === 'PreemptionByScheduler') return status;
  const condition = {
    type: 'DisruptionTarget',
    status: 'True' as const,
    reason: 'PreemptionByScheduler',
    message: message ?? `${DEFAULT_SCHEDULER_NAME}: preempting to accommodate a higher priority pod`,
  };
  return { ...status, conditions: setCondition(status.conditions, condition, time) };
}

/** When a container leaves a terminated state (restart), that state becomes its lastState. */
function lastStateAfter(previous: ContainerStatus): Pick<ContainerStatus, 'lastState'> {
  if (previous.state?.terminated) return { lastState: { terminated: previous.state.terminated } };
  return previous.lastState !== undefined ? { lastState: previous.lastState } : {};
}

function podObject(pod: Pod): KubeEvent['involvedObject'] {
  return { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
}

/** A container as the kubelet names it in Events: the pod, with the container's field path. */
function containerObject(pod: Pod, isInit: boolean, container: string): KubeEvent['involvedObject'] {
  return { ...podObject(pod), fieldPath: `spec.${isInit ? 'initContainers' : 'containers'}{${container}}` };
}

/** Quantity parsing throws on malformed input; the fold must not. */
function tryCount<T>(count: () => T): T | undefined {
  try {
    return count();
  } catch {
    return undefined;
  }
}

