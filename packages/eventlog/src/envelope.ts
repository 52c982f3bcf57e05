/** What every event in the log looks like, whatever its payload. */
export interface EventEnvelope<TType extends string = string, TData = unknown> {
  /** uuid v4, unique per event. */
  id: string;
  /** Past tense, e.g. 'PodBound'. */
  type: TType;
  /** Payload schema version, for upcasters. */
  schemaVersion: number;
  /** ISO-8601, set by the writer (an argument, never read from a clock inside pure code). */
  time: string;
  /** Who wrote it: 'api', 'scheduler', 'node-agent/node-1'. */
  source: string;
  /** Id of the event or command that caused it. */
  causationId?: string;
  correlationId?: string;
  data: TData;
}

/** An event as stored: the envelope plus where the log put it. */
export interface RecordedEvent<E extends EventEnvelope = EventEnvelope> {
  /** JetStream stream sequence (1-based); this is the resourceVersion. */
  seq: number;
  subject: string;
  msgId: string;
  event: E;
}

export interface AppendRequest<E extends EventEnvelope = EventEnvelope> {
  subject: string;
  /** Deterministic Nats-Msg-Id; a retry MUST reuse it. */
  msgId: string;
  event: E;
  /** Optimistic-concurrency fast path (0 = the subject must be empty). Never the only guard: the fold arbitrates. */
  expectedLastSubjectSequence?: number;
}

export interface AppendResult {
  seq: number;
  /** The log already held this msgId (within the duplicate window): nothing new was stored, seq is the original's. */
  duplicate: boolean;
}

export interface EventLogStatus {
  connected: boolean;
  lastError?: string;
  /** Times the connection came back after it was lost (adapters with a connection). */
  reconnects?: number;
}

export type EventHandler = (rec: RecordedEvent) => Promise<void> | void;

export interface SubscribeOptions {
  /** NATS subject filter, e.g. 'flotilla.ev.node.>' (one filter: server 2.9 has no multi-filter consumers). */
  subjectFilter?: string;
}

export interface ReadOptions {
  subjectFilter?: string;
}

export interface EventSubscription {
  stop(): Promise<void>;
  /** Resolves when stopped, rejects if the handler threw (or the subscription failed for good). */
  readonly done: Promise<void>;
}

export interface EventLog {
  append<E extends EventEnvelope>(req: AppendRequest<E>): Promise<AppendResult>;
  /**
   * Ordered delivery of every event with seq >= fromSeq, then live tail, until the subscription is
   * stopped. Handler calls are strictly sequential (each is awaited before the next).
   */
  subscribe(fromSeq: number, handler: EventHandler, opts?: SubscribeOptions): EventSubscription;
  /** Reads the bounded range [fromSeq, toSeq] (toSeq default: the last sequence when read() is called). */
  read(fromSeq: number, toSeq?: number, opts?: ReadOptions): AsyncIterable<RecordedEvent>;
  lastSequence(): Promise<number>;
  /** First seq still held (1 when nothing was ever removed, including when the log is empty). */
  firstSequence(): Promise<number>;
  status(): EventLogStatus;
  close(): Promise<void>;
}
