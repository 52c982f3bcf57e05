// Finding a snapshot a process may start from: the newest one not beyond the log's end, written
// after the very event the log holds at its seq, of a version this build reads, and whole.
import type { EventLog } from '@flotilla/eventlog';
import { IncompatibleSnapshotError, restoreSnapshot, SNAPSHOT_VERSION, type ClusterState } from '@flotilla/state';
import { SnapshotCorruptError, SnapshotMismatchError } from './errors.ts';
import type { SnapshotStore, StoredSnapshot } from './snapshot-store.ts';

/** The part of a service logger this package uses. */
export interface SnapshotLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export interface RestoreOptions {
  /** Newest sequence a snapshot may have (the log's last sequence when the caller starts). */
  maxSeq: number;
  /** Restore into this state (see restoreSnapshot); its fold options must be the snapshot's. */
  into?: ClusterState;
  /** Without `into`: the maxEvents the snapshot must have been folded with (any when omitted). */
  maxEvents?: number;
  logger?: SnapshotLogger;
}

export interface Restored {
  state: ClusterState;
  snapshot: StoredSnapshot;
}

/**
 * The newest usable snapshot, restored; undefined when there is none (the caller replays from 1).
 * A snapshot that cannot be used (another log's, another version, corrupt, another maxEvents) is
 * logged and the next older one tried: a bad snapshot costs time, never correctness.
 */
export async function restoreNewest(store: SnapshotStore, log: EventLog, options: RestoreOptions): Promise<Restored | undefined> {
  const candidates = (await store.list()).filter((snapshot) => snapshot.seq >= 1 && snapshot.seq <= options.maxSeq).reverse();
  for (const snapshot of candidates) {
    try {
      const state = await restoreOne(store, log, snapshot, options.into, options.into?.options.maxEvents ?? options.maxEvents);
      options.logger?.info('restored the fold from a snapshot', { seq: snapshot.seq, bytes: snapshot.bytes, pods: state.pods.size, nodes: state.nodes.size });
      return { state, snapshot };
    } catch (error) {
      if (!(error instanceof SnapshotMismatchError || error instanceof SnapshotCorruptError || error instanceof IncompatibleSnapshotError)) throw error;
      options.logger?.warn('ignoring a snapshot', { seq: snapshot.seq, code: error.code, error: error.message });
    }
  }
  return undefined;
}

async function restoreOne(
  store: SnapshotStore,
  log: EventLog,
  snapshot: StoredSnapshot,
  into: ClusterState | undefined,
  maxEvents: number | undefined,
): Promise<ClusterState> {
  if (snapshot.version !== SNAPSHOT_VERSION) {
    throw new IncompatibleSnapshotError(`snapshot at seq ${snapshot.seq} has version ${snapshot.version}, this build reads ${SNAPSHOT_VERSION}`);
  }
  await checkSameLog(log, snapshot);
  const body = await store.load(snapshot);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new SnapshotCorruptError(`snapshot at seq ${snapshot.seq} is not JSON`, { cause: error });
  }
  const candidate = parsed as { seq?: unknown; options?: { maxEvents?: unknown } } | null;
  if (candidate?.seq !== snapshot.seq) throw new SnapshotCorruptError(`snapshot stored under seq ${snapshot.seq} holds seq ${String(candidate?.seq)}`);
  if (maxEvents !== undefined && candidate.options?.maxEvents !== maxEvents) {
    throw new IncompatibleSnapshotError(`snapshot at seq ${snapshot.seq} keeps ${String(candidate.options?.maxEvents)} events, this fold ${maxEvents}`);
  }
  return restoreSnapshot(parsed, into);
}

/** The log holds, at the snapshot's seq, the event the snapshot was taken after. */
async function checkSameLog(log: EventLog, snapshot: StoredSnapshot): Promise<void> {
  for await (const record of log.read(snapshot.seq, snapshot.seq)) {
    if (record.seq !== snapshot.seq) break;
    if (record.msgId === snapshot.msgId && record.event.id === snapshot.eventId) return;
    throw new SnapshotMismatchError(`snapshot at seq ${snapshot.seq} was taken on another log (event ${snapshot.eventId}, the log holds ${record.event.id})`);
  }
  throw new SnapshotMismatchError(`snapshot at seq ${snapshot.seq}: the log holds no event at that sequence`);
}
