import type { EventLog, EventSubscription, RecordedEvent } from '@flotilla/eventlog';
import { toFlotillaRecord, type FlotillaRecord } from '@flotilla/events';
import { applyEvent, createClusterState, type ClusterState, type FoldOptions, type StateChange } from '@flotilla/state';
import { restoreNewest, type SnapshotLogger, type SnapshotStore } from '@flotilla/snapshots';

export type AppliedListener = (record: FlotillaRecord, changes: StateChange[]) => void;

export interface ProjectionStartOptions {
  /** Start from the newest usable snapshot in this store, then follow the log from its seq + 1. */
  snapshots?: SnapshotStore;
  /** Told which snapshot was used, and why one was ignored. */
  logger?: SnapshotLogger;
}

export class ProjectionTimeoutError extends Error {
  constructor(readonly seq: number, readonly appliedSeq: number, timeoutMs: number) {
    super(`projection did not reach sequence ${seq} within ${timeoutMs} ms (applied up to ${appliedSeq})`);
    this.name = 'ProjectionTimeoutError';
  }
}

/**
 * The shell around the pure fold: follows the log in order and applies every event to one
 * ClusterState. Services read `state` and react in `onApplied` listeners; nothing else mutates it.
 */
export class LiveProjection {
  readonly state: ClusterState;
  private readonly listeners: AppliedListener[] = [];
  private readonly waiters: Array<{ seq: number; resolve: () => void }> = [];
  private subscription: EventSubscription | undefined;
  /** The seq of the snapshot start() restored, or 0 when it replayed the log from the start. */
  startedFromSeq = 0;

  constructor(
    private readonly log: EventLog,
    options: Partial<FoldOptions> = {},
    private readonly startOptions: ProjectionStartOptions = {},
  ) {
    this.state = createClusterState(options);
  }

  onApplied(listener: AppliedListener): void {
    this.listeners.push(listener);
  }

  /**
   * Starts following the log; resolves once everything stored at call time has been applied. With a
   * snapshot store, the state is first restored (in place: holders of `state` keep a valid reference)
   * from the newest snapshot that belongs to this log; listeners see only the events after it, so
   * services build what they derive from `state` after start(), as they already do. A snapshot that
   * cannot be used is logged and skipped; failing to reach the store means a full replay, not a failure.
   */
  async start(): Promise<void> {
    const last = await this.log.lastSequence();
    const store = this.startOptions.snapshots;
    if (store && this.state.seq === 0) {
      const logger = this.startOptions.logger;
      try {
        const restored = await restoreNewest(store, this.log, { maxSeq: last, into: this.state, ...(logger ? { logger } : {}) });
        if (restored) this.startedFromSeq = restored.snapshot.seq;
      } catch (error) {
        logger?.warn('cannot read snapshots; replaying the whole log', { error: error instanceof Error ? error.message : String(error) });
      }
    }
    this.subscription = this.log.subscribe(this.state.seq + 1, (record) => this.apply(record));
    this.subscription.done.catch(() => undefined);
    await this.waitFor(last, Number.POSITIVE_INFINITY);
  }

  get done(): Promise<void> {
    return this.subscription?.done ?? Promise.resolve();
  }

  private apply(raw: RecordedEvent): void {
    const record = toFlotillaRecord(raw);
    if (!record) {
      // Written by a newer build: skip the fact but keep the sequence moving.
      this.state.seq = Math.max(this.state.seq, raw.seq);
    } else {
      const changes = applyEvent(this.state, record);
      for (const listener of this.listeners) listener(record, changes);
    }
    this.releaseWaiters();
  }

  private releaseWaiters(): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i]!;
      if (waiter.seq <= this.state.seq) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  /** Resolves when the fold has applied `seq` (read-your-writes); rejects after timeoutMs. */
  waitFor(seq: number, timeoutMs: number): Promise<void> {
    if (seq <= this.state.seq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter = {
        seq,
        resolve: () => {
          if (timer) clearTimeout(timer);
          resolve();
        },
      };
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            const index = this.waiters.indexOf(waiter);
            if (index >= 0) this.waiters.splice(index, 1);
            reject(new ProjectionTimeoutError(seq, this.state.seq, timeoutMs));
          }, timeoutMs)
        : undefined;
      this.waiters.push(waiter);
    });
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
  }
}
