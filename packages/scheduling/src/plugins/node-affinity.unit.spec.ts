import { describe, expect, it } from 'vitest';
import type { NodeAffinity as NodeAffinitySpec, NodeSelectorRequirement, NodeSelectorTerm, PreferredSchedulingTerm } from '@flotilla/model';
import { CycleState } from '../framework/cycle-state.ts';
import { FrameworkConfigError, createFramework } from '../framework/framework.ts';
import { DEFAULT_PROFILE } from '../framework/profile.ts';
import type { NodeScore } from '../framework/types.ts';
import { nodeInfo, nodeInfos, podRecord } from '../test-support/fixtures.ts';
import type { NodeOptions, PodOptions } from '../test-support/fixtures.ts';
import { NodeAffinityArgsSchema, newNodeAffinity } from './node-affinity.ts';
import type { NodeAffinity, NodeAffinityArgsInput } from './node-affinity.ts';

const REASON = "node(s) didn't match Pod's node affinity/selector";

function req(key: string, operator: NodeSelectorRequirement['operator'], values?: string[]): NodeSelectorRequirement {
  return { key, operator, ...(values ? { values } : {}) };
}
const expr = (...matchExpressions: NodeSelectorRequirement[]): NodeSelectorTerm => ({ matchExpressions });
const byName = (...names: string[]): NodeSelectorTerm => ({ matchFields: names.map((n) => req('metadata.name', 'In', [n])) });
const required = (...nodeSelectorTerms: NodeSelectorTerm[]): PodOptions['affinity'] => ({
  nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } },
});
const preferred = (...terms: PreferredSchedulingTerm[]): PodOptions['affinity'] => ({ nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: terms } });

function plugin(args: NodeAffinityArgsInput = {}): NodeAffinity {
  return newNodeAffinity(args, { schedulerName: 'default-scheduler' }) as NodeAffinity;
}

/** PreFilter (unless skipped) then Filter on one node, as the framework runs them. */
function filter(pod: PodOptions, node: NodeOptions, args: NodeAffinityArgsInput = {}) {
  const p = plugin(args);
  const state = new CycleState();
  const record = podRecord(pod);
  const pre = p.preFilter(state, record);
  const preStatus = 'status' in pre ? pre.status : pre;
  if (preStatus.code === 'Skip') return preStatus;
  if (preStatus.code !== 'Success') return preStatus;
  return p.filter(state, record, nodeInfo(node));
}

describe('NodeAffinity PreFilter', () => {
  it.each([
    ['no nodeSelector and no affinity', {}],
    ['node affinity without required terms', { affinity: preferred({ weight: 1, preference: expr(req('a', 'Exists')) }) }],
    ['an empty affinity', { affinity: {} }],
  ])('skips (its Filter need not run) for a pod with %s', (_name, pod) => {
    expect(plugin().preFilter(new CycleState(), podRecord(pod))).toEqual({ code: 'Skip', reasons: [] });
  });

  it('does not skip when the profile adds affinity', () => {
    const args = { addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [expr(req('zone', 'Exists'))] } } };
    expect(plugin(args).preFilter(new CycleState(), podRecord())).toEqual({ code: 'Success', reasons: [] });
  });

  it('narrows the nodes to the ones every required term pins by metadata.name', () => {
    const result = plugin().preFilter(new CycleState(), podRecord({ affinity: required(byName('node1'), byName('node2')) }));
    expect('status' in result && result.status.code).toBe('Success');
    expect('nodeNames' in result && [...result.nodeNames!].sort()).toEqual(['node1', 'node2']);
  });

  it('does not narrow when one term does not pin a name', () => {
    expect(plugin().preFilter(new CycleState(), podRecord({ affinity: required(byName('node1'), expr(req('foo', 'In', ['bar']))) }))).toEqual({
      code: 'Success',
      reasons: [],
    });
  });

  it('rejects the pod outright when the name pins of a term conflict', () => {
    expect(plugin().preFilter(new CycleState(), podRecord({ affinity: required(byName('node1', 'node2')) }))).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ['pod affinity terms conflict'],
      plugin: 'NodeAffinity',
    });
  });
});

describe('NodeAffinity Filter', () => {
  const rejected = { code: 'UnschedulableAndUnresolvable', reasons: [REASON], plugin: 'NodeAffinity' };
  const passed = { code: 'Success', reasons: [] };

  it.each([
    // From kube-scheduler's TestNodeAffinity.
    ['nodeSelector: missing labels', { nodeSelector: { foo: 'bar' } }, {}, rejected],
    ['nodeSelector: same labels', { nodeSelector: { foo: 'bar' } }, { foo: 'bar' }, passed],
    ['nodeSelector: node labels are a superset', { nodeSelector: { foo: 'bar' } }, { foo: 'bar', baz: 'blah' }, passed],
    ['nodeSelector: node labels are a subset', { nodeSelector: { foo: 'bar', baz: 'blah' } }, { foo: 'bar' }, rejected],
    ['In that matches', { affinity: required(expr(req('foo', 'In', ['bar', 'value2']))) }, { foo: 'bar' }, passed],
    ['In that does not match', { affinity: required(expr(req('foo', 'In', ['value1', 'value2']))) }, { foo: 'bar' }, rejected],
    ['NotIn that matches', { affinity: required(expr(req('mem-type', 'NotIn', ['DDR', 'DDR2']))) }, { 'mem-type': 'DDR3' }, passed],
    ['NotIn that does not match', { affinity: required(expr(req('mem-type', 'NotIn', ['DDR', 'DDR2']))) }, { 'mem-type': 'DDR' }, rejected],
    ['Exists that matches', { affinity: required(expr(req('GPU', 'Exists'))) }, { GPU: 'NVIDIA-GRID-K1' }, passed],
    ['Exists that does not match', { affinity: required(expr(req('GPU', 'Exists'))) }, { foo: 'bar' }, rejected],
    ['DoesNotExist that matches', { affinity: required(expr(req('GPU', 'DoesNotExist'))) }, { foo: 'bar' }, passed],
    ['DoesNotExist that does not match', { affinity: required(expr(req('GPU', 'DoesNotExist'))) }, { GPU: 'x' }, rejected],
    ['Gt that matches', { affinity: required(expr(req('kernel-version', 'Gt', ['0204']))) }, { 'kernel-version': '0206' }, passed],
    ['Gt that does not match', { affinity: required(expr(req('kernel-version', 'Gt', ['0204']))) }, { 'kernel-version': '0204' }, rejected],
    ['Gt on a non-integer label', { affinity: required(expr(req('kernel-version', 'Gt', ['0204']))) }, { 'kernel-version': '2.6.32' }, rejected],
    ['Lt that matches', { affinity: required(expr(req('cores', 'Lt', ['16']))) }, { cores: '8' }, passed],
    ['Lt that does not match', { affinity: required(expr(req('cores', 'Lt', ['16']))) }, { cores: '32' }, rejected],
    ['Lt on a non-integer label', { affinity: required(expr(req('cores', 'Lt', ['16']))) }, { cores: 'eight' }, rejected],
    ['Gt with a non-integer value (term does not parse)', { affinity: required(expr(req('cores', 'Gt', ['many']))) }, { cores: '8' }, rejected],
    ['an empty matchExpressions term', { affinity: required({ matchExpressions: [] }) }, { foo: 'bar' }, rejected],
    ['ANDed expressions that match', { affinity: required(expr(req('GPU', 'Exists'), req('GPU', 'NotIn', ['AMD', 'INTER']))) }, { GPU: 'NVIDIA-GRID-K1' }, passed],
    ['ANDed expressions that do not', { affinity: required(expr(req('GPU', 'Exists'), req('GPU', 'In', ['AMD', 'INTER']))) }, { GPU: 'NVIDIA-GRID-K1' }, rejected],
    ['ORed terms, one matches', { affinity: required(expr(req('foo', 'In', ['bar'])), expr(req('diffkey', 'In', ['wrong']))) }, { foo: 'bar' }, passed],
    ['affinity and nodeSelector both satisfied', { nodeSelector: { foo: 'bar' }, affinity: required(expr(req('foo', 'Exists'))) }, { foo: 'bar' }, passed],
    ['affinity satisfied, nodeSelector not', { nodeSelector: { foo: 'bar' }, affinity: required(expr(req('foo', 'Exists'))) }, { foo: 'barrrrrr' }, rejected],
  ] as const)('%s', (_name, pod, labels, expected) => {
    expect(filter(pod as PodOptions, { name: 'node1', labels })).toEqual(expected);
  });

  it('matchFields: the named node passes, another is rejected', () => {
    expect(filter({ affinity: required(byName('node1')) }, { name: 'node1' })).toEqual(passed);
    expect(filter({ affinity: required(byName('node1')) }, { name: 'node2' })).toEqual(rejected);
  });

  it('matchFields in one term, matchExpressions in another: either passes', () => {
    const pod = { affinity: required(byName('node1'), expr(req('foo', 'In', ['bar']))) };
    expect(filter(pod, { name: 'node2', labels: { foo: 'bar' } })).toEqual(passed);
    expect(filter(pod, { name: 'node2', labels: { foo: 'baz' } })).toEqual(rejected);
  });

  it('works without its PreFilter (a profile may leave it out)', () => {
    const pod = podRecord({ affinity: required(expr(req('GPU', 'Exists'), req('GPU', 'NotIn', ['AMD']))) });
    expect(plugin().filter(new CycleState(), pod, nodeInfo({ name: 'n', labels: { GPU: 'NVIDIA' } })).code).toBe('Success');
    expect(plugin().filter(new CycleState(), podRecord({ nodeSelector: { a: 'b' } }), nodeInfo({ name: 'n' })).code).toBe('UnschedulableAndUnresolvable');
  });

  describe('addedAffinity (profile args)', () => {
    const added = (...nodeSelectorTerms: NodeSelectorTerm[]) => ({ addedAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } });

    it('a node must match both the added and the pod affinity', () => {
      const pod = { affinity: required(expr(req('zone', 'In', ['foo']))) };
      expect(filter(pod, { name: 'node2', labels: { zone: 'foo' } }, added(byName('node2')))).toEqual(passed);
      expect(filter({ affinity: required(expr(req('zone', 'In', ['bar']))) }, { name: 'node2', labels: { zone: 'foo' } }, added(byName('node2')))).toEqual(rejected);
    });

    it('a node that does not match the added affinity is rejected as scheduler-enforced', () => {
      expect(filter({}, { name: 'node2', labels: { zone: 'foo' } }, added(expr(req('zone', 'In', ['bar']))))).toEqual({
        code: 'UnschedulableAndUnresolvable',
        reasons: ["node(s) didn't match scheduler-enforced node affinity"],
        plugin: 'NodeAffinity',
      });
    });
  });
});

describe('NodeAffinity args', () => {
  it('default to no added affinity', () => {
    expect(NodeAffinityArgsSchema.parse({})).toEqual({});
  });

  it('report bad added affinity with its path in the profile', () => {
    const addedAffinity: NodeAffinitySpec = {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [expr(req('cores', 'Gt', ['many']))] },
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, preference: expr(req('a', 'Exists')) }],
    };
    const profile = { ...DEFAULT_PROFILE, pluginConfig: [{ name: 'NodeAffinity', args: { addedAffinity } }] };
    let caught: unknown;
    try {
      createFramework(profile);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FrameworkConfigError);
    expect((caught as FrameworkConfigError).errors.map((e) => e.path)).toEqual([
      'pluginConfig[0].args.addedAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]',
      'pluginConfig[0].args.addedAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight',
    ]);
  });
});

describe('NodeAffinity Score', () => {
  function scoreAll(pod: PodOptions, nodes: NodeOptions[], args: NodeAffinityArgsInput = {}): number[] | string {
    const p = plugin(args);
    const state = new CycleState();
    const record = podRecord(pod);
    const infos = nodeInfos(nodes);
    const pre = p.preScore(state, record);
    if (pre.code === 'Skip') return 'Skip';
    if (pre.code !== 'Success') return pre.reasons.join(', ');
    const scores: NodeScore[] = infos.map((info) => ({ name: info.name, score: p.score(state, record, info).score }));
    p.normalizeScores(state, record, scores);
    return scores.map((s) => s.score);
  }

  // kube-scheduler's TestNodeAffinityPriority.
  const label1 = { foo: 'bar' };
  const label2 = { key: 'value' };
  const label3 = { az: 'az1' };
  const label4 = { abc: 'az11', def: 'az22' };
  const label5 = { foo: 'bar', key: 'value', az: 'az1' };
  const affinity1 = preferred({ weight: 2, preference: expr(req('foo', 'In', ['bar'])) });
  const affinity2 = preferred(
    { weight: 2, preference: expr(req('foo', 'In', ['bar'])) },
    { weight: 4, preference: expr(req('key', 'In', ['value'])) },
    { weight: 5, preference: expr(req('foo', 'In', ['bar']), req('key', 'In', ['value']), req('az', 'In', ['az1'])) },
  );

  it('skips Score for a pod without preferred terms', () => {
    expect(scoreAll({}, [{ name: 'node1', labels: label1 }])).toBe('Skip');
  });

  it('gives every node 0 when none matches', () => {
    expect(scoreAll({ affinity: affinity1 }, [{ name: 'node1', labels: label4 }, { name: 'node2', labels: label2 }, { name: 'node3', labels: label3 }])).toEqual([0, 0, 0]);
  });

  it('gives the only matching node 100', () => {
    expect(scoreAll({ affinity: affinity1 }, [{ name: 'node1', labels: label1 }, { name: 'node2', labels: label2 }, { name: 'node3', labels: label3 }])).toEqual([100, 0, 0]);
  });

  it('normalises summed weights so the best node gets 100: 2, 11, 4 -> 18, 100, 36', () => {
    expect(scoreAll({ affinity: affinity2 }, [{ name: 'node1', labels: label1 }, { name: 'node5', labels: label5 }, { name: 'node2', labels: label2 }])).toEqual([18, 100, 36]);
  });

  it('adds the weights of the profile added preferred terms', () => {
    const args = { addedAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 5, preference: expr(req('key', 'In', ['value'])) }] } };
    // Own terms alone: node1 2, node5 11, node2 4; the added term adds 5 to node5 and node2: 2, 16, 9.
    expect(scoreAll({ affinity: affinity2 }, [{ name: 'node1', labels: label1 }, { name: 'node5', labels: label5 }, { name: 'node2', labels: label2 }], args)).toEqual([12, 100, 56]);
    expect(scoreAll({}, [{ name: 'node1', labels: label1 }, { name: 'node2', labels: label2 }], args)).toEqual([0, 100]);
  });

  it('counts matchFields in a preference', () => {
    const pod = { affinity: preferred({ weight: 10, preference: byName('node2') }) };
    expect(scoreAll(pod, [{ name: 'node1' }, { name: 'node2' }])).toEqual([0, 100]);
  });

  it('fails the attempt (Error) for preferred terms that do not parse, as kube-scheduler', () => {
    const pod = { affinity: preferred({ weight: 2, preference: expr(req('invalid key', 'In', ['bar'])) }) };
    expect(scoreAll(pod, [{ name: 'node1', labels: label1 }])).toContain('[0].preference.matchExpressions[0].key: invalid value "invalid key"');
  });

  it('scores without its PreScore (a profile may leave it out)', () => {
    const p = plugin();
    const record = podRecord({ affinity: affinity2 });
    expect(p.score(new CycleState(), record, nodeInfo({ name: 'node5', labels: label5 })).score).toBe(11);
  });
});

describe('NodeAffinity in the default profile', () => {
  const framework = createFramework(DEFAULT_PROFILE);

  it('places a pod with preferred affinity on the preferred node when resources tie', () => {
    const nodes: NodeOptions[] = [
      { name: 'node-a', labels: { disktype: 'hdd' } },
      { name: 'node-b', labels: { disktype: 'ssd' } },
      { name: 'node-c', labels: { disktype: 'hdd' } },
    ];
    const plain = framework.schedulePod({ pod: podRecord({ cpu: '500m', memory: '1Gi' }), nodes: nodeInfos(nodes) });
    // Without a preference the nodes tie and the lowest name wins.
    expect(plain.nodeName).toBe('node-a');
    const pod = podRecord({ cpu: '500m', memory: '1Gi', affinity: preferred({ weight: 50, preference: expr(req('disktype', 'In', ['ssd'])) }) });
    const result = framework.schedulePod({ pod, nodes: nodeInfos(nodes) });
    expect(result.nodeName).toBe('node-b');
    const verdict = result.verdicts.find((v) => v.node === 'node-b');
    expect(verdict && 'scores' in verdict ? verdict.scores?.NodeAffinity : undefined).toBe(200);
  });

  it('required affinity leaves only matching nodes, with the kube-scheduler message otherwise', () => {
    const nodes: NodeOptions[] = [
      { name: 'node-a', labels: { cores: '4' } },
      { name: 'node-b', labels: { cores: '16' } },
      { name: 'node-c', labels: { cores: 'lots' } },
    ];
    const pod = podRecord({ affinity: required(expr(req('cores', 'Gt', ['8']))) });
    const result = framework.schedulePod({ pod, nodes: nodeInfos(nodes) });
    expect(result.nodeName).toBe('node-b');
    expect(result.feasibleNodes).toBe(1);
    const none = framework.schedulePod({ pod: podRecord({ affinity: required(expr(req('cores', 'Gt', ['64']))) }), nodes: nodeInfos(nodes) });
    expect(none.feasible).toBe(false);
    // (PostFilter, preemption, may append its own sentence.)
    expect(none.message?.startsWith("0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector.")).toBe(true);
    expect(none.unschedulablePlugins).toEqual(['NodeAffinity']);
  });

  it('a name pin in matchFields narrows the search to the named node', () => {
    const nodes: NodeOptions[] = [{ name: 'node-a' }, { name: 'node-b' }, { name: 'node-c' }];
    const result = framework.schedulePod({ pod: podRecord({ affinity: required(byName('node-c')) }), nodes: nodeInfos(nodes) });
    expect(result.nodeName).toBe('node-c');
    expect(result.feasibleNodes).toBe(1);
  });
});
