import { describe, expect, it } from 'vitest';
import { hoistNamespaceFlags } from './hoist-flags.ts';

describe('hoistNamespaceFlags', () => {
  it.each([
    [['-n', 'team-a', 'get', 'pods'], ['get', '-n', 'team-a', 'pods']],
    [['--namespace=team-a', 'describe', 'pod', 'x'], ['describe', '--namespace=team-a', 'pod', 'x']],
    [['-s', 'http://h:1', '-A', 'get', 'pods'], ['-s', 'http://h:1', 'get', '-A', 'pods']],
    [['get', 'pods', '-n', 'x'], ['get', 'pods', '-n', 'x']],
    [['--version'], ['--version']],
  ])('%j -> %j', (input, expected) => {
    expect(hoistNamespaceFlags(input)).toEqual(expected);
  });
});
