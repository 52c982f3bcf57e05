import { describe, expect, it } from 'vitest';
import type { Node, NodeSelectorRequirement, NodeSelectorTerm } from '@flotilla/model';
import { nodeInfo, podRecord } from '../test-support/fixtures.ts';
import {
  compileNodeSelector,
  compilePreferredSchedulingTerms,
  nodeSelectorMatches,
  parseInt64,
  podMatchesNodeAffinity,
  preferredNodeAffinityOf,
  preferredTermsScore,
  requiredNodeAffinityOf,
  selectorErrorMessage,
} from './node-selector-match.ts';

function node(labels?: Record<string, string>, name = 'node1'): Node {
  return nodeInfo({ name, ...(labels ? { labels } : {}) }).node;
}

function req(key: string, operator: NodeSelectorRequirement['operator'], values?: string[]): NodeSelectorRequirement {
  return { key, operator, ...(values ? { values } : {}) };
}

function matches(terms: NodeSelectorTerm[], target: Node): boolean {
  return nodeSelectorMatches(compileNodeSelector({ nodeSelectorTerms: terms }), target);
}

const expr = (...matchExpressions: NodeSelectorRequirement[]): NodeSelectorTerm => ({ matchExpressions });

describe('node selector requirements (matchExpressions), as labels.Requirement matches them', () => {
  it.each([
    ['In: the label has one of the values', req('foo', 'In', ['bar', 'value2']), { foo: 'bar' }, true],
    ['In: another value', req('foo', 'In', ['value1', 'value2']), { foo: 'bar' }, false],
    ['In: a missing label', req('foo', 'In', ['bar']), {}, false],
    ['NotIn: another value', req('mem-type', 'NotIn', ['DDR', 'DDR2']), { 'mem-type': 'DDR3' }, true],
    ['NotIn: one of the values', req('mem-type', 'NotIn', ['DDR', 'DDR2']), { 'mem-type': 'DDR2' }, false],
    ['NotIn: a missing label', req('mem-type', 'NotIn', ['DDR']), {}, true],
    ['Exists: present (any value)', req('GPU', 'Exists'), { GPU: 'NVIDIA-GRID-K1' }, true],
    ['Exists: present with an empty value', req('GPU', 'Exists'), { GPU: '' }, true],
    ['Exists: missing', req('GPU', 'Exists'), { other: 'x' }, false],
    ['DoesNotExist: missing', req('GPU', 'DoesNotExist'), { other: 'x' }, true],
    ['DoesNotExist: present', req('GPU', 'DoesNotExist'), { GPU: 'x' }, false],
    ['Gt: a greater integer label (kube-scheduler test: 0206 > 0204)', req('kernel-version', 'Gt', ['0204']), { 'kernel-version': '0206' }, true],
    ['Gt: an equal label', req('cpus', 'Gt', ['4']), { cpus: '4' }, false],
    ['Gt: a smaller label', req('cpus', 'Gt', ['4']), { cpus: '3' }, false],
    ['Lt: a smaller label', req('cpus', 'Lt', ['10']), { cpus: '9' }, true],
    ['Lt: an equal label', req('cpus', 'Lt', ['10']), { cpus: '10' }, false],
    ['Gt: a missing label', req('cpus', 'Gt', ['4']), {}, false],
  ] as const)('%s', (_name, requirement, labels, expected) => {
    expect(matches([expr(requirement)], node(labels))).toBe(expected);
  });

  it.each([
    ['a word', 'many'],
    ['a decimal', '5.0'],
    ['an empty value', ''],
    ['surrounding space', ' 5'],
    ['hexadecimal', '0x10'],
    ['an int64 overflow', '9223372036854775808'],
  ])('Gt and Lt: a node label that is not an integer (%s) matches neither', (_name, value) => {
    expect(matches([expr(req('n', 'Gt', ['1']))], node({ n: value }))).toBe(false);
    expect(matches([expr(req('n', 'Lt', ['1']))], node({ n: value }))).toBe(false);
  });

  it('Gt and Lt: a signed label parses as Go strconv.ParseInt does', () => {
    expect(matches([expr(req('n', 'Gt', ['4']))], node({ n: '+5' }))).toBe(true);
    expect(matches([expr(req('n', 'Lt', ['0']))], node({ n: '-3' }))).toBe(true);
  });

  it('Gt and Lt compare beyond 2^53 exactly (int64)', () => {
    expect(matches([expr(req('n', 'Gt', ['9223372036854775806']))], node({ n: '9223372036854775807' }))).toBe(true);
    expect(matches([expr(req('n', 'Gt', ['9007199254740993']))], node({ n: '9007199254740992' }))).toBe(false);
    expect(matches([expr(req('n', 'Lt', ['9007199254740993']))], node({ n: '9007199254740992' }))).toBe(true);
    expect(matches([expr(req('n', 'Gt', ['3']))], node({ n: '9223372036854775807' }))).toBe(true);
  });

  it('requirements of a term are ANDed', () => {
    const term = expr(req('GPU', 'Exists'), req('GPU', 'NotIn', ['AMD', 'INTER']));
    expect(matches([term], node({ GPU: 'NVIDIA-GRID-K1' }))).toBe(true);
    expect(matches([expr(req('GPU', 'Exists'), req('GPU', 'In', ['AMD', 'INTER']))], node({ GPU: 'NVIDIA-GRID-K1' }))).toBe(false);
  });

  it('terms are ORed', () => {
    const terms = [expr(req('foo', 'In', ['bar', 'value2'])), expr(req('diffkey', 'In', ['wrong', 'value2']))];
    expect(matches(terms, node({ foo: 'bar' }))).toBe(true);
    expect(matches(terms, node({ diffkey: 'value2' }))).toBe(true);
    expect(matches(terms, node({ foo: 'baz' }))).toBe(false);
  });

  it('an empty term, or no terms at all, matches no node', () => {
    expect(matches([{ matchExpressions: [] }], node({ foo: 'bar' }))).toBe(false);
    expect(matches([{}], node({ foo: 'bar' }))).toBe(false);
    expect(matches([], node({ foo: 'bar' }))).toBe(false);
    expect(matches([{}, expr(req('foo', 'Exists'))], node({ foo: 'bar' }))).toBe(true);
  });

  it('does not take inherited object members for labels', () => {
    expect(matches([expr(req('constructor', 'Exists'))], node({ foo: 'bar' }))).toBe(false);
    expect(matches([expr(req('toString', 'DoesNotExist'))], node())).toBe(true);
  });
});

describe('node selector terms that do not parse match nothing (as kube-scheduler)', () => {
  it.each([
    ['Gt with a word', req('cpus', 'Gt', ['many']), "nodeSelectorTerms[0].matchExpressions[0].values[0]: invalid value \"many\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ['Lt with two values', req('cpus', 'Lt', ['1', '2']), "nodeSelectorTerms[0].matchExpressions[0].values: for 'Gt', 'Lt' operators, exactly one value is required"],
    ['In without values', req('foo', 'In'), "nodeSelectorTerms[0].matchExpressions[0].values: for 'In', 'NotIn' operators, values set can't be empty"],
    ['Exists with values', req('foo', 'Exists', ['bar']), 'nodeSelectorTerms[0].matchExpressions[0].values: values set must be empty for exists and does not exist'],
    ['NotIn with an invalid label value (kube-scheduler test)', req('foo', 'NotIn', ['invalid value: ___@#$%^']), 'nodeSelectorTerms[0].matchExpressions[0].values[0]: invalid value'],
    ['an invalid key', req('invalid key', 'In', ['bar']), 'nodeSelectorTerms[0].matchExpressions[0].key: invalid value "invalid key"'],
  ])('%s', (_name, requirement, error) => {
    const selector = compileNodeSelector({ nodeSelectorTerms: [expr(requirement)] });
    expect(selector.terms).toEqual([]);
    expect(selectorErrorMessage(selector.errors)).toContain(error);
    // A node where the requirement would otherwise hold is not matched either.
    expect(nodeSelectorMatches(selector, node({ foo: 'x', cpus: '100' }))).toBe(false);
  });

  it('an invalid term does not spoil a valid one', () => {
    const terms = [expr(req('cpus', 'Gt', ['many'])), expr(req('foo', 'In', ['bar']))];
    expect(matches(terms, node({ foo: 'bar' }))).toBe(true);
  });
});

describe('matchFields (metadata.name)', () => {
  const byName = (operator: 'In' | 'NotIn', name: string): NodeSelectorTerm => ({ matchFields: [req('metadata.name', operator, [name])] });

  it('In matches the named node only', () => {
    expect(matches([byName('In', 'node1')], node({}, 'node1'))).toBe(true);
    expect(matches([byName('In', 'node1')], node({}, 'node2'))).toBe(false);
  });

  it('NotIn matches every other node', () => {
    expect(matches([byName('NotIn', 'node1')], node({}, 'node1'))).toBe(false);
    expect(matches([byName('NotIn', 'node1')], node({}, 'node2'))).toBe(true);
  });

  it('a term with matchFields and matchExpressions needs both', () => {
    const term: NodeSelectorTerm = { ...byName('In', 'node1'), matchExpressions: [req('foo', 'In', ['bar'])] };
    expect(matches([term], node({ foo: 'bar' }, 'node1'))).toBe(true);
    expect(matches([term], node({ foo: 'bar' }, 'node2'))).toBe(false);
    expect(matches([term], node({ foo: 'baz' }, 'node1'))).toBe(false);
  });

  it('two name requirements in one term are ANDed', () => {
    const term: NodeSelectorTerm = { matchFields: [req('metadata.name', 'In', ['node1']), req('metadata.name', 'In', ['node2'])] };
    expect(matches([term], node({}, 'node1'))).toBe(false);
    expect(matches([term], node({}, 'node2'))).toBe(false);
  });

  it('needs exactly one value and In or NotIn', () => {
    expect(compileNodeSelector({ nodeSelectorTerms: [{ matchFields: [req('metadata.name', 'In', ['a', 'b'])] }] }).errors).toEqual([
      { path: ['nodeSelectorTerms', 0, 'matchFields', 0, 'values'], message: 'must have one element' },
    ]);
    expect(matches([{ matchFields: [req('metadata.name', 'Exists')] }], node())).toBe(false);
  });
});

describe('preferred scheduling terms', () => {
  it('sum the weights of the terms a node matches (kube-scheduler TestNodeAffinityPriority weights)', () => {
    const preferred = compilePreferredSchedulingTerms([
      { weight: 2, preference: expr(req('foo', 'In', ['bar'])) },
      { weight: 4, preference: expr(req('key', 'In', ['value'])) },
      { weight: 5, preference: expr(req('foo', 'In', ['bar']), req('key', 'In', ['value']), req('az', 'In', ['az1'])) },
    ]);
    expect(preferredTermsScore(preferred, node({ foo: 'bar' }))).toBe(2);
    expect(preferredTermsScore(preferred, node({ foo: 'bar', key: 'value', az: 'az1' }))).toBe(11);
    expect(preferredTermsScore(preferred, node({ key: 'value' }))).toBe(4);
    expect(preferredTermsScore(preferred, node({ az: 'az1' }))).toBe(0);
  });

  it('leave out weight 0 and empty preferences, and report terms that do not parse', () => {
    const preferred = compilePreferredSchedulingTerms([
      { weight: 0, preference: expr(req('foo', 'Exists')) },
      { weight: 3, preference: {} },
      { weight: 7, preference: expr(req('cpus', 'Gt', ['x'])) },
    ]);
    expect(preferred.terms).toEqual([]);
    expect(preferred.errors.map((e) => e.path)).toEqual([[2, 'preference', 'matchExpressions', 0, 'values', 0]]);
  });
});

describe('required node affinity of a pod', () => {
  it('is spec.nodeSelector AND the required terms', () => {
    const pod = podRecord({
      nodeSelector: { foo: 'bar' },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [expr(req('foo', 'Exists'))] } } },
    });
    expect(podMatchesNodeAffinity(pod, node({ foo: 'bar' }))).toBe(true);
    expect(podMatchesNodeAffinity(pod, node({ foo: 'barrrrrr' }))).toBe(false);
    // Pod or PodRecord, Node or NodeInfo.
    expect(podMatchesNodeAffinity(pod.pod, nodeInfo({ name: 'n', labels: { foo: 'bar' } }))).toBe(true);
  });

  it('matches every node when the pod has neither', () => {
    expect(podMatchesNodeAffinity(podRecord(), node())).toBe(true);
    expect(podMatchesNodeAffinity(podRecord({ affinity: { nodeAffinity: {} } }), node())).toBe(true);
  });

  it('nodeSelector needs each label present with the same value (an empty value too)', () => {
    expect(podMatchesNodeAffinity(podRecord({ nodeSelector: { foo: '' } }), node({ foo: '' }))).toBe(true);
    expect(podMatchesNodeAffinity(podRecord({ nodeSelector: { foo: '' } }), node())).toBe(false);
  });

  it('is compiled once per pod spec', () => {
    const pod = podRecord({ nodeSelector: { a: 'b' } });
    expect(requiredNodeAffinityOf(pod)).toBe(requiredNodeAffinityOf(pod.pod));
    expect(preferredNodeAffinityOf(pod)).toBeUndefined();
  });

  it.each([
    ['one term naming one node', [{ matchFields: [req('metadata.name', 'In', ['node1'])] }], ['node1']],
    ['two terms naming a node each (union)', [{ matchFields: [req('metadata.name', 'In', ['node1'])] }, { matchFields: [req('metadata.name', 'In', ['node2'])] }], ['node1', 'node2']],
    ['one term with two name requirements (intersection)', [{ matchFields: [req('metadata.name', 'In', ['node1', 'node2']), req('metadata.name', 'In', ['node2', 'node3'])] }], ['node2']],
    ['conflicting requirements in one term', [{ matchFields: [req('metadata.name', 'In', ['node1']), req('metadata.name', 'In', ['node2'])] }], []],
  ] as const)('pins node names: %s', (_name, nodeSelectorTerms, names) => {
    const pod = podRecord({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: nodeSelectorTerms.map((t) => ({ ...t, matchFields: [...t.matchFields] })) } } } });
    expect([...(requiredNodeAffinityOf(pod).nodeNames ?? ['(none)'])].sort()).toEqual(names);
  });

  it('pins no names when a term does not pin one (terms are ORed), or pins with NotIn', () => {
    const unpinned = [
      [{ matchFields: [req('metadata.name', 'In', ['node1'])] }, expr(req('foo', 'In', ['bar']))],
      [{ matchFields: [req('metadata.name', 'NotIn', ['node1'])] }],
    ];
    for (const nodeSelectorTerms of unpinned) {
      const pod = podRecord({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } } });
      expect(requiredNodeAffinityOf(pod).nodeNames).toBeUndefined();
    }
  });
});

describe('parseInt64', () => {
  it('parses as strconv.ParseInt(s, 10, 64)', () => {
    expect(parseInt64('0204')).toBe(204);
    expect(parseInt64('-12')).toBe(-12);
    expect(parseInt64('+7')).toBe(7);
    expect(parseInt64('-9223372036854775808')).toBe(-9223372036854775808n);
    expect(parseInt64('9223372036854775807')).toBe(9223372036854775807n);
    for (const bad of ['', '+', '-', '1_000', '1e3', '١', '9223372036854775808', '-9223372036854775809']) expect(parseInt64(bad)).toBeUndefined();
  });
});
