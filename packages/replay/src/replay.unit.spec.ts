import { describe, expect, it } from 'vitest';
import type { FlotillaRecord } from '@flotilla/events';
import type { NodeManifest, PodSpec } from '@flotilla/model';
import { DEFAULT_PROFILE } from '@flotilla/scheduling';
import type { Profile } from '@flotilla/scheduling';
import { generateTrace } from './generate.ts';
import { replayTrace } from './replay.ts';
import type { ReplayOptions } from './replay.ts';
import { TRACE_KIND, TRACE_VERSION } from './trace.ts';
import type { Trace, TraceArrival, TracePod } from './trace.ts';

const MOST_ALLOCATED: Profile = {
  ...DEFAULT_PROFILE,
  pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] } } }],
};
const NO_JITTER = { jitter: 0 };

function node(name: string, cpu = '4', memory = '4Gi', labels: Record<string, string> = {}): TraceArrival {
  const capacity = { cpu, memory, pods: '110' };
  const manifest: NodeManifest = { apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, status: { capacity } };
  return { t: 0, type: 'NodeRegistered', node: manifest };
}

function pod(t: number, name: string, cpu: string, extra: Partial<PodSpec> = {}, more: Partial<TracePod> = {}): TraceArrival {
  return {
    t,
    type: 'PodCreated',
    pod: { namespace: 'default', name, spec: { containers: [{ name: 'app', resources: { requests: { cpu, memory: '256Mi' } } }], ...extra }, ...more },
  };
}

function trace(...arrivals: TraceArrival[]): Trace {
  return { header: { kind: TRACE_KIND, version: TRACE_VERSION, startedAt: '2026-01-01T00:00:00.000Z' }, arrivals };
}

function replayWithLog(t: Trace, options: Omit<ReplayOptions, 'onRecord'>): { result: ReturnType<typeof replayTrace>; log: FlotillaRecord[] } {
  const log: FlotillaRecord[] = [];
  const result = replayTrace(t, { ...options, onRecord: (record) => log.push(record) });
  return { result, log };
}

function nodeOf(log: FlotillaRecord[], podName: string): string | undefined {
  for (const record of log) if (record.event.type === 'PodBound' && record.event.data.name === podName) return record.event.data.nodeName;
  return undefined;
}

/** Several sizes of pods over three kinds of node, with churn, priorities and a node that fails. */
function mixedTrace(): Trace {
  const generated = generateTrace({
    nodes: [
      { count: 6, namePrefix: 'small', cpu: '4', memory: '16Gi' },
      { count: 4, namePrefix: 'large', cpu: '16', memory: '64Gi' },
    ],
    zones: 3,
    pods: [
      { count: 60, namePrefix: 'web', cpu: '250m', memory: '512Mi', labels: { app: 'web' }, lifetimeMs: { min: 500, max: 3000 } },
      { count: 20, namePrefix: 'api', cpu: '1', memory: '2Gi', labels: { app: 'api' } },
      { count: 8, namePrefix: 'batch', cpu: '4', memory: '8Gi', priority: -10 },
      { count: 4, namePrefix: 'critical', cpu: '6', memory: '8Gi', priority: 1000 },
    ],
    ratePerSecond: 50,
    shuffle: true,
    seed: 3,
  });
  const arrivals = [...generated.arrivals, { t: 1200, type: 'NodeFailed', name: 'small-2', evictAfterMs: 500 } as TraceArrival];
  arrivals.sort((a, b) => a.t - b.t);
  return { ...generated, arrivals };
}

describe('replayTrace', () => {
  it('is deterministic: the same trace, profile and seed give the same result and the same log', () => {
    const t = mixedTrace();
    const first = replayWithLog(t, { profile: DEFAULT_PROFILE, seed: 7 });
    const second = replayWithLog(t, { profile: DEFAULT_PROFILE, seed: 7 });
    expect(second.result).toEqual(first.result);
    expect(second.log).toEqual(first.log);
    // The trace exercised what it was built for.
    expect(first.result.scheduling.bindings).toBeGreaterThan(80);
    expect(first.result.scheduling.evictions).toBeGreaterThan(0);
    expect(first.result.trace).toMatchObject({ nodes: 10, pods: 92, deletions: 60, nodeFailures: 1 });
  });

  it('packs with MostAllocated and spreads with LeastAllocated', () => {
    const t = trace(node('n1'), node('n2'), node('n3'), node('n4'), pod(0, 'a', '1'), pod(10, 'b', '1'), pod(20, 'c', '1'), pod(30, 'd', '1'));
    const spread = replayTrace(t, { profile: DEFAULT_PROFILE, name: 'least' });
    const packed = replayTrace(t, { profile: MOST_ALLOCATED, name: 'most' });
    expect(spread.placement.nodesUsed).toBe(4);
    expect(packed.placement.nodesUsed).toBe(1);
    expect(spread.placement.cpu.mean).toBeCloseTo(packed.placement.cpu.mean);
    expect(spread.placement.cpu.max).toBeCloseTo(0.25);
    expect(packed.placement.cpu.max).toBeCloseTo(1);
    expect(spread.placement.spread.maxPodsOnNode).toBe(1);
    expect(packed.placement.spread.nodeSkew).toBe(4);
    expect(spread.profile).toBe('least');
  });

  it('starts bound pods on the simulated node after the configured delays, so the fold sees them Running', () => {
    const { result, log } = replayWithLog(trace(node('n1'), pod(100, 'web', '1')), { profile: DEFAULT_PROFILE, timings: { ...NO_JITTER, sandboxMs: 30, startMs: 50 } });
    const times = log.filter((r) => r.event.type !== 'NodeRegistered').map((r) => [r.event.type, Date.parse(r.event.time) - Date.parse('2026-01-01T00:00:00.000Z')]);
    expect(times).toEqual([
      ['PodCreated', 100],
      ['PodBound', 100],
      ['PodSandboxReady', 130],
      ['ContainerStarted', 180],
    ]);
    expect(result.pods).toMatchObject({ total: 1, bound: 1, running: 1, pending: 0 });
    expect(result.endMs).toBe(180);
  });

  it('reports the pods left pending and the rejections behind them', () => {
    const result = replayTrace(trace(node('n1'), node('n2'), pod(0, 'fits', '1'), pod(0, 'huge', '8'), pod(0, 'picky', '1', { nodeSelector: { disk: 'ssd' } })), {
      profile: DEFAULT_PROFILE,
    });
    expect(result.pods.pending).toBe(2);
    expect(result.pendingReasons).toEqual({ 'NodeAffinity: node(s) didn\'t match Pod\'s node affinity/selector': 1, 'NodeResourcesFit: Insufficient cpu': 1 });
    expect(result.scheduling).toMatchObject({ decisions: 3, bindings: 1, unschedulable: 2 });
  });

  it('preempts lower-priority pods for a higher-priority one, as the scheduler service does', () => {
    const { result, log } = replayWithLog(trace(node('n1'), pod(0, 'low-1', '2', { priority: 0 }), pod(0, 'low-2', '2', { priority: 0 }), pod(100, 'high', '3', { priority: 100 })), {
      profile: DEFAULT_PROFILE,
      timings: NO_JITTER,
    });
    expect(result.scheduling).toMatchObject({ preemptions: 1, victims: 2 });
    expect(nodeOf(log, 'high')).toBe('n1');
    expect(log.filter((r) => r.event.type === 'PodDeletionRequested').map((r) => r.event.type === 'PodDeletionRequested' && r.event.data.reason)).toEqual(['Preempted', 'Preempted']);
    expect(result.pods).toMatchObject({ total: 1, bound: 1, pending: 0 });
  });

  it("deletes pods as the trace says, and a pending pod takes the freed room once the node let go", () => {
    const { result } = replayWithLog(
      trace(node('n1'), pod(0, 'first', '3'), pod(10, 'waiting', '3'), { t: 2000, type: 'PodDeletionRequested', namespace: 'default', name: 'first' }),
      { profile: DEFAULT_PROFILE, timings: { ...NO_JITTER, stopMs: 40 } },
    );
    expect(result.pods).toMatchObject({ total: 1, bound: 1, pending: 0 });
    // Created at 10, the room came free at 2040 (deletion at 2000 + 40 ms to stop): the pod's 1 s
    // backoff is over by then, so the freed room wakes it at once.
    expect(result.scheduling.schedulingLatencyMs.max).toBe(2030);
    expect(result.scheduling.lastBindingMs).toBe(2040);
  });

  it('evicts the pods of a failed node as their tolerations say, and the room is not given to others while it is down', () => {
    const tolerates = (seconds: number) => ({ tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' as const, effect: 'NoExecute' as const, tolerationSeconds: seconds }] });
    const { result, log } = replayWithLog(
      trace(
        node('n1', '2'),
        pod(0, 'plain', '1'),
        pod(0, 'patient', '1', tolerates(5)),
        { t: 1000, type: 'NodeFailed', name: 'n1', evictAfterMs: 200 },
        pod(1100, 'late', '1'),
      ),
      { profile: DEFAULT_PROFILE, timings: NO_JITTER },
    );
    const evictions = log.filter((r) => r.event.type === 'PodEvicted').map((r) => [r.event.type === 'PodEvicted' && r.event.data.name, Date.parse(r.event.time) - Date.parse('2026-01-01T00:00:00.000Z')]);
    expect(evictions).toEqual([
      ['plain', 1200],
      ['patient', 6200],
    ]);
    expect(result.scheduling.evictions).toBe(2);
    expect(result.pods).toMatchObject({ failed: 2, pending: 1 });
    expect(result.pendingReasons).toEqual({ "TaintToleration: node(s) had untolerated taint {node.kubernetes.io/unreachable: }": 1 });
  });

  it('ends a pod that ended by itself in the recording after the same run time, and frees its room', () => {
    const job: TraceArrival = { ...pod(0, 'job', '4', { restartPolicy: 'Never' }), runMs: 1000, exitCode: 0 } as TraceArrival;
    const { result } = replayWithLog(trace(node('n1'), job, pod(10, 'next', '4')), { profile: DEFAULT_PROFILE, timings: NO_JITTER });
    expect(result.pods).toMatchObject({ succeeded: 1, bound: 1, pending: 0 });
    // job: bound at 0, running at 40, done at 1040; next was created at 10.
    expect(result.scheduling.schedulingLatencyMs.max).toBe(1030);
  });

  it("takes pods a ReplicaSet created (there is no ReplicaSet in a replay) and still spreads them as one controller's", () => {
    const owner = { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-1', controller: true }] };
    const arrivals = [node('n1', '4', '4Gi', { 'topology.kubernetes.io/zone': 'a' }), node('n2', '4', '4Gi', { 'topology.kubernetes.io/zone': 'b' })];
    for (let i = 1; i <= 4; i++) arrivals.push(pod(i, `web-${i}`, '100m', {}, owner));
    const result = replayTrace(trace(...arrivals), { profile: MOST_ALLOCATED });
    expect(result.pods.bound).toBe(4);
    expect(result.scheduling.refusedCreations).toBe(0);
    // Default topology spreading (ScheduleAnyway per zone) weighs against packing one controller's pods.
    expect(result.placement.spread.perZone).toEqual({ a: 2, b: 2 });
  });

  it('spends cycleMs of virtual time per scheduling cycle', () => {
    const result = replayTrace(trace(node('n1'), pod(0, 'a', '100m'), pod(0, 'b', '100m'), pod(0, 'c', '100m')), { profile: DEFAULT_PROFILE, cycleMs: 10, timings: NO_JITTER });
    expect(result.scheduling.lastBindingMs).toBe(20);
    expect(result.scheduling.schedulingLatencyMs.p99).toBe(20);
  });

  it('stops at the horizon', () => {
    const result = replayTrace(trace(node('n1'), pod(0, 'a', '100m'), pod(5000, 'b', '100m')), { profile: DEFAULT_PROFILE, horizonMs: 1000 });
    expect(result.pods.total).toBe(1);
    expect(result.endMs).toBeLessThanOrEqual(1000);
  });

  it('measures CPU only when given a clock for it', () => {
    let ms = 0;
    const result = replayTrace(trace(node('n1'), pod(0, 'a', '100m')), { profile: DEFAULT_PROFILE, cpuTime: () => (ms += 2) });
    expect(result.speed).toEqual({ decisions: 1, schedulingCpuMs: 2, decisionsPerCpuSecond: 500, totalCpuMs: expect.any(Number) });
    expect(replayTrace(trace(node('n1'), pod(0, 'a', '100m')), { profile: DEFAULT_PROFILE }).speed).toEqual({ decisions: 1 });
  });
});

describe('replayTrace: when placement is measured', () => {
  it('measures placement once the last pod arrived, before the later deletions empty the cluster', () => {
    const result = replayTrace(
      trace(node('n1'), pod(0, 'a', '1'), pod(100, 'b', '1'), { t: 5000, type: 'PodDeletionRequested', namespace: 'default', name: 'a' }, { t: 5000, type: 'PodDeletionRequested', namespace: 'default', name: 'b' }),
      { profile: DEFAULT_PROFILE },
    );
    expect(result.placement).toMatchObject({ atMs: 100, nodesUsed: 1, cpuOfCluster: 0.5, pods: { bound: 2 } });
    expect(result.pods.total).toBe(0);
  });
});

describe('replayTrace: nodes changing', () => {
  it('follows cordons, removals and recoveries', () => {
    const { result, log } = replayWithLog(
      trace(
        node('n1'),
        node('n2'),
        pod(0, 'a', '1', { nodeSelector: { 'kubernetes.io/hostname': 'n1' } }),
        { t: 100, type: 'NodeUpdated', name: 'n1', unschedulable: true },
        pod(200, 'b', '1'),
        { t: 300, type: 'NodeRemoved', name: 'n1' },
        { t: 400, type: 'NodeFailed', name: 'n2' },
        pod(500, 'c', '1'),
        { t: 600, type: 'NodeRecovered', name: 'n2' },
      ),
      { profile: DEFAULT_PROFILE, timings: NO_JITTER },
    );
    expect(nodeOf(log, 'a')).toBe('n1');
    expect(nodeOf(log, 'b')).toBe('n2');
    // c waited for n2 to come back (no eviction: the failure had no evictAfterMs), then for the rest
    // of its 1 s backoff: created at 500, bound at 1500.
    expect(nodeOf(log, 'c')).toBe('n2');
    expect(result.scheduling.schedulingLatencyMs.max).toBe(1000);
    expect(result.pods).toMatchObject({ total: 3, orphaned: 1, bound: 2, pending: 0 });
  });
});
