import type { EventLog } from '@flotilla/eventlog';
import type { DomainEvent, FlotillaRecord } from '@flotilla/events';
import {
  AssumedPods,
  NodeInfoCache,
  SchedulingQueue,
  createFramework,
  podBoundEvent,
  unschedulableEvents,
  withNominatedPods,
  type Framework,
  type Profile,
  type ScheduleResult,
} from '@flotilla/scheduling';
import type { PodRecord, StateChange } from '@flotilla/state';
import { appendWithRetry, type LiveProjection, type Logger } from '@flotilla/service-kit';

export interface SchedulerLoopOptions {
  log: EventLog;
  projection: LiveProjection;
  profiles: Profile[];
  logger: Logger;
  /** Identity written as the event source; replicas get distinct names. */
  source?: string;
  now?: () => number;
  /**
   * On clusters larger than fullTableMaxNodes, how many node verdicts each event keeps: the chosen
   * node, the best alternatives, one node per distinct rejection. The summary counts every node.
   */
  verdictsKept?: number;
  /** Clusters up to this many nodes keep the whole verdict table in each event. Default 16. */
  fullTableMaxNodes?: number;
  /**
   * Bindings appended and not yet acknowledged, at most. Like kube-scheduler's asynchronous binding
   * cycle: the next pod is scheduled while earlier bindings travel, against the assumed pods. Default 256.
   */
  bindsInFlight?: number;
  /** Told of every scheduling attempt (for scheduler_scheduling_attempt_duration_seconds): its result, profile and duration. */
  onAttempt?: (result: 'scheduled' | 'unschedulable' | 'error', profile: string, seconds: number) => void;
}

export const DEFAULT_BINDS_IN_FLIGHT = 256;

/** How long the loop decides back to back before it lets the event loop run. */
const DECISION_SLICE_MS = 5;

/** What the service counts, for /metrics. */
export interface SchedulerStats {
  /** Scheduling cycles run. */
  attempts: number;
  /** Cycles that chose a node (kube-scheduler's result="scheduled"). */
  bound: number;
  unschedulable: number;
  /** Cycles that failed (a plugin error, a failed append). */
  errors: number;
  /** Our bindings the fold rejected: another binding (another replica's) took the pod or the room first. */
  conflicts: number;
  /** Our decisions dropped because another replica had already written that attempt (same Nats-Msg-Id). */
  duplicates: number;
  /** Cycles that retried a pod after one of our bindings lost or a cycle failed. */
  retries: number;
  /** Appends retried after a timeout or an unreachable server. */
  appendRetries: number;
}

/**
 * The scheduler's shell: reacts to the fold, keeps kube-scheduler's queue, runs the framework for one
 * pod at a time and appends the decision. Between appending a PodBound and seeing it folded, the pod is
 * "assumed" on its node so the next decision accounts for it; the fold has the final word either way.
 */
export class SchedulerLoop {
  private readonly queue = new SchedulingQueue();
  private readonly assumed = new AssumedPods();
  /** The node list across cycles, refreshed from the fold's changes and the assumptions. */
  private readonly nodeInfos: NodeInfoCache;
  /** Pods whose last cycle here lost its binding or failed: their next cycle is a retry. */
  private readonly retrying = new Set<string>();
  /** The last binding that took effect per node, to name the winner of a conflict. */
  private readonly lastBindingOn = new Map<string, { pod: string; source: string; seq: number }>();
  /** One framework per profile, keyed by schedulerName; plugins are built once, at start-up. */
  private readonly profiles: Map<string, Framework>;
  private readonly now: () => number;
  private readonly source: string;
  private running = false;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  /** Binding appends not yet acknowledged. */
  private readonly binding = new Set<Promise<void>>();
  private readonly maxBindsInFlight: number;
  readonly stats: SchedulerStats = { attempts: 0, bound: 0, unschedulable: 0, errors: 0, conflicts: 0, duplicates: 0, retries: 0, appendRetries: 0 };

  constructor(private readonly options: SchedulerLoopOptions) {
    this.profiles = new Map(options.profiles.map((p) => [p.schedulerName, createFramework(p)]));
    this.now = options.now ?? Date.now;
    this.source = options.source ?? 'scheduler';
    this.maxBindsInFlight = Math.max(1, options.bindsInFlight ?? DEFAULT_BINDS_IN_FLIGHT);
    this.nodeInfos = new NodeInfoCache(options.projection.state, this.assumed);
    options.projection.onApplied((record, changes) => this.onApplied(record, changes));
  }

  /** Call after the projection caught up: every pending pod of ours enters the active queue. */
  start(): void {
    const now = this.now();
    for (const record of this.options.projection.state.pods.values()) {
      if (this.isOurs(record) && this.isPending(record)) this.queue.add(record.key, record.pod.spec.priority ?? 0, now);
    }
    this.running = true;
    this.loopDone = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loopDone;
    await Promise.all(this.binding);
  }

  /** Bindings appended and not yet acknowledged. */
  get bindsInFlight(): number {
    return this.binding.size;
  }

  queueStats(): ReturnType<SchedulingQueue['stats']> {
    return this.queue.stats();
  }

  private isOurs(record: PodRecord): boolean {
    return this.profiles.has(record.pod.spec.schedulerName ?? 'default-scheduler');
  }

  private isPending(record: PodRecord): boolean {
    const phase = record.pod.status?.phase;
    return record.nodeName === undefined && record.deletion === undefined && phase !== 'Succeeded' && phase !== 'Failed';
  }

  private onApplied(record: FlotillaRecord, changes: StateChange[]): void {
    this.nodeInfos.applyChanges(changes);
    const now = this.now();
    const event = record.event;
    let clusterChanged: 'NodeAdded' | 'NodeUpdated' | 'PodDeleted' | 'PodReleased' | undefined;
    for (const change of changes) {
      if (change.kind === 'Node') {
        clusterChanged = change.type === 'ADDED' ? 'NodeAdded' : change.type === 'MODIFIED' ? 'NodeUpdated' : clusterChanged;
        continue;
      }
      if (change.kind !== 'Pod') continue;
      const key = change.key;
      if (change.type === 'DELETED') {
        this.queue.delete(key);
        this.assumed.forget(key);
        clusterChanged = 'PodDeleted';
        continue;
      }
      const pod = this.options.projection.state.pods.get(key);
      if (event.type === 'PodBound' && pod?.nodeName !== undefined && pod.boundSeq === record.seq) {
        this.lastBindingOn.set(pod.nodeName, { pod: key, source: event.source, seq: record.seq });
      }
      if (!pod || !this.isOurs(pod)) continue;
      if (change.type === 'ADDED' && this.isPending(pod)) {
        this.queue.add(key, pod.pod.spec.priority ?? 0, now);
      } else if (event.type === 'PodBound') {
        // Our assumption is settled by the fold, accepted or not.
        this.assumed.forget(key);
        // Every replica sees every binding; only a binding this replica wrote is its conflict.
        if (event.source === this.source && pod.lastBindingRejection?.seq === record.seq) this.bindingLost(pod, event.data.nodeName);
        if (this.isPending(pod)) this.queue.addBackoff(key, pod.schedulingAttempts, now);
        else this.queue.delete(key);
      } else if (event.type === 'PodAdmissionRejected' && this.isPending(pod)) {
        this.queue.addBackoff(key, pod.schedulingAttempts, now);
        clusterChanged = 'PodReleased';
      } else if (event.type === 'PodSandboxRemoved' || event.type === 'PodEvicted' || (pod.released && event.type === 'ContainerTerminated')) {
        clusterChanged = 'PodReleased';
      }
    }
    if (this.assumed.size > 0) this.assumed.reconcile(this.options.projection.state, podKeys(changes));
    if (clusterChanged) this.queue.moveAllToActiveOrBackoff(clusterChanged, now);
    this.wake?.();
  }

  private async run(): Promise<void> {
    let sliceStart = performance.now();
    while (this.running) {
      const key = this.queue.pop(this.now());
      if (key === undefined) {
        // Idle: a full pass settles anything the per-event checks could not see.
        this.assumed.reconcile(this.options.projection.state);
        const wait = this.queue.nextWakeup(this.now());
        await new Promise<void>((resolve) => {
          const timer = wait === undefined ? undefined : setTimeout(resolve, Math.max(1, wait));
          this.wake = () => {
            if (timer) clearTimeout(timer);
            this.wake = undefined;
            resolve();
          };
        });
        sliceStart = performance.now();
        continue;
      }
      try {
        // A pod that binds is decided synchronously; only an unschedulable one waits for its event.
        const pending = this.scheduleOne(key);
        if (pending) await pending;
      } catch (error) {
        this.attemptFailed(key, error);
      }
      if (this.binding.size >= this.maxBindsInFlight) {
        // The window is full: wait for one binding to be acknowledged before deciding more.
        await Promise.race(this.binding);
        sliceStart = performance.now();
      } else if (performance.now() - sliceStart >= DECISION_SLICE_MS) {
        // Decisions made back to back leave the client's outbound buffer as one socket write; the
        // event loop gets its turn (new events folded, acknowledgements read) between slices.
        await new Promise<void>((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
  }

  private attemptFailed(key: string, error: unknown): void {
    this.stats.errors++;
    this.retrying.add(key);
    this.assumed.forget(key);
    this.options.logger.error('scheduling attempt failed', { pod: key, error });
    const record = this.options.projection.state.pods.get(key);
    if (record) this.queue.addBackoff(key, record.schedulingAttempts + 1, this.now());
  }

  /** Decides one pod; returns a promise only when something must be awaited (an unschedulable pod's events). */
  private scheduleOne(key: string): Promise<void> | undefined {
    const state = this.options.projection.state;
    const record = state.pods.get(key);
    if (!record || !this.isPending(record) || !this.isOurs(record)) return;
    const schedulerName = record.pod.spec.schedulerName ?? 'default-scheduler';
    const framework = this.profiles.get(schedulerName)!;
    this.stats.attempts++;
    if (this.retrying.delete(key)) this.stats.retries++;
    const { uid } = record.pod.metadata;
    // Seeding ties with the uid spreads equal-scored pods and keeps replicas deterministic.
    // Pods nominated by preemption hold their room against pods of lower or equal priority.
    const nodes = withNominatedPods(this.nodeInfos.nodes(), state, this.assumed, record);
    // Small clusters keep the whole verdict table; large ones the best nodes (the summary counts all).
    const maxVerdicts = nodes.length <= (this.options.fullTableMaxNodes ?? 16) ? undefined : (this.options.verdictsKept ?? 8);
    const started = performance.now();
    const result = framework.schedulePod({ pod: record, nodes, pods: state.pods, tieBreakSeed: uid, maxVerdicts });
    const observe = (outcome: 'scheduled' | 'unschedulable' | 'error'): void => this.options.onAttempt?.(outcome, schedulerName, (performance.now() - started) / 1000);
    const attempt = record.schedulingAttempts + 1;
    const meta = { source: this.source, time: new Date(this.now()).toISOString() };
    if (result.feasible && result.nodeName) {
      this.assumed.assume(record, result.nodeName);
      this.queue.done(key);
      this.stats.bound++;
      observe('scheduled');
      // Not awaited: the next pod is decided against this assumption while the binding travels.
      const binding = this.bind(key, attempt, meta, podBoundEvent(record, { ...result, nodeName: result.nodeName }, attempt));
      this.binding.add(binding);
      void binding.finally(() => this.binding.delete(binding));
      return;
    }
    if (result.error) {
      this.stats.errors++;
      observe('error');
      this.retrying.add(key);
      this.options.logger.error('plugin error', { pod: key, ...result.error });
      this.queue.addBackoff(key, attempt, this.now());
      return;
    }
    this.stats.unschedulable++;
    observe('unschedulable');
    this.queue.addUnschedulable(key, attempt, this.now(), { requeueOn: result.requeueOn });
    return this.recordFailure(record, result, attempt, meta);
  }

  private async recordFailure(record: PodRecord, result: ScheduleResult, attempt: number, meta: { source: string; time: string }): Promise<void> {
    const events = unschedulableEvents(this.options.projection.state, record, result, attempt);
    if (result.nominatedNodeName) {
      this.options.logger.info('preempting', { pod: record.key, node: result.nominatedNodeName, victims: (result.victims ?? []).map((victim) => victim.key) });
    }
    // In order: the victims' deletions, the nomination, then the attempt's failure.
    for (const event of events) await appendWithRetry(this.options.log, event, meta, { onRetry: () => void this.stats.appendRetries++ });
  }

  /** Appends one PodBound; a failure (retries exhausted: the outcome is unknown) sends the pod to backoff. */
  private async bind(key: string, attempt: number, meta: { source: string; time: string }, event: Extract<DomainEvent, { type: 'PodBound' }>): Promise<void> {
    let retried = false;
    try {
      const appended = await appendWithRetry(this.options.log, event, meta, { onRetry: () => { retried = true; this.stats.appendRetries++; } });
      if (appended.duplicate && !retried) {
        // Another replica wrote this attempt first (same Nats-Msg-Id): its decision is the one the fold judges.
        this.stats.duplicates++;
        this.retrying.add(key);
        this.options.logger.info('decision superseded by another replica', { pod: key, attempt, node: event.data.nodeName, seq: appended.seq });
      }
    } catch (error) {
      this.stats.bound--;
      // The fold may have applied it meanwhile (a timed-out append can still be stored): then the pod is no longer pending.
      const record = this.options.projection.state.pods.get(key);
      if (record && this.isPending(record)) this.attemptFailed(key, error);
      else this.options.logger.error('binding append failed, but the fold holds a binding', { pod: key, error });
    }
  }

  /**
   * One of our bindings lost: the fold rejected it because another binding took the pod (AlreadyBound)
   * or the room on the node first. Counted, logged with the winner, and the pod is retried.
   */
  private bindingLost(pod: PodRecord, nodeName: string): void {
    this.stats.conflicts++;
    this.retrying.add(pod.key);
    const rejection = pod.lastBindingRejection;
    const boundTo = pod.nodeName;
    // The pod itself went elsewhere (or to the same node) first; otherwise the last binding onto that node took the room.
    const last = this.lastBindingOn.get(boundTo ?? nodeName);
    const winner =
      boundTo !== undefined
        ? { pod: pod.key, node: boundTo, seq: pod.boundSeq, ...(last?.pod === pod.key ? { by: last.source } : {}) }
        : last !== undefined
          ? { pod: last.pod, node: nodeName, seq: last.seq, by: last.source }
          : undefined;
    this.options.logger.info('binding conflict', {
      pod: pod.key,
      node: nodeName,
      reason: rejection?.reason,
      message: rejection?.message,
      winner,
      conflicts: this.stats.conflicts,
    });
  }
}

function* podKeys(changes: readonly StateChange[]): Iterable<string> {
  for (const change of changes) if (change.kind === 'Pod') yield change.key;
}
