import { describe, expect, it } from 'vitest';
import type { Taint, Toleration } from '@flotilla/model';
import { findUntoleratedTaint, toleratesTaint, tolerationsTolerateTaint } from './tolerations.ts';

const taint: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };

describe('toleratesTaint (Kubernetes Toleration.ToleratesTaint)', () => {
  it.each<[string, Toleration, Taint, boolean]>([
    ['Equal with same key, value and effect', { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, taint, true],
    ['empty operator means Equal', { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }, taint, true],
    ['Equal with another value', { key: 'dedicated', operator: 'Equal', value: 'cpu', effect: 'NoSchedule' }, taint, false],
    ['Equal without value against a taint with a value', { key: 'dedicated', operator: 'Equal', effect: 'NoSchedule' }, taint, false],
    ['Equal without value against a taint without value', { key: 'k', operator: 'Equal', effect: 'NoSchedule' }, { key: 'k', effect: 'NoSchedule' }, true],
    ['Exists ignores the value', { key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }, taint, true],
    ['Exists with another key', { key: 'other', operator: 'Exists' }, taint, false],
    ['empty effect matches every effect', { key: 'dedicated', operator: 'Exists' }, { ...taint, effect: 'NoExecute' }, true],
    ['another effect does not match', { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, taint, false],
    ['empty key with Exists tolerates everything', { operator: 'Exists' }, taint, true],
    ['empty key with Exists and an effect tolerates every key with that effect', { operator: 'Exists', effect: 'NoSchedule' }, { key: 'x', effect: 'NoSchedule' }, true],
    ['empty key with Exists and another effect', { operator: 'Exists', effect: 'PreferNoSchedule' }, taint, false],
  ])('%s', (_name, toleration, subject, expected) => {
    expect(toleratesTaint(toleration, subject)).toBe(expected);
  });

  it('no tolerations tolerate nothing', () => {
    expect(tolerationsTolerateTaint(undefined, taint)).toBe(false);
    expect(tolerationsTolerateTaint([], taint)).toBe(false);
  });

  it('any matching toleration is enough', () => {
    expect(tolerationsTolerateTaint([{ key: 'a', operator: 'Exists' }, { key: 'dedicated', operator: 'Exists' }], taint)).toBe(true);
  });
});

describe('findUntoleratedTaint', () => {
  const effects = new Set(['NoSchedule', 'NoExecute'] as const);

  it('returns the first untolerated taint with one of the effects, in node order', () => {
    const taints: Taint[] = [
      { key: 'soft', effect: 'PreferNoSchedule' },
      { key: 'tolerated', value: 'yes', effect: 'NoSchedule' },
      { key: 'first', value: 'v1', effect: 'NoExecute' },
      { key: 'second', value: 'v2', effect: 'NoSchedule' },
    ];
    expect(findUntoleratedTaint(taints, [{ key: 'tolerated', operator: 'Exists' }], effects)).toEqual({ key: 'first', value: 'v1', effect: 'NoExecute' });
  });

  it('returns undefined when every relevant taint is tolerated', () => {
    expect(findUntoleratedTaint([{ key: 'soft', effect: 'PreferNoSchedule' }], [], effects)).toBeUndefined();
    expect(findUntoleratedTaint(undefined, [], effects)).toBeUndefined();
  });
});
