// This machine's acknowledged JetStream append rate: the physical limit a scheduler running on the
// log can be held against. Appends go to a scratch stream configured like the real log (file
// storage, dedupe on, Nats-Msg-Id per message), on subjects of its own, and the stream is deleted
// afterwards, also when the measurement fails.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { JetStreamApiCodes, JetStreamApiError, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { EventLogUnavailableError } from './errors.ts';
import { desiredStreamConfig } from './jetstream-event-log.ts';

export interface AppendLimitOptions {
  servers: string;
  /** Bytes per message: the size of the events the workload appends. */
  eventBytes: number;
  /** Messages appended (default 20 000). */
  count?: number;
  /** Appends kept unacknowledged at once (default 1 000). */
  inFlight?: number;
  /** Scratch stream name (default FLOTILLA_LIMIT_<random>); deleted afterwards. */
  stream?: string;
  /** How long one append waits for its PubAck (default 30 000 ms). */
  ackTimeoutMs?: number;
  /** Untimed appends first, so that the client's code is compiled and the stream's files exist (default 2 000; 0 for none). */
  warmup?: number;
}

/** Same fields as JetStreamLimit in @flotilla/measure (declared here: the event log does not depend on it). */
export interface JetStreamLimit {
  eventBytes: number;
  /** Acknowledged appends per second, wall time from the first publish to the last ack. */
  appendsPerSecond: number;
  ackP50Ms: number;
  ackP99Ms: number;
  inFlight: number;
  count: number;
}

/** The measurement could not be completed (rejected or lost appends, stream trouble). */
export class AppendLimitError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AppendLimitError';
  }
}

/** Like the real log: a few events per entity subject (a pod's created, bound, running…). */
const MESSAGES_PER_SUBJECT = 4;

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`measureAppendLimit: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

/** Nearest-rank percentile of sorted samples. */
function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] ?? 0;
}

/** A connection that fails at once when the server is not there (the event log's reconnects forever). */
async function connectOnce(servers: string): Promise<NatsConnection> {
  try {
    return await connect({ servers, name: 'flotilla-append-limit', maxReconnectAttempts: 0, timeout: 5_000, noAsyncTraces: true });
  } catch (err) {
    throw new EventLogUnavailableError(`cannot connect to NATS at ${servers} to measure the append limit: ${errorMessage(err)}`, {
      cause: err,
    });
  }
}

async function deleteStream(jsm: JetStreamManager, name: string): Promise<void> {
  try {
    await jsm.streams.delete(name);
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound) return;
    throw err;
  }
}

/**
 * Appends `count` messages of `eventBytes` to a scratch file-storage stream, `inFlight` at a time,
 * and returns the acknowledged append rate and ack latency. Throws EventLogUnavailableError when the
 * server cannot be reached, AppendLimitError when the appends fail.
 */
export async function measureAppendLimit(options: AppendLimitOptions): Promise<JetStreamLimit> {
  const eventBytes = positiveInteger('eventBytes', options.eventBytes);
  const count = positiveInteger('count', options.count ?? 20_000);
  const inFlight = Math.min(count, positiveInteger('inFlight', options.inFlight ?? 1_000));
  const ackTimeoutMs = positiveInteger('ackTimeoutMs', options.ackTimeoutMs ?? 30_000);
  const warmup = options.warmup ?? 2_000;
  if (warmup !== 0) positiveInteger('warmup', warmup);
  const runId = randomBytes(6).toString('hex');
  const streamName = options.stream ?? `FLOTILLA_LIMIT_${runId.toUpperCase()}`;
  const subjectPrefix = `flotilla-limit.${runId}`;

  const nc = await connectOnce(options.servers);
  let jsm: JetStreamManager | undefined;
  let created = false;
  try {
    try {
      jsm = await jetstreamManager(nc, { timeout: 10_000 });
      // The real log's stream config, on subjects of its own.
      await jsm.streams.add({ ...desiredStreamConfig(streamName, 120_000), subjects: [`${subjectPrefix}.>`] });
      created = true;
    } catch (err) {
      throw new AppendLimitError(`cannot create the scratch stream ${streamName}: ${errorMessage(err)}`, { cause: err });
    }
    const js = jetstream(nc, { timeout: ackTimeoutMs });
    const plan = { subjectPrefix, eventBytes, inFlight: Math.min(inFlight, Math.max(1, warmup)), ackTimeoutMs };
    if (warmup > 0) await appendAll(js, { ...plan, phase: 'warmup', count: warmup });
    const { elapsedMs, latencies } = await appendAll(js, { ...plan, phase: 'measure', count, inFlight });

    const info = await jsm.streams.info(streamName);
    if (info.state.messages !== warmup + count) {
      throw new AppendLimitError(
        `the scratch stream ${streamName} holds ${info.state.messages} messages, ${warmup + count} were acknowledged`,
      );
    }
    latencies.sort();
    return {
      eventBytes,
      appendsPerSecond: elapsedMs > 0 ? (count * 1_000) / elapsedMs : 0,
      ackP50Ms: percentile(latencies, 50),
      ackP99Ms: percentile(latencies, 99),
      inFlight,
      count,
    };
  } finally {
    try {
      if (created && jsm !== undefined) await deleteStream(jsm, streamName);
    } finally {
      await nc.close().catch(() => undefined);
    }
  }
}

interface AppendPlan {
  subjectPrefix: string;
  phase: 'warmup' | 'measure';
  eventBytes: number;
  count: number;
  inFlight: number;
  ackTimeoutMs: number;
}

/** `inFlight` workers publish the next message as soon as their previous one is acknowledged. */
async function appendAll(js: JetStreamClient, plan: AppendPlan): Promise<{ elapsedMs: number; latencies: Float64Array }> {
  // Printable bytes, as the JSON events are; the content does not matter to the server.
  const payload = new Uint8Array(plan.eventBytes).fill(0x78);
  const latencies = new Float64Array(plan.count);
  let next = 0;
  let failed: unknown;
  let lastAck = 0;

  const worker = async (): Promise<void> => {
    while (failed === undefined && next < plan.count) {
      const i = next++;
      const subject = `${plan.subjectPrefix}.${plan.phase}.p${Math.floor(i / MESSAGES_PER_SUBJECT)}`;
      const msgId = `${plan.subjectPrefix}.${plan.phase}.${i}`;
      const sent = performance.now();
      try {
        const ack = await js.publish(subject, payload, { msgID: msgId, timeout: plan.ackTimeoutMs });
        if (ack.duplicate) throw new AppendLimitError(`append ${msgId} was acknowledged as a duplicate`);
      } catch (err) {
        failed ??= err;
        return;
      }
      lastAck = performance.now();
      latencies[i] = lastAck - sent;
    }
  };

  const started = performance.now();
  await Promise.all(Array.from({ length: plan.inFlight }, worker));
  if (failed !== undefined) {
    if (failed instanceof AppendLimitError) throw failed;
    throw new AppendLimitError(`an append to the scratch stream failed: ${errorMessage(failed)}`, { cause: failed });
  }
  return { elapsedMs: lastAck - started, latencies };
}
