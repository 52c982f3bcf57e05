// Snapshots in a NATS KV bucket (`flotilla-snapshots`). A snapshot of a large cluster is bigger than
// one message may be (max_payload, 1 MB by default), so its compressed body is cut into chunks, one
// key each, and a meta key written last marks it complete: a writer that dies halfway leaves chunks
// without a meta, which list() does not show and the next prune removes.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { SnapshotCorruptError, SnapshotStoreUnavailableError } from './errors.ts';
import { decodeBody, encodeBody, type SnapshotMeta, type SnapshotStore, type StoredSnapshot } from './snapshot-store.ts';

export const SNAPSHOT_BUCKET = 'flotilla-snapshots';

export interface KvSnapshotStoreOptions {
  /** Default SNAPSHOT_BUCKET. */
  bucket?: string;
  /** Chunk size in bytes; default the server's max_payload less 8 KiB for headers. */
  chunkBytes?: number;
  /** How long a KV request waits for the server (default 10 000 ms). */
  timeoutMs?: number;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Zero-padded so that keys sort by sequence.
const seqToken = (seq: number): string => String(seq).padStart(16, '0');
const metaKey = (seq: number): string => `snap.${seqToken(seq)}.meta`;
const chunkKey = (seq: number, index: number): string => `snap.${seqToken(seq)}.chunk.${index}`;

export class KvSnapshotStore implements SnapshotStore {
  private constructor(
    private readonly kv: KV,
    private readonly chunkBytes: number,
    readonly bucket: string,
  ) {}

  /** Opens the bucket, creating it (history 1, file storage) if it is missing. */
  static async open(nc: NatsConnection, options: KvSnapshotStoreOptions = {}): Promise<KvSnapshotStore> {
    const bucket = options.bucket ?? SNAPSHOT_BUCKET;
    const timeout = options.timeoutMs ?? 10_000;
    try {
      await jetstreamManager(nc, { timeout });
      const kv = await new Kvm(jetstream(nc, { timeout })).create(bucket, { history: 1, storage: StorageType.File, timeout });
      const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
      return new KvSnapshotStore(kv, options.chunkBytes ?? Math.max(1024, maxPayload - 8 * 1024), bucket);
    } catch (error) {
      throw new SnapshotStoreUnavailableError(`cannot open the snapshot bucket "${bucket}": ${errorMessage(error)}`, { cause: error });
    }
  }

  async put(meta: SnapshotMeta, body: string): Promise<StoredSnapshot> {
    const { data, sha256 } = await encodeBody(body);
    const chunks = Math.max(1, Math.ceil(data.length / this.chunkBytes));
    const stored: StoredSnapshot = { ...meta, encoding: 'gzip', bytes: data.length, chunks, sha256 };
    try {
      for (let i = 0; i < chunks; i++) await this.kv.put(chunkKey(meta.seq, i), data.subarray(i * this.chunkBytes, (i + 1) * this.chunkBytes));
      await this.kv.put(metaKey(meta.seq), JSON.stringify(stored));
    } catch (error) {
      throw new SnapshotStoreUnavailableError(`writing the snapshot at seq ${meta.seq} failed: ${errorMessage(error)}`, { cause: error });
    }
    return stored;
  }

  async list(): Promise<StoredSnapshot[]> {
    const out: StoredSnapshot[] = [];
    try {
      for (const key of await this.keys('snap.*.meta')) {
        const entry = await this.kv.get(key);
        if (!entry || entry.operation !== 'PUT') continue;
        try {
          out.push(JSON.parse(entry.string()) as StoredSnapshot);
        } catch {
          // An unreadable meta is as good as none: that snapshot is not offered.
        }
      }
    } catch (error) {
      throw new SnapshotStoreUnavailableError(`listing snapshots failed: ${errorMessage(error)}`, { cause: error });
    }
    return out.filter((meta) => Number.isSafeInteger(meta.seq) && Number.isSafeInteger(meta.chunks)).sort((a, b) => a.seq - b.seq);
  }

  async load(snapshot: StoredSnapshot): Promise<string> {
    const parts: Uint8Array[] = [];
    for (let i = 0; i < snapshot.chunks; i++) {
      const entry = await this.kv.get(chunkKey(snapshot.seq, i)).catch((error: unknown) => {
        throw new SnapshotStoreUnavailableError(`reading the snapshot at seq ${snapshot.seq} failed: ${errorMessage(error)}`, { cause: error });
      });
      if (!entry || entry.operation !== 'PUT') throw new SnapshotCorruptError(`snapshot at seq ${snapshot.seq}: chunk ${i} of ${snapshot.chunks} is missing`);
      parts.push(entry.value);
    }
    return decodeBody(snapshot, Buffer.concat(parts));
  }

  /** Removes the snapshot and any chunk of it (also of a write that never completed). */
  async remove(seq: number): Promise<void> {
    try {
      for (const key of await this.keys(`snap.${seqToken(seq)}.>`)) await this.kv.purge(key);
    } catch (error) {
      throw new SnapshotStoreUnavailableError(`removing the snapshot at seq ${seq} failed: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** Sequences that have chunks but no meta: writes that died halfway. */
  async incomplete(): Promise<number[]> {
    const complete = new Set((await this.list()).map((meta) => meta.seq));
    const seqs = new Set<number>();
    for (const key of await this.keys('snap.*.chunk.*')) {
      const seq = Number(key.split('.')[1]);
      if (!complete.has(seq)) seqs.add(seq);
    }
    return [...seqs].sort((a, b) => a - b);
  }

  private async keys(filter: string): Promise<string[]> {
    const out: string[] = [];
    for await (const key of await this.kv.keys(filter)) out.push(key);
    return out;
  }
}

export interface ConnectSnapshotsOptions {
  servers: string | string[];
  /** Connection name shown by the server's monitoring. */
  name?: string;
}

/** A connection of its own, so that a large snapshot write does not queue behind the event log. */
export function connectSnapshots(options: ConnectSnapshotsOptions): Promise<NatsConnection> {
  return connect({
    servers: options.servers,
    ...(options.name !== undefined ? { name: options.name } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
  });
}
