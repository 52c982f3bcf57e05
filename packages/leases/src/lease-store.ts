import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  DeliverPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
  type OrderedConsumerOptions,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { InvalidLeaseError, LeaseStoreUnavailableError } from './errors.ts';
import { LEASE_BUCKET, NodeLeaseSchema, leaseKey, nodeNameOfLeaseKey, type NodeLease } from './lease.ts';

export interface LeaseStoreOptions {
  /** Default LEASE_BUCKET. */
  bucket?: string;
  /** How long a KV request waits for the server (default 5 000 ms). */
  timeoutMs?: number;
  /** Told about entries watch() skips because they are not valid leases (default: skipped silently). */
  onInvalidLease?: (error: InvalidLeaseError) => void;
}

export interface ConnectLeasesOptions {
  servers: string | string[];
  /** Connection name shown by the server's monitoring. */
  name?: string;
}

const KV_OPERATION_HEADER = 'KV-Operation';
const WATCH_RETRY_MAX_MS = 2_000;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Node leases in a NATS KV bucket, apart from the event log: a renewal is a heartbeat, not a fact
 * worth keeping, and thousands of nodes renewing every 10 s would swamp the log. One key per node,
 * history 1, so the bucket holds exactly the latest lease of every node.
 */
export class LeaseStore {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly kv: KV,
    readonly bucket: string,
    private readonly onInvalidLease: (error: InvalidLeaseError) => void,
  ) {}

  /** Opens the bucket, creating it (history 1, file storage) if it is missing. */
  static async open(nc: NatsConnection, options: LeaseStoreOptions = {}): Promise<LeaseStore> {
    const bucket = options.bucket ?? LEASE_BUCKET;
    const timeout = options.timeoutMs ?? 5_000;
    try {
      // Asks the JetStream API first, so a server without JetStream says so instead of timing out later.
      await jetstreamManager(nc, { timeout });
      const js = jetstream(nc, { timeout });
      const kv = await new Kvm(js).create(bucket, { history: 1, storage: StorageType.File, timeout });
      return new LeaseStore(nc, js, kv, bucket, options.onInvalidLease ?? (() => undefined));
    } catch (error) {
      const noJetStream = error instanceof Error && (error.name === 'JetStreamNotEnabled' || /jetstream is not enabled|no responders/i.test(error.message));
      const hint = noJetStream ? ' (JetStream is not enabled on the NATS server: start nats-server with -js)' : '';
      throw new LeaseStoreUnavailableError(`cannot open the lease bucket "${bucket}": ${errorMessage(error)}${hint}`, { cause: error });
    }
  }

  /** Writes the node's lease (the last write wins; the renewer is the only writer of a node's lease). */
  async renew(lease: NodeLease): Promise<void> {
    const key = safeKey(lease.nodeName);
    const parsed = NodeLeaseSchema.safeParse(lease);
    if (!parsed.success) throw new InvalidLeaseError(key, `not a valid lease for ${JSON.stringify(lease.nodeName)}: ${parsed.error.message}`);
    try {
      await this.kv.put(key, JSON.stringify(parsed.data));
    } catch (error) {
      throw new LeaseStoreUnavailableError(`renewing the lease of ${lease.nodeName} failed: ${errorMessage(error)}`, { cause: error });
    }
  }

  /** The node's current lease; undefined when it never had one (or it was deleted). */
  async get(nodeName: string): Promise<NodeLease | undefined> {
    const key = safeKey(nodeName);
    let entry;
    try {
      entry = await this.kv.get(key);
    } catch (error) {
      throw new LeaseStoreUnavailableError(`reading the lease of ${nodeName} failed: ${errorMessage(error)}`, { cause: error });
    }
    if (entry === null || entry.operation !== 'PUT') return undefined;
    return decodeLease(key, entry.value);
  }

  /**
   * Current leases first (one per node), then every renewal, until the signal aborts (the iterator
   * then ends). It rides an ordered consumer and starts a new one where it left off whenever the
   * old one ends (server restart, lost connection), so no renewal in between is missed for long.
   * Deleted keys and invalid values are skipped.
   */
  async *watch(signal?: AbortSignal): AsyncIterable<NodeLease> {
    const subjectPrefix = `$KV.${this.bucket}.`;
    let nextSeq: number | undefined;
    let attempt = 0;
    while (!signal?.aborted && !this.nc.isClosed()) {
      let messages: ConsumerMessages;
      try {
        const options: Partial<OrderedConsumerOptions> = { filter_subjects: `${subjectPrefix}>` };
        if (nextSeq === undefined) options.deliver_policy = DeliverPolicy.LastPerSubject;
        else Object.assign(options, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: nextSeq });
        const consumer = await this.js.consumers.get(`KV_${this.bucket}`, options);
        messages = await consumer.consume();
      } catch {
        if (signal?.aborted || this.nc.isClosed()) return;
        await delay(Math.min(WATCH_RETRY_MAX_MS, 100 * 2 ** attempt++), signal);
        continue;
      }
      attempt = 0;
      const stop = (): void => void messages.stop();
      signal?.addEventListener('abort', stop, { once: true });
      void restartWhenRecreated(messages);
      try {
        for await (const m of messages) {
          if (nextSeq !== undefined && m.seq < nextSeq) continue;
          nextSeq = m.seq + 1;
          const lease = this.leaseOf(m, subjectPrefix);
          if (lease) yield lease;
        }
      } catch {
        // The consumer failed; a new one starts where this one left off.
      } finally {
        signal?.removeEventListener('abort', stop);
        messages.stop();
      }
    }
  }

  private leaseOf(m: JsMsg, subjectPrefix: string): NodeLease | undefined {
    const operation = m.headers?.get(KV_OPERATION_HEADER);
    if (operation === 'DEL' || operation === 'PURGE') return undefined;
    const key = m.subject.slice(subjectPrefix.length);
    try {
      const lease = decodeLease(key, m.data);
      if (lease.nodeName !== nodeNameOfLeaseKey(key)) throw new InvalidLeaseError(key, `lease under key ${key} names node ${JSON.stringify(lease.nodeName)}`);
      return lease;
    } catch (error) {
      if (error instanceof InvalidLeaseError) this.onInvalidLease(error);
      return undefined;
    }
  }
}

/**
 * A connection for the leases, apart from the event log's: it reconnects forever, and a renewal
 * never waits behind a burst of appends.
 */
export function connectLeases(options: ConnectLeasesOptions): Promise<NatsConnection> {
  return connect({
    servers: options.servers,
    ...(options.name !== undefined ? { name: options.name } : {}),
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    pingInterval: 10_000,
    maxPingOut: 2,
  });
}

function safeKey(nodeName: string): string {
  try {
    return leaseKey(nodeName);
  } catch (error) {
    throw new InvalidLeaseError('', `not a valid node name for a lease: ${JSON.stringify(nodeName)}`, { cause: error });
  }
}

function decodeLease(key: string, data: Uint8Array): NodeLease {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(data));
  } catch (error) {
    throw new InvalidLeaseError(key, `the lease under key ${key} is not JSON`, { cause: error });
  }
  const parsed = NodeLeaseSchema.safeParse(json);
  if (!parsed.success) throw new InvalidLeaseError(key, `the lease under key ${key} is not valid: ${parsed.error.message}`, { cause: parsed.error });
  return parsed.data;
}

/** The library replaces an ordered consumer on its own; ending it here restarts from our own cursor instead. */
async function restartWhenRecreated(messages: ConsumerMessages): Promise<void> {
  for await (const status of messages.status()) {
    if (status.type === 'ordered_consumer_recreated') {
      messages.stop();
      return;
    }
  }
}

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
