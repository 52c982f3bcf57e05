import type { NodeLease } from '@flotilla/leases';
import { realTimers, type TimerScheduler } from '@flotilla/runtime';
import type { Logger } from '@flotilla/service-kit';

/** kubelet: nodeLeaseDurationSeconds 40, renewed every quarter of it. */
export const DEFAULT_LEASE_RENEW_MS = 10_000;
export const DEFAULT_LEASE_DURATION_S = 40;
/** Renewals in flight at once: enough to keep up with thousands of nodes, never a burst of them. */
export const DEFAULT_LEASE_CONCURRENCY = 32;
/**
 * The renewals that fall due within this window go out together. One timer per node's turn meant,
 * at 10,000 nodes every 10 s, a timer and a socket write per millisecond: most of the agent's CPU
 * went into writing single KV puts. Together, the NATS client writes a window's puts at once. A
 * lease renewed 50 ms late is of no consequence against its 40 s duration.
 */
export const DEFAULT_LEASE_BATCH_MS = 50;

/** Where leases go (a LeaseStore; a fake in tests). */
export interface LeaseWriter {
  renew(lease: NodeLease): Promise<void>;
}

export interface LeaseRenewerOptions {
  store: LeaseWriter;
  nodeNames: readonly string[];
  logger: Logger;
  renewIntervalMs?: number;
  leaseDurationSeconds?: number;
  concurrency?: number;
  /** Renewals due within this many ms go out together (default DEFAULT_LEASE_BATCH_MS). */
  batchMs?: number;
  scheduler?: TimerScheduler;
}

/**
 * Renews the lease of every hosted node. All of them at once right after start (a returning agent
 * makes its nodes reachable again without delay), then each node once per interval, spread evenly
 * over it (node i at offset i*interval/n), so thousands of nodes in one process make a steady
 * trickle, never a burst: the nodes due within one `batchMs` window go out together, with one timer
 * per window, not per node. At most `concurrency` renewals are in flight; a node whose renewal is
 * still queued or in flight when its turn comes again is not queued twice. A failed renewal is
 * logged and simply tried again at the node's next turn: an agent that cannot renew (or is dead)
 * is exactly what the node lifecycle controller is there to notice.
 */
export class LeaseRenewer {
  private readonly intervalMs: number;
  private readonly durationS: number;
  private readonly concurrency: number;
  private readonly batchMs: number;
  private readonly scheduler: TimerScheduler;
  private readonly queue: number[] = [];
  /** Node indexes queued or in flight. */
  private readonly busy = new Set<number>();
  private readonly inFlight = new Set<Promise<void>>();
  private startedAt = 0;
  /** The next node to queue in the spread rounds: node `cursor` of round `round` (round 1 follows the start). */
  private cursor = 0;
  private round = 1;
  private cancelTimer: (() => void) | undefined;
  private running = false;
  private renewed = 0;
  private failedSinceLog = 0;
  private lastFailureLogAt = Number.NEGATIVE_INFINITY;
  /** Nodes whose last renewal failed. */
  private readonly failing = new Set<number>();

  constructor(private readonly options: LeaseRenewerOptions) {
    this.intervalMs = options.renewIntervalMs ?? DEFAULT_LEASE_RENEW_MS;
    this.durationS = options.leaseDurationSeconds ?? DEFAULT_LEASE_DURATION_S;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_LEASE_CONCURRENCY);
    this.batchMs = Math.max(0, options.batchMs ?? DEFAULT_LEASE_BATCH_MS);
    this.scheduler = options.scheduler ?? realTimers;
    if (!(this.intervalMs > 0)) throw new RangeError(`lease renew interval must be > 0 ms, got ${this.intervalMs}`);
  }

  /** Successful renewals so far (diagnostics). */
  get renewals(): number {
    return this.renewed;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.scheduler.now();
    this.cursor = 0;
    this.round = 1;
    const count = this.options.nodeNames.length;
    for (let i = 0; i < count; i++) this.enqueue(i);
    this.pump();
    this.scheduleNext();
  }

  /** Renews nothing more; resolves once the renewals in flight have settled. */
  async stop(): Promise<void> {
    this.running = false;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.queue.length = 0;
    this.busy.clear();
    this.failing.clear();
    await Promise.allSettled([...this.inFlight]);
  }

  private dueAt(round: number, index: number): number {
    return this.startedAt + round * this.intervalMs + Math.floor((index * this.intervalMs) / this.options.nodeNames.length);
  }

  /** The timer for the next node's turn, but no sooner than one batch window from now (a tick queues everyone due). */
  private scheduleNext(): void {
    if (!this.running || this.options.nodeNames.length === 0) return;
    const delay = Math.max(this.batchMs, this.dueAt(this.round, this.cursor) - this.scheduler.now());
    this.cancelTimer = this.scheduler.schedule(delay, () => this.tick());
  }

  /** Queues every node whose turn has come (more than one if the timer fired late), then waits for the next. */
  private tick(): void {
    this.cancelTimer = undefined;
    if (!this.running) return;
    const now = this.scheduler.now();
    const count = this.options.nodeNames.length;
    // Fired a whole interval late (a stalled process): every node missed its turn, so each is renewed
    // once now, and the rounds missed are skipped rather than replayed.
    const late = now - this.dueAt(this.round, this.cursor);
    if (late >= this.intervalMs) {
      for (let i = 0; i < count; i++) this.enqueue(i);
      this.round += Math.floor(late / this.intervalMs);
    }
    while (this.dueAt(this.round, this.cursor) <= now) {
      this.enqueue(this.cursor);
      if (++this.cursor === count) {
        this.cursor = 0;
        this.round++;
      }
    }
    this.pump();
    this.scheduleNext();
  }

  private enqueue(index: number): void {
    if (this.busy.has(index)) return;
    this.busy.add(index);
    this.queue.push(index);
  }

  private pump(): void {
    while (this.running && this.inFlight.size < this.concurrency && this.queue.length > 0) {
      const index = this.queue.shift()!;
      const renewal = this.renew(index).finally(() => {
        this.inFlight.delete(renewal);
        this.busy.delete(index);
        this.pump();
      });
      this.inFlight.add(renewal);
    }
  }

  private async renew(index: number): Promise<void> {
    const nodeName = this.options.nodeNames[index]!;
    const lease: NodeLease = {
      nodeName,
      holderIdentity: `node-agent/${nodeName}`,
      renewTime: new Date(this.scheduler.now()).toISOString(),
      leaseDurationSeconds: this.durationS,
    };
    try {
      await this.options.store.renew(lease);
      this.renewed++;
      if (this.failing.delete(index) && this.failing.size === 0) this.options.logger.info('node leases are renewed again', { lastRecovered: nodeName });
    } catch (error) {
      this.failing.add(index);
      this.noteFailure(nodeName, error);
    }
  }

  /** One log line per interval at most, however many of thousands of nodes fail (NATS down). */
  private noteFailure(nodeName: string, error: unknown): void {
    this.failedSinceLog++;
    const now = this.scheduler.now();
    if (now - this.lastFailureLogAt < this.intervalMs) return;
    this.options.logger.warn('could not renew node leases; retrying at their next turn', {
      failed: this.failedSinceLog,
      failingNodes: this.failing.size,
      node: nodeName,
      error,
    });
    this.failedSinceLog = 0;
    this.lastFailureLogAt = now;
  }
}
