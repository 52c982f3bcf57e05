// Where snapshots of the fold are kept: the port, and an in-memory adapter for tests.
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { SnapshotCorruptError } from './errors.ts';

/** What identifies a stored snapshot and ties it to one log. */
export interface SnapshotMeta {
  /** The last sequence the snapshotted state applied. */
  seq: number;
  /** ClusterSnapshot version (SNAPSHOT_VERSION of the writer's build). */
  version: number;
  /** The log's stream name when the writer knew it (informational; the event identity is the check). */
  stream?: string;
  /**
   * msgId and envelope id of the event at `seq`: a snapshot only applies to a log holding that very
   * event there (a log recreated, or another stream, has other events at that sequence).
   */
  msgId: string;
  eventId: string;
  /** When it was written (wall clock of the writer; informational). */
  writtenAt: string;
}

/** What the store adds when it keeps one: the stored body's size, its chunks and its hash. */
export interface StoredSnapshot extends SnapshotMeta {
  encoding: 'gzip';
  /** Compressed size in bytes. */
  bytes: number;
  chunks: number;
  /** sha256 (hex) of the compressed body, checked on load. */
  sha256: string;
}

export interface SnapshotStore {
  /** Keeps `body` (the JSON text of a ClusterSnapshot) under `meta.seq`, replacing one at that seq. */
  put(meta: SnapshotMeta, body: string): Promise<StoredSnapshot>;
  /** Every complete snapshot, oldest first. */
  list(): Promise<StoredSnapshot[]>;
  /** The JSON text of a listed snapshot; SnapshotCorruptError if it is incomplete or its hash differs. */
  load(snapshot: StoredSnapshot): Promise<string>;
  remove(seq: number): Promise<void>;
}

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Compression runs on libuv's thread pool: the fold keeps going while a large body is packed. */
export async function encodeBody(body: string): Promise<{ data: Buffer; sha256: string }> {
  const data = await gzipAsync(Buffer.from(body, 'utf8'));
  return { data, sha256: createHash('sha256').update(data).digest('hex') };
}

export async function decodeBody(snapshot: StoredSnapshot, data: Buffer): Promise<string> {
  const sha256 = createHash('sha256').update(data).digest('hex');
  if (data.length !== snapshot.bytes || sha256 !== snapshot.sha256) {
    throw new SnapshotCorruptError(`snapshot at seq ${snapshot.seq}: stored body does not match its hash (${data.length} of ${snapshot.bytes} bytes)`);
  }
  try {
    return (await gunzipAsync(data)).toString('utf8');
  } catch (error) {
    throw new SnapshotCorruptError(`snapshot at seq ${snapshot.seq}: cannot decompress`, { cause: error });
  }
}

/** Snapshots in memory (tests, and the in-memory cluster). Bodies are compressed as the KV store does. */
export class MemorySnapshotStore implements SnapshotStore {
  private readonly snapshots = new Map<number, { stored: StoredSnapshot; data: Buffer }>();

  async put(meta: SnapshotMeta, body: string): Promise<StoredSnapshot> {
    const { data, sha256 } = await encodeBody(body);
    const stored: StoredSnapshot = { ...meta, encoding: 'gzip', bytes: data.length, chunks: 1, sha256 };
    this.snapshots.set(meta.seq, { stored, data });
    return stored;
  }

  list(): Promise<StoredSnapshot[]> {
    return Promise.resolve([...this.snapshots.values()].map((entry) => entry.stored).sort((a, b) => a.seq - b.seq));
  }

  load(snapshot: StoredSnapshot): Promise<string> {
    const entry = this.snapshots.get(snapshot.seq);
    if (!entry) return Promise.reject(new SnapshotCorruptError(`snapshot at seq ${snapshot.seq} is gone`));
    return decodeBody(snapshot, entry.data);
  }

  remove(seq: number): Promise<void> {
    this.snapshots.delete(seq);
    return Promise.resolve();
  }
}
