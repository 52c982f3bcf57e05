// Follows the log for the runner: each phase's pods (created, bound, Running, deleted, evicted, still
// live), what churn and a node kill did to them, and whether any node went over its capacity. One
// fold for all phases; times are the events' own (the writers' clocks), like RunRecorder's.
import type { FlotillaRecord } from '@flotilla/events';
import { latencyStats, type LatencyStats } from '@flotilla/measure';
import type { Pod } from '@flotilla/model';
import { applyEvent, createClusterState, podKey, type ClusterState } from '@flotilla/state';

export interface TrackedPod {
  uid: string;
  key: string;
  phase: number;
  createdMs: number;
  boundMs?: number;
  nodeName?: string;
  runningMs?: number;
  /** Its deletion was asked (or it was deleted outright). */
  deletedMs?: number;
  /** The node lifecycle controller evicted it (NodeLost). */
  evictedMs?: number;
}

export interface PhaseCounts {
  created: number;
  bound: number;
  running: number;
  deleted: number;
  evicted: number;
  /** Neither deleted nor evicted. */
  live: number;
  liveUnbound: number;
  liveNotRunning: number;
}

/** Pods created within a window of time and what became of them. */
export interface WindowFigures {
  created: number;
  /** Pods of the phase bound within the window (whenever created). */
  bound: number;
  boundPerSecond: number;
  /** Created -> bound, of the pods created within the window. */
  schedulingLatency: LatencyStats;
  /** Created -> Running, of the pods created within the window. */
  startupLatency: LatencyStats;
}

/** When something happened to a set of objects, in ms after the kill. */
export interface Milestones {
  count: number;
  /** Out of how many. */
  of: number;
  firstMs: number | null;
  /** When the last of them did (null until all did). */
  allMs: number | null;
}

export interface KillFigures {
  nodes: number;
  /** The phase's live pods bound to the killed nodes at the kill. */
  podsOnKilledNodes: number;
  /** NodeMarkedUnreachable (Ready=Unknown) of the killed nodes. */
  notReady: Milestones;
  /** NodeEvictionTaintAdded (the NoExecute taint: evictions may start) of the killed nodes. */
  evictionTaints: Milestones;
  /** PodEvicted of the pods on the killed nodes. */
  evictions: Milestones;
  replacements: {
    /** The phase's pods created after the kill. */
    created: number;
    bound: number;
    running: number;
    /** Kill -> each replacement replaced (Running, or bound when that is what counts). */
    fromKill: LatencyStats;
    /** The n-th eviction -> the n-th replacement (by creation) replaced. */
    fromEviction: LatencyStats;
    /** Created -> Running of the replacements. */
    startup: LatencyStats;
  };
  /** Kill -> the phase had `expected` live pods replaced off the killed nodes again (null: not yet). */
  recoveredMs: number | null;
  /** Expected pods missing: not live, replaced, and off the killed nodes (0 once recovered). */
  lost: number;
  /** Pods on the killed nodes not evicted. */
  notEvicted: number;
  recovered: boolean;
}

interface KillWatch {
  phase: number;
  nodes: ReadonlySet<string>;
  atMs: number;
  expected: number;
  waitFor: 'bound' | 'running';
  onKilled: Set<string>;
  notReady: Map<string, number>;
  taints: Map<string, number>;
}

export interface RunTrackerOptions {
  /** Only pods created by records after this sequence are tracked. */
  fromSeq?: number;
  /** The phases' pod filters, tested on each pod as created: the first that accepts it owns it. */
  phases: ReadonlyArray<(pod: Pod) => boolean>;
}

const emptyCounts = (): PhaseCounts => ({ created: 0, bound: 0, running: 0, deleted: 0, evicted: 0, live: 0, liveUnbound: 0, liveNotRunning: 0 });

export class RunTracker {
  readonly state: ClusterState;
  private readonly fromSeq: number;
  private readonly filters: ReadonlyArray<(pod: Pod) => boolean>;
  private readonly byUid = new Map<string, TrackedPod>();
  /** Per phase, in creation order. */
  private readonly phasePods: TrackedPod[][];
  private readonly counts: PhaseCounts[];
  private readonly kills: KillWatch[] = [];

  constructor(options: RunTrackerOptions) {
    this.fromSeq = options.fromSeq ?? 0;
    this.filters = options.phases;
    this.phasePods = options.phases.map(() => []);
    this.counts = options.phases.map(emptyCounts);
    this.state = createClusterState({ maxEvents: 0 });
  }

  /** Feeds the next record of the log (every record, in order; earlier sequences are ignored). */
  apply(record: FlotillaRecord): void {
    if (record.seq <= this.state.seq) return;
    applyEvent(this.state, record);
    if (record.seq <= this.fromSeq) return;
    const event = record.event;
    const timeMs = Date.parse(event.time);
    if (Number.isNaN(timeMs)) return;

    switch (event.type) {
      case 'PodCreated':
        this.podCreated(event.data.pod, record.seq, timeMs);
        return;
      case 'NodeMarkedUnreachable':
        for (const kill of this.kills) if (kill.nodes.has(event.data.name) && !kill.notReady.has(event.data.name)) kill.notReady.set(event.data.name, timeMs);
        return;
      case 'NodeEvictionTaintAdded':
        for (const kill of this.kills) if (kill.nodes.has(event.data.name) && !kill.taints.has(event.data.name)) kill.taints.set(event.data.name, timeMs);
        return;
      default:
        break;
    }
    const uid = (event.data as { uid?: unknown }).uid;
    if (typeof uid !== 'string') return;
    const pod = this.byUid.get(uid);
    if (!pod) return;
    const stored = this.state.pods.get(pod.key);
    const current = stored?.pod.metadata.uid === uid ? stored : undefined;
    this.change(pod, () => {
      switch (event.type) {
        case 'PodBound':
          if (current !== undefined && current.boundSeq === record.seq) this.markBound(pod, timeMs, current.nodeName);
          break;
        case 'PodDeletionRequested':
        case 'PodDeleted':
          pod.deletedMs ??= timeMs;
          break;
        case 'PodEvicted':
          // Only an eviction the fold took (not one for a pod already gone or evicted).
          if (current?.evicted !== undefined && pod.evictedMs === undefined) {
            pod.evictedMs = timeMs;
            this.counts[pod.phase]!.evicted++;
          }
          break;
        default:
          break;
      }
      if (pod.runningMs === undefined && current?.pod.status?.phase === 'Running') {
        pod.runningMs = timeMs;
        this.counts[pod.phase]!.running++;
      }
    });
  }

  phaseCounts(phase: number): PhaseCounts {
    return { ...(this.counts[phase] ?? emptyCounts()) };
  }

  /** The phase's pods in creation order. */
  pods(phase: number): readonly TrackedPod[] {
    return this.phasePods[phase] ?? [];
  }

  /** Figures of the phase's pods created within [fromMs, toMs] (and its bindings within it). */
  window(phase: number, fromMs: number, toMs: number): WindowFigures {
    const scheduling: number[] = [];
    const startup: number[] = [];
    let created = 0;
    let bound = 0;
    for (const pod of this.pods(phase)) {
      if (pod.boundMs !== undefined && pod.boundMs >= fromMs && pod.boundMs <= toMs) bound++;
      if (pod.createdMs < fromMs || pod.createdMs > toMs) continue;
      created++;
      if (pod.boundMs !== undefined) scheduling.push(pod.boundMs - pod.createdMs);
      if (pod.runningMs !== undefined) startup.push(pod.runningMs - pod.createdMs);
    }
    const seconds = (toMs - fromMs) / 1000;
    return { created, bound, boundPerSecond: seconds > 0 ? bound / seconds : 0, schedulingLatency: latencyStats(scheduling), startupLatency: latencyStats(startup) };
  }

  /** The phase's live pods bound to a node that is no longer registered (its node was removed). */
  orphaned(phase: number): number {
    let count = 0;
    for (const pod of this.pods(phase)) if (isLive(pod) && pod.nodeName !== undefined && !this.state.nodes.has(pod.nodeName)) count++;
    return count;
  }

  /** Nodes whose bound pods request more than they can hold, one line each (none expected: the fold refuses such bindings). */
  capacityViolations(): string[] {
    const out: string[] = [];
    for (const [name, node] of this.state.nodes) {
      for (const [resource, requested] of Object.entries(node.requested)) {
        const allocatable = node.allocatable[resource] ?? 0;
        if (requested > allocatable) out.push(`${name}: ${resource} requested ${requested} > allocatable ${allocatable}`);
      }
    }
    return out;
  }

  /**
   * Starts watching a kill: `nodes` were killed at `atMs`; the phase should get back to `expected`
   * live pods bound (or Running) on other nodes. Answers the kill's id for killFigures.
   */
  startKill(input: { phase: number; nodes: readonly string[]; atMs: number; expected: number; waitFor: 'bound' | 'running' }): number {
    const nodes = new Set(input.nodes);
    const onKilled = new Set<string>();
    for (const pod of this.pods(input.phase)) if (isLive(pod) && pod.nodeName !== undefined && nodes.has(pod.nodeName)) onKilled.add(pod.uid);
    this.kills.push({ phase: input.phase, nodes, atMs: input.atMs, expected: input.expected, waitFor: input.waitFor, onKilled, notReady: new Map(), taints: new Map() });
    return this.kills.length - 1;
  }

  /** What the kill did so far (O(the phase's pods)). */
  killFigures(id: number): KillFigures {
    const kill = this.kills[id];
    if (!kill) throw new RangeError(`no kill ${id} (started: ${this.kills.length})`);
    const replaced = (pod: TrackedPod): number | undefined => (kill.waitFor === 'running' ? pod.runningMs : pod.boundMs);
    const evictions: number[] = [];
    let notEvicted = 0;
    for (const uid of kill.onKilled) {
      const evictedMs = this.byUid.get(uid)?.evictedMs;
      if (evictedMs === undefined) notEvicted++;
      else evictions.push(evictedMs - kill.atMs);
    }
    evictions.sort((a, b) => a - b);

    const replacements = this.pods(kill.phase).filter((pod) => pod.createdMs >= kill.atMs);
    const fromKill: number[] = [];
    const startup: number[] = [];
    const fromEviction: number[] = [];
    let lastReplacedMs: number | undefined;
    replacements.forEach((pod, i) => {
      const at = replaced(pod);
      if (pod.runningMs !== undefined) startup.push(pod.runningMs - pod.createdMs);
      if (at === undefined) return;
      fromKill.push(at - kill.atMs);
      lastReplacedMs = Math.max(lastReplacedMs ?? at, at);
      const evicted = evictions[i];
      if (evicted !== undefined) fromEviction.push(at - kill.atMs - evicted);
    });

    let healthy = 0;
    for (const pod of this.pods(kill.phase)) {
      if (isLive(pod) && replaced(pod) !== undefined && pod.nodeName !== undefined && !kill.nodes.has(pod.nodeName)) healthy++;
    }
    const lost = Math.max(0, kill.expected - healthy);
    const recovered = lost === 0 && notEvicted === 0;
    const milestones = (times: number[], of: number): Milestones => ({
      count: times.length,
      of,
      firstMs: times.length > 0 ? Math.min(...times) : null,
      allMs: times.length >= of && times.length > 0 ? Math.max(...times) : null,
    });
    const since = (map: Map<string, number>): number[] => [...map.values()].map((t) => t - kill.atMs);
    return {
      nodes: kill.nodes.size,
      podsOnKilledNodes: kill.onKilled.size,
      notReady: milestones(since(kill.notReady), kill.nodes.size),
      evictionTaints: milestones(since(kill.taints), kill.nodes.size),
      evictions: milestones(evictions, kill.onKilled.size),
      replacements: {
        created: replacements.length,
        bound: replacements.filter((p) => p.boundMs !== undefined).length,
        running: replacements.filter((p) => p.runningMs !== undefined).length,
        fromKill: latencyStats(fromKill),
        fromEviction: latencyStats(fromEviction),
        startup: latencyStats(startup),
      },
      recoveredMs: recovered ? (lastReplacedMs !== undefined ? lastReplacedMs - kill.atMs : 0) : null,
      lost,
      notEvicted,
      recovered,
    };
  }

  private podCreated(pod: Pod, seq: number, timeMs: number): void {
    const uid = pod.metadata.uid;
    if (uid === undefined || this.byUid.has(uid)) return;
    const key = podKey(pod.metadata.namespace, pod.metadata.name);
    const stored = this.state.pods.get(key);
    // The fold may refuse a creation (name taken, ReplicaSet already full): that is no pod.
    if (stored?.pod.metadata.uid !== uid) return;
    const phase = this.filters.findIndex((accepts) => accepts(pod));
    if (phase === -1) return;
    const tracked: TrackedPod = { uid, key, phase, createdMs: timeMs };
    this.byUid.set(uid, tracked);
    this.phasePods[phase]!.push(tracked);
    const counts = this.counts[phase]!;
    counts.created++;
    counts.live++;
    counts.liveUnbound++;
    counts.liveNotRunning++;
    // A pod created with spec.nodeName is bound by its creation: there is no PodBound.
    if (stored.boundSeq === seq) this.change(tracked, () => this.markBound(tracked, timeMs, stored.nodeName));
  }

  private markBound(pod: TrackedPod, timeMs: number, nodeName: string | undefined): void {
    if (pod.boundMs !== undefined) return;
    pod.boundMs = timeMs;
    if (nodeName !== undefined) pod.nodeName = nodeName;
    this.counts[pod.phase]!.bound++;
  }

  /** Applies `update` to the pod and keeps the phase's live counts in step. */
  private change(pod: TrackedPod, update: () => void): void {
    const before = classify(pod);
    const wasDeleted = pod.deletedMs !== undefined;
    update();
    const after = classify(pod);
    const counts = this.counts[pod.phase]!;
    counts.live += after.live - before.live;
    counts.liveUnbound += after.unbound - before.unbound;
    counts.liveNotRunning += after.notRunning - before.notRunning;
    if (!wasDeleted && pod.deletedMs !== undefined) counts.deleted++;
  }
}

function isLive(pod: TrackedPod): boolean {
  return pod.deletedMs === undefined && pod.evictedMs === undefined;
}

function classify(pod: TrackedPod): { live: number; unbound: number; notRunning: number } {
  const live = isLive(pod) ? 1 : 0;
  return { live, unbound: live && pod.boundMs === undefined ? 1 : 0, notRunning: live && pod.runningMs === undefined ? 1 : 0 };
}
