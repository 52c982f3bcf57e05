import { describe, expect, it } from 'vitest';
import { effectiveGracePeriod } from './delete.ts';
import { parseTargets } from './resource-types.ts';

describe('parseTargets', () => {
  it('accepts TYPE NAME... with short names', () => {
    expect(parseTargets(['po', 'a', 'b'])).toEqual([{ kind: 'pod', names: ['a', 'b'] }]);
    expect(parseTargets(['nodes'])).toEqual([{ kind: 'node', names: [] }]);
    expect(parseTargets(['ev'])).toEqual([{ kind: 'event', names: [] }]);
  });

  it('accepts TYPE/NAME... and groups by kind', () => {
    expect(parseTargets(['pod/a', 'pod/b', 'node/n'])).toEqual([
      { kind: 'pod', names: ['a', 'b'] },
      { kind: 'node', names: ['n'] },
    ]);
  });

  it('explains what is wrong', () => {
    expect(parseTargets(['deploy'])).toBe('the server doesn\'t have a resource type "deploy"');
    expect(parseTargets(['pod', 'pod/a'])).toMatch(/no need to specify a resource type/);
    expect(parseTargets([])).toMatch(/you must specify the type of resource/);
  });
});

describe('effectiveGracePeriod (kubectl delete rules)', () => {
  it.each([
    [{}, undefined],
    [{ gracePeriod: 10 }, 10],
    [{ gracePeriod: 0 }, 1],
    [{ gracePeriod: 0, force: true }, 0],
    [{ force: true }, 0],
    [{ gracePeriod: -1 }, undefined],
    [{ gracePeriod: 5, force: true }, 5],
  ])('%j -> %s', (options, expected) => {
    expect(effectiveGracePeriod(options)).toBe(expected);
  });
});
