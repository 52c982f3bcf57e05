import { connect, ClosedConnectionError, DrainingConnectionError, TimeoutError } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type {
  Consumer,
  ConsumerMessages,
  JetStreamClient,
  JetStreamManager,
  JetStreamPublishOptions,
  JsMsg,
  OrderedConsumerOptions,
  StreamConfig,
  StreamInfo,
} from '@nats-io/jetstream';
import type {
  AppendRequest,
  AppendResult,
  EventEnvelope,
  EventHandler,
  EventLog,
  EventLogStatus,
  EventSubscription,
  ReadOptions,
  RecordedEvent,
  SubscribeOptions,
} from './envelope.ts';
import {
  AppendRejectedError,
  AppendTimeoutError,
  EventLogError,
  EventLogUnavailableError,
  StreamConfigMismatchError,
  WrongExpectedSequenceError,
} from './errors.ts';
import { ALL_EVENTS, assertEventSubject } from './subjects.ts';

export interface JetStreamEventLogOptions {
  servers: string | string[];
  /** Stream name (default 'FLOTILLA'). */
  streamName?: string;
  /** Client connection name, shown by the server's monitoring. */
  name?: string;
  /** Dedupe window for a stream this call creates (default 120 000 ms). An existing stream keeps its own. */
  duplicateWindowMs?: number;
  /** How long append waits for the PubAck before AppendTimeoutError (default 5 000 ms). */
  appendTimeoutMs?: number;
  /** Timeout for stream-info and consumer-create requests (default 5 000 ms). */
  requestTimeoutMs?: number;
  /** Delay between reconnect attempts (default 500 ms); the client reconnects forever. */
  reconnectTimeWaitMs?: number;
  /** Client ping interval; two missed pings mark a silent server dead (default 10 000 ms). */
  pingIntervalMs?: number;
  /** Messages per pull request of a subscription (default 1 000); bounds each subscriber's buffer. */
  consumerBatchSize?: number;
  user?: string;
  pass?: string;
  token?: string;
}

const DEFAULT_STREAM = 'FLOTILLA';
const MSG_ID_HEADER = 'Nats-Msg-Id';
const NANOS_PER_MS = 1_000_000;
const decoder = new TextDecoder();

function noop(): void {}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function isJsApiError(err: unknown, code: number): err is JetStreamApiError {
  return err instanceof JetStreamApiError && err.code === code;
}

/** Errors that mean "the server did not answer": worth retrying after a delay. */
function isTransient(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  return (
    err instanceof TimeoutError ||
    err.name === 'JetStreamNotEnabled' || // no responders: JetStream (not yet) answering
    err.name === 'NoResponders' ||
    err.name === 'RequestError' ||
    err.name === 'ConnectionError' ||
    err instanceof EventLogUnavailableError
  );
}

function isConnectionClosed(err: unknown): boolean {
  return err instanceof ClosedConnectionError || err instanceof DrainingConnectionError;
}

function toRecord(m: JsMsg): RecordedEvent {
  return {
    seq: m.seq,
    subject: m.subject,
    msgId: m.headers?.get(MSG_ID_HEADER) ?? '',
    event: JSON.parse(decoder.decode(m.data)) as EventEnvelope,
  };
}

/** "wrong last sequence: 7" -> 7 */
function parseActualSequence(description: string): number | undefined {
  const match = /(\d+)\s*$/.exec(description);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** @internal the log's stream configuration (append-limit.ts measures a scratch stream made the same way). */
export function desiredStreamConfig(name: string, duplicateWindowMs: number): Partial<StreamConfig> & { name: string } {
  return {
    name,
    subjects: [ALL_EVENTS],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    // The stream is the source of truth: nothing ever ages out or is discarded.
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    max_msgs_per_subject: -1,
    discard: DiscardPolicy.Old,
    deny_delete: true,
    deny_purge: true,
    duplicate_window: duplicateWindowMs * NANOS_PER_MS,
    num_replicas: 1,
  };
}

/** What in an existing stream's config breaks the log's rules. Empty when it is usable. */
function streamConfigDifferences(config: StreamConfig): string[] {
  const diffs: string[] = [];
  const subjects = config.subjects ?? [];
  if (subjects.length !== 1 || subjects[0] !== ALL_EVENTS) {
    diffs.push(`subjects are ${JSON.stringify(subjects)}, expected ["${ALL_EVENTS}"]`);
  }
  if (config.storage !== StorageType.File) diffs.push(`storage is ${config.storage}, expected file`);
  if (config.retention !== RetentionPolicy.Limits) diffs.push(`retention is ${config.retention}, expected limits`);
  if (config.max_msgs > 0) diffs.push(`max_msgs is ${config.max_msgs}, expected unlimited`);
  if (config.max_bytes > 0) diffs.push(`max_bytes is ${config.max_bytes}, expected unlimited`);
  if (config.max_age > 0) diffs.push(`max_age is ${config.max_age}ns, expected unlimited`);
  if (config.max_msgs_per_subject > 0) {
    diffs.push(`max_msgs_per_subject is ${config.max_msgs_per_subject}, expected unlimited`);
  }
  if (!config.deny_delete) diffs.push('deny_delete is false, expected true');
  if (!config.deny_purge) diffs.push('deny_purge is false, expected true');
  return diffs;
}

/** The EventLog on one JetStream stream (file storage, no limits, deny delete/purge). */
export class JetStreamEventLog implements EventLog {
  readonly streamName: string;
  private readonly nc: NatsConnection;
  private readonly js: JetStreamClient;
  private readonly jsm: JetStreamManager;
  private readonly appendTimeoutMs: number;
  private readonly consumerBatchSize: number;
  private writeWindow: Promise<void> | undefined;
  private reconnects = 0;
  private readonly subscriptions = new Set<JetStreamSubscription>();
  private connected = true;
  private lastError: string | undefined;
  private closing = false;
  private closedPromise: Promise<void> | undefined;
  private statusWatcher: Promise<void> = Promise.resolve();
  private reconnected: { promise: Promise<void>; resolve: () => void } | undefined;
  private duplicateWindow = 0;

  private constructor(
    nc: NatsConnection,
    js: JetStreamClient,
    jsm: JetStreamManager,
    streamName: string,
    opts: JetStreamEventLogOptions,
  ) {
    this.nc = nc;
    this.js = js;
    this.jsm = jsm;
    this.streamName = streamName;
    this.appendTimeoutMs = opts.appendTimeoutMs ?? 5_000;
    this.consumerBatchSize = opts.consumerBatchSize ?? 1_000;
  }

  /** Connects (reconnecting forever afterwards) and ensures the stream exists with the log's rules. */
  static async connect(opts: JetStreamEventLogOptions): Promise<JetStreamEventLog> {
    const requestTimeoutMs = opts.requestTimeoutMs ?? 5_000;
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: opts.servers,
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.user !== undefined ? { user: opts.user } : {}),
        ...(opts.pass !== undefined ? { pass: opts.pass } : {}),
        ...(opts.token !== undefined ? { token: opts.token } : {}),
        maxReconnectAttempts: -1,
        reconnectTimeWait: opts.reconnectTimeWaitMs ?? 500,
        pingInterval: opts.pingIntervalMs ?? 10_000,
        maxPingOut: 2,
        // Skips capturing a stack trace per request: one Error allocation less per append.
        noAsyncTraces: true,
      });
    } catch (err) {
      throw new EventLogUnavailableError(`cannot connect to NATS at ${String(opts.servers)}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
    try {
      const jsm = await jetstreamManager(nc, { timeout: requestTimeoutMs });
      const js = jetstream(nc, { timeout: requestTimeoutMs });
      const streamName = opts.streamName ?? DEFAULT_STREAM;
      const log = new JetStreamEventLog(nc, js, jsm, streamName, opts);
      const info = await ensureStream(jsm, desiredStreamConfig(streamName, opts.duplicateWindowMs ?? 120_000));
      log.duplicateWindow = info.config.duplicate_window / NANOS_PER_MS;
      log.statusWatcher = log.watchStatus();
      return log;
    } catch (err) {
      await nc.close().catch(noop);
      if (err instanceof EventLogError) throw err;
      throw new EventLogUnavailableError(`cannot set up the event stream: ${errorMessage(err)}`, { cause: err });
    }
  }

  /** The stream's effective dedupe window in ms. */
  get duplicateWindowMs(): number {
    return this.duplicateWindow;
  }

  async append<E extends EventEnvelope>(req: AppendRequest<E>): Promise<AppendResult> {
    assertEventSubject(req.subject);
    if (!req.msgId) throw new TypeError('append: msgId is required (a deterministic Nats-Msg-Id)');
    // Failing fast while disconnected gives a known outcome (nothing sent); a publish buffered during
    // the reconnect could be stored later and would only ever surface as a timeout.
    if (this.closing || !this.connected) throw this.unavailable();
    const opts: Partial<JetStreamPublishOptions> = { msgID: req.msgId, timeout: this.appendTimeoutMs };
    if (req.expectedLastSubjectSequence !== undefined) {
      opts.expect = { lastSubjectSequence: req.expectedLastSubjectSequence };
    }
    const payload = JSON.stringify(req.event);
    await this.nextWriteWindow();
    if (this.closing || !this.connected) throw this.unavailable();
    try {
      const ack = await this.js.publish(req.subject, payload, opts);
      return { seq: ack.seq, duplicate: ack.duplicate };
    } catch (err) {
      throw this.mapAppendError(err, req);
    }
  }

  /**
   * Appends started during one turn of the event loop (timer callbacks, HTTP requests, a batch of
   * delivered events) are published together once the turn's I/O is done: the client's outbound
   * buffer then leaves in one socket write instead of one per event. Their order is kept.
   */
  private nextWriteWindow(): Promise<void> {
    this.writeWindow ??= new Promise<void>((resolve) =>
      setImmediate(() => {
        this.writeWindow = undefined;
        resolve();
      }),
    );
    return this.writeWindow;
  }

  subscribe(fromSeq: number, handler: EventHandler, opts: SubscribeOptions = {}): EventSubscription {
    const sub = new JetStreamSubscription(this, Math.max(1, Math.floor(fromSeq)), handler, opts.subjectFilter, () =>
      this.subscriptions.delete(sub),
    );
    this.subscriptions.add(sub);
    return sub;
  }

  read(fromSeq: number, toSeq?: number, opts: ReadOptions = {}): AsyncIterable<RecordedEvent> {
    // The upper bound is taken now, at call time, not when iteration starts.
    const upper = toSeq === undefined ? this.lastSequence() : Promise.resolve(toSeq);
    upper.catch(noop); // awaited (and rethrown) inside readRange
    return this.readRange(Math.max(1, Math.floor(fromSeq)), upper, opts.subjectFilter);
  }

  private async *readRange(from: number, upper: Promise<number>, filter: string | undefined): AsyncIterable<RecordedEvent> {
    const to = await upper;
    let next = from;
    while (next <= to) {
      const consumer = await this.openOrderedConsumer(next, filter);
      try {
        const info = await consumer.info(true);
        if (info.num_pending === 0) return;
        const messages = await consumer.consume({ max_messages: Math.min(this.consumerBatchSize, to - next + 1) });
        void supervise(this, messages);
        try {
          for await (const m of messages) {
            const seq = m.seq;
            if (seq < next) continue;
            if (seq > to) return;
            next = seq + 1;
            yield toRecord(m);
            // pending: matching messages after this one when it was delivered; 0 means the range is exhausted.
            if (seq === to || m.info.pending === 0) return;
          }
        } finally {
          messages.stop();
        }
        // The consumer was replaced mid-read: continue from `next` with a fresh one.
      } finally {
        consumer.delete().catch(noop);
      }
    }
  }

  /** An ordered consumer for read(); connection trouble surfaces as EventLogUnavailableError. */
  private async openOrderedConsumer(from: number, filter: string | undefined): Promise<Consumer> {
    if (this.closing || !this.connected) throw this.unavailable();
    try {
      return await this.orderedConsumer(from, filter);
    } catch (err) {
      if (isTransient(err) || isConnectionClosed(err)) {
        throw new EventLogUnavailableError(`cannot open a reader on ${this.streamName}: ${errorMessage(err)}`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  async lastSequence(): Promise<number> {
    return (await this.streamInfo()).state.last_seq;
  }

  async firstSequence(): Promise<number> {
    const { state } = await this.streamInfo();
    // An empty stream reports first_seq 0 (fresh) or last_seq + 1; either way the next seq is the first held.
    return state.messages === 0 ? state.last_seq + 1 : state.first_seq;
  }

  status(): EventLogStatus {
    const connected = this.connected && !this.closing;
    return this.lastError === undefined ? { connected, reconnects: this.reconnects } : { connected, reconnects: this.reconnects, lastError: this.lastError };
  }

  close(): Promise<void> {
    this.closedPromise ??= this.doClose();
    return this.closedPromise;
  }

  private async doClose(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    if (!this.nc.isClosed()) {
      await this.nc.drain().catch(() => this.nc.close());
    }
    await this.statusWatcher;
  }

  /** @internal */
  get isClosing(): boolean {
    return this.closing;
  }

  /** @internal resolves when connected (at once if connected now), or when the connection is closed for good. */
  untilConnected(): Promise<void> {
    if (this.connected || this.closing || this.nc.isClosed()) return Promise.resolve();
    if (this.reconnected === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.reconnected = { promise, resolve };
    }
    return this.reconnected.promise;
  }

  /** @internal records a failure for status(). */
  noteError(err: unknown): void {
    this.lastError = errorMessage(err);
  }

  /** @internal an ordered consumer starting at `from`, optionally filtered. */
  orderedConsumer(from: number, filter: string | undefined): Promise<Consumer> {
    const opts: Partial<OrderedConsumerOptions> = { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from };
    if (filter !== undefined) opts.filter_subjects = filter;
    return this.js.consumers.get(this.streamName, opts);
  }

  /** @internal */
  get batchSize(): number {
    return this.consumerBatchSize;
  }

  private async streamInfo(): Promise<StreamInfo> {
    if (this.closing || !this.connected) throw this.unavailable();
    try {
      return await this.jsm.streams.info(this.streamName);
    } catch (err) {
      if (isTransient(err) || isConnectionClosed(err)) {
        throw new EventLogUnavailableError(`stream info for ${this.streamName} failed: ${errorMessage(err)}`, {
          cause: err,
        });
      }
      throw err;
    }
  }

  private unavailable(): EventLogUnavailableError {
    if (this.closing) return new EventLogUnavailableError('the event log is closed');
    return new EventLogUnavailableError(
      `not connected to NATS${this.lastError === undefined ? '' : ` (${this.lastError})`}; nothing was sent`,
    );
  }

  private mapAppendError(err: unknown, req: AppendRequest): Error {
    if (err instanceof JetStreamApiError) {
      if (err.code === JetStreamApiCodes.StreamWrongLastSequence) {
        const expected = req.expectedLastSubjectSequence ?? -1;
        return new WrongExpectedSequenceError(req.subject, expected, parseActualSequence(err.message), { cause: err });
      }
      return new AppendRejectedError(`append to ${req.subject} rejected: ${err.message}`, { cause: err });
    }
    if (err instanceof TimeoutError) {
      return new AppendTimeoutError(req.subject, req.msgId, this.appendTimeoutMs, { cause: err });
    }
    if (isTransient(err) || isConnectionClosed(err)) {
      this.noteError(err);
      return new EventLogUnavailableError(
        `append to ${req.subject} (msgId ${req.msgId}) failed: ${errorMessage(err)}; retry with the same msgId`,
        { cause: err },
      );
    }
    return err instanceof Error ? err : new Error(String(err));
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      switch (s.type) {
        case 'disconnect':
          this.connected = false;
          this.lastError = `disconnected from ${s.server}`;
          break;
        case 'reconnect':
          this.reconnects++;
          this.connected = true;
          this.reconnected?.resolve();
          this.reconnected = undefined;
          break;
        case 'error':
          this.lastError = errorMessage(s.error);
          break;
        case 'close':
          this.connected = false;
          break;
        default:
          break;
      }
    }
    this.connected = false;
    this.reconnected?.resolve();
  }
}

async function ensureStream(jsm: JetStreamManager, desired: Partial<StreamConfig> & { name: string }): Promise<StreamInfo> {
  let info: StreamInfo;
  try {
    info = await jsm.streams.info(desired.name);
  } catch (err) {
    if (!isJsApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
    try {
      info = await jsm.streams.add(desired);
    } catch (addErr) {
      if (addErr instanceof JetStreamApiError && addErr.code === 10058) {
        // Created concurrently by another process: check what it made.
        info = await jsm.streams.info(desired.name);
      } else if (addErr instanceof JetStreamApiError) {
        throw new StreamConfigMismatchError(desired.name, [addErr.message], { cause: addErr });
      } else {
        throw addErr;
      }
    }
  }
  const diffs = streamConfigDifferences(info.config);
  if (diffs.length > 0) throw new StreamConfigMismatchError(desired.name, diffs);
  return info;
}

/**
 * Watches an ordered consumer's notifications. When nats.js recreates the consumer (after a server
 * restart or a sequence gap) it keeps the old pull accounting and asks the new consumer for 0
 * messages, which stalls delivery until idle heartbeats are missed (~30 s, @nats-io/jetstream 3.4.0).
 * Stopping the iterator instead lets the caller open a fresh consumer at its own cursor at once.
 */
async function supervise(log: JetStreamEventLog, messages: ConsumerMessages): Promise<void> {
  for await (const s of messages.status()) {
    switch (s.type) {
      case 'ordered_consumer_recreated':
        messages.stop();
        return;
      case 'heartbeats_missed':
        log.noteError(`consumer missed ${s.count} heartbeats`);
        break;
      case 'stream_not_found':
        log.noteError(`stream ${log.streamName} not found`);
        break;
      default:
        break;
    }
  }
}

/** Wraps an error thrown by the subscriber's handler, to tell it apart from consumer errors. */
class HandlerFailure {
  readonly error: unknown;
  constructor(error: unknown) {
    this.error = error;
  }
}

class JetStreamSubscription implements EventSubscription {
  readonly done: Promise<void>;
  private stopped = false;
  private messages: ConsumerMessages | undefined;
  private wakeSleeper: (() => void) | undefined;
  private readonly finished: Promise<void>;
  private readonly log: JetStreamEventLog;
  private readonly handler: EventHandler;
  private readonly filter: string | undefined;
  private nextSeq: number;

  constructor(
    log: JetStreamEventLog,
    fromSeq: number,
    handler: EventHandler,
    filter: string | undefined,
    onEnd: () => void,
  ) {
    this.log = log;
    this.nextSeq = fromSeq;
    this.handler = handler;
    this.filter = filter;
    this.done = this.run().finally(onEnd);
    this.finished = this.done.catch(noop);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.messages?.stop();
    this.wakeSleeper?.();
    await this.finished;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      // While disconnected a create request would only sit in the client's buffer until it times out.
      await this.interruptible(this.log.untilConnected());
      if (this.stopped) return;
      let consumer: Consumer;
      let messages: ConsumerMessages;
      try {
        consumer = await this.log.orderedConsumer(this.nextSeq, this.filter);
        messages = await consumer.consume({ max_messages: this.log.batchSize });
      } catch (err) {
        if (this.stopped || this.log.isClosing) return;
        if (!isTransient(err)) throw err;
        this.log.noteError(err);
        await this.interruptible(delay(Math.min(2_000, 100 * 2 ** attempt++)));
        continue;
      }
      attempt = 0;
      this.messages = messages;
      if (this.stopped) messages.stop();
      void supervise(this.log, messages);
      try {
        await this.deliver(messages);
      } finally {
        messages.stop();
        consumer.delete().catch(noop);
        this.messages = undefined;
      }
      // Delivery ended without stop(): the consumer was replaced or the client gave up on it.
      // Start a new one where the handler left off.
      if (this.log.isClosing) return;
    }
  }

  private async deliver(messages: ConsumerMessages): Promise<void> {
    try {
      for await (const m of messages) {
        if (this.stopped) return;
        const seq = m.seq;
        // An ordered consumer never repeats itself, but a replacement consumer must not either.
        if (seq < this.nextSeq) continue;
        this.nextSeq = seq + 1;
        try {
          const pending = this.handler(toRecord(m));
          if (pending !== undefined) await pending;
        } catch (err) {
          throw new HandlerFailure(err);
        }
      }
    } catch (err) {
      if (err instanceof HandlerFailure) {
        this.log.noteError(err.error);
        throw err.error;
      }
      if (this.stopped || this.log.isClosing) return;
      this.log.noteError(err);
    }
  }

  /** Waits for `promise`, or less if stop() is called. */
  private async interruptible(promise: Promise<void>): Promise<void> {
    await Promise.race([promise, new Promise<void>((resolve) => (this.wakeSleeper = resolve))]);
    this.wakeSleeper = undefined;
  }
}
