import { describe, expect, it } from 'vitest';
import type { Taint } from '@flotilla/model';
import { CycleState } from '../framework/cycle-state.ts';
import type { NodeScore } from '../framework/types.ts';
import { nodeInfo, podRecord } from '../test-support/fixtures.ts';
import type { PodOptions } from '../test-support/fixtures.ts';
import { TaintToleration, untoleratedTaintReason } from './taint-toleration.ts';

const plugin = new TaintToleration();

describe('TaintToleration filter', () => {
  it('passes a node without taints', () => {
    expect(plugin.filter(new CycleState(), podRecord(), nodeInfo({ name: 'n' })).code).toBe('Success');
  });

  it('rejects, unresolvably, an untolerated NoSchedule taint as `{key: value}`', () => {
    const node = nodeInfo({ name: 'n', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    expect(plugin.filter(new CycleState(), podRecord(), node)).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ['node(s) had untolerated taint {dedicated: gpu}'],
      plugin: 'TaintToleration',
    });
  });

  it('writes a taint without value as `{key: }`, as kube-scheduler does', () => {
    const node = nodeInfo({ name: 'n', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] });
    expect(plugin.filter(new CycleState(), podRecord(), node).reasons).toEqual(['node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }']);
    expect(untoleratedTaintReason({ key: 'k' })).toBe('node(s) had untolerated taint {k: }');
  });

  it('rejects an untolerated NoExecute taint', () => {
    const node = nodeInfo({ name: 'n', taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] });
    expect(plugin.filter(new CycleState(), podRecord(), node).code).toBe('UnschedulableAndUnresolvable');
  });

  it('ignores PreferNoSchedule taints', () => {
    const node = nodeInfo({ name: 'n', taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] });
    expect(plugin.filter(new CycleState(), podRecord(), node).code).toBe('Success');
  });

  it('reports the first untolerated taint only', () => {
    const node = nodeInfo({
      name: 'n',
      taints: [
        { key: 'a', value: '1', effect: 'NoSchedule' },
        { key: 'b', value: '2', effect: 'NoSchedule' },
        { key: 'c', value: '3', effect: 'NoExecute' },
      ],
    });
    const pod = podRecord({ tolerations: [{ key: 'a', operator: 'Equal', value: '1' }] });
    expect(plugin.filter(new CycleState(), pod, node).reasons).toEqual(['node(s) had untolerated taint {b: 2}']);
  });

  it('passes when every NoSchedule/NoExecute taint is tolerated', () => {
    const node = nodeInfo({
      name: 'n',
      taints: [
        { key: 'a', value: '1', effect: 'NoSchedule' },
        { key: 'b', effect: 'NoExecute' },
      ],
    });
    const pod = podRecord({ tolerations: [{ key: 'a', value: '1', effect: 'NoSchedule' }, { key: 'b', operator: 'Exists' }] });
    expect(plugin.filter(new CycleState(), pod, node).code).toBe('Success');
  });
});

describe('TaintToleration score', () => {
  function scoreAll(pod: PodOptions, taintsPerNode: Taint[][]): number[] {
    const state = new CycleState();
    const record = podRecord(pod);
    plugin.preScore(state, record);
    const scores: NodeScore[] = taintsPerNode.map((taints, i) => {
      const result = plugin.score(state, record, nodeInfo({ name: `node${i + 1}`, taints }));
      return { name: `node${i + 1}`, score: result.score };
    });
    plugin.normalizeScores(state, record, scores);
    return scores.map((s) => s.score);
  }

  const soft = (key: string, value = 'v'): Taint => ({ key, value, effect: 'PreferNoSchedule' });

  it('the more intolerable PreferNoSchedule taints a node has, the lower its score', () => {
    expect(scoreAll({}, [[], [soft('a')], [soft('a'), soft('b')]])).toEqual([100, 50, 0]);
  });

  it('gives every node 100 when no node has an intolerable taint', () => {
    expect(scoreAll({}, [[], [{ key: 'hard', effect: 'NoSchedule' }]])).toEqual([100, 100]);
  });

  it('counts only taints the pod does not tolerate (PreferNoSchedule or effect-less tolerations)', () => {
    const pod: PodOptions = { tolerations: [{ key: 'a', operator: 'Exists', effect: 'PreferNoSchedule' }, { key: 'b', operator: 'Exists' }] };
    expect(scoreAll(pod, [[soft('a'), soft('b')], [soft('c')]])).toEqual([100, 0]);
  });

  it('a NoSchedule toleration does not tolerate a PreferNoSchedule taint', () => {
    const pod: PodOptions = { tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoSchedule' }] };
    expect(scoreAll(pod, [[soft('a')], []])).toEqual([0, 100]);
  });

  it('normalises with integer division (three intolerable taints at most)', () => {
    expect(scoreAll({}, [[soft('a')], [soft('a'), soft('b'), soft('c')], []])).toEqual([67, 0, 100]);
  });
});
