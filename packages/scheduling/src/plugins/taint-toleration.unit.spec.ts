import { describe, expect, it } from 'vitest';
import type { Taint } from '@flotilla/model';
import { CycleState } from '../framework/cycle-state.ts';
import type { NodeScore } from '../framework/types.ts';
import { createFramework } from '../framework/framework.ts';
import { DEFAULT_PROFILE } from '../framework/profile.ts';
import { nodeInfo, nodeInfos, podRecord } from '../test-support/fixtures.ts';
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

describe('TaintToleration filter: toleration effects', () => {
  it('a NoExecute toleration with tolerationSeconds lets the pod schedule onto the tainted node', () => {
    const node = nodeInfo({ name: 'n', taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] });
    const pod = podRecord({ tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] });
    expect(plugin.filter(new CycleState(), pod, node).code).toBe('Success');
  });

  it('a toleration for NoExecute does not tolerate a NoSchedule taint with the same key', () => {
    const node = nodeInfo({ name: 'n', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] });
    const pod = podRecord({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoExecute' }] });
    expect(plugin.filter(new CycleState(), pod, node).reasons).toEqual(['node(s) had untolerated taint {dedicated: gpu}']);
  });

  it('an empty-key Exists toleration tolerates every taint', () => {
    const node = nodeInfo({ name: 'n', taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', value: 'x', effect: 'NoExecute' }] });
    expect(plugin.filter(new CycleState(), podRecord({ tolerations: [{ operator: 'Exists' }] }), node).code).toBe('Success');
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

  // kube-scheduler's TestTaintTolerationScore.
  it('a node whose PreferNoSchedule taints are tolerated scores above one with an intolerable taint', () => {
    const pod: PodOptions = { tolerations: [{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'PreferNoSchedule' }] };
    expect(scoreAll(pod, [[soft('foo', 'bar')], [soft('foo', 'blah')]])).toEqual([100, 0]);
  });

  it('nodes whose taints are all tolerated score the same, however many taints they have', () => {
    const pod: PodOptions = {
      tolerations: [
        { key: 'cpu-type', operator: 'Equal', value: 'arm64', effect: 'PreferNoSchedule' },
        { key: 'disk-type', operator: 'Equal', value: 'ssd', effect: 'PreferNoSchedule' },
      ],
    };
    expect(scoreAll(pod, [[], [soft('cpu-type', 'arm64')], [soft('cpu-type', 'arm64'), soft('disk-type', 'ssd')]])).toEqual([100, 100, 100]);
  });

  it('only PreferNoSchedule taints (and tolerations for them) count in the score', () => {
    const pod: PodOptions = {
      tolerations: [
        { key: 'cpu-type', operator: 'Equal', value: 'arm64', effect: 'NoSchedule' },
        { key: 'disk-type', operator: 'Equal', value: 'ssd', effect: 'PreferNoSchedule' },
      ],
    };
    expect(scoreAll(pod, [[], [{ key: 'cpu-type', value: 'arm64', effect: 'NoSchedule' }], [soft('cpu-type', 'arm64')]])).toEqual([100, 100, 0]);
  });

  it('normalises with integer division (three intolerable taints at most)', () => {
    expect(scoreAll({}, [[soft('a')], [soft('a'), soft('b'), soft('c')], []])).toEqual([67, 0, 100]);
  });
});

describe('TaintToleration in the default profile', () => {
  const framework = createFramework(DEFAULT_PROFILE);

  it('filters out NoSchedule and NoExecute tainted nodes with the kube-scheduler message', () => {
    const nodes = nodeInfos([
      { name: 'node-a', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
      { name: 'node-b', taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] },
    ]);
    const result = framework.schedulePod({ pod: podRecord(), nodes });
    expect(result.feasible).toBe(false);
    // (PostFilter, preemption, may append its own sentence.)
    expect(result.message).toMatch(/^0\/2 nodes are available: 1 node\(s\) had untolerated taint \{dedicated: gpu\}, 1 node\(s\) had untolerated taint \{node\.kubernetes\.io\/unreachable: \}\./);
  });

  it('scores PreferNoSchedule with weight 3: the untainted node wins a resource tie', () => {
    const nodes = nodeInfos([{ name: 'node-a', taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }, { name: 'node-b' }]);
    const result = framework.schedulePod({ pod: podRecord({ cpu: '100m', memory: '100Mi' }), nodes });
    expect(result.nodeName).toBe('node-b');
    const scoresOf = (node: string) => {
      const verdict = result.verdicts.find((v) => v.node === node);
      return verdict && 'scores' in verdict ? verdict.scores?.TaintToleration : undefined;
    };
    expect(scoresOf('node-a')).toBe(0);
    expect(scoresOf('node-b')).toBe(300);
  });
});
