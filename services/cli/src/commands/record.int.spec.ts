// flotilla record against a real nats-server: the JetStream log read back as a trace or a raw export.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JetStreamEventLog } from '@flotilla/eventlog';
import { envelope, msgIdFor, subjectFor } from '@flotilla/events';
import type { DomainEvent } from '@flotilla/events';
import { parseRecords, parseTrace } from '@flotilla/replay';
import { startNatsServer } from '@flotilla/testkit';
import type { RunningNatsServer } from '@flotilla/testkit';
import { containerStarted, nodeRegistered, podBound, podCreated, podDeleted, podDeletionRequested, podSandboxReady, podSandboxRemoved } from '@flotilla/state/testing';
import { cli } from '../cli-harness.ts';

let server: RunningNatsServer;
const dir = mkdtempSync(join(tmpdir(), 'flotilla-record-'));

const EVENTS: DomainEvent[] = [
  nodeRegistered({ name: 'node-1', cpu: '4', memory: '8Gi' }),
  nodeRegistered({ name: 'node-2', cpu: '4', memory: '8Gi', podCIDR: '10.244.2.0/24' }),
  podCreated({ name: 'web', cpu: '1' }),
  podBound({ name: 'web', nodeName: 'node-1' }),
  podSandboxReady({ name: 'web', nodeName: 'node-1' }),
  containerStarted({ name: 'web', nodeName: 'node-1' }),
  podCreated({ name: 'db', cpu: '2' }),
  podDeletionRequested({ name: 'web', gracePeriodSeconds: 10 }),
  podSandboxRemoved({ name: 'web', nodeName: 'node-1' }),
  podDeleted({ name: 'web' }),
];

beforeAll(async () => {
  server = await startNatsServer();
  const log = await JetStreamEventLog.connect({ servers: server.url, name: 'record-spec' });
  try {
    for (const [i, event] of EVENTS.entries()) {
      // 100 ms apart from 2026-01-01T00:00:00Z.
      await log.append({ subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source: 'spec', time: new Date(Date.UTC(2026, 0, 1) + i * 100).toISOString() }) });
    }
  } finally {
    await log.close();
  }
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('flotilla record (real JetStream)', () => {
  it('saves the trace of the log to a file', async () => {
    const file = join(dir, 'trace.jsonl');
    const run = await cli(['record', '--nats', server.url, '-o', file]);
    expect(run.code).toBe(0);
    expect(run.out).toBe('');
    expect(run.err).toBe(`flotilla record: 2 nodes, 2 pods, 1 deletion over 0.7 s (log seq 1-10) -> ${file}\n`);
    const trace = parseTrace(readFileSync(file, 'utf8'));
    expect(trace.header).toMatchObject({ startedAt: '2026-01-01T00:00:00.000Z', source: 'log', fromSeq: 1, toSeq: 10 });
    expect(trace.arrivals.map((a) => [a.t, a.type])).toEqual([
      [0, 'NodeRegistered'],
      [100, 'NodeRegistered'],
      [200, 'PodCreated'],
      [600, 'PodCreated'],
      [700, 'PodDeletionRequested'],
    ]);

    // And the file replays.
    const replay = await cli(['replay', file, '-o', 'json']);
    expect(replay.code).toBe(0);
    expect((JSON.parse(replay.out) as { results: Array<{ pods: { total: number; bound: number } }> }).results[0]!.pods).toMatchObject({ total: 1, bound: 1 });
  });

  it('exports the raw records with --raw (to stdout), from a sequence with --from-seq', async () => {
    const all = await cli(['record', '--nats', server.url, '--raw']);
    expect(all.code).toBe(0);
    const records = parseRecords(all.out);
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(records[2]!.event.type).toBe('PodCreated');
    expect(all.err).toBe('flotilla record: 10 records (log seq 1-10)\n');

    const tail = await cli(['record', '--nats', server.url, '--raw', '--from-seq', '8']);
    expect(parseRecords(tail.out).map((r) => r.event.type)).toEqual(['PodDeletionRequested', 'PodSandboxRemoved', 'PodDeleted']);
  });

  it('starts a trace at --from-seq with what exists there arriving at t = 0', async () => {
    const run = await cli(['record', '--nats', server.url, '--from-seq', '7']);
    expect(run.code).toBe(0);
    const trace = parseTrace(run.out);
    expect(trace.arrivals.map((a) => [a.t, a.type])).toEqual([
      [0, 'NodeRegistered'],
      [0, 'NodeRegistered'],
      [0, 'PodCreated'],
      [0, 'PodCreated'],
      [100, 'PodDeletionRequested'],
    ]);
  });

  it('says so when NATS cannot be reached', async () => {
    const run = await cli(['record', '--nats', 'nats://127.0.0.1:1']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^flotilla record: cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
  });
});
