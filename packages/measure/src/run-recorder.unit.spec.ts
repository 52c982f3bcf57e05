import { describe, expect, it } from 'vitest';
import type { DomainEvent, FlotillaRecord } from '@flotilla/events';
import {
  containerStarted,
  nodeRegistered,
  podBound,
  podCreated,
  podDeleted,
  podSandboxReady,
  podSchedulingFailed,
  toRecord,
} from '@flotilla/state/testing';
import { RunRecorder } from './run-recorder.ts';

const T0 = Date.UTC(2026, 2, 1, 12, 0, 0);

/** Builds a log: each step is an event and its time in ms after T0; seqs follow the order. */
function log(...steps: Array<[DomainEvent, number]>): FlotillaRecord[] {
  return steps.map(([event, ms], index) => toRecord(event, index + 1, { time: new Date(T0 + ms).toISOString() }));
}

function record(records: readonly FlotillaRecord[], options?: ConstructorParameters<typeof RunRecorder>[0]): RunRecorder {
  const recorder = new RunRecorder(options);
  for (const entry of records) recorder.apply(entry);
  return recorder;
}

const node = (name: string, cpu = '4') => nodeRegistered({ name, cpu, podCIDR: null });
const pod = (name: string, cpu = '500m') => podCreated({ name, cpu });
const bind = (name: string, nodeName = 'node-1') => podBound({ name, nodeName });
/** The sandbox and the only app container started: the fold derives Running. */
const start = (name: string, nodeName = 'node-1'): DomainEvent[] => [podSandboxReady({ name, nodeName }), containerStarted({ name, nodeName })];

describe('RunRecorder', () => {
  it('measures throughput, per-second buckets and scheduling latency of a log with known times', () => {
    const records = log(
      [node('node-1'), -5000],
      [pod('a'), 0],
      [bind('a'), 100],
      [pod('b'), 500],
      [bind('b'), 700],
      [pod('c'), 1000],
      [bind('c'), 1300],
      [pod('d'), 1500],
      [bind('d'), 2100],
    );
    const summary = record(records).summary();

    expect(summary.pods).toEqual({ created: 4, bound: 4, running: 0, pending: 0 });
    expect(summary.startedAt).toBe(new Date(T0).toISOString());
    expect(summary.endedAt).toBe(new Date(T0 + 2100).toISOString());
    expect(summary.durationMs).toBe(2100);
    // 4 pods bound between the first create (0 ms) and the last bind (2100 ms).
    expect(summary.throughput.podsBoundPerSecond).toBeCloseTo(4 / 2.1, 10);
    expect(summary.throughput.peakPerSecond).toBe(2);
    expect(summary.throughput.perSecond).toEqual([
      { second: 0, created: 2, bound: 2, running: 0, events: 4 },
      { second: 1, created: 2, bound: 1, running: 0, events: 3 },
      { second: 2, created: 0, bound: 1, running: 0, events: 1 },
    ]);
    // Latencies 100, 200, 300, 600 ms.
    expect(summary.schedulingLatency).toEqual({ count: 4, p50: 200, p90: 600, p99: 600, max: 600, mean: 300 });
    expect(summary.bindings).toEqual({ accepted: 4, rejected: 0, duplicates: 0, schedulingFailures: 0 });
  });

  it('measures startup latency to the time the pod became Running', () => {
    const [sandboxA, startedA] = start('a');
    const [sandboxB, startedB] = start('b');
    const records = log(
      [node('node-1'), -1000],
      [pod('a'), 0],
      [pod('b'), 0],
      [bind('a'), 10],
      [bind('b'), 20],
      [sandboxA!, 200],
      [startedA!, 400],
      [sandboxB!, 300],
      // b's container never starts: bound, not running.
    );
    const recorder = record(records);
    const summary = recorder.summary();
    expect(recorder.running).toBe(1);
    expect(summary.pods.running).toBe(1);
    expect(summary.startupLatency).toEqual({ count: 1, p50: 400, p90: 400, p99: 400, max: 400, mean: 400 });
    expect(summary.throughput.perSecond[0]?.running).toBe(1);
    void startedB;
  });

  it('does not count a binding the fold rejected as bound', () => {
    const records = log(
      [node('node-1'), -1000],
      [node('node-2'), -1000],
      [pod('a'), 0],
      [bind('a', 'node-1'), 50],
      // A second scheduler replica's decision for the same pod loses: AlreadyBound.
      [podBound({ name: 'a', nodeName: 'node-2', attempt: 2 }), 60],
      [pod('b'), 100],
      // No such node: rejected, b stays pending.
      [bind('b', 'node-9'), 150],
      [podSchedulingFailed({ name: 'b', attempt: 2 }), 200],
    );
    const recorder = record(records);
    const summary = recorder.summary();
    expect(recorder.bound).toBe(1);
    expect(summary.pods).toEqual({ created: 2, bound: 1, running: 0, pending: 1 });
    expect(summary.bindings).toEqual({ accepted: 1, rejected: 2, duplicates: 1, schedulingFailures: 1 });
    expect(summary.schedulingLatency.count).toBe(1);
    expect(summary.schedulingLatency.max).toBe(50);
    expect(summary.throughput.podsBoundPerSecond).toBeCloseTo(1 / 0.05, 10);
  });

  it('counts only pods created after fromSeq, and events from the first of them on', () => {
    const records = log(
      [node('node-1'), 0], // seq 1
      [pod('old'), 100], // seq 2: before the workload
      [bind('old'), 200], // seq 3
      [pod('new'), 1000], // seq 4
      [bind('old'), 1100], // seq 5: a stale duplicate for a pod that is not the workload's
      [bind('new'), 1300], // seq 6
    );
    const summary = record(records, { fromSeq: 3 }).summary();
    expect(summary.pods).toEqual({ created: 1, bound: 1, running: 0, pending: 0 });
    expect(summary.startedAt).toBe(new Date(T0 + 1000).toISOString());
    expect(summary.schedulingLatency.max).toBe(300);
    expect(summary.bindings).toEqual({ accepted: 1, rejected: 0, duplicates: 0, schedulingFailures: 0 });
    expect(summary.events.total).toBe(3);
    expect(summary.events.byType).toEqual({ PodBound: 2, PodCreated: 1 });
    // 3 events over the 300 ms from the first workload create to the last record.
    expect(summary.events.perSecond).toBeCloseTo(10, 10);
    // The pre-existing pod still holds its node's cpu.
    expect(summary.nodes.perNode).toEqual([{ name: 'node-1', pods: 2, cpu: 0.25 }]);
  });

  it('counts only pods the filter accepts', () => {
    const records = log(
      [node('node-1'), 0],
      [podCreated({ name: 'mine', cpu: '100m', labels: { workload: 'w1' } }), 10],
      [podCreated({ name: 'other', cpu: '100m' }), 20],
      [bind('mine'), 30],
      [bind('other'), 40],
    );
    const summary = record(records, { podFilter: (p) => p.metadata.labels?.workload === 'w1' }).summary();
    expect(summary.pods).toEqual({ created: 1, bound: 1, running: 0, pending: 0 });
    expect(summary.bindings.accepted).toBe(1);
  });

  it('reports requested cpu over allocatable per node, ordered by name', () => {
    const records = log(
      [node('node-10', '2'), 0],
      [node('node-2', '4'), 0],
      [node('node-1', '4'), 0],
      [pod('a', '1'), 10],
      [pod('b', '1'), 10],
      [pod('c', '500m'), 10],
      [bind('a', 'node-2'), 20],
      [bind('b', 'node-2'), 20],
      [bind('c', 'node-10'), 20],
    );
    const { nodes } = record(records).summary();
    expect(nodes.count).toBe(3);
    expect(nodes.perNode).toEqual([
      { name: 'node-1', pods: 0, cpu: 0 },
      { name: 'node-2', pods: 2, cpu: 0.5 },
      { name: 'node-10', pods: 1, cpu: 0.25 },
    ]);
    expect(nodes.cpuUtilisation).toEqual({ min: 0, mean: 0.25, max: 0.5 });
  });

  it('ignores records it has already folded, and counts a pod deleted before binding as not pending', () => {
    const records = log([node('node-1'), 0], [pod('a'), 10], [bind('a'), 20], [pod('b'), 30], [podDeleted({ name: 'b' }), 40]);
    const recorder = new RunRecorder();
    for (const entry of [...records, ...records]) recorder.apply(entry);
    const summary = recorder.summary();
    expect(summary.pods).toEqual({ created: 2, bound: 1, running: 0, pending: 0 });
    expect(summary.events.total).toBe(4);
  });

  it('summarises an empty log with zeros', () => {
    const summary = new RunRecorder().summary();
    expect(summary.pods).toEqual({ created: 0, bound: 0, running: 0, pending: 0 });
    expect(summary.throughput).toEqual({ podsBoundPerSecond: 0, peakPerSecond: 0, perSecond: [] });
    expect(summary.events).toEqual({ total: 0, perSecond: 0, byType: {} });
    expect(summary.nodes).toEqual({ count: 0, cpuUtilisation: { min: 0, mean: 0, max: 0 }, perNode: [] });
  });

  it('buckets latencies for the distribution charts', () => {
    const records = log([node('node-1'), 0], [pod('a'), 0], [bind('a'), 3], [pod('b'), 0], [bind('b'), 250_000]);
    const { distributions } = record(records).summary();
    const counts = distributions?.scheduling.counts ?? [];
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(2);
    expect(counts[2]).toBe(1); // 3 ms: in the (2, 3] bucket
    expect(counts[counts.length - 1]).toBe(1); // beyond the last bound
  });
});
