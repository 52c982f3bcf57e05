import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework/cycle-state.ts';
import { nodeInfo, podRecord } from '../test-support/fixtures.ts';
import { NodeAffinity } from './node-affinity.ts';

describe('NodeAffinity', () => {
  const plugin = new NodeAffinity();
  const labelled = nodeInfo({ name: 'node-a', labels: { disktype: 'ssd', zone: 'a' } });

  it('PreFilter skips a pod without nodeSelector (its Filter need not run)', () => {
    expect(plugin.preFilter(new CycleState(), podRecord()).code).toBe('Skip');
  });

  it('passes a node that has every selected label with the same value', () => {
    const state = new CycleState();
    const pod = podRecord({ nodeSelector: { disktype: 'ssd', zone: 'a' } });
    expect(plugin.preFilter(state, pod).code).toBe('Success');
    expect(plugin.filter(state, pod, labelled).code).toBe('Success');
  });

  it.each([
    ['a label with another value', { disktype: 'hdd' }],
    ['a missing label', { gpu: 'true' }],
    ['one of two labels missing', { disktype: 'ssd', gpu: 'true' }],
  ])('rejects, unresolvably, %s', (_name, nodeSelector) => {
    const state = new CycleState();
    const pod = podRecord({ nodeSelector });
    plugin.preFilter(state, pod);
    expect(plugin.filter(state, pod, labelled)).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ["node(s) didn't match Pod's node affinity/selector"],
      plugin: 'NodeAffinity',
    });
  });

  it('rejects a node without labels when a selector is set', () => {
    expect(plugin.filter(new CycleState(), podRecord({ nodeSelector: { a: 'b' } }), nodeInfo({ name: 'bare' })).code).toBe('UnschedulableAndUnresolvable');
  });

  it('skips scoring while no preferred terms are read', () => {
    expect(plugin.preScore().code).toBe('Skip');
  });
});
