import { describe, expect, it } from 'vitest';
import { AssumedPods } from '../framework/assumed-pods.ts';
import { CycleState } from '../framework/cycle-state.ts';
import { FrameworkConfigError, createFramework } from '../framework/framework.ts';
import { buildNodeInfos } from '../framework/node-info.ts';
import { DEFAULT_PROFILE } from '../framework/profile.ts';
import { clusterState, nodeInfo, podRecord } from '../test-support/fixtures.ts';
import type { NodeOptions, PodOptions } from '../test-support/fixtures.ts';
import {
  NodeResourcesFit,
  NodeResourcesFitArgsSchema,
  brokenLinearFunction,
  insufficientResources,
  leastRequestedScore,
  mostRequestedScore,
  newNodeResourcesFit,
  requestedToCapacityRatioScorer,
} from './node-resources-fit.ts';
import type { NodeResourcesFitArgsInput } from './node-resources-fit.ts';

function filter(pod: PodOptions, node: NodeOptions, bound: PodOptions[] = []) {
  const plugin = new NodeResourcesFit();
  const state = new CycleState();
  const record = podRecord(pod);
  plugin.preFilter(state, record);
  return plugin.filter(state, record, nodeInfo(node, bound));
}

describe('NodeResourcesFit filter', () => {
  const node: NodeOptions = { name: 'n', cpu: '2', memory: '4Gi', pods: 3 };

  it('passes a pod that fits in allocatable minus requested', () => {
    expect(filter({ cpu: '1', memory: '2Gi' }, node, [{ name: 'a', cpu: '1', memory: '2Gi' }]).code).toBe('Success');
  });

  it('rejects with "Insufficient cpu" when cpu does not fit', () => {
    expect(filter({ cpu: '1500m' }, node, [{ name: 'a', cpu: '1' }])).toEqual({
      code: 'Unschedulable',
      reasons: ['Insufficient cpu'],
      plugin: 'NodeResourcesFit',
    });
  });

  it('keeps every failure reason, in kube-scheduler order', () => {
    const result = filter(
      { cpu: '2', memory: '4Gi', requests: { 'example.com/gpu': '1', 'ephemeral-storage': '1Gi' } },
      { ...node, pods: 1 },
      [{ name: 'a', cpu: '1', memory: '1Gi' }],
    );
    expect(result.reasons).toEqual(['Too many pods', 'Insufficient cpu', 'Insufficient memory', 'Insufficient ephemeral-storage', 'Insufficient example.com/gpu']);
  });

  it('rejects with "Too many pods" when the pod slots are used up, even for a pod without requests', () => {
    const full = [{ name: 'a' }, { name: 'b' }, { name: 'c' }];
    expect(filter({}, node, full).reasons).toEqual(['Too many pods']);
  });

  it('counts zero for a pod without requests (fits on a node with no room left)', () => {
    expect(filter({}, node, [{ name: 'a', cpu: '2', memory: '4Gi' }]).code).toBe('Success');
  });

  it('is unresolvable when the pod asks for more than the whole node', () => {
    expect(filter({ cpu: '3' }, node).code).toBe('UnschedulableAndUnresolvable');
    expect(insufficientResources(podRecord({ cpu: '3' }).request, nodeInfo(node))[0]).toEqual({
      resource: 'cpu',
      reason: 'Insufficient cpu',
      requested: 3000,
      used: 0,
      capacity: 2000,
      unresolvable: true,
    });
  });

  it('uses the effective request: the larger of app containers and each init container', () => {
    const pod: PodOptions = {
      containers: [{ name: 'app', resources: { requests: { cpu: '500m' } } }],
      initContainers: [{ name: 'init', resources: { requests: { cpu: '1500m' } } }],
    };
    expect(filter(pod, node, [{ name: 'a', cpu: '1' }]).reasons).toEqual(['Insufficient cpu']);
    expect(filter(pod, node).code).toBe('Success');
  });

  it('counts a sidecar for the lifetime of the pod and before later init containers', () => {
    const pod: PodOptions = {
      containers: [{ name: 'app', resources: { requests: { cpu: '500m' } } }],
      initContainers: [
        { name: 'proxy', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } },
        { name: 'migrate', resources: { requests: { cpu: '1' } } },
      ],
    };
    // Effective cpu = max(500m + 500m, 500m + 1) = 1500m.
    expect(podRecord(pod).request.cpu).toBe(1500);
    expect(filter(pod, node, [{ name: 'a', cpu: '600m' }]).reasons).toEqual(['Insufficient cpu']);
    expect(filter(pod, node, [{ name: 'a', cpu: '500m' }]).code).toBe('Success');
  });

  it('counts pods assumed onto the node', () => {
    const cluster = clusterState([node], [{ name: 'first', cpu: '1500m' }, { name: 'second', cpu: '1' }]);
    const assumed = new AssumedPods();
    assumed.assume(cluster.pods.get('default/first')!, 'n');
    const [info] = buildNodeInfos(cluster, assumed);
    const plugin = new NodeResourcesFit();
    expect(plugin.filter(new CycleState(), cluster.pods.get('default/second')!, info!).reasons).toEqual(['Insufficient cpu']);
  });
});

function scores(args: NodeResourcesFitArgsInput, pod: PodOptions, nodes: NodeOptions[], bound: PodOptions[] = []): number[] {
  const plugin = newNodeResourcesFit(args, { schedulerName: 'default-scheduler' }) as NodeResourcesFit;
  const state = new CycleState();
  const record = podRecord(pod);
  const infos = buildNodeInfos(clusterState(nodes, [...bound]), new AssumedPods());
  plugin.preScore(state, record);
  return infos.map((info) => plugin.score(state, record, info).score);
}

// Pods and nodes from kube-scheduler's least_allocated_test.go / most_allocated_test.go: two
// containers requesting cpu 1000m+2000m and memory 2000+3000 bytes.
const requested: PodOptions = {
  containers: [
    { name: 'c1', resources: { requests: { cpu: '1000m', memory: '2000' } } },
    { name: 'c2', resources: { requests: { cpu: '2000m', memory: '3000' } } },
  ],
};
const differentlySized: NodeOptions[] = [
  { name: 'node1', cpu: '4', memory: '10000' },
  { name: 'node2', cpu: '6', memory: '10000' },
];

describe('NodeResourcesFit score: LeastAllocated (default)', () => {
  it('nothing scheduled, resources requested, differently sized nodes: 37 and 50', () => {
    // node1: cpu (4000-3000)*100/4000 = 25, memory (10000-5000)*100/10000 = 50 -> (25+50)/2 = 37
    // node2: cpu (6000-3000)*100/6000 = 50, memory 50 -> 50
    expect(scores({}, requested, differentlySized)).toEqual([37, 50]);
  });

  it('counts pods already on the node', () => {
    // node1 has 1 cpu / 3000 bytes requested: cpu (4000-4000)*100/4000 = 0, memory (10000-8000)*100/10000 = 20 -> 10
    const bound: PodOptions[] = [{ name: 'existing', cpu: '1', memory: '3000', boundTo: 'node1' }];
    expect(scores({}, requested, differentlySized, bound)).toEqual([10, 50]);
  });

  it('counts 100m cpu and 200Mi memory for containers without requests (non-zero defaults)', () => {
    // cpu (1000-100)*100/1000 = 90, memory (2000Mi-200Mi)*100/2000Mi = 90
    expect(scores({}, {}, [{ name: 'n', cpu: '1', memory: '2000Mi' }])).toEqual([90]);
    // Two containers without requests: 200m / 400Mi -> cpu 80, memory 80.
    expect(scores({}, { containers: [{ name: 'a' }, { name: 'b' }] }, [{ name: 'n', cpu: '1', memory: '2000Mi' }])).toEqual([80]);
  });

  it('also counts the non-zero defaults for pods already on the node', () => {
    // Existing best-effort pod counts 100m / 200Mi; with the new one: 200m / 400Mi -> 80, 80.
    expect(scores({}, {}, [{ name: 'n', cpu: '1', memory: '2000Mi' }], [{ name: 'best-effort', boundTo: 'n' }])).toEqual([80]);
  });

  it('keeps an explicit zero request at zero', () => {
    const pod: PodOptions = { containers: [{ name: 'a', resources: { requests: { cpu: '0', memory: '0' } } }] };
    expect(scores({}, pod, [{ name: 'n', cpu: '1', memory: '2000Mi' }])).toEqual([100]);
  });

  it('weights resources', () => {
    // node1: cpu 25 * 3 + memory 50 * 1 = 125 / 4 = 31
    const args = { scoringStrategy: { resources: [{ name: 'cpu', weight: 3 }, { name: 'memory', weight: 1 }] } };
    expect(scores(args, requested, differentlySized)).toEqual([31, 50]);
  });

  it('scores 0 for a resource requested beyond capacity', () => {
    expect(leastRequestedScore(5000, 4000)).toBe(0);
    expect(leastRequestedScore(0, 0)).toBe(0);
  });

  it('ignores an extended resource the pod does not request, and one the node lacks', () => {
    const args = { scoringStrategy: { resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }, { name: 'example.com/gpu', weight: 5 }] } };
    expect(scores(args, requested, differentlySized)).toEqual([37, 50]);
    const gpuPod: PodOptions = { containers: [...requested.containers!, { name: 'g', resources: { requests: { cpu: '0', memory: '0', 'example.com/gpu': '1' } } }] };
    // node1 lacks the gpu resource (skipped); node2 has 4: (4-1)*100/4 = 75 -> (50 + 50 + 75*5) / 7 = 67
    const nodes: NodeOptions[] = [differentlySized[0]!, { ...differentlySized[1]!, extra: { 'example.com/gpu': '4' } }];
    expect(scores(args, gpuPod, nodes)).toEqual([37, 67]);
  });
});

describe('NodeResourcesFit score: MostAllocated', () => {
  const most = { scoringStrategy: { type: 'MostAllocated' as const } };

  it('nothing scheduled, resources requested, differently sized nodes: 62 and 50', () => {
    // node1: cpu 3000*100/4000 = 75, memory 5000*100/10000 = 50 -> 62; node2: 50, 50 -> 50
    expect(scores(most, requested, differentlySized)).toEqual([62, 50]);
  });

  it('caps a request beyond capacity at 100 (non-zero defaults may exceed a tiny node)', () => {
    expect(mostRequestedScore(5000, 4000)).toBe(100);
    expect(scores(most, {}, [{ name: 'tiny', cpu: '50m', memory: '100Mi' }])).toEqual([100]);
  });
});

describe('NodeResourcesFit args', () => {
  it('defaults to LeastAllocated over cpu and memory with weight 1', () => {
    expect(NodeResourcesFitArgsSchema.parse({})).toEqual({
      scoringStrategy: { type: 'LeastAllocated', resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }] },
    });
  });

  it('rejects an unknown strategy and an out-of-range weight', () => {
    expect(() => NodeResourcesFitArgsSchema.parse({ scoringStrategy: { type: 'Balanced' } })).toThrow();
    expect(() => NodeResourcesFitArgsSchema.parse({ scoringStrategy: { resources: [{ name: 'cpu', weight: 0 }] } })).toThrow();
  });
});

describe('NodeResourcesFit score: resources kube-scheduler does not score', () => {
  it('ignores `pods` (the scorer has no allocatable for it)', () => {
    const args = { scoringStrategy: { resources: [{ name: 'cpu', weight: 1 }, { name: 'memory', weight: 1 }, { name: 'pods', weight: 5 }] } };
    expect(scores(args, requested, differentlySized)).toEqual([37, 50]);
  });
});

describe('brokenLinearFunction (kube-scheduler TestBrokenLinearFunction)', () => {
  it.each([
    [
      [{ utilization: 10, score: 1 }, { utilization: 90, score: 9 }],
      [[-10, 1], [0, 1], [9, 1], [10, 1], [15, 1], [19, 1], [20, 2], [89, 8], [90, 9], [99, 9], [100, 9], [110, 9]],
    ],
    [
      [{ utilization: 0, score: 2 }, { utilization: 40, score: 10 }, { utilization: 100, score: 0 }],
      [[-10, 2], [0, 2], [20, 6], [30, 8], [40, 10], [70, 5], [100, 0], [110, 0]],
    ],
    [
      [{ utilization: 0, score: 2 }, { utilization: 40, score: 2 }, { utilization: 100, score: 2 }],
      [[-10, 2], [0, 2], [20, 2], [30, 2], [40, 2], [70, 2], [100, 2], [110, 2]],
    ],
  ])('shape %j', (shape, assertions) => {
    const f = brokenLinearFunction(shape);
    for (const [p, expected] of assertions) expect(f(p!)).toBe(expected);
  });
});

describe('requestedToCapacityRatioScorer (per resource, scores scaled by 10)', () => {
  it('interpolates between shape points in integer steps', () => {
    // Peak at 50 %: 0 -> 0, 50 -> 10, 100 -> 0 (node scores 0, 100, 0).
    const f = requestedToCapacityRatioScorer([{ utilization: 0, score: 0 }, { utilization: 50, score: 10 }, { utilization: 100, score: 0 }]);
    expect(f(0, 100)).toBe(0);
    expect(f(25, 100)).toBe(50); // 0 + 100 * 25 / 50
    expect(f(50, 100)).toBe(100);
    expect(f(60, 100)).toBe(80); // 100 - 100 * 10 / 50
    expect(f(75, 100)).toBe(50);
    expect(f(999, 1000)).toBe(2); // utilization truncates to 99: 100 - 100 * 49 / 50 = 2
    expect(f(100, 100)).toBe(0);
  });

  it('reads the shape at 100 % when the request exceeds capacity or there is none', () => {
    const f = requestedToCapacityRatioScorer([{ utilization: 0, score: 3 }, { utilization: 100, score: 7 }]);
    expect(f(5, 4)).toBe(70);
    expect(f(1, 0)).toBe(70);
    expect(f(0, 4)).toBe(30);
  });
});

describe('NodeResourcesFit score: RequestedToCapacityRatio', () => {
  const ratio = (shape: Array<{ utilization: number; score: number }>, resources?: Array<{ name: string; weight: number }>) => ({
    scoringStrategy: { type: 'RequestedToCapacityRatio' as const, requestedToCapacityRatio: { shape }, ...(resources ? { resources } : {}) },
  });
  // kube-scheduler's TestRequestedToCapacityRatioScoringStrategy shape: least requested wins.
  const leastRequestedShape = ratio([{ utilization: 0, score: 10 }, { utilization: 100, score: 0 }]);
  // st.MakePod().Obj() has no containers: no request, and no non-zero defaults either.
  const nothing: PodOptions = { containers: [{ name: 'none', resources: { requests: { cpu: '0', memory: '0' } } }] };

  it('nothing scheduled, nothing requested: 100 and 100', () => {
    const nodes: NodeOptions[] = [{ name: 'node1', cpu: '4000', memory: '10000' }, { name: 'node2', cpu: '4000', memory: '10000' }];
    expect(scores(leastRequestedShape, nothing, nodes, [{ ...nothing, name: 'e1', boundTo: 'node1' }, { ...nothing, name: 'e2', boundTo: 'node1' }])).toEqual([100, 100]);
  });

  it('nothing scheduled, resources requested, differently sized nodes: 38 and 50 (rounded, unlike LeastAllocated 37)', () => {
    // node1: cpu 75 % -> 25, memory 50 % -> 50: (25 + 50) / 2 = 37.5 -> 38. node2: 50 %, 50 % -> 50.
    expect(scores(leastRequestedShape, requested, differentlySized)).toEqual([38, 50]);
  });

  it('no resources requested, pods scheduled with resources: 38 and 50', () => {
    const bound: PodOptions[] = [
      { name: 'e1', containers: [{ name: 'c', resources: { requests: { cpu: '3', memory: '5000' } } }], boundTo: 'node1' },
      { name: 'e2', containers: [{ name: 'c', resources: { requests: { cpu: '3', memory: '5000' } } }], boundTo: 'node2' },
    ];
    expect(scores(leastRequestedShape, nothing, differentlySized, bound)).toEqual([38, 50]);
  });

  it('leaves out resources scoring 0, as kube-scheduler does (a full cpu does not halve the score)', () => {
    // cpu 4/4 = 100 % -> 0 (left out), memory 5000/10000 = 50 % -> 50.
    const pod: PodOptions = { containers: [{ name: 'c', resources: { requests: { cpu: '4', memory: '5000' } } }] };
    expect(scores(leastRequestedShape, pod, [{ name: 'n', cpu: '4', memory: '10000' }])).toEqual([50]);
  });

  describe('bin packing one extended resource (kube-scheduler TestResourceBinPackingSingleExtended)', () => {
    const args = ratio([{ utilization: 0, score: 0 }, { utilization: 100, score: 1 }], [{ name: 'intel.com/foo', weight: 1 }]);
    const nodes: NodeOptions[] = [
      { name: 'node1', cpu: '4', memory: '10000Mi', extra: { 'intel.com/foo': '8' } },
      { name: 'node2', cpu: '4', memory: '10000Mi', extra: { 'intel.com/foo': '4' } },
    ];
    const foo = (n: string): PodOptions => ({ requests: { 'intel.com/foo': n } });

    it('nothing requested: 0 and 0', () => {
      expect(scores(args, {}, nodes, [{ name: 'e', boundTo: 'node1' }])).toEqual([0, 0]);
    });

    it('2 of 8 and 2 of 4: 2 and 5', () => {
      expect(scores(args, foo('2'), nodes, [{ name: 'e', boundTo: 'node1' }])).toEqual([2, 5]);
    });

    it('2 more on a node already using 2 of 4: 2 and 10', () => {
      expect(scores(args, foo('2'), nodes, [{ ...foo('2'), name: 'e', boundTo: 'node2' }])).toEqual([2, 10]);
    });

    it('4 of 8 and 4 of 4: 5 and 10', () => {
      expect(scores(args, foo('4'), nodes)).toEqual([5, 10]);
    });
  });

  describe('bin packing two weighted extended resources (kube-scheduler TestResourceBinPackingMultipleExtended)', () => {
    const args = ratio([{ utilization: 0, score: 0 }, { utilization: 100, score: 1 }], [{ name: 'intel.com/foo', weight: 3 }, { name: 'intel.com/bar', weight: 5 }]);
    const nodes: NodeOptions[] = [
      { name: 'node1', cpu: '4', memory: '10000Mi', extra: { 'intel.com/foo': '8', 'intel.com/bar': '4' } },
      { name: 'node2', cpu: '4', memory: '10000Mi', extra: { 'intel.com/foo': '4', 'intel.com/bar': '8' } },
    ];
    const pod1: PodOptions = { requests: { 'intel.com/foo': '2', 'intel.com/bar': '2' } };
    const pod2: PodOptions = { requests: { 'intel.com/foo': '4', 'intel.com/bar': '2' } };

    it('nothing requested: 0 and 0', () => {
      expect(scores(args, {}, nodes)).toEqual([0, 0]);
    });

    it('(2*3 + 5*5) / 8 = 3.875 -> 4 and (5*3 + 2*5) / 8 = 3.125 -> 3', () => {
      expect(scores(args, pod1, nodes, [{ name: 'e', boundTo: 'node1' }])).toEqual([4, 3]);
    });

    it('on a node already using foo 4 and bar 2: 4 and (10*3 + 5*5) / 8 = 6.875 -> 7', () => {
      expect(scores(args, pod1, nodes, [{ ...pod2, name: 'e', boundTo: 'node2' }])).toEqual([4, 7]);
    });

    it('(5*3 + 5*5) / 8 = 5 and (10*3 + 2*5) / 8 = 5', () => {
      expect(scores(args, pod2, nodes)).toEqual([5, 5]);
    });
  });
});

describe('NodeResourcesFit args: RequestedToCapacityRatio', () => {
  function argErrors(args: unknown): Array<{ path: string; message: string }> {
    try {
      createFramework({ ...DEFAULT_PROFILE, pluginConfig: [{ name: 'NodeResourcesFit', args }] });
    } catch (error) {
      if (error instanceof FrameworkConfigError) return [...error.errors];
      throw error;
    }
    return [];
  }
  const at = 'pluginConfig[0].args.scoringStrategy';

  it('accepts a shape and keeps it', () => {
    const args = { scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape: [{ utilization: 0, score: 0 }, { utilization: 100, score: 10 }] } } };
    expect(argErrors(args)).toEqual([]);
    expect(NodeResourcesFitArgsSchema.parse(args).scoringStrategy.requestedToCapacityRatio?.shape).toEqual(args.scoringStrategy.requestedToCapacityRatio.shape);
  });

  it('requires the shape for that type', () => {
    expect(argErrors({ scoringStrategy: { type: 'RequestedToCapacityRatio' } })).toEqual([
      { path: `${at}.requestedToCapacityRatio`, message: 'required when type is RequestedToCapacityRatio' },
    ]);
  });

  it('rejects an empty shape, unsorted utilizations and out-of-range points, with their paths', () => {
    const shapeErrors = (shape: unknown) => argErrors({ scoringStrategy: { type: 'RequestedToCapacityRatio', requestedToCapacityRatio: { shape } } });
    expect(shapeErrors([])).toEqual([{ path: `${at}.requestedToCapacityRatio.shape`, message: 'at least one point must be specified' }]);
    expect(shapeErrors([{ utilization: 50, score: 1 }, { utilization: 50, score: 2 }])).toEqual([
      { path: `${at}.requestedToCapacityRatio.shape[1].utilization`, message: 'utilization values must be sorted in increasing order' },
    ]);
    expect(shapeErrors([{ utilization: -1, score: 1 }, { utilization: 101, score: 11 }])).toEqual([
      { path: `${at}.requestedToCapacityRatio.shape[0].utilization`, message: 'not in valid range [0, 100]' },
      { path: `${at}.requestedToCapacityRatio.shape[1].utilization`, message: 'not in valid range [0, 100]' },
      { path: `${at}.requestedToCapacityRatio.shape[1].score`, message: 'not in valid range [0, 10]' },
    ]);
  });
});
