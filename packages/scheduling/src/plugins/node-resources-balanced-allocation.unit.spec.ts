import { describe, expect, it } from 'vitest';
import { CycleState } from '../framework/cycle-state.ts';
import { FrameworkConfigError, createFramework } from '../framework/framework.ts';
import { DEFAULT_PROFILE } from '../framework/profile.ts';
import { nodeInfos, podRecord } from '../test-support/fixtures.ts';
import type { NodeOptions, PodOptions } from '../test-support/fixtures.ts';
import {
  NodeResourcesBalancedAllocation,
  NodeResourcesBalancedAllocationArgsSchema,
  balancedResourceScore,
  newNodeResourcesBalancedAllocation,
} from './node-resources-balanced-allocation.ts';
import type { NodeResourcesBalancedAllocationArgsInput } from './node-resources-balanced-allocation.ts';

function scores(pod: PodOptions, nodes: NodeOptions[], bound: PodOptions[] = [], args: NodeResourcesBalancedAllocationArgsInput = {}, runPreScore = true): number[] | 'Skip' {
  const plugin = newNodeResourcesBalancedAllocation(args, { schedulerName: 'default-scheduler' }) as NodeResourcesBalancedAllocation;
  const state = new CycleState();
  const record = podRecord(pod);
  if (runPreScore && plugin.preScore(state, record).code === 'Skip') return 'Skip';
  return nodeInfos(nodes, bound).map((info) => plugin.score(state, record, info).score);
}

// Pods of kube-scheduler's balanced_allocation_test.go (quantities without a suffix are bytes).
const cpuAndMemory: PodOptions = {
  containers: [
    { name: 'c1', resources: { requests: { cpu: '1000m', memory: '2000' } } },
    { name: 'c2', resources: { requests: { cpu: '2000m', memory: '3000' } } },
  ],
};
const cpuOnly: PodOptions = {
  containers: [
    { name: 'c1', resources: { requests: { cpu: '1000m', memory: '0' } } },
    { name: 'c2', resources: { requests: { cpu: '2000m', memory: '0' } } },
  ],
};
const cpuAndMemoryAndGpu: PodOptions = {
  containers: [
    { name: 'c1', resources: { requests: { cpu: '1000m', memory: '2000' } } },
    { name: 'c2', resources: { requests: { cpu: '2000m', memory: '3000', 'nvidia.com/gpu': '3' } } },
  ],
};
const node = (name: string, cpu: string, memory: string, gpus?: string): NodeOptions => ({ name, cpu, memory, ...(gpus ? { extra: { 'nvidia.com/gpu': gpus } } : {}) });
const withGpu = { resources: [{ name: 'cpu' }, { name: 'memory' }, { name: 'nvidia.com/gpu' }] };

describe('NodeResourcesBalancedAllocation (kube-scheduler TestNodeResourcesBalancedAllocation)', () => {
  it('skips a best-effort pod in PreScore', () => {
    expect(scores({}, [node('node1', '4000m', '10000'), node('node2', '4000m', '10000')])).toBe('Skip');
  });

  it('nothing scheduled, resources requested, differently sized nodes: 87 and 100', () => {
    // node1: cpu 3000/4000 = 0.75, memory 5000/10000 = 0.5: std 0.125 -> 87. node2: 0.5, 0.5 -> 100.
    expect(scores(cpuAndMemory, [node('node1', '4000m', '10000'), node('node2', '6000m', '10000')])).toEqual([87, 100]);
  });

  const existing: PodOptions[] = [
    { ...cpuOnly, name: 'existing-1', boundTo: 'node1' },
    { ...cpuAndMemory, name: 'existing-2', boundTo: 'node2' },
  ];

  it('resources requested, pods scheduled with resources: 82 and 95', () => {
    // node1: cpu 6000/10000 = 0.6, memory 5000/20000 = 0.25: std 0.175 -> 82.
    // node2: cpu 0.6, memory 10000/20000 = 0.5: std 0.05 -> 95.
    expect(scores(cpuAndMemory, [node('node1', '10000m', '20000'), node('node2', '10000m', '20000')], existing)).toEqual([82, 95]);
  });

  it('resources requested, pods scheduled with resources, differently sized nodes: 82 and 80', () => {
    // node2: cpu 0.6, memory 10000/50000 = 0.2: std 0.2 -> 80.
    expect(scores(cpuAndMemory, [node('node1', '10000m', '20000'), node('node2', '10000m', '50000')], existing)).toEqual([82, 80]);
  });

  it('requested resources at node capacity: 50 and 75', () => {
    // node1: cpu 6000/6000 = 1, memory 0: std 0.5 -> 50. node2: cpu 1, memory 5000/10000: std 0.25 -> 75.
    expect(scores(cpuOnly, [node('node1', '6000m', '10000'), node('node2', '6000m', '10000')], existing)).toEqual([50, 75]);
  });

  it('includes a requested extended resource: 70 and 65', () => {
    // node1: cpu 3000/3500, memory 5000/40000, gpu 4/8 -> std 0.3002 -> 69.97 -> 70 is kube-scheduler's figure.
    const pod: PodOptions = { requests: { memory: '0', 'nvidia.com/gpu': '1' } };
    const bound: PodOptions[] = [
      { ...cpuAndMemoryAndGpu, name: 'existing-1', boundTo: 'node1' },
      { ...cpuAndMemory, name: 'existing-2', boundTo: 'node2' },
    ];
    expect(scores(pod, [node('node1', '3500m', '40000', '8'), node('node2', '3500m', '40000', '8')], bound, withGpu)).toEqual([70, 65]);
  });

  it('skips an extended resource the pod does not request (even where the node has it): 63 and 63', () => {
    expect(scores(cpuAndMemory, [node('node1', '3500m', '40000', '8'), node('node2', '3500m', '40000')], [], withGpu)).toEqual([63, 63]);
  });

  it('scores the same without PreScore (a profile may leave it out)', () => {
    expect(scores(cpuAndMemory, [node('node1', '10000m', '20000'), node('node2', '10000m', '20000')], existing, {}, false)).toEqual([82, 95]);
    expect(scores({}, [node('node1', '4000m', '10000')], [], {}, false)).toEqual([0]);
  });
});

describe('NodeResourcesBalancedAllocation: real requests, as current kube-scheduler (useRequested)', () => {
  it('does not count the non-zero defaults for what the pod leaves out', () => {
    // cpu 1/2 = 0.5, memory 0/4Gi = 0: std 0.25 -> 75 (with a 200Mi default memory it would be 77).
    expect(scores({ cpu: '1' }, [node('n', '2', '4Gi')])).toEqual([75]);
  });

  it('does not count the non-zero defaults of best-effort pods already on the node', () => {
    const bestEffort = [{ name: 'be-1', boundTo: 'n' }, { name: 'be-2', boundTo: 'n' }];
    expect(scores({ cpu: '1', memory: '2Gi' }, [node('n', '2', '4Gi')], bestEffort)).toEqual([100]);
  });

  it('caps a fraction above capacity at 1', () => {
    // cpu 3/2 -> 1, memory 1Gi/4Gi = 0.25: std 0.375 -> 62.
    expect(scores({ cpu: '3', memory: '1Gi' }, [node('n', '2', '4Gi')])).toEqual([62]);
  });

  it('counts pods assumed onto the node (through NodeInfo.requested)', () => {
    const plugin = new NodeResourcesBalancedAllocation();
    const state = new CycleState();
    const pod = podRecord({ cpu: '1', memory: '1Gi' });
    plugin.preScore(state, pod);
    const [info] = nodeInfos([node('n', '4', '4Gi')], [{ name: 'bound', cpu: '1', memory: '3Gi', boundTo: 'n' }]);
    // cpu 2/4 = 0.5, memory 4Gi/4Gi = 1: std 0.25 -> 75.
    expect(plugin.score(state, pod, info!).score).toBe(75);
  });
});

describe('balancedResourceScore', () => {
  it('(1 - std) * 100, truncated: two fractions use |a - b| / 2, more use the population std', () => {
    expect(balancedResourceScore([0.75, 0.5])).toBe(87);
    expect(balancedResourceScore([0.6, 0.25])).toBe(82);
    expect(balancedResourceScore([3000 / 3500, 5000 / 40000, 0.5])).toBe(70);
    expect(balancedResourceScore([3000 / 3500, 5000 / 40000, 0.125])).toBe(65);
    expect(balancedResourceScore([0.3])).toBe(100);
    expect(balancedResourceScore([])).toBe(100);
  });
});

describe('NodeResourcesBalancedAllocation args', () => {
  it('default to cpu and memory', () => {
    expect(NodeResourcesBalancedAllocationArgsSchema.parse({})).toEqual({ resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] });
  });

  function argErrors(args: unknown): Array<{ path: string; message: string }> {
    try {
      createFramework({ ...DEFAULT_PROFILE, pluginConfig: [{ name: 'NodeResourcesBalancedAllocation', args }] });
    } catch (error) {
      if (error instanceof FrameworkConfigError) return [...error.errors];
      throw error;
    }
    return [];
  }

  it('accept only weight 1, with its path', () => {
    expect(argErrors({ resources: [{ name: 'cpu', weight: 2 }, { name: 'memory' }] })).toEqual([{ path: 'pluginConfig[0].args.resources[0].weight', message: 'must be 1' }]);
  });

  it('reject a resource named twice, with its path', () => {
    expect(argErrors({ resources: [{ name: 'cpu' }, { name: 'memory' }, { name: 'memory', weight: 1 }] })).toEqual([
      { path: 'pluginConfig[0].args.resources[2].name', message: 'duplicate resource "memory"' },
    ]);
  });
});

describe('NodeResourcesBalancedAllocation in the default profile', () => {
  it('is scored with weight 1', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    expect(framework.scorePlugins.find((s) => s.plugin.name === 'NodeResourcesBalancedAllocation')?.weight).toBe(1);
  });
});
