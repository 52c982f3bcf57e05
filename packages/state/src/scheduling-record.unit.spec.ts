import { describe, expect, it } from 'vitest';
import type { NodeVerdict, PodBound, PodSchedulingFailed, SchedulingSummary } from '@flotilla/events';
import { given, nodeRegistered, podBound, podCreated, podSchedulingFailed } from './testing/index.ts';

// PodRecord.lastScheduling: the last attempt's verdict table, for `GET .../pods/{name}/scheduling`.

const verdicts: NodeVerdict[] = [
  { node: 'node-1', score: 381, scores: { NodeResourcesFit: 81 }, plugins: { NodeResourcesFit: { raw: 81, normalized: 81, weighted: 81 } } },
  { node: 'node-2', rejectedBy: 'NodeResourcesFit', reasons: ['Insufficient cpu'] },
];
const summary: SchedulingSummary = { nodes: 2, evaluated: 2, feasible: 1, rejectedBy: { 'NodeResourcesFit: Insufficient cpu': 1 } };

function explainedBound(input: Parameters<typeof podBound>[0]): PodBound {
  const event = podBound(input);
  return { ...event, data: { ...event.data, verdicts, summary } };
}

function explainedFailure(input: Parameters<typeof podSchedulingFailed>[0]): PodSchedulingFailed {
  const event = podSchedulingFailed(input);
  return { ...event, data: { ...event.data, verdicts: [verdicts[1]!], summary: { nodes: 1, evaluated: 1, feasible: 0, rejectedBy: { 'NodeResourcesFit: Insufficient cpu': 1 } } } };
}

const cluster = [nodeRegistered({ name: 'node-1', cpu: '4' }), nodeRegistered({ name: 'node-2', cpu: '1', podCIDR: '10.244.2.0/24' })];

describe('lastScheduling', () => {
  it('a pod never attempted has none', () => {
    const state = given(...cluster, podCreated({ cpu: '2' })).state();
    expect(state.pods.get('default/pod-1')?.lastScheduling).toBeUndefined();
  });

  it('a binding that takes effect is recorded as Bound with its verdicts and summary', () => {
    given(...cluster, podCreated({ cpu: '2' }))
      .when(explainedBound({ nodeName: 'node-1', attempt: 1 }))
      .then(({ state, record }) => {
        expect(state.pods.get('default/pod-1')?.lastScheduling).toEqual({
          seq: record.seq,
          attempt: 1,
          schedulerName: 'default-scheduler',
          outcome: 'Bound',
          nodeName: 'node-1',
          verdicts,
          summary,
        });
      });
  });

  it('an unschedulable attempt is recorded with its message', () => {
    given(...cluster, podCreated({ cpu: '8' }))
      .when(explainedFailure({ message: '0/2 nodes are available: 2 Insufficient cpu.' }))
      .then(({ state, record }) => {
        expect(state.pods.get('default/pod-1')?.lastScheduling).toMatchObject({
          seq: record.seq,
          outcome: 'Unschedulable',
          message: '0/2 nodes are available: 2 Insufficient cpu.',
          summary: { feasible: 0 },
        });
        expect(state.pods.get('default/pod-1')?.lastScheduling?.nodeName).toBeUndefined();
      });
  });

  it('a binding the fold refuses while the pod is pending is recorded as Rejected, with the reason', () => {
    given(...cluster, podCreated({ cpu: '2' }))
      .when(explainedBound({ nodeName: 'node-2', attempt: 1 }))
      .then(({ state }) => {
        const last = state.pods.get('default/pod-1')?.lastScheduling;
        expect(last).toMatchObject({ outcome: 'Rejected', nodeName: 'node-2', verdicts });
        expect(last?.message).toContain('Insufficient cpu');
      });
  });

  it('a losing replica does not overwrite the record of the binding that took effect', () => {
    const state = given(...cluster, podCreated({ cpu: '2' }), explainedBound({ nodeName: 'node-1', attempt: 1, schedulerName: 'default-scheduler' })).state();
    const bound = state.pods.get('default/pod-1')?.lastScheduling;
    given(...cluster, podCreated({ cpu: '2' }), explainedBound({ nodeName: 'node-1', attempt: 1 }))
      .when(explainedBound({ nodeName: 'node-1', attempt: 2 }))
      .then(({ state: after }) => {
        expect(after.pods.get('default/pod-1')?.lastScheduling).toEqual(bound);
        expect(after.pods.get('default/pod-1')?.lastBindingRejection?.reason).toBe('AlreadyBound');
      });
    given(...cluster, podCreated({ cpu: '2' }), explainedBound({ nodeName: 'node-1', attempt: 1 }))
      .when(explainedFailure({ attempt: 2 }))
      .then(({ state: after }) => expect(after.pods.get('default/pod-1')?.lastScheduling).toEqual(bound));
  });

  it('events without verdicts (older schedulers) give an empty table', () => {
    given(...cluster, podCreated({ cpu: '1' }))
      .when(podBound({ nodeName: 'node-1' }))
      .then(({ state }) => {
        const last = state.pods.get('default/pod-1')?.lastScheduling;
        expect(last?.verdicts).toEqual([]);
        expect(last?.summary).toBeUndefined();
      });
  });
});
