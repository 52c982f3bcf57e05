// @flotilla/snapshots: snapshots of the fold kept beside the log (NATS KV bucket `flotilla-snapshots`),
// written every N events by one service and read by every process that starts (and by time travel).
export { SnapshotError, SnapshotCorruptError, SnapshotMismatchError, SnapshotStoreUnavailableError } from './errors.ts';
export type { SnapshotErrorCode } from './errors.ts';
export { MemorySnapshotStore } from './snapshot-store.ts';
export type { SnapshotMeta, SnapshotStore, StoredSnapshot } from './snapshot-store.ts';
export { KvSnapshotStore, SNAPSHOT_BUCKET, connectSnapshots } from './kv-snapshot-store.ts';
export type { ConnectSnapshotsOptions, KvSnapshotStoreOptions } from './kv-snapshot-store.ts';
export { restoreNewest } from './restore.ts';
export type { RestoreOptions, Restored, SnapshotLogger } from './restore.ts';
export { SnapshotWriter, DEFAULT_SNAPSHOT_EVERY, DEFAULT_SNAPSHOTS_KEPT } from './snapshot-writer.ts';
export type { FoldSource, SnapshotWriterOptions } from './snapshot-writer.ts';
export { openSnapshots, snapshotsEnabled, takeSnapshotsFlag } from './open.ts';
export type { OpenedSnapshots } from './open.ts';
