import { describe, expect, it } from 'vitest';
import { NO_NODES_AVAILABLE_MESSAGE, unschedulableMessage } from './unschedulable-message.ts';

const times = (n: number, ...reasons: string[]) => Array.from({ length: n }, () => ({ reasons }));

describe('unschedulableMessage (kube-scheduler FitError.Error)', () => {
  it('counts each reason across nodes, sorted, joined, ending with a period', () => {
    const statuses = [...times(1, 'Insufficient cpu'), ...times(2, 'node(s) had untolerated taint {key: value}')];
    expect(unschedulableMessage(3, statuses)).toBe('0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {key: value}.');
  });

  it('counts every reason of a node (TestSchedulerFailedSchedulingReasons: 100 nodes short of cpu and memory)', () => {
    expect(unschedulableMessage(100, times(100, 'Insufficient cpu', 'Insufficient memory'))).toBe(
      '0/100 nodes are available: 100 Insufficient cpu, 100 Insufficient memory.',
    );
  });

  it('sorts the "N reason" strings byte-wise, as Go sort.Strings: "10 …" before "2 …"', () => {
    const statuses = [...times(2, 'Insufficient cpu'), ...times(10, "node(s) didn't match Pod's node affinity/selector")];
    expect(unschedulableMessage(12, statuses)).toBe(
      "0/12 nodes are available: 10 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu.",
    );
  });

  it('reads as a real cluster does: control-plane taint without value, selector, ports', () => {
    const statuses = [
      ...times(1, 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'),
      ...times(1, "node(s) didn't match Pod's node affinity/selector"),
      ...times(1, "node(s) didn't have free ports for the requested pod ports"),
    ];
    expect(unschedulableMessage(3, statuses)).toBe(
      "0/3 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }.",
    );
  });

  it('uses a PreFilter message instead of the per-node histogram', () => {
    expect(unschedulableMessage(3, times(3, 'ignored'), { preFilterMessage: "node(s) didn't satisfy plugin NodeAffinity" })).toBe(
      "0/3 nodes are available: node(s) didn't satisfy plugin NodeAffinity.",
    );
  });

  it('appends a PostFilter message as its own sentence', () => {
    expect(
      unschedulableMessage(3, times(3, 'Insufficient cpu'), { postFilterMessage: 'preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod' }),
    ).toBe('0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.');
  });

  it('an empty cluster has kube-scheduler\'s "no nodes available" message', () => {
    expect(unschedulableMessage(0, [])).toBe('no nodes available to schedule pods');
    expect(NO_NODES_AVAILABLE_MESSAGE).toBe('no nodes available to schedule pods');
  });
});
