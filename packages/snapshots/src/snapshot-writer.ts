// Writes a snapshot of a live fold every N events. The snapshot is serialised synchronously, inside
// the listener, so it is exactly the state at that seq; compressing and storing it happen in the
// background while the fold goes on. One write at a time: if the previous one is still running when
// the next is due, that one is skipped and the next event tries again.
import type { FlotillaRecord } from '@flotilla/events';
import { snapshotOf, SNAPSHOT_VERSION, type ClusterState, type StateChange } from '@flotilla/state';
import type { SnapshotLogger } from './restore.ts';
import type { SnapshotMeta, SnapshotStore, StoredSnapshot } from './snapshot-store.ts';

export const DEFAULT_SNAPSHOT_EVERY = 10_000;
export const DEFAULT_SNAPSHOTS_KEPT = 3;

/** What the writer follows: a LiveProjection, or anything that folds and tells. */
export interface FoldSource {
  readonly state: ClusterState;
  onApplied(listener: (record: FlotillaRecord, changes: StateChange[]) => void): void;
}

export interface SnapshotWriterOptions {
  /** Events between snapshots; 0 turns writing off. */
  every: number;
  /** How many snapshots to keep (older ones are removed after a write); default 3. */
  keep?: number;
  /** The log's stream name, recorded in the meta. */
  stream?: string;
  logger?: SnapshotLogger;
  /** Wall clock for `writtenAt`. */
  now?: () => Date;
}

export class SnapshotWriter {
  private lastSeq = 0;
  private writing: Promise<void> | undefined;
  /** Snapshots written, and writes that failed (logged; the next one is due N events later). */
  readonly stats = { written: 0, failed: 0, skippedBusy: 0 };

  constructor(
    private readonly store: SnapshotStore,
    private readonly options: SnapshotWriterOptions,
  ) {}

  /** Counts from the newest stored snapshot, so that a restart does not write one straight away. */
  async init(): Promise<void> {
    try {
      const newest = (await this.store.list()).at(-1);
      if (newest) this.lastSeq = newest.seq;
    } catch (error) {
      this.options.logger?.warn('cannot list snapshots; counting from 0', { error: error instanceof Error ? error.message : String(error) });
    }
  }

  attach(source: FoldSource): void {
    if (this.options.every <= 0) return;
    // Whatever the source already applied counts as covered by an earlier snapshot or by a replay.
    this.lastSeq = Math.max(this.lastSeq, source.state.seq - (source.state.seq % this.options.every));
    source.onApplied((record) => this.onApplied(source.state, record));
  }

  private onApplied(state: ClusterState, record: FlotillaRecord): void {
    if (state.seq - this.lastSeq < this.options.every) return;
    if (this.writing) {
      this.stats.skippedBusy++;
      return;
    }
    this.lastSeq = state.seq;
    void this.write(state, record);
  }

  /** Serialises `state` now (its last applied record is `record`) and stores it in the background. */
  write(state: ClusterState, record: FlotillaRecord): Promise<void> {
    const body = JSON.stringify(snapshotOf(state));
    const meta: SnapshotMeta = {
      seq: state.seq,
      version: SNAPSHOT_VERSION,
      ...(this.options.stream !== undefined ? { stream: this.options.stream } : {}),
      msgId: record.msgId,
      eventId: record.event.id,
      writtenAt: (this.options.now?.() ?? new Date()).toISOString(),
    };
    const writing = this.store
      .put(meta, body)
      .then(async (stored) => {
        this.stats.written++;
        this.options.logger?.info('snapshot written', { seq: stored.seq, bytes: stored.bytes, chunks: stored.chunks });
        await this.prune();
      })
      .catch((error: unknown) => {
        this.stats.failed++;
        this.options.logger?.warn('snapshot write failed', { seq: meta.seq, error: error instanceof Error ? error.message : String(error) });
      })
      .finally(() => {
        if (this.writing === writing) this.writing = undefined;
      });
    this.writing = writing;
    return writing;
  }

  /** Resolves once no write is under way (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async prune(): Promise<void> {
    const all: StoredSnapshot[] = await this.store.list();
    const keep = Math.max(1, this.options.keep ?? DEFAULT_SNAPSHOTS_KEPT);
    for (const old of all.slice(0, Math.max(0, all.length - keep))) await this.store.remove(old.seq);
  }
}
