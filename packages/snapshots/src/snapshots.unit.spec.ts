import { beforeEach, describe, expect, it } from 'vitest';
import { MemoryEventLog } from '@flotilla/eventlog';
import { envelope, subjectFor } from '@flotilla/events';
import { LiveProjection } from '@flotilla/service-kit';
import { snapshotOf, type ClusterState } from '@flotilla/state';
import { specTime } from '@flotilla/state/testing';
import { SnapshotStoreUnavailableError } from './errors.ts';
import { snapshotsEnabled, takeSnapshotsFlag } from './open.ts';
import { restoreNewest, type SnapshotLogger } from './restore.ts';
import { MemorySnapshotStore, type SnapshotStore } from './snapshot-store.ts';
import { SnapshotWriter } from './snapshot-writer.ts';
import { generatedLog } from './testing.ts';

const canonical = (state: ClusterState): string => JSON.stringify(snapshotOf(state));

async function logOf(seed: number, count: number): Promise<MemoryEventLog> {
  const log = new MemoryEventLog();
  for (const [i, event] of generatedLog(seed, count).entries()) {
    await log.append({ subject: subjectFor(event), msgId: `gen-${seed}-${i + 1}`, event: envelope(event, { source: 'spec', time: specTime(i + 1) }) });
  }
  return log;
}

function recordingLogger(): SnapshotLogger & { warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  return { warnings, info: () => undefined, warn: (msg, fields) => warnings.push({ msg, ...fields }) };
}

/** A projection over `log` that also writes snapshots every `every` events; resolves once caught up and written. */
async function writeSnapshots(log: MemoryEventLog, store: SnapshotStore, every: number, keep = 10): Promise<{ projection: LiveProjection; writer: SnapshotWriter }> {
  const projection = new LiveProjection(log);
  const writer = new SnapshotWriter(store, { every, keep, now: () => new Date(0) });
  await writer.init();
  writer.attach(projection);
  await projection.start();
  await writer.idle();
  await projection.stop();
  return { projection, writer };
}

describe('SnapshotWriter', () => {
  it('writes every N events, serialised at that seq, and keeps the last few', async () => {
    const log = await logOf(1, 400);
    const store = new MemorySnapshotStore();
    const { writer } = await writeSnapshots(log, store, 100, 2);
    const stored = await store.list();
    // A write still running when the next is due is skipped: at least the last ones are there.
    expect(stored.length).toBeLessThanOrEqual(2);
    expect(stored.length).toBeGreaterThan(0);
    expect(writer.stats.written + writer.stats.skippedBusy).toBeGreaterThanOrEqual(4);
    for (const snapshot of stored) {
      const [record] = await collect(log.read(snapshot.seq, snapshot.seq));
      expect({ msgId: snapshot.msgId, eventId: snapshot.eventId }).toEqual({ msgId: record?.msgId, eventId: record?.event.id });
      const replay = new LiveProjection(log);
      const upTo = await restoreNewest(store, log, { maxSeq: snapshot.seq });
      expect(upTo?.snapshot.seq).toBe(snapshot.seq);
      // The stored state is the fold up to its seq, not a later one.
      const fold = new MemoryEventLog();
      for await (const raw of log.read(1, snapshot.seq)) await fold.append({ subject: raw.subject, msgId: raw.msgId, event: raw.event });
      const exact = new LiveProjection(fold);
      await exact.start();
      expect(canonical(upTo!.state)).toBe(canonical(exact.state));
      await Promise.all([exact.stop(), replay.stop()]);
    }
  });

  it('counts from the newest stored snapshot after a restart', async () => {
    const log = await logOf(2, 250);
    const store = new MemorySnapshotStore();
    await writeSnapshots(log, store, 100);
    const newest = (await store.list()).at(-1)!.seq;
    const again = new SnapshotWriter(store, { every: 100 });
    await again.init();
    const projection = new LiveProjection(log, {}, { snapshots: store });
    again.attach(projection);
    await projection.start();
    await again.idle();
    await projection.stop();
    // Whatever the restarted writer wrote is a full interval after the newest snapshot it found.
    expect((await store.list()).filter((snapshot) => snapshot.seq > newest && snapshot.seq < newest + 100)).toEqual([]);
    expect(again.stats.written).toBe(newest + 100 <= 250 ? 1 : 0);
  });

  it('logs a failed write and goes on', async () => {
    const log = await logOf(3, 120);
    const failing: SnapshotStore = {
      put: () => Promise.reject(new SnapshotStoreUnavailableError('bucket gone')),
      list: () => Promise.resolve([]),
      load: () => Promise.reject(new Error('unused')),
      remove: () => Promise.resolve(),
    };
    const logger = recordingLogger();
    const projection = new LiveProjection(log);
    const writer = new SnapshotWriter(failing, { every: 50, logger });
    writer.attach(projection);
    await projection.start();
    await writer.idle();
    expect(writer.stats.failed).toBeGreaterThan(0);
    expect(logger.warnings[0]).toMatchObject({ msg: 'snapshot write failed', error: 'bucket gone' });
    expect(projection.state.seq).toBe(120);
    await projection.stop();
  });
});

describe('LiveProjection with snapshots', () => {
  let log: MemoryEventLog;
  let store: MemorySnapshotStore;

  beforeEach(async () => {
    log = await logOf(4, 600);
    store = new MemorySnapshotStore();
    await writeSnapshots(log, store, 250);
  });

  it('restores in place, applies only the tail, and equals a full replay', async () => {
    const newest = (await store.list()).at(-1)!;
    const projection = new LiveProjection(log, {}, { snapshots: store });
    const stateBefore = projection.state;
    let applied = 0;
    projection.onApplied(() => applied++);
    await projection.start();
    const full = new LiveProjection(log);
    await full.start();
    expect(projection.state).toBe(stateBefore);
    expect(projection.startedFromSeq).toBe(newest.seq);
    expect(applied).toBe(600 - newest.seq);
    expect(canonical(projection.state)).toBe(canonical(full.state));
    await Promise.all([projection.stop(), full.stop()]);
  });

  it('does not use a snapshot beyond the end of the log', async () => {
    const shorter = new MemoryEventLog();
    for await (const raw of log.read(1, 300)) await shorter.append({ subject: raw.subject, msgId: raw.msgId, event: raw.event });
    const projection = new LiveProjection(shorter, {}, { snapshots: store });
    await projection.start();
    expect(projection.startedFromSeq).toBeLessThanOrEqual(300);
    expect(projection.state.seq).toBe(300);
    await projection.stop();
  });

  it('ignores a snapshot of another log and one folded with another maxEvents', async () => {
    const other = await logOf(5, 600);
    const logger = recordingLogger();
    const projection = new LiveProjection(other, {}, { snapshots: store, logger });
    await projection.start();
    expect(projection.startedFromSeq).toBe(0);
    expect(logger.warnings.map((warning) => warning.code)).toContain('SnapshotMismatch');
    await projection.stop();

    const narrow = new LiveProjection(log, { maxEvents: 5 }, { snapshots: store, logger });
    await narrow.start();
    expect(narrow.startedFromSeq).toBe(0);
    expect(narrow.state.events).toHaveLength(5);
    expect(logger.warnings.map((warning) => warning.code)).toContain('IncompatibleSnapshot');
    await narrow.stop();
  });

  it('replays the whole log when the store cannot be read', async () => {
    const logger = recordingLogger();
    const unreachable: SnapshotStore = {
      put: (meta, body) => store.put(meta, body),
      list: () => Promise.reject(new SnapshotStoreUnavailableError('no bucket')),
      load: (snapshot) => store.load(snapshot),
      remove: (seq) => store.remove(seq),
    };
    const projection = new LiveProjection(log, {}, { snapshots: unreachable, logger });
    await projection.start();
    expect(projection.startedFromSeq).toBe(0);
    expect(projection.state.seq).toBe(600);
    expect(logger.warnings[0]).toMatchObject({ msg: 'cannot read snapshots; replaying the whole log', error: 'no bucket' });
    await projection.stop();
  });
});

describe('the --snapshots setting', () => {
  it('is on unless it says off', () => {
    expect(snapshotsEnabled(undefined)).toBe(true);
    expect(snapshotsEnabled('true')).toBe(true);
    for (const off of ['off', 'false', '0', 'no', 'OFF']) expect(snapshotsEnabled(off)).toBe(false);
  });

  it('is taken out of the flags, so that a service config parser does not see it', () => {
    const flags = new Map([
      ['snapshots', 'off'],
      ['name', 'scheduler-1'],
    ]);
    expect(takeSnapshotsFlag(flags, {})).toBe(false);
    expect([...flags.keys()]).toEqual(['name']);
    expect(takeSnapshotsFlag(new Map(), { FLOTILLA_SNAPSHOTS: 'off' })).toBe(false);
  });
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
