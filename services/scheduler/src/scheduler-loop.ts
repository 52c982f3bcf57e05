import type { EventLog } from '@flotilla/eventlog';
import type { FlotillaRecord, NodeVerdict } from '@flotilla/events';
import { AssumedPods, SchedulingQueue, buildNodeInfos, createFramework, type Framework, type Profile } from '@flotilla/scheduling';
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
  /** How many node verdicts to keep in each event (the chosen node plus the best alternatives). */
  verdictsKept?: number;
}

/**
 * The scheduler's shell: reacts to the fold, keeps kube-scheduler's queue, runs the framework for one
 * pod at a time and appends the decision. Between appending a PodBound and seeing it folded, the pod is
 * "assumed" on its node so the next decision accounts for it; the fold has the final word either way.
 */
export class SchedulerLoop {
  private readonly queue = new SchedulingQueue();
  private readonly assumed = new AssumedPods();
  /** One framework per profile, keyed by schedulerName; plugins are built once, at start-up. */
  private readonly profiles: Map<string, Framework>;
  private readonly now: () => number;
  private readonly source: string;
  private running = false;
  private wake: (() => void) | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  readonly stats = { attempts: 0, bound: 0, unschedulable: 0, conflicts: 0, errors: 0 };

  constructor(private readonly options: SchedulerLoopOptions) {
    this.profiles = new Map(options.profiles.map((p) => [p.schedulerName, createFramework(p)]));
    this.now = options.now ?? Date.now;
    this.source = options.source ?? 'scheduler';
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
      if (!pod || !this.isOurs(pod)) continue;
      if (change.type === 'ADDED' && this.isPending(pod)) {
        this.queue.add(key, pod.pod.spec.priority ?? 0, now);
      } else if (event.type === 'PodBound') {
        // Our assumption is settled by the fold, accepted or not.
        this.assumed.forget(key);
        if (this.isPending(pod)) {
          this.stats.conflicts++;
          this.options.logger.info('binding rejected by the fold', { pod: key, reason: pod.lastBindingRejection?.reason, message: pod.lastBindingRejection?.message });
          this.queue.addBackoff(key, pod.schedulingAttempts, now);
        } else {
          this.queue.delete(key);
        }
      } else if (event.type === 'PodAdmissionRejected' && this.isPending(pod)) {
        this.queue.addBackoff(key, pod.schedulingAttempts, now);
        clusterChanged = 'PodReleased';
      } else if (event.type === 'PodSandboxRemoved' || (pod.released && event.type === 'ContainerTerminated')) {
        clusterChanged = 'PodReleased';
      }
    }
    this.assumed.reconcile(this.options.projection.state);
    if (clusterChanged) this.queue.moveAllToActiveOrBackoff(clusterChanged, now);
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const key = this.queue.pop(this.now());
      if (key === undefined) {
        const wait = this.queue.nextWakeup(this.now());
        await new Promise<void>((resolve) => {
          const timer = wait === undefined ? undefined : setTimeout(resolve, Math.max(1, wait));
          this.wake = () => {
            if (timer) clearTimeout(timer);
            this.wake = undefined;
            resolve();
          };
        });
        continue;
      }
      try {
        await this.scheduleOne(key);
      } catch (error) {
        this.stats.errors++;
        this.assumed.forget(key);
        this.options.logger.error('scheduling attempt failed', { pod: key, error });
        const record = this.options.projection.state.pods.get(key);
        if (record) this.queue.addBackoff(key, record.schedulingAttempts + 1, this.now());
      }
    }
  }

  private async scheduleOne(key: string): Promise<void> {
    const state = this.options.projection.state;
    const record = state.pods.get(key);
    if (!record || !this.isPending(record) || !this.isOurs(record)) return;
    const schedulerName = record.pod.spec.schedulerName ?? 'default-scheduler';
    const framework = this.profiles.get(schedulerName)!;
    this.stats.attempts++;
    const { namespace, name, uid } = record.pod.metadata;
    // Seeding ties with the uid spreads equal-scored pods and keeps replicas deterministic.
    const result = framework.schedulePod({ pod: record, nodes: buildNodeInfos(state, this.assumed), pods: state.pods, tieBreakSeed: uid });
    const attempt = record.schedulingAttempts + 1;
    const meta = { source: this.source, time: new Date(this.now()).toISOString() };
    if (result.feasible && result.nodeName) {
      this.assumed.assume(record, result.nodeName);
      await appendWithRetry(this.options.log, {
        type: 'PodBound',
        data: { namespace, name, uid, nodeName: result.nodeName, schedulerName, attempt, verdicts: this.trim(result.verdicts, result.nodeName) },
      }, meta);
      this.queue.done(key);
      this.stats.bound++;
      return;
    }
    if (result.error) {
      this.stats.errors++;
      this.options.logger.error('plugin error', { pod: key, ...result.error });
      this.queue.addBackoff(key, attempt, this.now());
      return;
    }
    this.stats.unschedulable++;
    this.queue.addUnschedulable(key, attempt, this.now(), { requeueOn: result.requeueOn });
    await appendWithRetry(this.options.log, {
      type: 'PodSchedulingFailed',
      data: { namespace, name, uid, schedulerName, attempt, message: result.message ?? 'no nodes available', verdicts: this.trim(result.verdicts) },
    }, meta);
  }

  /** Keeps the chosen node and the best-scored alternatives, or one rejected node per distinct reason. */
  private trim(verdicts: NodeVerdict[], chosen?: string): NodeVerdict[] {
    const limit = this.options.verdictsKept ?? 8;
    if (verdicts.length <= limit) return verdicts;
    const feasible = verdicts.filter((v) => v.score !== undefined).sort((a, b) => (b.score ?? 0) - (a.score ?? 0));
    const kept = new Map<string, NodeVerdict>();
    const chosenVerdict = verdicts.find((v) => v.node === chosen);
    if (chosenVerdict) kept.set(chosenVerdict.node, chosenVerdict);
    for (const v of feasible) if (kept.size < limit) kept.set(v.node, v);
    const seenReasons = new Set<string>();
    for (const v of verdicts) {
      if (kept.size >= limit) break;
      const reason = `${v.rejectedBy}:${(v.reasons ?? []).join(',')}`;
      if (v.rejectedBy && !seenReasons.has(reason)) {
        seenReasons.add(reason);
        kept.set(v.node, v);
      }
    }
    return [...kept.values()];
  }
}
