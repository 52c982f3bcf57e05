import { describe, expect, it } from 'vitest';
import { IN_TREE_REGISTRY } from '../plugins/in-tree-registry.ts';
import { clusterState, nodeInfos, podRecord } from '../test-support/fixtures.ts';
import type { NodeOptions, PodOptions } from '../test-support/fixtures.ts';
import { AssumedPods } from './assumed-pods.ts';
import { FrameworkConfigError, createFramework, schedulePod } from './framework.ts';
import { buildNodeInfos } from './node-info.ts';
import { DEFAULT_PROFILE } from './profile.ts';
import type { Profile } from './profile.ts';
import { mergeRegistries } from './registry.ts';
import type { PluginFactory } from './registry.ts';
import { errorStatus, skip, success, unschedulable } from './status.ts';
import type { AnyPlugin } from './types.ts';

const framework = createFramework(DEFAULT_PROFILE);

function run(nodes: NodeOptions[], pods: PodOptions[], pod: PodOptions, seed?: string) {
  return framework.schedulePod({ pod: podRecord(pod), nodes: nodeInfos(nodes, pods), ...(seed !== undefined ? { tieBreakSeed: seed } : {}) });
}

describe('schedulePod with the default profile', () => {
  it('filters every node, scores the feasible ones, and picks the highest weighted sum', () => {
    const result = run(
      [
        { name: 'node-a', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
        { name: 'node-b' },
        { name: 'node-c', taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] },
        { name: 'node-d' },
      ],
      [
        { name: 'busy', cpu: '3', boundTo: 'node-b' },
        { name: 'small', cpu: '1', boundTo: 'node-d' },
      ],
      { name: 'web', cpu: '2', memory: '1Gi' },
    );
    // node-c: TaintToleration 1 intolerable PreferNoSchedule taint -> 0 (x3); fit: cpu 50, memory 87 -> 68.
    // node-d: TaintToleration 100 (x3 = 300); fit: cpu 25, memory (8Gi - 1Gi - 200Mi non-zero of `small`) 85 -> 55.
    // BalancedAllocation (real requests): node-c cpu 0.5, memory 0.125 -> 81; node-d cpu 0.75, memory 0.125 -> 68.
    expect(result).toEqual({
      feasible: true,
      nodeName: 'node-d',
      verdicts: [
        { node: 'node-a', rejectedBy: 'TaintToleration', reasons: ['node(s) had untolerated taint {dedicated: gpu}'] },
        { node: 'node-b', rejectedBy: 'NodeResourcesFit', reasons: ['Insufficient cpu'] },
        {
          node: 'node-c',
          score: 149,
          scores: { TaintToleration: 0, NodeResourcesFit: 68, NodeResourcesBalancedAllocation: 81 },
          plugins: {
            TaintToleration: { raw: 1, normalized: 0, weighted: 0 },
            NodeResourcesFit: { raw: 68, normalized: 68, weighted: 68 },
            NodeResourcesBalancedAllocation: { raw: 81, normalized: 81, weighted: 81 },
          },
        },
        {
          node: 'node-d',
          score: 423,
          scores: { TaintToleration: 300, NodeResourcesFit: 55, NodeResourcesBalancedAllocation: 68 },
          plugins: {
            TaintToleration: { raw: 0, normalized: 100, weighted: 300 },
            NodeResourcesFit: { raw: 55, normalized: 55, weighted: 55 },
            NodeResourcesBalancedAllocation: { raw: 68, normalized: 68, weighted: 68 },
          },
        },
      ],
      summary: { nodes: 4, evaluated: 4, feasible: 2, rejectedBy: { 'TaintToleration: node(s) had untolerated taint {dedicated: gpu}': 1, 'NodeResourcesFit: Insufficient cpu': 1 } },
      unschedulablePlugins: ['NodeResourcesFit', 'TaintToleration'],
      requeueOn: [],
      evaluatedNodes: 4,
      feasibleNodes: 2,
    });
  });

  it('spreads: with equal taints the emptier node wins (LeastAllocated)', () => {
    const result = run([{ name: 'a' }, { name: 'b' }], [{ name: 'x', cpu: '2', memory: '2Gi', boundTo: 'a' }], { cpu: '1', memory: '1Gi' });
    expect(result.nodeName).toBe('b');
  });

  it('explains a failure with kube-scheduler\'s message and the verdict of every node', () => {
    const result = run(
      [{ name: 'n1', cpu: '1' }, { name: 'n2', cpu: '1' }, { name: 'n3', taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }],
      [],
      { cpu: '2' },
    );
    expect(result.feasible).toBe(false);
    expect(result.nodeName).toBeUndefined();
    // n1 and n2 (1 CPU) can never hold 2 CPU, n3 has a taint: DefaultPreemption cannot help anywhere.
    expect(result.message).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
    expect(result.verdicts).toEqual([
      { node: 'n1', rejectedBy: 'NodeResourcesFit', reasons: ['Insufficient cpu'] },
      { node: 'n2', rejectedBy: 'NodeResourcesFit', reasons: ['Insufficient cpu'] },
      { node: 'n3', rejectedBy: 'TaintToleration', reasons: ['node(s) had untolerated taint {k: v}'] },
    ]);
    expect(result.unschedulablePlugins).toEqual(['NodeResourcesFit', 'TaintToleration']);
    expect(result.requeueOn).toEqual(['NodeAdded', 'NodeUpdated', 'PodDeleted', 'PodReleased']);
    expect(result.error).toBeUndefined();
  });

  it('reports the first filter in profile order that rejects a node', () => {
    const result = run(
      [{ name: 'n1', unschedulable: true, taints: [{ key: 'k', effect: 'NoSchedule' }], labels: {} }],
      [],
      { cpu: '100', nodeSelector: { disk: 'ssd' } },
    );
    expect(result.verdicts).toEqual([{ node: 'n1', rejectedBy: 'NodeUnschedulable', reasons: ['node(s) were unschedulable'] }]);
    expect(result.message).toBe('0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.');
    expect(result.requeueOn).toEqual(['NodeAdded', 'NodeUpdated']);
  });

  it('honours nodeName, nodeSelector and host ports', () => {
    const nodes: NodeOptions[] = [{ name: 'a', labels: { disk: 'ssd' } }, { name: 'b', labels: { disk: 'ssd' } }, { name: 'c' }];
    expect(run(nodes, [], { nodeName: 'c' }).nodeName).toBe('c');
    const selected = run(nodes, [{ name: 'web', hostPorts: [80], boundTo: 'a' }], { nodeSelector: { disk: 'ssd' }, hostPorts: [80] });
    expect(selected.nodeName).toBe('b');
    expect(selected.verdicts.map((v) => v.rejectedBy)).toEqual(['NodePorts', undefined, 'NodeAffinity']);
  });

  it('says there are no nodes in an empty cluster', () => {
    const result = run([], [], {});
    expect(result).toMatchObject({ feasible: false, verdicts: [], message: 'no nodes available to schedule pods', requeueOn: ['NodeAdded'] });
  });

  it('scores a single feasible node too, so that its verdict explains itself', () => {
    const result = run([{ name: 'only' }], [], { cpu: '1', memory: '1Gi' });
    // fit: cpu (4000-1000)*100/4000 = 75, memory 7Gi/8Gi = 87 -> 81; no taints -> 100 x 3;
    // balanced: cpu 0.25, memory 0.125 -> (1 - 0.0625) * 100 = 93.
    expect(result.verdicts).toEqual([
      {
        node: 'only',
        score: 474,
        scores: { TaintToleration: 300, NodeResourcesFit: 81, NodeResourcesBalancedAllocation: 93 },
        plugins: {
          TaintToleration: { raw: 0, normalized: 100, weighted: 300 },
          NodeResourcesFit: { raw: 81, normalized: 81, weighted: 81 },
          NodeResourcesBalancedAllocation: { raw: 93, normalized: 93, weighted: 93 },
        },
      },
    ]);
  });

  it('counts assumed pods: the next pod avoids the node the previous one was assumed onto', () => {
    const state = clusterState([{ name: 'a', cpu: '2' }, { name: 'b', cpu: '2' }], [{ name: 'first', cpu: '2' }, { name: 'second', cpu: '2' }]);
    const assumed = new AssumedPods();
    const first = framework.schedulePod({ pod: state.pods.get('default/first')!, nodes: buildNodeInfos(state, assumed) });
    expect(first.nodeName).toBe('a');
    assumed.assume(state.pods.get('default/first')!, first.nodeName!);
    const second = framework.schedulePod({ pod: state.pods.get('default/second')!, nodes: buildNodeInfos(state, assumed) });
    expect(second.nodeName).toBe('b');
    expect(second.verdicts[0]).toEqual({ node: 'a', rejectedBy: 'NodeResourcesFit', reasons: ['Insufficient cpu'] });
  });
});

describe('tie-breaking', () => {
  const equal: NodeOptions[] = [{ name: 'node-3' }, { name: 'node-1' }, { name: 'node-2' }];

  it('without a seed, the lowest node name wins whatever the order', () => {
    expect(run(equal, [], {}).nodeName).toBe('node-1');
  });

  it('with a seed, the choice is deterministic per seed and spreads across seeds', () => {
    const chosen = new Set<string>();
    for (let i = 0; i < 30; i += 1) {
      const seed = `uid-${i}`;
      const first = run(equal, [], {}, seed).nodeName!;
      expect(run([...equal].reverse(), [], {}, seed).nodeName).toBe(first);
      chosen.add(first);
    }
    expect(chosen.size).toBe(3);
  });

  it('a seed never overrides a higher score', () => {
    for (let i = 0; i < 10; i += 1) {
      expect(run([{ name: 'a' }, { name: 'b', cpu: '8' }], [], { cpu: '1' }, `s${i}`).nodeName).toBe('b');
    }
  });
});

describe('extension points with custom plugins', () => {
  const calls: string[] = [];
  const factories: Record<string, PluginFactory> = {
    SkipMe: () => ({
      name: 'SkipMe',
      preFilter: () => skip(),
      filter: () => {
        throw new Error('Filter must not run after PreFilter returned Skip');
      },
    }),
    RejectPod: () => ({
      name: 'RejectPod',
      requeueOn: ['PodDeleted'],
      preFilter: () => unschedulable('RejectPod', 'waiting for quota'),
      filter: () => success(),
    }),
    OnlyB: () => ({ name: 'OnlyB', preFilter: () => ({ status: success(), nodeNames: new Set(['b', 'c']) }), filter: () => success() }),
    OnlyA: () => ({ name: 'OnlyA', preFilter: () => ({ status: success(), nodeNames: new Set(['a']) }), filter: () => success() }),
    Broken: () => ({ name: 'Broken', filter: () => errorStatus('Broken', 'disk on fire') }),
    Wild: () => ({ name: 'Wild', score: () => ({ score: 250, status: success() }) }),
    Tracing: (): AnyPlugin => ({
      name: 'Tracing',
      preScore: () => {
        calls.push('preScore');
        return success();
      },
      score: (_state, _pod, node) => {
        calls.push(`score ${node.name}`);
        return { score: node.name === 'c' ? 10 : 5, status: success() };
      },
      normalizeScores: (_state, _pod, scores) => {
        calls.push('normalize');
        for (const s of scores) s.score *= 10;
        return success();
      },
    }),
  };
  const registry = mergeRegistries(IN_TREE_REGISTRY, new Map(Object.entries(factories)));
  const profile = (plugins: Partial<Profile['plugins']>): Profile => ({
    schedulerName: 'custom',
    plugins: { filter: [], score: [], ...plugins },
    pluginConfig: [],
  });
  const nodes = nodeInfos([{ name: 'a' }, { name: 'b' }, { name: 'c' }]);

  it('PreFilter Skip turns the plugin\'s Filter off for this attempt', () => {
    const fw = createFramework(profile({ filter: ['SkipMe'] }), registry);
    expect(fw.schedulePod({ pod: podRecord(), nodes }).nodeName).toBe('a');
  });

  it('a PreFilter rejection rejects the pod on every node with the PreFilter message', () => {
    const fw = createFramework(profile({ filter: ['RejectPod'] }), registry);
    const result = fw.schedulePod({ pod: podRecord(), nodes });
    expect(result.message).toBe('0/3 nodes are available: waiting for quota.');
    expect(result.verdicts).toEqual(['a', 'b', 'c'].map((node) => ({ node, rejectedBy: 'RejectPod', reasons: ['waiting for quota'] })));
    expect(result.unschedulablePlugins).toEqual(['RejectPod']);
    expect(result.requeueOn).toEqual(['PodDeleted']);
  });

  it('a PreFilter may narrow the nodes; the others are reported as not satisfying it', () => {
    const fw = createFramework(profile({ filter: ['OnlyB', 'NodeName'] }), registry);
    const result = fw.schedulePod({ pod: podRecord({ nodeName: 'c' }), nodes });
    expect(result.nodeName).toBe('c');
    expect(result.verdicts[0]).toEqual({ node: 'a', rejectedBy: 'OnlyB', reasons: ["node(s) didn't satisfy plugin(s) [OnlyB]"] });
    expect(result.verdicts[1]).toEqual({ node: 'b', rejectedBy: 'NodeName', reasons: ["node(s) didn't match the requested node name"] });
  });

  it('PreFilters whose node sets do not intersect reject the pod', () => {
    const fw = createFramework(profile({ filter: ['OnlyB', 'OnlyA'] }), registry);
    expect(fw.schedulePod({ pod: podRecord(), nodes }).message).toBe(
      "0/3 nodes are available: node(s) didn't satisfy plugin(s) [OnlyA OnlyB] simultaneously.",
    );
  });

  it('a plugin Error aborts the attempt and says which plugin failed where', () => {
    const fw = createFramework(profile({ filter: ['Broken'] }), registry);
    const result = fw.schedulePod({ pod: podRecord(), nodes });
    expect(result.feasible).toBe(false);
    expect(result.error).toEqual({ plugin: 'Broken', extensionPoint: 'Filter', message: 'running Filter plugin "Broken": disk on fire' });
  });

  it('a score outside 0–100 after normalising is an Error', () => {
    const fw = createFramework(profile({ score: [{ name: 'Wild', weight: 1 }] }), registry);
    expect(fw.schedulePod({ pod: podRecord(), nodes }).error?.message).toMatch(/invalid score 250/);
  });

  it('runs PreScore once, Score per feasible node, then NormalizeScore, then applies the weight', () => {
    calls.length = 0;
    const fw = createFramework(profile({ score: [{ name: 'Tracing', weight: 2 }] }), registry);
    const result = fw.schedulePod({ pod: podRecord(), nodes });
    expect(calls).toEqual(['preScore', 'score a', 'score b', 'score c', 'normalize']);
    expect(result.nodeName).toBe('c');
    expect(result.verdicts.map((v) => v.score)).toEqual([100, 100, 200]);
  });

  it('free function schedulePod runs a given framework', () => {
    expect(schedulePod({ framework, pod: podRecord(), nodes }).nodeName).toBe('a');
  });
});

describe('createFramework', () => {
  function errorsOf(profile: Profile): Array<{ path: string; message: string }> {
    try {
      createFramework(profile);
    } catch (error) {
      if (error instanceof FrameworkConfigError) return [...error.errors];
      throw error;
    }
    throw new Error('expected a FrameworkConfigError');
  }

  it('names unknown and misplaced plugins and bad arguments by path', () => {
    expect(
      errorsOf({
        schedulerName: 'x',
        plugins: { filter: ['NodeName', 'NodeNme'], score: [{ name: 'NodeResourcesFit', weight: 1 }, { name: 'NodePorts', weight: 1 }] },
        pluginConfig: [
          { name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'Packed' } } },
          { name: 'Nope', args: {} },
        ],
      }),
    ).toEqual([
      { path: 'pluginConfig[1].name', message: 'unknown plugin "Nope"' },
      { path: 'plugins.filter[1]', message: 'unknown plugin "NodeNme"' },
      { path: 'pluginConfig[0].args.scoringStrategy.type', message: 'Invalid option: expected one of "LeastAllocated"|"MostAllocated"|"RequestedToCapacityRatio"' },
      { path: 'plugins.score[1].name', message: 'plugin "NodePorts" does not implement Score' },
    ]);
  });

  it('validates the arguments of a configured plugin even when no extension point lists it', () => {
    expect(
      errorsOf({
        schedulerName: 'x',
        plugins: { filter: ['NodeName'], score: [] },
        pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { resources: [] } } }],
      }),
    ).toEqual([{ path: 'pluginConfig[0].args.scoringStrategy.resources', message: 'Too small: expected array to have >=1 items' }]);
  });

  it('runs the PreFilter and PreScore of the listed plugins by default, once per plugin instance', () => {
    const fw = createFramework(DEFAULT_PROFILE);
    expect(fw.preFilterPlugins.map((p) => p.name)).toEqual(['NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity']);
    expect(fw.preScorePlugins.map((p) => p.name)).toEqual(['TaintToleration', 'NodeAffinity', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity', 'NodeResourcesBalancedAllocation']);
    expect(fw.plugin('TaintToleration')).toBe(fw.filterPlugins[2]);
  });

  it('passes pluginConfig args: MostAllocated packs pods onto the fuller node', () => {
    const packer = createFramework({
      ...DEFAULT_PROFILE,
      schedulerName: 'packer',
      pluginConfig: [{ name: 'NodeResourcesFit', args: { scoringStrategy: { type: 'MostAllocated' } } }],
    });
    const nodes = nodeInfos([{ name: 'a' }, { name: 'b' }], [{ name: 'x', cpu: '2', memory: '2Gi', boundTo: 'b' }]);
    expect(packer.schedulePod({ pod: podRecord({ cpu: '1', memory: '1Gi' }), nodes }).nodeName).toBe('b');
    expect(framework.schedulePod({ pod: podRecord({ cpu: '1', memory: '1Gi' }), nodes }).nodeName).toBe('a');
  });

  it('maps rejecting plugins to the cluster events that can help', () => {
    expect(framework.requeueEventsFor(['NodeName'])).toEqual(['NodeAdded']);
    expect(framework.requeueEventsFor(['NodePorts', 'TaintToleration'])).toEqual(['NodeAdded', 'NodeUpdated', 'PodDeleted', 'PodReleased']);
    expect(framework.requeueEventsFor([])).toEqual([]);
  });
});
