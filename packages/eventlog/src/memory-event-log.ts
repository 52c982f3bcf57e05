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
import { EventLogUnavailableError, WrongExpectedSequenceError } from './errors.ts';
import { assertEventSubject, compileSubjectFilter } from './subjects.ts';
import type { SubjectMatcher } from './subjects.ts';

export interface MemoryEventLogOptions {
  /** How long a msgId is remembered for dedupe (default 2 minutes, like the JetStream stream). */
  duplicateWindowMs?: number;
  /** Clock for the dedupe window (default Date.now); inject one to test window expiry. */
  now?: () => number;
}

interface StoredEvent {
  readonly seq: number;
  readonly subject: string;
  readonly msgId: string;
  /** Encoded once on append; every delivery parses its own copy, as a real log would. */
  readonly json: string;
}

interface DedupeEntry {
  readonly seq: number;
  readonly at: number;
}

const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;
// A subscriber with synchronous handlers and a long backlog yields to the event loop this often.
const YIELD_EVERY = 1_024;

function toRecord(ev: StoredEvent): RecordedEvent {
  return { seq: ev.seq, subject: ev.subject, msgId: ev.msgId, event: JSON.parse(ev.json) as EventEnvelope };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** In-memory EventLog with the same observable behaviour as the JetStream adapter; for tests and simulations. */
export class MemoryEventLog implements EventLog {
  private readonly events: StoredEvent[] = [];
  private readonly lastBySubject = new Map<string, number>();
  // Insertion order is append order, so expiry only ever looks at the front.
  private readonly dedupe = new Map<string, DedupeEntry>();
  private readonly subscriptions = new Set<MemorySubscription>();
  private readonly duplicateWindowMs: number;
  private readonly now: () => number;
  private appended: { promise: Promise<void>; resolve: () => void } | undefined;
  private outage = false;
  private closed = false;

  constructor(opts: MemoryEventLogOptions = {}) {
    this.duplicateWindowMs = opts.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS;
    this.now = opts.now ?? Date.now;
  }

  /** While on, append rejects with EventLogUnavailableError and status() reports disconnected. */
  simulateOutage(on: boolean): void {
    this.outage = on;
  }

  async append<E extends EventEnvelope>(req: AppendRequest<E>): Promise<AppendResult> {
    if (this.closed) throw new EventLogUnavailableError('the event log is closed');
    if (this.outage) throw new EventLogUnavailableError('event log unavailable (simulated outage)');
    assertEventSubject(req.subject);
    if (!req.msgId) throw new TypeError('append: msgId is required (a deterministic Nats-Msg-Id)');

    const now = this.now();
    this.expireDedupe(now);
    // Like JetStream, dedupe is checked before the expected sequence: a retry of a stored append is a duplicate.
    const seen = this.dedupe.get(req.msgId);
    if (seen !== undefined) return { seq: seen.seq, duplicate: true };

    const expected = req.expectedLastSubjectSequence;
    if (expected !== undefined) {
      const actual = this.lastBySubject.get(req.subject) ?? 0;
      if (actual !== expected) throw new WrongExpectedSequenceError(req.subject, expected, actual);
    }

    const json = JSON.stringify(req.event);
    const seq = this.events.length + 1;
    this.events.push({ seq, subject: req.subject, msgId: req.msgId, json });
    this.lastBySubject.set(req.subject, seq);
    this.dedupe.set(req.msgId, { seq, at: now });
    const appended = this.appended;
    if (appended !== undefined) {
      this.appended = undefined;
      appended.resolve();
    }
    return { seq, duplicate: false };
  }

  subscribe(fromSeq: number, handler: EventHandler, opts: SubscribeOptions = {}): EventSubscription {
    const matcher = opts.subjectFilter === undefined ? undefined : compileSubjectFilter(opts.subjectFilter);
    const sub = new MemorySubscription(this, Math.max(1, Math.floor(fromSeq)), handler, matcher, () =>
      this.subscriptions.delete(sub),
    );
    this.subscriptions.add(sub);
    return sub;
  }

  read(fromSeq: number, toSeq?: number, opts: ReadOptions = {}): AsyncIterable<RecordedEvent> {
    const matcher = opts.subjectFilter === undefined ? undefined : compileSubjectFilter(opts.subjectFilter);
    const to = Math.min(toSeq ?? this.events.length, this.events.length);
    return this.readRange(Math.max(1, fromSeq), to, matcher);
  }

  private async *readRange(from: number, to: number, matcher: SubjectMatcher | undefined): AsyncIterable<RecordedEvent> {
    for (let seq = from; seq <= to; seq++) {
      const ev = this.events[seq - 1];
      if (ev === undefined) return;
      if (matcher === undefined || matcher(ev.subject)) yield toRecord(ev);
    }
  }

  lastSequence(): Promise<number> {
    return Promise.resolve(this.events.length);
  }

  firstSequence(): Promise<number> {
    return Promise.resolve(1);
  }

  status(): EventLogStatus {
    if (this.closed) return { connected: false, lastError: 'closed' };
    if (this.outage) return { connected: false, lastError: 'simulated outage' };
    return { connected: true };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
  }

  /** @internal the stored event at seq, if any. */
  eventAt(seq: number): StoredEvent | undefined {
    return this.events[seq - 1];
  }

  /** @internal resolves at the next append. */
  nextAppend(): Promise<void> {
    if (this.appended === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.appended = { promise, resolve };
    }
    return this.appended.promise;
  }

  private expireDedupe(now: number): void {
    for (const [msgId, entry] of this.dedupe) {
      if (now - entry.at < this.duplicateWindowMs) break;
      this.dedupe.delete(msgId);
    }
  }
}

class MemorySubscription implements EventSubscription {
  readonly done: Promise<void>;
  private stopped = false;
  private readonly stopSignal: Promise<void>;
  private signalStop!: () => void;
  private readonly finished: Promise<void>;

  constructor(
    log: MemoryEventLog,
    fromSeq: number,
    handler: EventHandler,
    matcher: SubjectMatcher | undefined,
    onEnd: () => void,
  ) {
    this.stopSignal = new Promise<void>((resolve) => (this.signalStop = resolve));
    this.done = this.run(log, fromSeq, handler, matcher).finally(onEnd);
    this.finished = this.done.catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.signalStop();
    await this.finished;
  }

  private async run(
    log: MemoryEventLog,
    fromSeq: number,
    handler: EventHandler,
    matcher: SubjectMatcher | undefined,
  ): Promise<void> {
    // Delivery starts on a later tick: subscribe() returns before the first handler call, as with JetStream.
    await Promise.resolve();
    let next = fromSeq;
    let sinceYield = 0;
    while (!this.stopped) {
      const ev = log.eventAt(next);
      if (ev === undefined) {
        await Promise.race([log.nextAppend(), this.stopSignal]);
        sinceYield = 0;
        continue;
      }
      next++;
      if (matcher === undefined || matcher(ev.subject)) {
        const pending = handler(toRecord(ev));
        if (pending !== undefined) await pending;
      }
      if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
  }
}
