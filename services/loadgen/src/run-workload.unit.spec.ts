import { describe, expect, it } from 'vitest';
import { latencyStats, type RunSummary } from '@flotilla/measure';
import { renderPhaseDetails } from './phase-report.ts';
import { targetResults, type KillResult, type PhaseResult } from './run-workload.ts';
import { parseWorkload } from './workload.ts';

const pause = { containers: [{ name: 'c', image: 'pause' }] };
const none = latencyStats([]);

function kill(overrides: Partial<KillResult> = {}): KillResult {
  return {
    agents: ['node-agent-1'],
    percentOfNodes: 10,
    killedAt: '2026-03-01T12:00:00.000Z',
    nodes: 100,
    podsOnKilledNodes: 300,
    notReady: { count: 100, of: 100, firstMs: 9000, allMs: 10_000 },
    evictionTaints: { count: 100, of: 100, firstMs: 9000, allMs: 12_000 },
    evictions: { count: 300, of: 300, firstMs: 14_000, allMs: 17_000 },
    replacements: { created: 300, bound: 300, running: 300, fromKill: latencyStats([15_000, 20_000]), fromEviction: latencyStats([1000, 3000]), startup: latencyStats([400, 900]) },
    recoveredMs: 20_000,
    lost: 0,
    notEvicted: 0,
    recovered: true,
    ...overrides,
  };
}

function phase(overrides: Partial<PhaseResult> = {}): PhaseResult {
  return { name: 'replicas', measured: true, requested: 3000, created: 3000, failures: {}, retries: 0, waitFor: 'running', completed: true, durationMs: 1000, ...overrides };
}

const summary = {
  throughput: { podsBoundPerSecond: 120, peakPerSecond: 200, perSecond: [] },
  schedulingLatency: latencyStats([10, 20, 3000]),
  startupLatency: latencyStats([50]),
} as unknown as RunSummary;

describe('targetResults', () => {
  const workload = parseWorkload({
    name: 'w',
    cluster: { nodes: 10, nodeAgents: 2 },
    phases: [{ name: 'replicas', waitFor: 'running', pods: { count: 10, namePrefix: 'web', replicaSet: true, template: { spec: pause } }, killNodes: { percent: 10 } }],
    targets: [
      { name: 'recovery', metric: 'killRecoveryMs', op: '<=', value: 30_000 },
      { name: 'replacement p99', metric: 'replacementLatencyP99', op: '<=', value: 10_000 },
      { name: 'lost', metric: 'podsLost', op: '<=', value: 0 },
      { name: 'throughput', metric: 'podsBoundPerSecond', op: '>=', value: 100 },
    ],
  });

  it('reads the kill metrics from the first phase that killed nodes', () => {
    const results = targetResults(workload, summary, [phase({ name: 'before' }), phase({ kill: kill() })]);
    expect(results).toEqual([
      { name: 'recovery', target: 'killRecoveryMs <= 30000 ms', reached: '20000 ms', met: true },
      { name: 'replacement p99', target: 'replacementLatencyP99 <= 10000 ms', reached: '20000 ms', met: false },
      { name: 'lost', target: 'podsLost <= 0 pods', reached: '0 pods', met: true },
      { name: 'throughput', target: 'podsBoundPerSecond >= 100 pods/s', reached: '120 pods/s', met: true },
    ]);
  });

  it('counts pods never evicted as lost, and a kill that never recovered (or never came) as not met', () => {
    const unrecovered = targetResults(workload, summary, [phase({ kill: kill({ recovered: false, recoveredMs: null, lost: 2, notEvicted: 3 }) })]);
    expect(unrecovered.map((r) => [r.reached, r.met])).toEqual([
      ['not reached', false],
      ['20000 ms', false],
      ['5 pods', false],
      ['120 pods/s', true],
    ]);
    const noKill = targetResults(workload, summary, [phase()]);
    expect(noKill.slice(0, 3).map((r) => [r.reached, r.met])).toEqual([
      ['not reached', false],
      ['not reached', false],
      ['not reached', false],
    ]);
  });
});

describe('renderPhaseDetails', () => {
  it('prints nothing for plain phases with no capacity problem', () => {
    expect(renderPhaseDetails([phase()], [])).toBe('');
  });

  it('prints what the churn and the kill did', () => {
    const churned = phase({
      name: 'churn',
      churn: {
        startedAt: '2026-03-01T12:00:00.000Z',
        endedAt: '2026-03-01T12:01:00.000Z',
        plannedMs: 60_000,
        ranMs: 60_500,
        steps: 1320,
        lateness: { maxMs: 250, meanMs: 12 },
        pods: { created: 600, deleted: 599, nothingToDelete: 1, retries: 0, failures: { '503': 2 } },
        nodes: { added: 60, removed: 59, nothingToRemove: 1, removedAtEnd: 1, orphanedPods: 4, retries: 0, failures: {} },
        during: { created: 2600, bound: 2590, boundPerSecond: 43.2, schedulingLatency: latencyStats([5, 8, 90]), startupLatency: none },
        liveAtEnd: 2001,
      },
    });
    const text = renderPhaseDetails([churned, phase({ kill: kill() })], []);
    expect(text).toContain('churn (phase churn): ran 60.5 s of 60.0 s planned, 1320 steps');
    expect(text).toContain('pods: 600 created, 599 deleted (1 deletions found no pod), failed 2x 503; 2001 live at the end');
    expect(text).toContain('nodes: 60 added, 59 removed during the churn and 1 after it; 4 pods left bound to removed nodes');
    expect(text).toContain('while churning: 2600 pods created, 2590 bound (43.2/s)');
    expect(text).toContain('kill (phase replicas): node-agent-1 SIGKILLed: 100 nodes (10.0%) hosting 300 pods');
    expect(text).toContain('NotReady 100/100, first 9.0 s, all 10.0 s');
    expect(text).toContain('evicted 300/300, first 14.0 s, all 17.0 s');
    expect(text).toContain('recovered 20.0 s after the kill: 0 pods lost, 0 not evicted');
    expect(text.trimEnd().split('\n').at(-1)).toBe('capacity: no node over its capacity');
  });

  it('says when a kill did not recover and when nodes went over capacity', () => {
    const text = renderPhaseDetails([phase({ kill: kill({ recovered: false, recoveredMs: null, lost: 3, notEvicted: 1 }) })], ['n1: cpu requested 5000 > allocatable 4000']);
    expect(text).toContain('NOT recovered: 3 pods lost, 1 not evicted');
    expect(text).toContain('capacity: 1 node(s) over capacity: n1: cpu requested 5000 > allocatable 4000');
  });
});
