import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework/cycle-state.ts';
import { nodeInfo, podRecord } from '../test-support/fixtures.ts';
import { NodeUnschedulable } from './node-unschedulable.ts';

describe('NodeUnschedulable filter', () => {
  const plugin = new NodeUnschedulable();
  const cordoned = nodeInfo({ name: 'node-a', unschedulable: true });

  it('passes any pod on a schedulable node', () => {
    expect(plugin.filter(new CycleState(), podRecord(), nodeInfo({ name: 'node-a' })).code).toBe('Success');
    expect(plugin.filter(new CycleState(), podRecord(), nodeInfo({ name: 'node-a', unschedulable: false })).code).toBe('Success');
  });

  it('rejects a pod without the toleration on a cordoned node', () => {
    expect(plugin.filter(new CycleState(), podRecord(), cordoned)).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ['node(s) were unschedulable'],
      plugin: 'NodeUnschedulable',
    });
  });

  it('passes a pod tolerating node.kubernetes.io/unschedulable:NoSchedule', () => {
    const pod = podRecord({ tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(plugin.filter(new CycleState(), pod, cordoned).code).toBe('Success');
  });

  it('passes a pod tolerating every taint (empty key, Exists)', () => {
    expect(plugin.filter(new CycleState(), podRecord({ tolerations: [{ operator: 'Exists' }] }), cordoned).code).toBe('Success');
  });

  it('rejects a pod whose toleration has another effect', () => {
    const pod = podRecord({ tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoExecute' }] });
    expect(plugin.filter(new CycleState(), pod, cordoned).code).toBe('UnschedulableAndUnresolvable');
  });
});
