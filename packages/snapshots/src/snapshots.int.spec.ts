import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { JetStreamEventLog } from '@flotilla/eventlog';
import { envelope, subjectFor } from '@flotilla/events';
import { LiveProjection } from '@flotilla/service-kit';
import { snapshotOf, type ClusterState } from '@flotilla/state';
import { specTime } from '@flotilla/state/testing';
import { startNatsServer, type RunningNatsServer } from '@flotilla/testkit';
import { connectSnapshots, KvSnapshotStore } from './kv-snapshot-store.ts';
import type { SnapshotLogger } from './restore.ts';
import { SnapshotWriter } from './snapshot-writer.ts';
import { generatedLog } from './testing.ts';

let server: RunningNatsServer;
let nc: NatsConnection;
const logs: JetStreamEventLog[] = [];
const projections: LiveProjection[] = [];
let buckets = 0;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectSnapshots({ servers: server.url, name: 'snapshots-spec' });
});

afterAll(async () => {
  await Promise.all(projections.map((projection) => projection.stop()));
  await Promise.all(logs.map((log) => log.close()));
  await nc?.close();
  await server?.stop();
});

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function openLog(streamName: string, url = server.url): Promise<JetStreamEventLog> {
  const log = await JetStreamEventLog.connect({ servers: url, streamName, name: `spec-${streamName}` });
  logs.push(log);
  return log;
}

/** Appends generated events with unique msgIds (the generator repeats events on purpose). */
async function appendGenerated(log: JetStreamEventLog, seed: number, count: number, from = 0): Promise<void> {
  const events = generatedLog(seed, from + count, { nodes: 12, pods: 150, replicaSets: 4 }).slice(from);
  for (const [i, event] of events.entries()) {
    const n = from + i + 1;
    await log.append({ subject: subjectFor(event), msgId: `gen-${seed}-${n}`, event: envelope(event, { source: 'spec', time: specTime(n) }) });
  }
}

function projection(log: JetStreamEventLog, store?: KvSnapshotStore, logger?: SnapshotLogger): { projection: LiveProjection; applied: () => number } {
  const created = new LiveProjection(log, { maxEvents: 500 }, { ...(store ? { snapshots: store } : {}), ...(logger ? { logger } : {}) });
  projections.push(created);
  let applied = 0;
  created.onApplied(() => applied++);
  return { projection: created, applied: () => applied };
}

const canonical = (state: ClusterState): string => JSON.stringify(snapshotOf(state));

function recordingLogger(): SnapshotLogger & { warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  return { warnings, info: () => undefined, warn: (msg, fields) => warnings.push({ msg, ...fields }) };
}

describe('snapshots of the fold against a real nats-server', () => {
  let log: JetStreamEventLog;
  let store: KvSnapshotStore;
  let full: ClusterState;

  beforeAll(async () => {
    log = await openLog('SNAPSHOTS_A');
    // Small chunks: a few thousand events make a snapshot of some tens of KiB, cut into several keys.
    store = await KvSnapshotStore.open(nc, { bucket: `snapshots-${++buckets}`, chunkBytes: 4 * 1024 });
    await appendGenerated(log, 7, 3000);
    const writerSide = projection(log);
    const writer = new SnapshotWriter(store, { every: 1000, keep: 2, stream: log.streamName });
    await writer.init();
    writer.attach(writerSide.projection);
    await writerSide.projection.start();
    await writer.idle();
    full = writerSide.projection.state;
    expect(writer.stats.written).toBeGreaterThan(0);
    expect(writer.stats.failed).toBe(0);
  });

  it('keeps the last few snapshots, chunked, each tied to the event at its seq', async () => {
    const stored = await store.list();
    expect(stored.length).toBeGreaterThan(0);
    expect(stored.length).toBeLessThanOrEqual(2);
    for (const snapshot of stored) {
      expect(snapshot.chunks).toBeGreaterThan(1);
      expect(snapshot.stream).toBe('SNAPSHOTS_A');
      const [event] = await collect(log.read(snapshot.seq, snapshot.seq));
      expect(event?.event.id).toBe(snapshot.eventId);
    }
    expect(await store.incomplete()).toEqual([]);
  });

  it('a new projection starts from the newest snapshot, reads only the tail, and ends with the state of a full replay', async () => {
    const newest = (await store.list()).at(-1)!;
    const { projection: restored, applied } = projection(log, store);
    await restored.start();
    expect(restored.startedFromSeq).toBe(newest.seq);
    expect(applied()).toBeLessThanOrEqual(3000 - newest.seq);
    expect(applied()).toBeLessThan(3000);
    expect(restored.state.seq).toBe(3000);
    expect(canonical(restored.state)).toBe(canonical(full));

    // Both follow the live tail the same way.
    const replayed = projection(log).projection;
    await replayed.start();
    await appendGenerated(log, 7, 300, 3000);
    await Promise.all([restored.waitFor(3300, 20_000), replayed.waitFor(3300, 20_000)]);
    expect(canonical(restored.state)).toBe(canonical(replayed.state));
  });

  it('ignores a snapshot taken on another log of the same name (the event at its seq differs) and replays in full', async () => {
    // Another server, the same stream name: as a log that was wiped and written again.
    const otherServer = await startNatsServer();
    const other = await openLog('SNAPSHOTS_A', otherServer.url);
    await appendGenerated(other, 8, 2500);
    const logger = recordingLogger();
    const { projection: started, applied } = projection(other, store, logger);
    await started.start();
    expect(started.startedFromSeq).toBe(0);
    expect(applied()).toBe(2500);
    expect(logger.warnings.map((warning) => warning.code)).toContain('SnapshotMismatch');
    const replayed = projection(other).projection;
    await replayed.start();
    expect(canonical(started.state)).toBe(canonical(replayed.state));
    await Promise.all([started.stop(), replayed.stop()]);
    await other.close();
    await otherServer.stop();
  });

  it('skips a corrupt snapshot and one of another version, and uses the next older good one', async () => {
    const good = (await store.list()).at(-1)!;
    const [atSeq] = await collect(log.read(good.seq + 5, good.seq + 5));
    const [atLater] = await collect(log.read(good.seq + 9, good.seq + 9));
    const meta = (seq: number, record: typeof atSeq) => ({ seq, msgId: record!.msgId, eventId: record!.event.id, writtenAt: '2026-01-01T00:00:00.000Z' });
    await store.put({ ...meta(good.seq + 5, atSeq), version: 1 }, '{"format": "flotilla.cluster-snapshot", trunc');
    await store.put({ ...meta(good.seq + 9, atLater), version: 99 }, canonical(full));
    const logger = recordingLogger();
    const { projection: started } = projection(log, store, logger);
    await started.start();
    expect(started.startedFromSeq).toBe(good.seq);
    expect(logger.warnings.map((warning) => warning.code)).toEqual(['IncompatibleSnapshot', 'SnapshotCorrupt']);
    await started.waitFor(await log.lastSequence(), 20_000);
    const replayed = projection(log).projection;
    await replayed.start();
    expect(canonical(started.state)).toBe(canonical(replayed.state));
    await store.remove(good.seq + 5);
    await store.remove(good.seq + 9);
    expect((await store.list()).map((snapshot) => snapshot.seq)).not.toContain(good.seq + 5);
  });
});
