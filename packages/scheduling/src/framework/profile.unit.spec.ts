import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE, ProfileValidationError, parseProfile, parseSchedulerConfiguration } from './profile.ts';

function errorsOf(run: () => unknown): Array<{ path: string; message: string }> {
  try {
    run();
  } catch (error) {
    if (error instanceof ProfileValidationError) return [...error.errors];
    throw error;
  }
  throw new Error('expected a ProfileValidationError');
}

describe('profiles', () => {
  it('the default profile is default-scheduler with Kubernetes weights', () => {
    expect(DEFAULT_PROFILE.schedulerName).toBe('default-scheduler');
    expect(DEFAULT_PROFILE.plugins.filter).toEqual(['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'PodTopologySpread', 'InterPodAffinity']);
    expect(DEFAULT_PROFILE.plugins.score).toEqual([
      { name: 'TaintToleration', weight: 3 },
      { name: 'NodeAffinity', weight: 2 },
      { name: 'NodeResourcesFit', weight: 1 },
      { name: 'PodTopologySpread', weight: 2 },
      { name: 'InterPodAffinity', weight: 2 },
      { name: 'NodeResourcesBalancedAllocation', weight: 1 },
    ]);
    expect(parseProfile(DEFAULT_PROFILE)).toEqual(DEFAULT_PROFILE);
    expect(Object.isFrozen(DEFAULT_PROFILE.plugins.score)).toBe(true);
  });

  it('parses a profile as read from YAML/JSON, defaulting weights and pluginConfig', () => {
    const profile = parseProfile({
      schedulerName: 'packer',
      plugins: { filter: ['NodeResourcesFit'], score: [{ name: 'NodeResourcesFit' }] },
    });
    expect(profile).toEqual({
      schedulerName: 'packer',
      plugins: { filter: ['NodeResourcesFit'], score: [{ name: 'NodeResourcesFit', weight: 1 }] },
      pluginConfig: [],
    });
  });

  it('reports every error with its path', () => {
    expect(
      errorsOf(() =>
        parseProfile({
          schedulerName: '',
          plugins: { filter: ['NodeName', 'NodeName'], score: [{ name: 'TaintToleration', weight: 0 }], scores: [] },
          pluginConfig: [{ name: 'NodeResourcesFit', arg: {} }],
        }),
      ),
    ).toEqual([
      { path: 'schedulerName', message: 'Too small: expected string to have >=1 characters' },
      { path: 'plugins.filter[1]', message: 'duplicate plugin "NodeName"' },
      { path: 'plugins.score[0].weight', message: 'Too small: expected number to be >=1' },
      { path: 'plugins', message: 'Unrecognized key: "scores"' },
      { path: 'pluginConfig[0]', message: 'Unrecognized key: "arg"' },
    ]);
  });

  it('names the paths in the error message', () => {
    expect(() => parseProfile({ schedulerName: 'x', plugins: { filter: [], score: [{ name: 'A', weight: 1.5 }] } })).toThrow(
      /plugins\.score\[0\]\.weight: /,
    );
  });

  it('parses a file of profiles with distinct scheduler names', () => {
    const file = { profiles: [DEFAULT_PROFILE, { ...DEFAULT_PROFILE, schedulerName: 'packer' }] };
    expect(parseSchedulerConfiguration(file).map((p) => p.schedulerName)).toEqual(['default-scheduler', 'packer']);
    expect(errorsOf(() => parseSchedulerConfiguration({ profiles: [DEFAULT_PROFILE, DEFAULT_PROFILE] }))).toEqual([
      { path: 'profiles[1].schedulerName', message: 'duplicate schedulerName "default-scheduler"' },
    ]);
  });
});
