// Time travel from snapshot bases: `?at=` folds from the nearest snapshot at or before the point and
// answers exactly what a fold from sequence 1 answers.
import { beforeAll, describe, expect, it } from 'vitest';
import { MemoryEventLog, type EventLog, type RecordedEvent } from '@flotilla/eventlog';
import { envelope, subjectFor, toFlotillaRecord } from '@flotilla/events';
import { MemorySnapshotStore, SnapshotWriter } from '@flotilla/snapshots';
import { generatedLog } from '@flotilla/snapshots/testing';
import { applyEvent, createClusterState, snapshotOf, type ClusterState, type StateChange } from '@flotilla/state';
import { specTime } from '@flotilla/state/testing';
import { SnapshotFoldBase, TimeTravel, stateForQuery } from './time-travel.ts';

const EVENTS = 1200;

/** The log, counting the records time travel reads from it. */
function countingLog(log: EventLog): { log: EventLog; reads: () => number; reset: () => void } {
  let reads = 0;
  const counted: EventLog = Object.create(log) as EventLog;
  counted.read = (from, to, opts) => {
    const inner = log.read(from, to, opts);
    return (async function* () {
      for await (const record of inner) {
        reads++;
        yield record;
      }
    })();
  };
  return { log: counted, reads: () => reads, reset: () => (reads = 0) };
}

const canonical = (state: ClusterState): string => JSON.stringify(snapshotOf(state));

describe('time travel from snapshots', () => {
  const log = new MemoryEventLog();
  const store = new MemorySnapshotStore();
  const records: RecordedEvent[] = [];
  let snapshotSeqs: number[] = [];

  /** The fold from sequence 1 up to `seq`. */
  function foldTo(seq: number): ClusterState {
    const state = createClusterState();
    for (const raw of records.slice(0, seq)) {
      const record = toFlotillaRecord(raw);
      if (record) applyEvent(state, record);
    }
    return state;
  }

  beforeAll(async () => {
    for (const [i, event] of generatedLog(11, EVENTS, { nodes: 6, pods: 40, replicaSets: 3 }).entries()) {
      await log.append({ subject: subjectFor(event), msgId: `gen-${i + 1}`, event: envelope(event, { source: 'spec', time: specTime(i + 1) }) });
    }
    for await (const record of log.read(1)) records.push(record);
    // The writer as the API runs it, over a fold of the whole log.
    const listeners: Array<(record: NonNullable<ReturnType<typeof toFlotillaRecord>>, changes: StateChange[]) => void> = [];
    const source = { state: createClusterState(), onApplied: (listener: (typeof listeners)[number]) => void listeners.push(listener) };
    const writer = new SnapshotWriter(store, { every: 300, keep: 10 });
    writer.attach(source);
    for (const raw of records) {
      const record = toFlotillaRecord(raw)!;
      const changes = applyEvent(source.state, record);
      for (const listener of listeners) listener(record, changes);
      await writer.idle();
    }
    snapshotSeqs = (await store.list()).map((snapshot) => snapshot.seq);
    expect(snapshotSeqs).toEqual([300, 600, 900, 1200]);
  });

  it.each([299, 300, 301, 450, 899, 1000, 1199, 1200])('the state at %i from the nearest snapshot equals the fold from 1', async (seq) => {
    const counting = countingLog(log);
    const tt = new TimeTravel(counting.log, { cacheSize: 0, bases: [new SnapshotFoldBase(store, counting.log)] });
    const state = await tt.stateAt(seq);
    expect(canonical(state)).toBe(canonical(foldTo(seq)));
    const base = Math.max(0, ...snapshotSeqs.filter((s) => s <= seq));
    // The fold read the tail after the snapshot (and the one event that ties the snapshot to this log).
    expect(counting.reads()).toBe(seq - base + (base > 0 ? 1 : 0));
  });

  it('serves `?at=` from a snapshot base', async () => {
    const tt = new TimeTravel(log, { cacheSize: 0, bases: [new SnapshotFoldBase(store, log)] });
    const live = foldTo(EVENTS);
    const state = await stateForQuery({ projection: { state: live }, timeTravel: tt }, { at: '750' });
    expect(state.seq).toBe(750);
    expect(canonical(state)).toBe(canonical(foldTo(750)));
  });

  it('folds two points after one snapshot without changing the base', async () => {
    const tt = new TimeTravel(log, { cacheSize: 0, bases: [new SnapshotFoldBase(store, log)] });
    const first = await tt.stateAt(650);
    const second = await tt.stateAt(620);
    expect(canonical(first)).toBe(canonical(foldTo(650)));
    expect(canonical(second)).toBe(canonical(foldTo(620)));
  });

  it('ignores snapshots folded with another maxEvents', async () => {
    const counting = countingLog(log);
    const tt = new TimeTravel(counting.log, { cacheSize: 0, foldOptions: { maxEvents: 7 }, bases: [new SnapshotFoldBase(store, counting.log, { maxEvents: 7 })] });
    const state = await tt.stateAt(700);
    expect(state.events).toHaveLength(7);
    expect(counting.reads()).toBeGreaterThanOrEqual(700);
  });
});
