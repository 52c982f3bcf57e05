// Time travel: the cluster as it was at a past point of the log, folded on demand.
//
// A past state is a fresh fold (createClusterState + applyEvent, exactly as LiveProjection folds) of
// the log up to a sequence. Recently folded states are kept (LRU) so that a second question about the
// same point is free and a later point folds forward from the nearest earlier one instead of from 1.
// Snapshots of the fold, when they exist, are one more such starting point: see `FoldBase`.
import type { EventLog } from '@flotilla/eventlog';
import { toFlotillaRecord } from '@flotilla/events';
import { restoreNewest, type SnapshotLogger, type SnapshotStore } from '@flotilla/snapshots';
import { applyEvent, createClusterState, restoreSnapshot, snapshotOf, DEFAULT_MAX_EVENTS, type ClusterState, type FoldOptions } from '@flotilla/state';
import { ApiError } from './api-status.ts';

/** Where a fold may start from instead of sequence 0: a cached state, or a snapshot store. */
export interface FoldBase {
  /** The state with the highest seq <= `seq` this base holds, or undefined. The caller never mutates it. */
  nearest(seq: number): ClusterState | undefined | Promise<ClusterState | undefined>;
}

/** A resolved `at`: the sequence it names and what was asked, for messages. */
export interface ResolvedAt {
  seq: number;
  /** 'seq' when `at` was a sequence number, 'time' when it was an RFC 3339 time. */
  by: 'seq' | 'time';
}

export interface TimeTravelOptions {
  /** How many folded states to keep (LRU). */
  cacheSize?: number;
  foldOptions?: Partial<FoldOptions>;
  /** Further starting points (snapshots); the nearest of these and the cache wins. */
  bases?: FoldBase[];
}

// RFC 3339 date-time: a date, 'T', a time with optional fraction, and a zone (Z or ±hh:mm).
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/** `at` as the client wrote it: a sequence number or an RFC 3339 time; a 400 naming `param` otherwise. */
export function parseAt(raw: string, param = 'at'): { seq: number } | { timeMs: number } {
  const value = raw.trim();
  if (/^\d+$/.test(value)) {
    const seq = Number(value);
    if (Number.isSafeInteger(seq)) return { seq };
  } else if (RFC3339.test(value)) {
    // RFC 3339 allows a lower-case 't' and 'z'; Date.parse does not.
    const timeMs = Date.parse(value.toUpperCase());
    if (!Number.isNaN(timeMs)) return { timeMs };
  }
  throw new ApiError('BadRequest', `${param}: invalid value ${JSON.stringify(raw)}: expected a sequence number (resourceVersion) or an RFC 3339 time such as 2024-05-01T12:00:00Z`);
}

/** A small LRU of folded states, keyed by their seq. */
class StateCache implements FoldBase {
  private readonly states = new Map<number, ClusterState>();
  constructor(private readonly capacity: number) {}

  get(seq: number): ClusterState | undefined {
    const state = this.states.get(seq);
    if (state) {
      // Map keeps insertion order: re-inserting marks it most recently used.
      this.states.delete(seq);
      this.states.set(seq, state);
    }
    return state;
  }

  nearest(seq: number): ClusterState | undefined {
    let best: ClusterState | undefined;
    for (const state of this.states.values()) if (state.seq <= seq && (!best || state.seq > best.seq)) best = state;
    if (best) this.get(best.seq);
    return best;
  }

  put(state: ClusterState): void {
    if (this.capacity <= 0) return;
    this.states.delete(state.seq);
    this.states.set(state.seq, state);
    while (this.states.size > this.capacity) {
      const oldest = this.states.keys().next().value;
      if (oldest === undefined) break;
      this.states.delete(oldest);
    }
  }
}

/**
 * A deep copy of a folded state that can be folded further without touching the original. Through a
 * snapshot rather than a structured clone: the fold's derived indexes live beside the state, and a
 * rebuilt index would hold the right pods in another order (the order pods arrived on a node, or
 * joined a ReplicaSet, shows in later events); a snapshot carries them in their order.
 */
export function cloneState(state: ClusterState): ClusterState {
  return restoreSnapshot(snapshotOf(state));
}

/**
 * Snapshots from the store as fold bases: the newest one at or before the asked seq that belongs to
 * this log. The last restored one is kept, so that several questions between two snapshots load it once.
 */
export class SnapshotFoldBase implements FoldBase {
  private last: ClusterState | undefined;

  constructor(
    private readonly store: SnapshotStore,
    private readonly log: EventLog,
    private readonly options: { maxEvents?: number; logger?: SnapshotLogger } = {},
  ) {}

  async nearest(seq: number): Promise<ClusterState | undefined> {
    try {
      const newest = (await this.store.list()).filter((snapshot) => snapshot.seq <= seq).at(-1);
      if (!newest) return undefined;
      if (this.last?.seq === newest.seq) return this.last;
      const maxEvents = this.options.maxEvents ?? DEFAULT_MAX_EVENTS;
      const restored = await restoreNewest(this.store, this.log, { maxSeq: seq, maxEvents, ...(this.options.logger ? { logger: this.options.logger } : {}) });
      if (restored) this.last = restored.state;
      return restored?.state;
    } catch (error) {
      // The store being away costs time (a longer fold), not the answer.
      this.options.logger?.warn('snapshots unavailable for time travel', { error: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }
}

export class TimeTravel {
  private readonly cache: StateCache;
  private readonly bases: FoldBase[];
  private readonly foldOptions: Partial<FoldOptions>;
  /** Envelope times (ms) by seq - 1, read once from the log, for resolving `at` times. */
  private readonly times: number[] = [];
  /** Folds under way, so that concurrent requests for one point share the work. */
  private readonly inFlight = new Map<number, Promise<ClusterState>>();

  constructor(
    private readonly log: EventLog,
    options: TimeTravelOptions = {},
  ) {
    this.cache = new StateCache(options.cacheSize ?? 4);
    this.bases = [this.cache, ...(options.bases ?? [])];
    this.foldOptions = options.foldOptions ?? {};
  }

  /**
   * The sequence `raw` names. A sequence beyond the log's last one is a 400 (there is no such state
   * yet); a time names the last event written at or before it (0, the empty cluster, when the log
   * starts later), so a time after the last event names the latest state.
   */
  async resolve(raw: string, param = 'at'): Promise<ResolvedAt> {
    const parsed = parseAt(raw, param);
    const last = await this.log.lastSequence();
    if ('seq' in parsed) {
      if (parsed.seq > last) throw new ApiError('BadRequest', `${param}: sequence ${parsed.seq} is beyond the end of the log (last sequence ${last})`);
      return { seq: parsed.seq, by: 'seq' };
    }
    await this.indexTimes(last);
    // Writers' clocks differ a little, so times are not strictly ordered: take the highest seq whose
    // time is <= at rather than stopping at the first later one.
    for (let i = Math.min(last, this.times.length) - 1; i >= 0; i--) {
      if (this.times[i]! <= parsed.timeMs) return { seq: i + 1, by: 'time' };
    }
    return { seq: 0, by: 'time' };
  }

  /** The state after applying every event up to and including `seq` (which must exist in the log). */
  stateAt(seq: number): Promise<ClusterState> {
    const cached = this.cache.get(seq);
    if (cached) return Promise.resolve(cached);
    const running = this.inFlight.get(seq);
    if (running) return running;
    const folding = this.fold(seq).finally(() => this.inFlight.delete(seq));
    this.inFlight.set(seq, folding);
    return folding;
  }

  private async fold(seq: number): Promise<ClusterState> {
    let start: ClusterState | undefined;
    for (const base of this.bases) {
      const candidate = await base.nearest(seq);
      if (candidate && (!start || candidate.seq > start.seq)) start = candidate;
    }
    // Bases are shared: fold a copy (an exact hit needs none).
    const state = !start ? createClusterState(this.foldOptions) : start.seq === seq ? start : cloneState(start);
    if (state.seq < seq) {
      for await (const raw of this.log.read(state.seq + 1, seq)) {
        const record = toFlotillaRecord(raw);
        // As LiveProjection: a type this build does not know keeps the sequence moving.
        if (record) applyEvent(state, record);
        else state.seq = Math.max(state.seq, raw.seq);
      }
      // The range may end in nothing this build reads: the state still reflects `seq`.
      state.seq = Math.max(state.seq, seq);
    }
    this.cache.put(state);
    return state;
  }

  private async indexTimes(last: number): Promise<void> {
    if (this.times.length >= last) return;
    for await (const record of this.log.read(this.times.length + 1, last)) {
      const time = Date.parse(record.event.time);
      // Sequences are dense (the stream denies deletes); an unparsable time never matches an `at`.
      this.times[record.seq - 1] = Number.isNaN(time) ? Number.POSITIVE_INFINITY : time;
    }
  }
}

/**
 * The state a read serves: the live fold, or with `?at=` the fold up to that point (400 with `watch`:
 * a watch follows the present). The answer's resourceVersion is the returned state's seq.
 */
export async function stateForQuery(
  ctx: { projection: { state: ClusterState }; timeTravel: TimeTravel },
  query: { at?: string; watch?: string },
): Promise<ClusterState> {
  if (query.at === undefined || query.at === '') return ctx.projection.state;
  if (query.watch === 'true' || query.watch === '1') throw new ApiError('BadRequest', 'at: cannot be combined with watch (a watch follows the present)');
  const { seq } = await ctx.timeTravel.resolve(query.at);
  // The live fold is that very state: no need to fold again.
  if (seq === ctx.projection.state.seq) return ctx.projection.state;
  return ctx.timeTravel.stateAt(seq);
}
