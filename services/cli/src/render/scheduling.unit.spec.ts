// Golden tests: `flotilla explain pod`, `flotilla plan` and describe's Scheduling section.
import { describe, expect, it } from 'vitest';
import type { NodeVerdict, PodScheduling, PodSchedulingPlan } from '@flotilla/client';
import { describePod } from './describe-pod.ts';
import { explainPod, planOutput, verdictTable } from './scheduling.ts';
import { NOW, pendingPod, runningPod } from './test-fixtures.ts';

const scored = (node: string, taint: [number, number], fit: [number, number], balanced: [number, number]): NodeVerdict => {
  const plugins = {
    TaintToleration: { raw: taint[1], normalized: taint[0] / 3, weighted: taint[0] },
    NodeResourcesFit: { raw: fit[1], normalized: fit[0], weighted: fit[0] },
    NodeResourcesBalancedAllocation: { raw: balanced[1], normalized: balanced[0], weighted: balanced[0] },
  };
  const scores = Object.fromEntries(Object.entries(plugins).map(([name, p]) => [name, p.weighted]));
  return { node, score: taint[0] + fit[0] + balanced[0], scores, plugins };
};

const verdicts: NodeVerdict[] = [
  { node: 'node-4', rejectedBy: 'TaintToleration', reasons: ['node(s) had untolerated taint {dedicated: gpu}'] },
  scored('node-2', [300, 0], [62, 62], [95, 95.5]),
  { node: 'node-3', rejectedBy: 'NodeResourcesFit', reasons: ['Insufficient cpu', 'Insufficient memory'] },
  scored('node-1', [300, 0], [81, 81], [98, 98.25]),
  scored('node-5', [0, 2], [90, 90], [99, 99]),
];

const bound: PodScheduling = {
  apiVersion: 'v1',
  kind: 'PodScheduling',
  metadata: { name: 'web', namespace: 'default', uid: 'uid-web', resourceVersion: '42' },
  schedulerName: 'default-scheduler',
  nodeName: 'node-1',
  attempts: 1,
  lastScheduling: {
    seq: 17,
    attempt: 1,
    schedulerName: 'default-scheduler',
    outcome: 'Bound',
    nodeName: 'node-1',
    verdicts,
    summary: { nodes: 5, evaluated: 5, feasible: 3, rejectedBy: { 'TaintToleration: node(s) had untolerated taint {dedicated: gpu}': 1, 'NodeResourcesFit: Insufficient cpu, Insufficient memory': 1 } },
  },
};

describe('verdict table', () => {
  it('feasible nodes first by total, then the rejected ones; each score plugin as weighted (raw)', () => {
    expect(verdictTable(verdicts)).toBe(
      [
        'NODE     FILTER                                                            TaintToleration   NodeResourcesFit   NodeResourcesBalancedAllocation   TOTAL',
        'node-1   passed                                                            300 (0)           81 (81)            98 (98.25)                        479',
        'node-2   passed                                                            300 (0)           62 (62)            95 (95.5)                         457',
        'node-5   passed                                                            0 (2)             90 (90)            99 (99)                           189',
        'node-3   NodeResourcesFit: Insufficient cpu, Insufficient memory           -                 -                  -                                 -',
        'node-4   TaintToleration: node(s) had untolerated taint {dedicated: gpu}   -                 -                  -                                 -',
      ].join('\n') + '\n',
    );
  });

  it('reads verdicts of older schedulers (weighted scores only)', () => {
    expect(verdictTable([{ node: 'a', score: 381, scores: { TaintToleration: 300, NodeResourcesFit: 81 } }])).toBe(
      ['NODE   FILTER   TaintToleration   NodeResourcesFit   TOTAL', 'a      passed   300               81                 381'].join('\n') + '\n',
    );
  });
});

describe('flotilla explain pod', () => {
  it('a bound pod: the table, then the chosen node', () => {
    expect(explainPod(bound)).toBe(
      [
        'Pod default/web: attempt 1 by default-scheduler, log position 17.',
        '',
        'NODE     FILTER                                                            TaintToleration   NodeResourcesFit   NodeResourcesBalancedAllocation   TOTAL',
        'node-1   passed                                                            300 (0)           81 (81)            98 (98.25)                        479',
        'node-2   passed                                                            300 (0)           62 (62)            95 (95.5)                         457',
        'node-5   passed                                                            0 (2)             90 (90)            99 (99)                           189',
        'node-3   NodeResourcesFit: Insufficient cpu, Insufficient memory           -                 -                  -                                 -',
        'node-4   TaintToleration: node(s) had untolerated taint {dedicated: gpu}   -                 -                  -                                 -',
        '',
        'Chosen node: node-1 (score 479)',
      ].join('\n') + '\n',
    );
  });

  it('an unschedulable pod on a large cluster: the kept rows, what was left out, and the message', () => {
    const scheduling: PodScheduling = {
      ...bound,
      nodeName: undefined,
      nominatedNodeName: 'node-7',
      attempts: 3,
      lastScheduling: {
        seq: 9120,
        attempt: 3,
        schedulerName: 'default-scheduler',
        outcome: 'Unschedulable',
        message: '0/5000 nodes are available: 12 node(s) had untolerated taint {dedicated: gpu}, 4988 Insufficient cpu.',
        verdicts: [
          { node: 'node-1', rejectedBy: 'NodeResourcesFit', reasons: ['Insufficient cpu'] },
          { node: 'gpu-1', rejectedBy: 'TaintToleration', reasons: ['node(s) had untolerated taint {dedicated: gpu}'] },
        ],
        summary: { nodes: 5000, evaluated: 5000, feasible: 0, rejectedBy: { 'NodeResourcesFit: Insufficient cpu': 4988, 'TaintToleration: node(s) had untolerated taint {dedicated: gpu}': 12 } },
      },
    };
    expect(explainPod(scheduling)).toBe(
      [
        'Pod default/web: attempt 3 by default-scheduler, log position 9120.',
        '',
        'NODE     FILTER                                                            TOTAL',
        'gpu-1    TaintToleration: node(s) had untolerated taint {dedicated: gpu}   -',
        'node-1   NodeResourcesFit: Insufficient cpu                                -',
        '',
        'Nodes: 5,000 in the cluster, 5,000 evaluated, 0 feasible; the table shows 2.',
        'Rejected:',
        '  4,988  NodeResourcesFit: Insufficient cpu',
        '     12  TaintToleration: node(s) had untolerated taint {dedicated: gpu}',
        '',
        'Unschedulable: 0/5000 nodes are available: 12 node(s) had untolerated taint {dedicated: gpu}, 4988 Insufficient cpu.',
        'Nominated node (preemption): node-7',
      ].join('\n') + '\n',
    );
  });

  it('a sampled search says so; a rejected binding says why', () => {
    const scheduling: PodScheduling = {
      ...bound,
      lastScheduling: {
        ...bound.lastScheduling!,
        outcome: 'Rejected',
        message: 'Insufficient cpu',
        verdicts: [verdicts[3]!],
        summary: { nodes: 5000, evaluated: 500, feasible: 500, rejectedBy: {} },
      },
    };
    const text = explainPod(scheduling);
    expect(text).toContain('Nodes: 5,000 in the cluster, 500 evaluated (percentageOfNodesToScore), 500 feasible; the table shows 1.\n');
    expect(text).not.toContain('Rejected:');
    expect(text.endsWith('Chosen node: node-1 (score 479), but the binding was rejected: Insufficient cpu\n')).toBe(true);
  });

  it('a pod no scheduler tried yet', () => {
    expect(explainPod({ ...bound, attempts: 0, lastScheduling: undefined })).toBe('Pod default/web has no scheduling attempt recorded yet (scheduler default-scheduler).\n');
  });
});

describe('flotilla plan', () => {
  const plan: PodSchedulingPlan = {
    apiVersion: 'v1',
    kind: 'PodSchedulingPlan',
    schedulerName: 'default-scheduler',
    resourceVersion: '42',
    feasible: true,
    nodeName: 'node-1',
    verdicts: verdicts.slice(0, 2),
    summary: { nodes: 2, evaluated: 2, feasible: 1, rejectedBy: { 'TaintToleration: node(s) had untolerated taint {dedicated: gpu}': 1 } },
  };

  it('where the pod would go', () => {
    expect(planOutput('web', { ...plan, nodeName: 'node-2' })).toBe(
      [
        'NODE     FILTER                                                            TaintToleration   NodeResourcesFit   NodeResourcesBalancedAllocation   TOTAL',
        'node-2   passed                                                            300 (0)           62 (62)            95 (95.5)                         457',
        'node-4   TaintToleration: node(s) had untolerated taint {dedicated: gpu}   -                 -                  -                                 -',
        '',
        'pod/web would be placed on node node-2 (score 457)',
      ].join('\n') + '\n',
    );
  });

  it('a pod that fits nowhere, and what preemption would do', () => {
    const text = planOutput('big', {
      ...plan,
      feasible: false,
      nodeName: undefined,
      message: '0/2 nodes are available: 2 Insufficient cpu.',
      verdicts: [
        { node: 'node-1', rejectedBy: 'NodeResourcesFit', reasons: ['Insufficient cpu'] },
        { node: 'node-2', rejectedBy: 'NodeResourcesFit', reasons: ['Insufficient cpu'] },
      ],
      preemption: { nodeName: 'node-2', victims: [{ namespace: 'default', name: 'batch-1' }] },
    });
    expect(text).toBe(
      [
        'NODE     FILTER                               TOTAL',
        'node-1   NodeResourcesFit: Insufficient cpu   -',
        'node-2   NodeResourcesFit: Insufficient cpu   -',
        '',
        'pod/big would not be scheduled: 0/2 nodes are available: 2 Insufficient cpu.',
        'Preemption would make room on node node-2 by evicting default/batch-1.',
      ].join('\n') + '\n',
    );
  });
});

describe('describe pod: Scheduling section', () => {
  const options = { now: NOW, localTime: false };

  it('comes before Events: the chosen node and the best alternatives', () => {
    const text = describePod(runningPod, [], options, bound);
    expect(text).toContain(
      [
        'Scheduling:',
        '  Scheduler:     default-scheduler (attempt 1)',
        '  Chosen Node:   node-1 (score 479)',
        '  Alternatives:  node-2 (457), node-5 (189)',
        '  Nodes:         3 feasible of 5 evaluated',
        'Events:',
      ].join('\n'),
    );
    // Without a record the section is left out, so the rest reads as before.
    expect(describePod(runningPod, [], options)).not.toContain('Scheduling:');
    expect(describePod(runningPod, [], options, { ...bound, lastScheduling: undefined })).toBe(describePod(runningPod, [], options));
  });

  it('or the unschedulable message', () => {
    const scheduling: PodScheduling = {
      ...bound,
      lastScheduling: { seq: 30, attempt: 2, schedulerName: 'default-scheduler', outcome: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.', verdicts: [] },
    };
    expect(describePod(pendingPod, undefined, options, scheduling)).toContain(
      ['Scheduling:', '  Scheduler:      default-scheduler (attempt 2)', '  Unschedulable:  0/3 nodes are available: 3 Insufficient cpu.'].join('\n'),
    );
  });
});
