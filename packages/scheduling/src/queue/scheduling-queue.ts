import type { ClusterEvent } from '../framework/types.ts';
import { IndexedHeap } from './heap.ts';

export interface SchedulingQueueOptions {
  /** Backoff after the first failed attempt; doubles per attempt. Default 1 s. */
  initialBackoffMs?: number;
  /** Backoff cap. Default 10 s. */
  maxBackoffMs?: number;
  /** Longest an unschedulable pod waits for a helpful cluster event before it is retried anyway. Default 5 min. */
  maxUnschedulableMs?: number;
}

export type QueueName = 'active' | 'backoff' | 'unschedulable' | 'inFlight';

export interface QueueStats {
  active: number;
  backoff: number;
  unschedulable: number;
  /** Popped and not yet returned (addUnschedulable / addBackoff) or finished (done / delete). */
  inFlight: number;
}

export interface RequeueOptions {
  /** Defaults to the priority the pod was added with, else 0. */
  priority?: number;
  /**
   * Cluster events that may make the pod schedulable (ScheduleResult.requeueOn). Omitted: every event.
   * Empty: none, only the 5-minute flush retries it.
   */
  requeueOn?: Iterable<ClusterEvent>;
}

interface QueuedPod {
  readonly key: string;
  readonly priority: number;
  readonly attempts: number;
  /** When the pod was (re)queued: orders activeQ after priority, starts its backoff and its 5-minute clock. */
  readonly timestamp: number;
  /** Insertion counter: a deterministic last tie-breaker. */
  readonly seq: number;
  readonly backoffExpiry: number;
  readonly requeueOn: ReadonlySet<ClusterEvent> | undefined;
}

const byKey = (pod: QueuedPod): string => pod.key;

/**
 * kube-scheduler's PriorityQueue, pure (time is an argument, in ms): activeQ ordered by priority
 * (higher first) then queue time; backoffQ ordered by backoff expiry; unschedulable pods parked
 * until a cluster event that can help them, or for at most maxUnschedulableMs.
 *
 * A pod moves through: add -> active -> pop (in flight) -> done | addUnschedulable | addBackoff.
 * An event that arrives while a pod is in flight is remembered: if it could have helped, the pod
 * goes to backoff instead of waiting for the next event (kube-scheduler's moveRequestCycle).
 */
export class SchedulingQueue {
  readonly #initialBackoffMs: number;
  readonly #maxBackoffMs: number;
  readonly #maxUnschedulableMs: number;
  readonly #active = new IndexedHeap<QueuedPod>(
    byKey,
    (a, b) => a.priority > b.priority || (a.priority === b.priority && (a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.seq < b.seq))),
  );
  readonly #backoff = new IndexedHeap<QueuedPod>(
    byKey,
    (a, b) =>
      a.backoffExpiry < b.backoffExpiry ||
      (a.backoffExpiry === b.backoffExpiry && (a.priority > b.priority || (a.priority === b.priority && a.seq < b.seq))),
  );
  readonly #unschedulable = new IndexedHeap<QueuedPod>(byKey, (a, b) => a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.seq < b.seq));
  readonly #inFlight = new Map<string, { pod: QueuedPod; cycle: number }>();
  readonly #lastEventCycle = new Map<ClusterEvent, number>();
  #cycle = 0;
  #seq = 0;

  constructor(options: SchedulingQueueOptions = {}) {
    this.#initialBackoffMs = options.initialBackoffMs ?? 1_000;
    this.#maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.#maxUnschedulableMs = options.maxUnschedulableMs ?? 5 * 60_000;
  }

  /** kube-scheduler's backoff for a pod that failed `attempts` times: 0, then 1 s doubling to 10 s. */
  backoffDuration(attempts: number): number {
    if (attempts <= 0) return 0;
    let duration = this.#initialBackoffMs;
    for (let i = 1; i < attempts; i += 1) {
      if (duration > this.#maxBackoffMs - duration) return this.#maxBackoffMs;
      duration += duration;
    }
    return Math.min(duration, this.#maxBackoffMs);
  }

  /**
   * A new pending pod goes to activeQ. A pod the queue already holds (anywhere, or in flight) only
   * has its priority updated: a repeated add never skips a backoff.
   */
  add(podKey: string, priority: number, now: number): void {
    const flight = this.#inFlight.get(podKey);
    if (flight !== undefined) {
      flight.pod = { ...flight.pod, priority };
      return;
    }
    for (const heap of [this.#active, this.#backoff, this.#unschedulable]) {
      const queued = heap.get(podKey);
      if (queued !== undefined) {
        heap.push({ ...queued, priority });
        return;
      }
    }
    this.#active.push(this.#entry(podKey, priority, 0, now, undefined));
  }

  /**
   * The next pod to schedule, or undefined. Moves finished backoffs and overdue unschedulable pods
   * to activeQ first. The pod is in flight until done, addUnschedulable, addBackoff or delete.
   */
  pop(now: number): string | undefined {
    this.flushBackoffCompleted(now);
    this.flushUnschedulableLeftover(now);
    const pod = this.#active.pop();
    if (pod === undefined) return undefined;
    this.#cycle += 1;
    this.#inFlight.set(pod.key, { pod, cycle: this.#cycle });
    return pod.key;
  }

  /** The attempt found no node: park the pod until an event in `requeueOn` (or the 5-minute flush). */
  addUnschedulable(podKey: string, attempts: number, now: number, options: RequeueOptions = {}): void {
    const flight = this.#inFlight.get(podKey);
    const previous = this.#take(podKey);
    const requeueOn = options.requeueOn === undefined ? undefined : new Set(options.requeueOn);
    const entry = this.#entry(podKey, options.priority ?? previous?.priority ?? 0, attempts, now, requeueOn);
    if (flight !== undefined && this.#missedHelpfulEvent(flight.cycle, requeueOn)) {
      this.#backoff.push(entry);
    } else {
      this.#unschedulable.push(entry);
    }
  }

  /** The attempt failed for another reason (plugin error, binding conflict): retry after the backoff. */
  addBackoff(podKey: string, attempts: number, now: number, options: Pick<RequeueOptions, 'priority'> = {}): void {
    const previous = this.#take(podKey);
    this.#backoff.push(this.#entry(podKey, options.priority ?? previous?.priority ?? 0, attempts, now, undefined));
  }

  /** The pod was bound (or given up on): forget it. */
  done(podKey: string): void {
    this.#inFlight.delete(podKey);
  }

  /** The pod is gone (deleted, bound by someone else): remove it wherever it is. */
  delete(podKey: string): boolean {
    return this.#take(podKey) !== undefined;
  }

  /**
   * A cluster event happened: unschedulable pods it may help go to activeQ, or to backoffQ when
   * their backoff has not run out. Returns how many moved.
   */
  moveAllToActiveOrBackoff(event: ClusterEvent, now: number): number {
    this.#lastEventCycle.set(event, this.#cycle);
    let moved = 0;
    for (const pod of this.#unschedulable.toArray()) {
      if (pod.requeueOn !== undefined && !pod.requeueOn.has(event)) continue;
      this.#unschedulable.delete(pod.key);
      this.#activeOrBackoff(pod, now);
      moved += 1;
    }
    return moved;
  }

  /** Pods whose backoff ran out go to activeQ. Returns how many moved. */
  flushBackoffCompleted(now: number): number {
    let moved = 0;
    for (let pod = this.#backoff.peek(); pod !== undefined && pod.backoffExpiry <= now; pod = this.#backoff.peek()) {
      this.#backoff.pop();
      this.#active.push(pod);
      moved += 1;
    }
    return moved;
  }

  /** Pods unschedulable for maxUnschedulableMs are retried without an event. Returns how many moved. */
  flushUnschedulableLeftover(now: number): number {
    let moved = 0;
    for (
      let pod = this.#unschedulable.peek();
      pod !== undefined && now - pod.timestamp >= this.#maxUnschedulableMs;
      pod = this.#unschedulable.peek()
    ) {
      this.#unschedulable.pop();
      this.#activeOrBackoff(pod, now);
      moved += 1;
    }
    return moved;
  }

  /**
   * Milliseconds until pop may return something new: 0 when activeQ has pods, else until the next
   * backoff expiry or unschedulable timeout; undefined when only an event can wake a pod.
   */
  nextWakeup(now: number): number | undefined {
    if (this.#active.size > 0) return 0;
    let wakeAt: number | undefined;
    const backoff = this.#backoff.peek();
    if (backoff !== undefined) wakeAt = backoff.backoffExpiry;
    const parked = this.#unschedulable.peek();
    if (parked !== undefined) {
      const timeout = parked.timestamp + this.#maxUnschedulableMs;
      wakeAt = wakeAt === undefined ? timeout : Math.min(wakeAt, timeout);
    }
    return wakeAt === undefined ? undefined : Math.max(0, wakeAt - now);
  }

  has(podKey: string): boolean {
    return this.queueOf(podKey) !== undefined;
  }

  queueOf(podKey: string): QueueName | undefined {
    if (this.#active.has(podKey)) return 'active';
    if (this.#backoff.has(podKey)) return 'backoff';
    if (this.#unschedulable.has(podKey)) return 'unschedulable';
    if (this.#inFlight.has(podKey)) return 'inFlight';
    return undefined;
  }

  stats(): QueueStats {
    return {
      active: this.#active.size,
      backoff: this.#backoff.size,
      unschedulable: this.#unschedulable.size,
      inFlight: this.#inFlight.size,
    };
  }

  #entry(key: string, priority: number, attempts: number, now: number, requeueOn: ReadonlySet<ClusterEvent> | undefined): QueuedPod {
    this.#seq += 1;
    return { key, priority, attempts, timestamp: now, seq: this.#seq, backoffExpiry: now + this.backoffDuration(attempts), requeueOn };
  }

  #activeOrBackoff(pod: QueuedPod, now: number): void {
    if (pod.backoffExpiry > now) this.#backoff.push(pod);
    else this.#active.push(pod);
  }

  /** Whether an event that could help the pod happened since it was popped in `cycle`. */
  #missedHelpfulEvent(cycle: number, requeueOn: ReadonlySet<ClusterEvent> | undefined): boolean {
    for (const [event, eventCycle] of this.#lastEventCycle) {
      if (eventCycle >= cycle && (requeueOn === undefined || requeueOn.has(event))) return true;
    }
    return false;
  }

  /** Removes the pod from wherever it is; returns its entry. */
  #take(podKey: string): QueuedPod | undefined {
    const flight = this.#inFlight.get(podKey);
    if (flight !== undefined) {
      this.#inFlight.delete(podKey);
      return flight.pod;
    }
    return this.#active.delete(podKey) ?? this.#backoff.delete(podKey) ?? this.#unschedulable.delete(podKey);
  }
}
