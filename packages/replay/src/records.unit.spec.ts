import { describe, expect, it } from 'vitest';
import type { DomainEvent, FlotillaRecord } from '@flotilla/events';
import { MemoryEventLog } from '@flotilla/eventlog/core';
import { envelope, msgIdFor, subjectFor, toFlotillaRecord } from '@flotilla/events';
import { PREEMPTED } from '@flotilla/state';
import {
  containerStarted,
  containerTerminated,
  nodeEvictionTaintAdded,
  nodeMarkedReachable,
  nodeMarkedUnreachable,
  nodeRegistered,
  nodeUpdated,
  podBound,
  podCreated,
  podDeleted,
  podDeletionRequested,
  podEvicted,
  podSandboxReady,
  podSandboxRemoved,
  podSchedulingFailed,
  toRecord,
} from '@flotilla/state/testing';
import { LogExportParseError, parseRecords, serializeRecords, traceFromRecords, traceFromText } from './records.ts';
import { parseTrace, serializeTrace } from './trace.ts';

/** Records one second apart (toRecord's clock), from seq 1. */
function records(...events: DomainEvent[]): FlotillaRecord[] {
  return events.map((event, i) => toRecord(event, i + 1));
}

/** A pod that is bound to node-1 and runs. */
function runs(name: string): DomainEvent[] {
  return [podBound({ name }), podSandboxReady({ name, podIP: `10.244.1.${name.length + 10}` }), containerStarted({ name })];
}

describe('traceFromRecords', () => {
  it('keeps the arrivals, with their times from the first record, and leaves the decisions out', () => {
    const trace = traceFromRecords(
      records(
        nodeRegistered({ name: 'node-1', labels: { zone: 'a' } }),
        podCreated({ name: 'web', cpu: '500m', labels: { app: 'web' } }),
        podSchedulingFailed({ name: 'web', message: '0/1 nodes are available: 1 Insufficient cpu.' }),
        ...runs('web'),
        nodeUpdated({ name: 'node-1', unschedulable: true }),
      ),
    );
    expect(trace.header).toEqual({ kind: 'FlotillaTrace', version: 1, startedAt: '2026-01-01T00:00:01.000Z', source: 'log', fromSeq: 1, toSeq: 7 });
    expect(trace.arrivals.map((a) => [a.t, a.type])).toEqual([
      [0, 'NodeRegistered'],
      [1000, 'PodCreated'],
      [6000, 'NodeUpdated'],
    ]);
    const pod = trace.arrivals[1]!;
    expect(pod.type === 'PodCreated' && pod.pod).toMatchObject({ namespace: 'default', name: 'web', uid: 'uid-web', labels: { app: 'web' } });
    // The spec as created, without the node the binding put in it.
    expect(pod.type === 'PodCreated' && pod.pod.spec.nodeName).toBeUndefined();
    const node = trace.arrivals[0]!;
    expect(node.type === 'NodeRegistered' && node.node.metadata).toMatchObject({ name: 'node-1', labels: { zone: 'a' } });
    // What it writes, it reads back.
    expect(parseTrace(serializeTrace(trace))).toEqual(trace);
  });

  it("keeps a user's deletions and leaves out preemption's and the deletion of an evicted pod", () => {
    const trace = traceFromRecords(
      records(
        nodeRegistered(),
        podCreated({ name: 'a' }),
        podCreated({ name: 'b' }),
        podCreated({ name: 'c' }),
        podCreated({ name: 'pending' }),
        ...runs('a'),
        ...runs('b'),
        ...runs('c'),
        podDeletionRequested({ name: 'a', gracePeriodSeconds: 5 }),
        podSandboxRemoved({ name: 'a' }),
        podDeleted({ name: 'a' }),
        podDeletionRequested({ name: 'b', reason: PREEMPTED }),
        podDeleted({ name: 'b' }),
        podEvicted({ name: 'c' }),
        podDeleted({ name: 'c' }),
        // Never bound: the API deletes it at once, with no request before.
        podDeleted({ name: 'pending' }),
      ),
    );
    const deletions = trace.arrivals.filter((a) => a.type === 'PodDeletionRequested');
    expect(deletions).toEqual([
      { t: 14_000, type: 'PodDeletionRequested', namespace: 'default', name: 'a', uid: 'uid-a', gracePeriodSeconds: 5 },
      { t: 21_000, type: 'PodDeletionRequested', namespace: 'default', name: 'pending', uid: 'uid-pending' },
    ]);
  });

  it('records how long a pod that ended by itself ran, and its exit code', () => {
    const trace = traceFromRecords(
      records(
        nodeRegistered(),
        podCreated({ name: 'job', restartPolicy: 'Never' }),
        podCreated({ name: 'bad', restartPolicy: 'Never' }),
        ...runs('job'),
        ...runs('bad'),
        containerTerminated({ name: 'job', exitCode: 0 }),
        containerTerminated({ name: 'bad', exitCode: 3 }),
      ),
    );
    const pods = trace.arrivals.filter((a) => a.type === 'PodCreated');
    // job started running at seq 6 (t 5 s) and ended at seq 10 (t 9 s); bad ran from seq 9 to 11.
    expect(pods.map((a) => a.type === 'PodCreated' && [a.pod.name, a.runMs, a.exitCode])).toEqual([
      ['job', 4000, 0],
      ['bad', 2000, 3],
    ]);
  });

  it('leaves out a creation the fold refused (the name was taken)', () => {
    const trace = traceFromRecords(records(nodeRegistered(), podCreated({ name: 'web', uid: 'one' }), podCreated({ name: 'web', uid: 'two' })));
    expect(trace.arrivals.filter((a) => a.type === 'PodCreated').map((a) => a.type === 'PodCreated' && a.pod.uid)).toEqual(['one']);
  });

  it('turns a lapsed lease into a node failure with the delay until the eviction taint, and its end into a recovery', () => {
    const trace = traceFromRecords(
      records(
        nodeRegistered({ name: 'node-1' }),
        nodeRegistered({ name: 'node-2', podCIDR: '10.244.2.0/24' }),
        nodeMarkedUnreachable({ name: 'node-2', leaseRenewTime: '2026-01-01T00:00:01.000Z' }),
        // A repeated report changes nothing in the fold: no second failure.
        nodeMarkedUnreachable({ name: 'node-2', leaseRenewTime: '2026-01-01T00:00:01.000Z' }),
        nodeEvictionTaintAdded({ name: 'node-2' }),
        nodeMarkedReachable({ name: 'node-2', leaseRenewTime: '2026-01-01T00:00:09.000Z' }),
      ),
    );
    expect(trace.arrivals.slice(2)).toEqual([
      { t: 2000, type: 'NodeFailed', name: 'node-2', evictAfterMs: 2000 },
      { t: 5000, type: 'NodeRecovered', name: 'node-2' },
    ]);
  });

  it('from a sequence on: the nodes and live pods of that moment arrive at t = 0', () => {
    const log = records(
      nodeRegistered({ name: 'node-1' }),
      podCreated({ name: 'old' }),
      ...runs('old'),
      podCreated({ name: 'gone' }),
      podDeleted({ name: 'gone' }),
      nodeMarkedUnreachable({ name: 'node-1' }),
      podCreated({ name: 'new' }),
    );
    const trace = traceFromRecords(log, { fromSeq: 9 });
    expect(trace.header).toMatchObject({ startedAt: '2026-01-01T00:00:09.000Z', fromSeq: 9, toSeq: 9 });
    expect(trace.arrivals.map((a) => [a.t, a.type, 'name' in a ? a.name : a.type === 'PodCreated' ? a.pod.name : a.node.metadata.name])).toEqual([
      [0, 'NodeRegistered', 'node-1'],
      [0, 'NodeFailed', 'node-1'],
      [0, 'PodCreated', 'old'],
      [0, 'PodCreated', 'new'],
    ]);
    // The node as registered: no controller taints, no conditions.
    const node = trace.arrivals[0]!;
    expect(node.type === 'NodeRegistered' && node.node.spec?.taints).toBeUndefined();
    expect(node.type === 'NodeRegistered' && node.node.status?.conditions).toBeUndefined();
  });

  it('reads a log as the services write it (envelopes through the in-memory log)', async () => {
    const log = new MemoryEventLog();
    const events: DomainEvent[] = [nodeRegistered(), podCreated({ name: 'web' }), podBound({ name: 'web' })];
    for (const [i, event] of events.entries()) {
      await log.append({ subject: subjectFor(event), msgId: msgIdFor(event), event: envelope(event, { source: 'spec', time: new Date(Date.UTC(2026, 0, 1) + i * 250).toISOString() }) });
    }
    const read: FlotillaRecord[] = [];
    for await (const record of log.read(1)) read.push(toFlotillaRecord(record)!);
    const trace = traceFromRecords(read);
    expect(trace.arrivals.map((a) => [a.t, a.type])).toEqual([
      [0, 'NodeRegistered'],
      [250, 'PodCreated'],
    ]);
  });
});

describe('raw export', () => {
  const log = records(nodeRegistered(), podCreated({ name: 'web' }));

  it('round-trips the records, and traceFromText tells a trace from an export', () => {
    const text = serializeRecords(log);
    expect(parseRecords(text)).toEqual(log);
    expect(traceFromText(text)).toEqual(traceFromRecords(log));
    const trace = traceFromRecords(log);
    expect(traceFromText(serializeTrace(trace))).toEqual(trace);
  });

  it('skips event types this build does not know', () => {
    const unknown = { ...log[1]!, seq: 3, event: { ...log[1]!.event, type: 'PodTeleported' } };
    expect(parseRecords(serializeRecords([...log, unknown] as FlotillaRecord[]))).toEqual(log);
  });

  it('names the line and the field that is wrong', () => {
    const lines = serializeRecords(log).split('\n');
    const broken = JSON.parse(lines[1]!) as { event: { time: string } };
    broken.event.time = 'later';
    const error = (() => {
      try {
        parseRecords(`${lines[0]}\n${JSON.stringify(broken)}\n`);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(LogExportParseError);
    expect((error as Error).message).toBe('log export line 2: event.time: expected an ISO-8601 time');
    expect(() => parseRecords(`${lines[1]}\n${lines[0]}\n`)).toThrow('log export line 2: seq: 1 does not follow 2: records must be in log order');
    expect(() => parseRecords('{oops\n')).toThrow(/^log export line 1: not valid JSON/);
  });
});
