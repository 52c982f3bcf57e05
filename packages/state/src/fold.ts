import { addResources, isSidecar, nodeAllocatable, subtractResources, DEFAULT_SCHEDULER_NAME, PODS, TAINT_NODE_UNREACHABLE } from '@flotilla/model';
import type { Container, ContainerStatus, Node, NodeCondition, Pod, PodCondition, PodSpec, PodStatus, ReplicaSet, Taint } from '@flotilla/model';
import type { EventData, FlotillaRecord } from '@flotilla/events';
import type {
  ChangeType,
  ClusterState,
  FoldOptions,
  KubeEvent,
  NodeRecord,
  PodRecord,
  ReplicaSetRecord,
  SchedulingRecord,
  StateChange,
} from './cluster-state.ts';
import { judgeBinding } from './binding.ts';
import { kubeEvent, kubeEventKey } from './kube-events.ts';
import type { KubeEventInput } from './kube-events.ts';
import { podHostPorts, podQosClass, podRequest } from './pod-resources.ts';
import { controllerOf, isPodPending, podIndex, reindexPod } from './pod-index.ts';
import { PodCidrAllocator } from './pod-cidr.ts';
import type { PodIndex } from './pod-index.ts';
import { conditionStatus, derivePodConditions, derivePodPhase, findCondition, isTerminalPhase, setCondition } from './pod-status.ts';
import {
  countPod,
  owningReplicaSet,
  replicaSetIndex,
  replicaSetStatus,
  sameStatus,
  sweepAvailability,
  trackReplicaSet,
  untrackReplicaSet,
} from './replica-set-status.ts';
import type { ReplicaSetIndex } from './replica-set-status.ts';

export const DEFAULT_MAX_EVENTS = 10_000;
/** kubelet's default --max-pods, used when a node does not state its pod capacity. */
export const DEFAULT_NODE_MAX_PODS = 110;

export function createClusterState(options: Partial<FoldOptions> = {}): ClusterState {
  return {
    seq: 0,
    pods: new Map(),
    nodes: new Map(),
    replicaSets: new Map(),
    rejectedCreations: 0,
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
  // Time moved on: owned pods ready for minReadySeconds by now count as available.
  fold.sweepAvailability();
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
    case 'NodeMarkedUnreachable':
      fold.nodeMarkedUnreachable(event.data);
      break;
    case 'NodeEvictionTaintAdded':
      fold.nodeEvictionTaintAdded(event.data);
      break;
    case 'NodeMarkedReachable':
      fold.nodeMarkedReachable(event.data);
      break;
    case 'PodEvicted':
      fold.podEvicted(event.data);
      break;
    case 'ReplicaSetCreated':
      fold.replicaSetCreated(event.data);
      break;
    case 'ReplicaSetScaled':
      fold.replicaSetScaled(event.data);
      break;
    case 'ReplicaSetDeleted':
      fold.replicaSetDeleted(event.data);
      break;
    default: {
      // A type this build does not know (written by a newer one): skip it, keep the position.
      const _unknown: never = event;
      break;
    }
  }
  fold.flushReplicaSets();
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
  private readonly replicaSets: ReplicaSetIndex;
  /** The event time in epoch ms (availability after minReadySeconds is measured against it). */
  private readonly now: number;
  /** ReplicaSets whose owned pods changed: their status is derived again once the event is applied. */
  private readonly dirtyReplicaSets = new Set<string>();
  private kubeEvents = 0;

  constructor(
    private readonly state: ClusterState,
    private readonly seq: number,
    private readonly time: string,
  ) {
    this.index = podIndex(state);
    this.replicaSets = replicaSetIndex(state);
    this.now = Date.parse(time);
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
    const withCidr = podCIDR === undefined ? node : { ...node, spec: { ...node.spec, podCIDR, podCIDRs: [podCIDR] } };
    // A node agent that registers again does not make the node reachable: a renewed lease does.
    const object = this.versioned(existing?.unreachable ? unreachableNode(withCidr, existing.unreachable) : withCidr);
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
    const updated = { ...node, metadata, spec };
    // The unreachable taints are the node lifecycle controller's: they stay while the node is unreachable.
    this.updateNode(record, record.unreachable ? unreachableNode(updated, record.unreachable) : updated);
  }

  // ---- nodes: lifecycle (leases) ----------------------------------------------------------------

  /**
   * The node's lease lapsed: Ready=Unknown, the unreachable NoSchedule taint, and its pods marked not
   * ready (the node lifecycle controller's MarkPodsNotReady). A node already unreachable stays as it is.
   */
  nodeMarkedUnreachable(data: EventData<'NodeMarkedUnreachable'>): void {
    const record = this.state.nodes.get(data.name);
    if (!record || record.unreachable) return;
    record.unreachable = {
      since: this.time,
      ...(data.leaseRenewTime !== undefined ? { leaseRenewTime: data.leaseRenewTime } : {}),
      message: data.message || NODE_STATUS_UNKNOWN_MESSAGE,
    };
    this.updateNode(record, unreachableNode(record.node, record.unreachable));
    this.emit({
      involvedObject: { kind: 'Node', name: data.name, uid: record.node.metadata.uid },
      reason: 'NodeNotReady',
      message: `Node ${data.name} status is now: NodeNotReady`,
      type: 'Normal',
      source: { component: NODE_CONTROLLER },
    });
    for (const key of [...(this.index.byNode.get(data.name) ?? [])]) {
      const pod = this.state.pods.get(key);
      if (!pod || conditionStatus(pod.pod.status?.conditions, 'Ready') !== 'True') continue;
      this.commitStatus(pod, pod.pod.status ?? {});
      this.emit({ involvedObject: podObject(pod.pod), reason: 'NodeNotReady', message: 'Node is not ready', type: 'Warning', source: { component: NODE_CONTROLLER } });
    }
  }

  /**
   * The eviction rate limiter let the unreachable node through: the NoExecute taint goes on, its
   * timeAdded (this event's time) starting the pods' tolerationSeconds. Ignored for a node that is
   * reachable (again), already has it, or was marked for another lapse of its lease.
   */
  nodeEvictionTaintAdded(data: EventData<'NodeEvictionTaintAdded'>): void {
    const record = this.state.nodes.get(data.name);
    const unreachable = record?.unreachable;
    if (!record || !unreachable || unreachable.evictionTaintAddedAt !== undefined) return;
    if (data.leaseRenewTime !== undefined && unreachable.leaseRenewTime !== undefined && data.leaseRenewTime !== unreachable.leaseRenewTime) return;
    record.unreachable = { ...unreachable, evictionTaintAddedAt: this.time };
    this.updateNode(record, unreachableNode(record.node, record.unreachable));
  }

  /**
   * The lease is renewed again: Ready=True, both unreachable taints off (evictions not yet made are
   * off too), and the node's pods' readiness as their containers say. Ignored for a node that is not
   * unreachable, and for a renewal no newer than the one the lapse was judged on (a stale report).
   */
  nodeMarkedReachable(data: EventData<'NodeMarkedReachable'>): void {
    const record = this.state.nodes.get(data.name);
    const seen = record?.unreachable?.leaseRenewTime;
    if (!record || !record.unreachable) return;
    if (seen !== undefined && (data.leaseRenewTime === seen || Date.parse(data.leaseRenewTime) < Date.parse(seen))) return;
    delete record.unreachable;
    this.updateNode(record, reachableNode(record.node, this.time));
    this.emit({
      involvedObject: { kind: 'Node', name: data.name, uid: record.node.metadata.uid },
      reason: 'NodeReady',
      message: `Node ${data.name} status is now: NodeReady`,
      type: 'Normal',
      source: { component: NODE_CONTROLLER },
    });
    for (const key of [...(this.index.byNode.get(data.name) ?? [])]) {
      const pod = this.state.pods.get(key);
      if (!pod || pod.evicted !== undefined) continue;
      const status = pod.pod.status ?? {};
      const next = this.deriveStatus(pod, status);
      if (conditionStatus(next.conditions, 'Ready') !== conditionStatus(status.conditions, 'Ready')) this.commitStatus(pod, status);
    }
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

  /**
   * A new pod, unless its name or uid is taken (the API checks first; if two creates raced, the first
   * in the log wins). A pod a ReplicaSet controls is the fold's to judge: it is created only if that
   * ReplicaSet exists with that uid and has fewer active pods than spec.replicas, so that neither two
   * controllers nor a restarted one can create more than asked.
   */
  podCreated({ pod }: EventData<'PodCreated'>): void {
    const key = podKey(pod.metadata.namespace, pod.metadata.name);
    const taken = this.state.pods.has(key) || this.index.byUid.has(pod.metadata.uid);
    const forReplicaSet = controllerOf(pod)?.kind === 'ReplicaSet';
    const owner = forReplicaSet ? owningReplicaSet(this.state, pod) : undefined;
    const derived = taken ? undefined : tryCount(() => ({ request: podRequest(pod.spec), qosClass: podQosClass(pod.spec) }));
    if (forReplicaSet && (!derived || !owner || this.activeReplicas(owner) >= owner.replicaSet.spec.replicas)) {
      this.state.rejectedCreations += 1;
      return;
    }
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
    if (owner) {
      owner.podsCreated += 1;
      this.emit({
        involvedObject: replicaSetObject(owner.replicaSet),
        reason: 'SuccessfulCreate',
        message: `Created pod: ${pod.metadata.name}`,
        type: 'Normal',
        source: { component: REPLICASET_CONTROLLER },
      });
    }
  }

  private activeReplicas(owner: ReplicaSetRecord): number {
    return this.replicaSets.tallies.get(owner.key)?.active ?? 0;
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

  /**
   * The node lifecycle controller evicted the pod from its (unreachable) node: Failed with the event's
   * reason (NodeLost) and message, the DisruptionTarget condition, the node's resources and the pod IP
   * free again. From now on the fold ignores what that node reports about the pod (podOnNode); the
   * node, when it comes back, stops it. Ignored unless the pod (this uid) is bound to that node and has
   * not ended already.
   */
  podEvicted(data: EventData<'PodEvicted'>): void {
    const record = this.podWithUid(data);
    if (!record || record.nodeName !== data.nodeName || record.evicted !== undefined || isTerminalPhase(record.pod.status?.phase)) return;
    record.evicted = { reason: data.reason, message: data.message, at: this.time };
    this.freeIP(record);
    const status = record.pod.status ?? {};
    const conditions = setCondition(
      status.conditions,
      { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' },
      this.time,
    );
    this.commitStatus(record, { ...status, phase: 'Failed', reason: data.reason, message: data.message, conditions });
    this.emit({
      involvedObject: podObject(record.pod),
      reason: 'TaintManagerEviction',
      message: `Marking for deletion Pod ${record.key}`,
      type: 'Normal',
      source: { component: TAINT_EVICTION_CONTROLLER },
    });
  }

  // ---- pods: deletion ---------------------------------------------------------------------------

  podDeletionRequested(data: EventData<'PodDeletionRequested'>): void {
    const record = this.podWithUid(data);
    if (!record) return;
    const pod = record.pod;
    const current = pod.status ?? {};
    // Preemption marks its victim as kube-scheduler does, even one that was already terminating.
    const status = data.reason === PREEMPTED || data.reason === EVICTION_BY_API ? disruptionTarget(current, data.reason, data.message, this.time) : current;
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
    const owner = owningReplicaSet(this.state, record.pod);
    this.releaseNode(record);
    this.freeIP(record);
    record.released = true;
    this.state.pods.delete(record.key);
    this.commit(record, record.pod, 'DELETED', record.nodeName);
    if (owner) {
      this.emit({
        involvedObject: replicaSetObject(owner.replicaSet),
        reason: 'SuccessfulDelete',
        message: `Deleted pod: ${record.pod.metadata.name}`,
        type: 'Normal',
        source: { component: REPLICASET_CONTROLLER },
      });
    }
  }

  // ---- ReplicaSets ------------------------------------------------------------------------------

  /** A new ReplicaSet (the first of a name wins), its status counted from the pods it owns. */
  replicaSetCreated({ replicaSet }: EventData<'ReplicaSetCreated'>): void {
    const key = podKey(replicaSet.metadata.namespace, replicaSet.metadata.name);
    // A payload the API should never have accepted must not wedge every projection: skip it.
    if (this.state.replicaSets.has(key) || !Number.isInteger(replicaSet.spec?.replicas) || replicaSet.spec.template?.spec === undefined) return;
    const record: ReplicaSetRecord = { key, replicaSet, resourceVersion: this.seq, podsCreated: 0 };
    this.state.replicaSets.set(key, record);
    const owned = this.ownedPods(replicaSet.metadata.uid).filter((pod) => owningReplicaSet(this.state, pod.pod) === record);
    trackReplicaSet(this.replicaSets, record, owned, this.now);
    this.commitReplicaSet(record, { ...replicaSet, status: replicaSetStatus(this.replicaSets, replicaSet, key) }, 'ADDED');
  }

  /**
   * spec.replicas changed. The generation is the event's, or one more than the stored one if that is
   * not newer (two scales that raced both count as changes). Scaling to the same number changes nothing.
   */
  replicaSetScaled(data: EventData<'ReplicaSetScaled'>): void {
    const record = this.replicaSetWithUid(data);
    if (!record || !Number.isInteger(data.replicas) || data.replicas < 0) return;
    const replicaSet = record.replicaSet;
    if (data.replicas === replicaSet.spec.replicas) return;
    const generation = Math.max(data.generation, replicaSet.metadata.generation + 1);
    const scaled: ReplicaSet = { ...replicaSet, metadata: { ...replicaSet.metadata, generation }, spec: { ...replicaSet.spec, replicas: data.replicas } };
    this.commitReplicaSet(record, { ...scaled, status: replicaSetStatus(this.replicaSets, scaled, record.key) }, 'MODIFIED');
  }

  /** The ReplicaSet is gone; its pods stay (and still name it as owner) until the controller deletes them. */
  replicaSetDeleted(data: EventData<'ReplicaSetDeleted'>): void {
    const record = this.replicaSetWithUid(data);
    if (!record) return;
    this.state.replicaSets.delete(record.key);
    untrackReplicaSet(this.replicaSets, record.key, this.index.byOwner.get(data.uid) ?? []);
    this.dirtyReplicaSets.delete(record.key);
    this.commitReplicaSet(record, record.replicaSet, 'DELETED');
  }

  /** Owned pods ready for minReadySeconds by this event's time become available. */
  sweepAvailability(): void {
    for (const key of sweepAvailability(this.replicaSets, this.now)) this.dirtyReplicaSets.add(key);
  }

  /** Derives the status of every ReplicaSet whose pods changed, and commits those that differ. */
  flushReplicaSets(): void {
    for (const key of this.dirtyReplicaSets) {
      const record = this.state.replicaSets.get(key);
      if (!record) continue;
      const status = replicaSetStatus(this.replicaSets, record.replicaSet, key);
      if (!sameStatus(record.replicaSet.status, status)) this.commitReplicaSet(record, { ...record.replicaSet, status }, 'MODIFIED');
    }
    this.dirtyReplicaSets.clear();
  }

  private replicaSetWithUid(ref: PodRef): ReplicaSetRecord | undefined {
    const record = this.state.replicaSets.get(podKey(ref.namespace, ref.name));
    return record && record.replicaSet.metadata.uid === ref.uid ? record : undefined;
  }

  private ownedPods(ownerUid: string): PodRecord[] {
    const out: PodRecord[] = [];
    for (const key of this.index.byOwner.get(ownerUid) ?? []) {
      const record = this.state.pods.get(key);
      if (record) out.push(record);
    }
    return out;
  }

  /** Installs the ReplicaSet's new object (never mutating the old one) at this seq and records the change. */
  private commitReplicaSet(record: ReplicaSetRecord, replicaSet: ReplicaSet, type: ChangeType): void {
    record.resourceVersion = this.seq;
    record.replicaSet = { ...replicaSet, metadata: { ...replicaSet.metadata, resourceVersion: String(this.seq) } };
    this.changes.push({ kind: 'ReplicaSet', type, key: record.key, object: record.replicaSet });
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private podWithUid(ref: PodRef): PodRecord | undefined {
    const record = this.state.pods.get(podKey(ref.namespace, ref.name));
    return record && record.pod.metadata.uid === ref.uid ? record : undefined;
  }

  /**
   * Fencing: node-side events count only from the node the pod is bound to, for the same uid, and not
   * once the pod was evicted from it.
   */
  private podOnNode(ref: OnNodeRef): PodRecord | undefined {
    const record = this.podWithUid(ref);
    return record && record.nodeName === ref.nodeName && record.evicted === undefined ? record : undefined;
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
    const next = this.deriveStatus(record, status);
    if (isTerminalPhase(next.phase)) this.releaseNode(record);
    this.commit(record, { ...record.pod, metadata, status: next });
  }

  /** Phase and conditions from a new status; a pod on an unreachable node is not Ready, whatever its containers say. */
  private deriveStatus(record: PodRecord, status: PodStatus): PodStatus {
    const spec = record.pod.spec;
    const stopping = record.deletion !== undefined;
    const phase = derivePodPhase(spec, status, { stopping });
    const withPhase: PodStatus = { ...status, phase };
    const conditions = derivePodConditions(spec, withPhase, this.time);
    const unreachable = record.nodeName !== undefined && this.state.nodes.get(record.nodeName)?.unreachable !== undefined;
    return { ...withPhase, conditions: unreachable ? notReady(conditions, status.conditions, this.time) : conditions };
  }

  /** Installs the pod's new object (never mutating the old one) at this seq and records the change. */
  private commit(record: PodRecord, pod: Pod, type: ChangeType = 'MODIFIED', previousNodeName?: string): void {
    record.resourceVersion = this.seq;
    record.pod = { ...pod, metadata: { ...pod.metadata, resourceVersion: String(this.seq) } };
    const gone = type === 'DELETED';
    reindexPod(this.index, record.key, gone ? undefined : record);
    const owner = gone ? undefined : owningReplicaSet(this.state, record.pod);
    for (const key of countPod(this.replicaSets, record.key, owner, gone ? undefined : record, this.now)) this.dirtyReplicaSets.add(key);
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

  private updateNode(record: NodeRecord, node: Node): void {
    record.node = this.versioned(node);
    record.resourceVersion = this.seq;
    this.nodeChanged(record, 'MODIFIED');
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
/** The reason the API's Eviction subresource (kubectl drain) gives its deletions. */
export const EVICTION_BY_API = 'EvictionByEvictionAPI';

/** Event sources, as Kubernetes names its controllers. */
const NODE_CONTROLLER = 'node-controller';
const TAINT_EVICTION_CONTROLLER = 'taint-eviction-controller';
const REPLICASET_CONTROLLER = 'replicaset-controller';

/** The node lifecycle controller's words for a node whose lease lapsed. */
export const NODE_STATUS_UNKNOWN_MESSAGE = 'Kubelet stopped posting node status.';

/**
 * The node as an unreachable one reads: Ready=Unknown (NodeStatusUnknown) since the lapse, and the
 * unreachable taints (NoSchedule from the lapse, NoExecute once the rate limiter let it through).
 */
function unreachableNode(node: Node, unreachable: NonNullable<NodeRecord['unreachable']>): Node {
  const ready = node.status.conditions?.find((condition) => condition.type === 'Ready');
  const unknown: NodeCondition = {
    ...ready,
    type: 'Ready',
    status: 'Unknown',
    reason: 'NodeStatusUnknown',
    message: unreachable.message ?? NODE_STATUS_UNKNOWN_MESSAGE,
    lastTransitionTime: unreachable.since,
  };
  const taints: Taint[] = [
    ...withoutUnreachableTaints(node.spec.taints),
    { key: TAINT_NODE_UNREACHABLE, effect: 'NoSchedule', timeAdded: unreachable.since },
    ...(unreachable.evictionTaintAddedAt !== undefined ? [{ key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' as const, timeAdded: unreachable.evictionTaintAddedAt }] : []),
  ];
  return { ...node, spec: { ...node.spec, taints }, status: { ...node.status, conditions: withNodeCondition(node.status.conditions, unknown) } };
}

/** The node as its kubelet reports it again: Ready=True (KubeletReady) and no unreachable taints. */
function reachableNode(node: Node, time: string): Node {
  const ready = node.status.conditions?.find((condition) => condition.type === 'Ready');
  const condition: NodeCondition = {
    ...ready,
    type: 'Ready',
    status: 'True',
    reason: 'KubeletReady',
    message: 'kubelet is posting ready status',
    lastHeartbeatTime: time,
    lastTransitionTime: ready?.status === 'True' ? (ready.lastTransitionTime ?? time) : time,
  };
  const { taints: _taints, ...spec } = node.spec;
  const taints = withoutUnreachableTaints(node.spec.taints);
  return { ...node, spec: taints.length > 0 ? { ...spec, taints } : spec, status: { ...node.status, conditions: withNodeCondition(node.status.conditions, condition) } };
}

function withoutUnreachableTaints(taints: readonly Taint[] | undefined): Taint[] {
  return (taints ?? []).filter((taint) => taint.key !== TAINT_NODE_UNREACHABLE);
}

function withNodeCondition(conditions: readonly NodeCondition[] | undefined, next: NodeCondition): NodeCondition[] {
  const out = [...(conditions ?? [])];
  const index = out.findIndex((condition) => condition.type === next.type);
  if (index === -1) out.unshift(next);
  else out[index] = next;
  return out;
}

/**
 * Ready forced to False (MarkPodsNotReady) where the containers would make it True. A Ready that was
 * False already keeps its transition time.
 */
function notReady(conditions: PodCondition[], previous: readonly PodCondition[] | undefined, time: string): PodCondition[] {
  const index = conditions.findIndex((condition) => condition.type === 'Ready');
  if (index === -1 || conditions[index]?.status !== 'True') return conditions;
  const before = findCondition(previous, 'Ready');
  const out = [...conditions];
  out[index] = before?.status === 'False' ? before : { type: 'Ready', status: 'False', lastTransitionTime: time };
  return out;
}

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
 * Kubernetes' DisruptionTarget condition for a pod preempted by the scheduler or evicted through the
 * Eviction API. Returns the same object when the pod already carries it.
 */
function disruptionTarget(status: PodStatus, cause: string | undefined, message: string | undefined, time: string): PodStatus {
  const preempted = cause === PREEMPTED;
  const reason = preempted ? 'PreemptionByScheduler' : 'EvictionByEvictionAPI';
  const existing = findCondition(status.conditions, 'DisruptionTarget');
  if (existing?.status === 'True' && existing.reason === reason) return status;
  const condition = {
    type: 'DisruptionTarget',
    status: 'True' as const,
    reason,
    message: message ?? (preempted ? `${DEFAULT_SCHEDULER_NAME}: preempting to accommodate a higher priority pod` : 'Eviction API: evicting'),
  };
  return { ...status, conditions: setCondition(status.conditions, condition, time) };
}

/** When a container leaves a terminated state (restart), that state becomes its lastState. */
function lastStateAfter(previous: ContainerStatus): Pick<ContainerStatus, 'lastState'> {
  if (previous.state?.terminated) return { lastState: { terminated: previous.state.terminated } };
  return previous.lastState !== undefined ? { lastState: previous.lastState } : {};
}

function replicaSetObject(replicaSet: ReplicaSet): KubeEvent['involvedObject'] {
  return { kind: 'ReplicaSet', namespace: replicaSet.metadata.namespace, name: replicaSet.metadata.name, uid: replicaSet.metadata.uid };
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

