import { describe, expect, it } from 'vitest';
import { matchesSelector } from '@flotilla/model';
import type { LabelSelector } from '@flotilla/model';
import { podRecord } from '../test-support/fixtures.ts';
import {
  NO_POD_AFFINITY,
  SELECT_EVERYTHING,
  SELECT_NOTHING,
  compileSelector,
  matchesAllTerms,
  podAffinityInfo,
  selectorMatches,
  termMatches,
  withLabelKeys,
} from './affinity-terms.ts';

const selectors: Array<LabelSelector | undefined> = [
  undefined,
  {},
  { matchLabels: { app: 'web' } },
  { matchLabels: { app: 'web', tier: 'front' } },
  { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] },
  { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] },
  { matchExpressions: [{ key: 'gpu', operator: 'Exists' }] },
  { matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] },
  { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['back'] }] },
];
const labelSets: Array<Record<string, string> | undefined> = [
  undefined,
  {},
  { app: 'web' },
  { app: 'api', gpu: '' },
  { app: 'web', tier: 'front' },
  { app: 'web', tier: 'back', gpu: 'a100' },
];

describe('compiled label selectors', () => {
  it('agree with the model\'s matchesSelector on every selector and label set', () => {
    for (const selector of selectors) {
      const compiled = compileSelector(selector);
      for (const labels of labelSets) {
        expect(selectorMatches(compiled, labels), `${JSON.stringify(selector)} ~ ${JSON.stringify(labels)}`).toBe(matchesSelector(selector, labels));
      }
    }
  });

  it('a missing selector selects nothing, an empty one everything', () => {
    expect(compileSelector(undefined)).toBe(SELECT_NOTHING);
    expect(compileSelector({})).toBe(SELECT_EVERYTHING);
    expect(selectorMatches(SELECT_EVERYTHING, undefined)).toBe(true);
  });

  it('withLabelKeys adds `key in (value)` / `key notin (value)` for keys the owner has, ignoring the others', () => {
    const base = compileSelector({ matchLabels: { app: 'web' } });
    const merged = withLabelKeys(base, { app: 'web', hash: 'h1', tenant: 'blue' }, ['hash', 'missing'], ['tenant']);
    expect(selectorMatches(merged, { app: 'web', hash: 'h1', tenant: 'red' })).toBe(true);
    expect(selectorMatches(merged, { app: 'web', hash: 'h2', tenant: 'red' })).toBe(false);
    expect(selectorMatches(merged, { app: 'web', hash: 'h1', tenant: 'blue' })).toBe(false);
    expect(withLabelKeys(base, { app: 'web' }, ['missing'])).toBe(base);
    expect(withLabelKeys(SELECT_NOTHING, { hash: 'h1' }, ['hash'])).toBe(SELECT_NOTHING);
  });
});

describe('affinity terms', () => {
  const owner = podRecord({
    name: 'owner',
    namespace: 'team',
    labels: { app: 'web' },
    affinity: {
      podAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: 'zone' }],
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 7, podAffinityTerm: { labelSelector: {}, namespaces: ['other'], topologyKey: 'zone' } }],
      },
      podAntiAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, namespaceSelector: {}, topologyKey: 'host' }],
      },
    },
  }).pod;

  it('compiles each list with weights, and caches per pod object', () => {
    const info = podAffinityInfo(owner);
    expect(info.requiredAffinity).toHaveLength(1);
    expect(info.preferredAffinity[0]!.weight).toBe(7);
    expect(info.requiredAntiAffinity).toHaveLength(1);
    expect(info.preferredAntiAffinity).toHaveLength(0);
    expect(info.hasAny).toBe(true);
    expect(podAffinityInfo(owner)).toBe(info);
    expect(podAffinityInfo(podRecord().pod)).toBe(NO_POD_AFFINITY);
  });

  it('default to the owner\'s namespace; `namespaces` replaces it; an empty namespaceSelector selects all', () => {
    const info = podAffinityInfo(owner);
    const cache = (namespace: string) => podRecord({ name: 'c', namespace, labels: { app: 'cache' } }).pod;
    expect(termMatches(info.requiredAffinity[0]!, cache('team'))).toBe(true);
    expect(termMatches(info.requiredAffinity[0]!, cache('default'))).toBe(false);
    expect(termMatches(info.preferredAffinity[0]!, cache('other'))).toBe(true);
    expect(termMatches(info.preferredAffinity[0]!, cache('team'))).toBe(false);
    const web = podRecord({ name: 'w', namespace: 'anywhere', labels: { app: 'web' } }).pod;
    expect(termMatches(info.requiredAntiAffinity[0]!, web)).toBe(true);
  });

  it('matchesAllTerms needs at least one term and every term', () => {
    const info = podAffinityInfo(owner);
    const cache = podRecord({ name: 'c', namespace: 'team', labels: { app: 'cache' } }).pod;
    expect(matchesAllTerms(info.requiredAffinity, cache)).toBe(true);
    expect(matchesAllTerms([], cache)).toBe(false);
    expect(matchesAllTerms([...info.requiredAffinity, ...info.requiredAntiAffinity], cache)).toBe(false);
  });
});
