import { describe, expect, it } from 'vitest';
import { IN_TREE_REGISTRY } from '../plugins/in-tree-registry.ts';
import { DuplicatePluginError, mergeRegistries } from './registry.ts';
import type { PluginFactory } from './registry.ts';

describe('registry', () => {
  it('holds the in-tree plugins by their Kubernetes names', () => {
    expect([...IN_TREE_REGISTRY.keys()]).toEqual(['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'DefaultPreemption', 'NodeResourcesBalancedAllocation', 'PodTopologySpread', 'InterPodAffinity']);
    for (const [name, factory] of IN_TREE_REGISTRY) expect(factory(undefined, { schedulerName: 's' }).name).toBe(name);
  });

  it('merges out-of-tree plugins and refuses a name twice', () => {
    const custom: PluginFactory = () => ({ name: 'Custom' });
    const merged = mergeRegistries(IN_TREE_REGISTRY, new Map([['Custom', custom]]));
    expect(merged.get('Custom')).toBe(custom);
    expect(() => mergeRegistries(IN_TREE_REGISTRY, new Map([['NodeName', custom]]))).toThrow(DuplicatePluginError);
  });
});
