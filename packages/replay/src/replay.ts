// Replays a trace's arrivals against one scheduler profile on a virtual clock, in one process: the
// real fold (@flotilla/state) and the real scheduling framework and queue (@flotilla/scheduling),
// composed as the scheduler service composes them (services/scheduler/src/scheduler-loop.ts), with
// the node side simulated (sandbox, containers, stops, evictions) after small seeded delays.
// Deterministic: the same trace, profile and seed give the same result.
import { NODE_LOST_REASON, evictionTaint, evictionTime, nodeLostMessage } from '@flotilla/controllers';
import { envelope, msgIdFor, subjectFor } from '@flotilla/events';
import type { DomainEvent, FlotillaRecord } from '@flotilla/events';
import { latencyStats } from '@flotilla/measure';
import type { LatencyStats } from '@flotilla/measure';
import { isSidecar, nodeForRegister, podForCreate } from '@flotilla/model';
import type { OwnerReference, Pod } from '@flotilla/model';
import { AssumedPods, NodeInfoCache, SchedulingQueue, createFramework, podBoundEvent, unschedulableEvents, withNominatedPods } from '@flotilla/scheduling';
import type { ClusterEvent, Framework, Profile, SchedulingQueueOptions } from '@flotilla/scheduling';
import { NODE_STATUS_UNKNOWN_MESSAGE, applyEvent, createClusterState, podKey } from '@flotilla/state';
import type { ClusterState, PodRecord, StateChange } from '@flotilla/state';
import { measurePlacement, pendingReasons, podOutcomes, podSizes } from './quality.ts';
import type { PlacementQuality, PodOutcomes } from './quality.ts';
import { jittered, seededRandom } from './random.ts';
import { Agenda } from './timers.ts';
import { traceCounts } from './trace.ts';
import type { Trace, TraceArrival } from './trace.ts';

/** How long the simulated node side takes, in virtual ms; each delay varies by ±jitter (a fraction). */
export interface SimTimings {
  /** Binding -> PodSandboxReady. */
  sandboxMs: number;
  /** PodSandboxReady -> containers started (Running). */
  startMs: number;
  /** Deletion requested (or preempted) -> sandbox removed and pod deleted. */
  stopMs: number;
  jitter: number;
}

/** The load generator's simulated node timings (services/loadgen SIM_FLAGS). */
export const DEFAULT_SIM_TIMINGS: SimTimings = { sandboxMs: 20, startMs: 20, stopMs: 20, jitter: 0.2 };

export interface ReplayOptions {
  profile: Profile;
  /** The column name in comparisons; default the profile's schedulerName. */
  name?: string;
  /** Seeds score tie-breaks and the simulated delays' jitter. Default 1. */
  seed?: number;
  timings?: Partial<SimTimings>;
  /** Virtual time one scheduling cycle takes (the scheduler is busy meanwhile). Default 0: decisions are instant. */
  cycleMs?: number;
  /** Stop the clock here (virtual ms from the start). Default: the last arrival plus one hour. */
  horizonMs?: number;
  queue?: SchedulingQueueOptions;
  /** As the scheduler service: clusters up to fullTableMaxNodes keep every verdict, larger ones verdictsKept. */
  verdictsKept?: number;
  fullTableMaxNodes?: number;
  /** The node label the zone spread is measured over. Default topology.kubernetes.io/zone. */
  zoneLabel?: string;
  /**
   * CPU time in ms (e.g. from process.cpuUsage()), read around every scheduling decision and around
   * the whole replay. Without it the result has no CPU figures (and is exactly reproducible).
   */
  cpuTime?: () => number;
  /** Sees every record the replay appends to its (in-memory) log, in order. */
  onRecord?: (record: FlotillaRecord) => void;
}

export interface SchedulingFigures {
  /** Scheduling cycles run (framework decisions). */
  decisions: number;
  /** Bindings the fold accepted. */
  bindings: number;
  /** Bindings the fold refused (none expected: a replay's decisions are folded before the next). */
  bindingRejections: number;
  /** Cycles that found no node. */
  unschedulable: number;
  /** Cycles a plugin failed. */
  errors: number;
  /** Preemptions: pods nominated after choosing victims, and the victims asked to leave. */
  preemptions: number;
  victims: number;
  /** Pods evicted from failed nodes. */
  evictions: number;
  /** PodCreated arrivals the fold refused (the name or uid still taken). */
  refusedCreations: number;
  /** Virtual ms from creation to the binding that took effect, per pod bound. */
  schedulingLatencyMs: LatencyStats;
  /** Virtual time of the last binding. */
  lastBindingMs: number;
}

export interface SpeedFigures {
  decisions: number;
  /** CPU ms inside the framework's decisions (with cpuTime). */
  schedulingCpuMs?: number;
  /** decisions / schedulingCpuMs in seconds (with cpuTime). */
  decisionsPerCpuSecond?: number;
  /** CPU ms of the whole replay: fold, simulation and decisions (with cpuTime). */
  totalCpuMs?: number;
}

export interface ReplayResult {
  /** The column name. */
  profile: string;
  schedulerName: string;
  seed: number;
  trace: ReturnType<typeof traceCounts>;
  /** Virtual ms when the replay ended (nothing left to do, or the horizon). */
  endMs: number;
  /** Records the replay appended to its log. */
  events: number;
  /** The pods at the end. */
  pods: PodOutcomes;
  /** Pending pods at the end per rejection (`Plugin: reason`) of their last attempt; one pod may count under several. */
  pendingReasons: Record<string, number>;
  /**
   * Placement once the last pod had arrived and been dealt with (at `atMs`): the cluster at its
   * fullest, before the trace's later deletions empty it. The end, for a trace without pods.
   */
  placement: PlacementQuality & { atMs: number; pods: PodOutcomes };
  scheduling: SchedulingFigures;
  speed: SpeedFigures;
}

/** A controller reference the fold would judge as a ReplicaSet's (which the trace does not replay). */
const REPLAYED_CONTROLLER_KIND = 'ReplayedController';
const ZONE_LABEL = 'topology.kubernetes.io/zone';
const SOURCE_SCHEDULER = 'replay-scheduler';
const SOURCE_API = 'replay-api';
const SOURCE_CONTROLLER = 'replay-controller';

type Action = () => void;

/** Replays `trace` against one profile. Pure and synchronous: time is virtual, randomness seeded. */
export function replayTrace(trace: Trace, options: ReplayOptions): ReplayResult {
  return new Replay(trace, options).run();
}

class Replay {
  private readonly state: ClusterState = createClusterState({ maxEvents: 0 });
  private readonly queue: SchedulingQueue;
  /** Stays empty: each binding is folded before the next decision, but the framework wants one. */
  private readonly assumed = new AssumedPods();
  private readonly nodeInfos: NodeInfoCache;
  private readonly framework: Framework;
  private readonly agenda = new Agenda<Action>();
  private readonly random: () => number;
  private readonly timings: SimTimings;
  private readonly seed: number;
  private readonly baseMs: number;
  private readonly schedulerName: string;
  private now = 0;
  private isoAt = -1;
  private iso = '';
  private seq = 0;
  /** When the scheduler is free for the next cycle (cycleMs). */
  private freeAt = 0;
  private schedulingCpuMs = 0;
  /** Per pod uid: when it was created (virtual ms), and how it ends by itself. */
  private readonly createdAt = new Map<string, number>();
  private readonly runs = new Map<string, { runMs: number; exitCode: number }>();
  private readonly latencies: number[] = [];
  /** Per node: which failure is current, so that a stale eviction timer does nothing. */
  private readonly failures = new Map<string, number>();
  private failureCount = 0;
  private readonly figures = {
    decisions: 0,
    bindings: 0,
    bindingRejections: 0,
    unschedulable: 0,
    errors: 0,
    preemptions: 0,
    victims: 0,
    evictions: 0,
    refusedCreations: 0,
    lastBindingMs: 0,
  };
  private fallbackIps = 0;
  private placement: ReplayResult['placement'] | undefined;
  private readonly sizes: ReturnType<typeof podSizes>;

  constructor(
    private readonly trace: Trace,
    private readonly options: ReplayOptions,
  ) {
    this.framework = createFramework(options.profile);
    this.schedulerName = options.profile.schedulerName;
    this.queue = new SchedulingQueue(options.queue);
    this.nodeInfos = new NodeInfoCache(this.state, this.assumed);
    this.seed = options.seed ?? 1;
    this.random = seededRandom(this.seed);
    this.timings = { ...DEFAULT_SIM_TIMINGS, ...options.timings };
    const started = Date.parse(trace.header.startedAt);
    this.baseMs = Number.isFinite(started) ? started : 0;
    this.sizes = podSizes(trace);
  }

  private measure(): ReplayResult['placement'] {
    return { atMs: this.now, pods: podOutcomes(this.state), ...measurePlacement(this.state, this.sizes, this.options.zoneLabel ?? ZONE_LABEL) };
  }

  run(): ReplayResult {
    const cpu = this.options.cpuTime;
    const cpuStart = cpu?.();
    const arrivals = this.trace.arrivals;
    const last = arrivals.length > 0 ? arrivals[arrivals.length - 1]!.t : 0;
    const horizon = this.options.horizonMs ?? last + 3_600_000;
    const cycleMs = Math.max(0, this.options.cycleMs ?? 0);
    let lastPod: number | undefined;
    for (const arrival of arrivals) if (arrival.type === 'PodCreated') lastPod = arrival.t;
    let next = 0;
    for (;;) {
      // Everything due now: arrivals, then the node side's timers, then scheduling cycles.
      for (let progressed = true; progressed; ) {
        progressed = false;
        while (next < arrivals.length && arrivals[next]!.t <= this.now) {
          this.arrive(arrivals[next]!, next);
          next++;
          progressed = true;
        }
        for (let action = this.agenda.popDue(this.now); action !== undefined; action = this.agenda.popDue(this.now)) {
          action();
          progressed = true;
        }
        if (this.freeAt <= this.now) {
          const key = this.queue.pop(this.now);
          if (key !== undefined) {
            this.scheduleOne(key);
            progressed = true;
            if (cycleMs > 0) this.freeAt = this.now + cycleMs;
          }
        }
      }
      const candidates: number[] = [];
      if (next < arrivals.length) candidates.push(arrivals[next]!.t);
      const timer = this.agenda.peekTime();
      if (timer !== undefined) candidates.push(timer);
      const wake = this.queue.nextWakeup(this.now);
      if (wake !== undefined) {
        const queued = this.queue.stats();
        // Once nothing else will happen, pods parked as unschedulable only wait: the replay is over.
        if (next < arrivals.length || this.agenda.size > 0 || queued.active > 0 || queued.backoff > 0) {
          candidates.push(Math.max(this.now + wake, this.freeAt));
        }
      }
      if (candidates.length === 0) break;
      const at = Math.min(...candidates);
      // Everything at the last pod's arrival is done: the cluster as full as the trace makes it.
      if (this.placement === undefined && lastPod !== undefined && this.now >= lastPod && at > lastPod) this.placement = this.measure();
      if (at > horizon) break;
      this.now = Math.max(this.now, at);
    }
    this.placement ??= this.measure();
    return this.result(cpuStart);
  }

  private result(cpuStart: number | undefined): ReplayResult {
    const cpu = this.options.cpuTime;
    const decisions = this.figures.decisions;
    const speed: SpeedFigures = { decisions };
    if (cpu && cpuStart !== undefined) {
      speed.schedulingCpuMs = this.schedulingCpuMs;
      speed.decisionsPerCpuSecond = this.schedulingCpuMs > 0 ? decisions / (this.schedulingCpuMs / 1000) : 0;
      speed.totalCpuMs = cpu() - cpuStart;
    }
    const { lastBindingMs, ...counts } = this.figures;
    return {
      profile: this.options.name ?? this.schedulerName,
      schedulerName: this.schedulerName,
      seed: this.seed,
      trace: traceCounts(this.trace),
      endMs: this.now,
      events: this.seq,
      pods: podOutcomes(this.state),
      pendingReasons: pendingReasons(this.state),
      placement: this.placement!,
      scheduling: { ...counts, schedulingLatencyMs: latencyStats(this.latencies), lastBindingMs },
      speed,
    };
  }

  // ---- the log ---------------------------------------------------------------------------------

  private time(): string {
    if (this.isoAt !== this.now) {
      this.isoAt = this.now;
      this.iso = new Date(this.baseMs + this.now).toISOString();
    }
    return this.iso;
  }

  /** Appends one event to the replay's log: folded at once, then the scheduler hears of it. */
  private append(event: DomainEvent, source: string): number {
    const seq = ++this.seq;
    const record = {
      seq,
      subject: subjectFor(event),
      msgId: msgIdFor(event),
      event: envelope(event, { source, time: this.time(), id: `replay-${seq}` }),
    } as FlotillaRecord;
    const changes = applyEvent(this.state, record);
    this.options.onRecord?.(record);
    this.onApplied(record, changes);
    return seq;
  }

  private isPending(record: PodRecord): boolean {
    const phase = record.pod.status?.phase;
    return record.nodeName === undefined && record.deletion === undefined && phase !== 'Succeeded' && phase !== 'Failed';
  }

  /** The scheduler service's reaction to the fold (SchedulerLoop.onApplied), for one scheduler. */
  private onApplied(record: FlotillaRecord, changes: StateChange[]): void {
    this.nodeInfos.applyChanges(changes);
    const event = record.event;
    let clusterChanged: ClusterEvent | undefined;
    for (const change of changes) {
      if (change.kind === 'Node') {
        clusterChanged = change.type === 'ADDED' ? 'NodeAdded' : change.type === 'MODIFIED' ? 'NodeUpdated' : clusterChanged;
        continue;
      }
      if (change.kind !== 'Pod') continue;
      const key = change.key;
      if (change.type === 'DELETED') {
        this.queue.delete(key);
        clusterChanged = 'PodDeleted';
        continue;
      }
      const pod = this.state.pods.get(key);
      if (!pod) continue;
      if (change.type === 'ADDED' && this.isPending(pod)) {
        this.queue.add(key, pod.pod.spec.priority ?? 0, this.now);
      } else if (event.type === 'PodBound') {
        if (this.isPending(pod)) this.queue.addBackoff(key, pod.schedulingAttempts, this.now);
        else this.queue.delete(key);
      } else if (event.type === 'PodSandboxRemoved' || event.type === 'PodEvicted' || (pod.released && event.type === 'ContainerTerminated')) {
        // An evicted pod frees its room as a removed sandbox does.
        clusterChanged = 'PodReleased';
      }
    }
    if (clusterChanged) this.queue.moveAllToActiveOrBackoff(clusterChanged, this.now);
  }

  // ---- the scheduler ---------------------------------------------------------------------------

  private scheduleOne(key: string): void {
    const state = this.state;
    const record = state.pods.get(key);
    if (!record || !this.isPending(record)) {
      this.queue.done(key);
      return;
    }
    this.figures.decisions++;
    const { uid } = record.pod.metadata;
    const nodes = withNominatedPods(this.nodeInfos.nodes(), state, this.assumed, record);
    const maxVerdicts = nodes.length <= (this.options.fullTableMaxNodes ?? 16) ? undefined : (this.options.verdictsKept ?? 8);
    const cpu = this.options.cpuTime;
    const before = cpu?.();
    const result = this.framework.schedulePod({ pod: record, nodes, pods: state.pods, tieBreakSeed: `${this.seed}:${uid}`, maxVerdicts });
    if (cpu && before !== undefined) this.schedulingCpuMs += cpu() - before;
    const attempt = record.schedulingAttempts + 1;
    if (result.feasible && result.nodeName) {
      const nodeName = result.nodeName;
      const seq = this.append(podBoundEvent(record, { ...result, nodeName }, attempt), SOURCE_SCHEDULER);
      this.queue.done(key);
      const bound = state.pods.get(key);
      if (bound?.boundSeq === seq) {
        this.figures.bindings++;
        this.figures.lastBindingMs = this.now;
        const created = this.createdAt.get(uid);
        if (created !== undefined) this.latencies.push(this.now - created);
        this.after(this.timings.sandboxMs, () => this.sandboxReady(key, uid, nodeName));
      } else {
        this.figures.bindingRejections++;
      }
      return;
    }
    if (result.error) {
      this.figures.errors++;
      this.queue.addBackoff(key, attempt, this.now);
      return;
    }
    this.figures.unschedulable++;
    this.queue.addUnschedulable(key, attempt, this.now, { requeueOn: result.requeueOn });
    // The same events the scheduler service writes for this decision, in the same order.
    for (const event of unschedulableEvents(this.state, record, result, attempt)) {
      this.append(event, SOURCE_SCHEDULER);
      if (event.type === 'PodDeletionRequested') {
        this.figures.victims++;
        this.stopLater(podKey(event.data.namespace, event.data.name), event.data.uid, 'Deleted');
      } else if (event.type === 'PodNominated') {
        this.figures.preemptions++;
      }
    }
  }

  // ---- arrivals --------------------------------------------------------------------------------

  private arrive(arrival: TraceArrival, index: number): void {
    switch (arrival.type) {
      case 'NodeRegistered': {
        const manifest = arrival.node;
        const name = manifest.metadata.name ?? '';
        const node = nodeForRegister(manifest, { uid: manifest.metadata.uid ?? `replay-node-${name}`, now: this.time() });
        this.append({ type: 'NodeRegistered', data: { node } }, `replay-node/${name}`);
        break;
      }
      case 'NodeUpdated': {
        const { t: _t, type: _type, ...data } = arrival;
        if (this.state.nodes.has(data.name)) this.append({ type: 'NodeUpdated', data }, SOURCE_API);
        break;
      }
      case 'NodeRemoved':
        if (this.state.nodes.has(arrival.name)) this.append({ type: 'NodeRemoved', data: { name: arrival.name } }, SOURCE_API);
        break;
      case 'NodeFailed':
        this.nodeFailed(arrival.name, arrival.evictAfterMs);
        break;
      case 'NodeRecovered':
        if (this.state.nodes.get(arrival.name)?.unreachable) {
          this.failures.delete(arrival.name);
          this.append({ type: 'NodeMarkedReachable', data: { name: arrival.name, leaseRenewTime: this.time() } }, SOURCE_CONTROLLER);
        }
        break;
      case 'PodCreated':
        this.podCreated(arrival, index);
        break;
      case 'PodDeletionRequested':
        this.deletionRequested(arrival);
        break;
      default: {
        const _unknown: never = arrival;
        break;
      }
    }
  }

  private podCreated(arrival: Extract<TraceArrival, { type: 'PodCreated' }>, index: number): void {
    const { pod: input } = arrival;
    const uid = input.uid ?? `replay-pod-${index}`;
    const ownerReferences = input.ownerReferences?.map(replayedOwner);
    const pod: Pod = podForCreate(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: input.name,
          namespace: input.namespace,
          ...(input.labels ? { labels: input.labels } : {}),
          ...(input.annotations ? { annotations: input.annotations } : {}),
          ...(ownerReferences ? { ownerReferences } : {}),
        },
        // The profile under test schedules every pod of the trace.
        spec: { ...input.spec, schedulerName: this.schedulerName },
      },
      { uid, now: this.time() },
    );
    this.append({ type: 'PodCreated', data: { pod } }, SOURCE_API);
    const created = this.state.pods.get(`${input.namespace}/${input.name}`);
    if (created?.pod.metadata.uid !== uid) {
      this.figures.refusedCreations++;
      return;
    }
    this.createdAt.set(uid, this.now);
    if (arrival.runMs !== undefined) this.runs.set(uid, { runMs: arrival.runMs, exitCode: arrival.exitCode ?? 0 });
  }

  /** As the API's delete: a pod nothing runs is gone at once, a running one gets stopped by its node. */
  private deletionRequested(arrival: Extract<TraceArrival, { type: 'PodDeletionRequested' }>): void {
    const key = `${arrival.namespace}/${arrival.name}`;
    const record = this.state.pods.get(key);
    if (!record || (arrival.uid !== undefined && record.pod.metadata.uid !== arrival.uid) || record.deletion !== undefined) return;
    const { namespace, name, uid } = record.pod.metadata;
    if (record.nodeName === undefined || record.released) {
      this.append({ type: 'PodDeleted', data: { namespace, name, uid, reason: 'Deleted' } }, SOURCE_API);
      return;
    }
    const gracePeriodSeconds = arrival.gracePeriodSeconds ?? record.pod.spec.terminationGracePeriodSeconds ?? 30;
    this.append({ type: 'PodDeletionRequested', data: { namespace, name, uid, gracePeriodSeconds } }, SOURCE_API);
    this.stopLater(key, uid, undefined);
  }

  // ---- nodes failing ----------------------------------------------------------------------------

  private nodeFailed(name: string, evictAfterMs: number | undefined): void {
    const node = this.state.nodes.get(name);
    if (!node || node.unreachable) return;
    const failure = ++this.failureCount;
    this.failures.set(name, failure);
    this.append({ type: 'NodeMarkedUnreachable', data: { name, message: NODE_STATUS_UNKNOWN_MESSAGE } }, SOURCE_CONTROLLER);
    if (evictAfterMs !== undefined) this.agenda.add(this.now + evictAfterMs, () => this.evictionTaintAdded(name, failure));
  }

  /** The NoExecute taint goes on; each pod leaves when its tolerations say (the taint manager). */
  private evictionTaintAdded(name: string, failure: number): void {
    if (this.failures.get(name) !== failure) return;
    this.append({ type: 'NodeEvictionTaintAdded', data: { name } }, SOURCE_CONTROLLER);
    const node = this.state.nodes.get(name);
    const taint = node ? evictionTaint(node) : undefined;
    if (!node || !taint) return;
    for (const key of [...node.podKeys]) {
      const pod = this.state.pods.get(key);
      if (!pod) continue;
      const at = evictionTime(pod.pod.spec.tolerations, taint, this.now);
      if (at === undefined) continue;
      const uid = pod.pod.metadata.uid;
      this.agenda.add(Math.max(this.now, at), () => this.evict(key, uid, name, failure));
    }
  }

  private evict(key: string, uid: string, nodeName: string, failure: number): void {
    if (this.failures.get(nodeName) !== failure) return;
    const pod = this.state.pods.get(key);
    if (!pod || pod.pod.metadata.uid !== uid || pod.nodeName !== nodeName || pod.deletion !== undefined || pod.evicted !== undefined) return;
    const phase = pod.pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const { namespace, name } = pod.pod.metadata;
    this.append({ type: 'PodEvicted', data: { namespace, name, uid, nodeName, reason: NODE_LOST_REASON, message: nodeLostMessage(nodeName, name) } }, SOURCE_CONTROLLER);
    this.figures.evictions++;
  }

  // ---- the simulated node side ------------------------------------------------------------------

  private after(baseMs: number, action: Action): void {
    this.agenda.add(this.now + jittered(this.random, baseMs, this.timings.jitter), action);
  }

  /** The pod still bound to that node, running or about to, and not being deleted. */
  private onNode(key: string, uid: string, nodeName: string): PodRecord | undefined {
    const pod = this.state.pods.get(key);
    if (!pod || pod.pod.metadata.uid !== uid || pod.nodeName !== nodeName || pod.released || pod.deletion !== undefined || pod.evicted !== undefined) return undefined;
    return pod;
  }

  private sandboxReady(key: string, uid: string, nodeName: string): void {
    const pod = this.onNode(key, uid, nodeName);
    const node = this.state.nodes.get(nodeName);
    if (!pod || !node) return;
    const hostIP = node.node.status.addresses?.find((address) => address.type === 'InternalIP')?.address ?? '10.0.0.1';
    const { namespace, name } = pod.pod.metadata;
    this.append({ type: 'PodSandboxReady', data: { namespace, name, uid, nodeName, podIP: this.freeIp(nodeName), hostIP } }, `replay-node/${nodeName}`);
    this.after(this.timings.startMs, () => this.startContainers(key, uid, nodeName));
  }

  /** An address of the node's pod range not in use (the node's pods each have one). */
  private freeIp(nodeName: string): string {
    const node = this.state.nodes.get(nodeName);
    const cidr = node?.node.spec.podCIDR;
    const match = cidr === undefined ? null : /^(\d+\.\d+\.\d+)\.\d+\/(\d+)$/.exec(cidr);
    if (node && match && Number(match[2]) <= 24) {
      for (let host = 2; host < 255; host++) {
        const ip = `${match[1]}.${host}`;
        if (!node.podIPs.has(ip)) return ip;
      }
    }
    const n = ++this.fallbackIps;
    return `100.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
  }

  private startContainers(key: string, uid: string, nodeName: string): void {
    const pod = this.onNode(key, uid, nodeName);
    if (!pod) return;
    const source = `replay-node/${nodeName}`;
    const { namespace, name } = pod.pod.metadata;
    const startedAt = this.time();
    const base = { namespace, name, uid, nodeName, restartCount: 0 };
    for (const container of pod.pod.spec.initContainers ?? []) {
      this.append({ type: 'ContainerStarted', data: { ...base, container: container.name, kind: isSidecar(container) ? 'sidecar' : 'init', startedAt } }, source);
      if (!isSidecar(container)) {
        this.append(
          { type: 'ContainerTerminated', data: { ...base, container: container.name, kind: 'init', exitCode: 0, reason: 'Completed', startedAt, finishedAt: startedAt } },
          source,
        );
      }
    }
    for (const container of pod.pod.spec.containers) {
      this.append({ type: 'ContainerStarted', data: { ...base, container: container.name, kind: 'app', startedAt } }, source);
    }
    const run = this.runs.get(uid);
    // Only a pod whose restartPolicy lets it end ends by itself; an Always pod runs until deleted.
    if (run && (pod.pod.spec.restartPolicy ?? 'Always') !== 'Always') {
      this.agenda.add(this.now + run.runMs, () => this.finish(key, uid, nodeName, run.exitCode, startedAt));
    }
  }

  /** The pod's app containers exit (then its sidecars); a pod that ended gives its sandbox back. */
  private finish(key: string, uid: string, nodeName: string, exitCode: number, startedAt: string): void {
    const pod = this.onNode(key, uid, nodeName);
    if (!pod) return;
    const source = `replay-node/${nodeName}`;
    const { namespace, name } = pod.pod.metadata;
    const base = { namespace, name, uid, nodeName, restartCount: 0, startedAt, finishedAt: this.time() };
    for (const container of pod.pod.spec.containers) {
      this.append({ type: 'ContainerTerminated', data: { ...base, container: container.name, kind: 'app', exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } }, source);
    }
    for (const container of [...(pod.pod.spec.initContainers ?? [])].reverse()) {
      if (isSidecar(container)) this.append({ type: 'ContainerTerminated', data: { ...base, container: container.name, kind: 'sidecar', exitCode: 0, reason: 'Completed' } }, source);
    }
    const after = this.state.pods.get(key);
    if (after?.released && after.pod.metadata.uid === uid) this.append({ type: 'PodSandboxRemoved', data: { namespace, name, uid, nodeName } }, source);
  }

  /** The node stops a pod asked to leave: sandbox removed, then the pod object is gone. */
  private stopLater(key: string, uid: string, reason: string | undefined): void {
    this.after(this.timings.stopMs, () => {
      const pod = this.state.pods.get(key);
      if (!pod || pod.pod.metadata.uid !== uid) return;
      const { namespace, name } = pod.pod.metadata;
      if (pod.nodeName !== undefined) this.append({ type: 'PodSandboxRemoved', data: { namespace, name, uid, nodeName: pod.nodeName } }, `replay-node/${pod.nodeName}`);
      this.append({ type: 'PodDeleted', data: { namespace, name, uid, ...(reason !== undefined ? { reason } : {}) } }, pod.nodeName !== undefined ? `replay-node/${pod.nodeName}` : SOURCE_API);
    });
  }
}

/** A ReplicaSet controller reference under another kind: same uid (default spreading still groups the pods), no ReplicaSet to find. */
function replayedOwner(reference: OwnerReference): OwnerReference {
  return reference.controller === true && reference.kind === 'ReplicaSet' ? { ...reference, kind: REPLAYED_CONTROLLER_KIND } : reference;
}
