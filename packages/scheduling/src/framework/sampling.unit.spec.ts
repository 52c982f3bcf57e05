import { describe, expect, it } from 'vitest';
import { nodeInfos, podRecord } from '../test-support/fixtures.ts';
import type { NodeOptions } from '../test-support/fixtures.ts';
import { createFramework, numFeasibleNodesToFind, rejectionText } from './framework.ts';
import { DEFAULT_PROFILE, parseSchedulerConfiguration } from './profile.ts';
import type { Profile } from './profile.ts';

// percentageOfNodesToScore: the Filter search stops once enough nodes passed, starting where the
// previous cycle stopped; and the explanation each cycle leaves behind.

const basic: Profile = {
  schedulerName: 'default-scheduler',
  plugins: { filter: ['NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeResourcesFit'], score: [{ name: 'NodeResourcesFit', weight: 1 }] },
  pluginConfig: [],
};

function cluster(count: number, options: (i: number) => Partial<NodeOptions> = () => ({})): NodeOptions[] {
  return Array.from({ length: count }, (_, i) => ({ name: `node-${String(i).padStart(4, '0')}`, ...options(i) }));
}

describe('numFeasibleNodesToFind', () => {
  it.each([
    [1, 1],
    [99, 99],
    [100, 100], // 50 % of 100 is 50: never fewer than 100
    [200, 100], // 49 % -> 98 -> 100
    [500, 230], // 50 - 4 = 46 %
    [1000, 420], // 42 %
    [5000, 500], // 10 %
    [6000, 300], // 50 - 48 = 2 % -> the 5 % floor
    [20_000, 1000], // 5 %
  ])('adaptive: %i nodes -> %i', (nodes, expected) => {
    expect(numFeasibleNodesToFind(undefined, nodes)).toBe(expected);
    expect(numFeasibleNodesToFind(0, nodes)).toBe(expected);
  });

  it('a configured percentage replaces the adaptive one, with the same floors', () => {
    expect(numFeasibleNodesToFind(30, 1000)).toBe(300);
    expect(numFeasibleNodesToFind(10, 500)).toBe(100);
    expect(numFeasibleNodesToFind(1, 50)).toBe(50);
    expect(numFeasibleNodesToFind(100, 20_000)).toBe(20_000);
  });
});

describe('sampled Filter search', () => {
  const nodes = nodeInfos(cluster(200));
  const pod = podRecord({ cpu: '100m' });

  it('stops once enough nodes passed, and says how many it evaluated', () => {
    const framework = createFramework(basic);
    const result = framework.schedulePod({ pod, nodes });
    expect(result).toMatchObject({ feasible: true, evaluatedNodes: 100, feasibleNodes: 100 });
    expect(result.summary).toEqual({ nodes: 200, evaluated: 100, feasible: 100, rejectedBy: {} });
    expect(result.verdicts).toHaveLength(100);
    expect(result.verdicts[0]?.node).toBe('node-0000');
  });

  it('starts each cycle where the previous one stopped (round robin), deterministically', () => {
    const a = createFramework(basic);
    const b = createFramework(basic);
    const first = a.schedulePod({ pod, nodes });
    const second = a.schedulePod({ pod, nodes });
    const third = a.schedulePod({ pod, nodes });
    expect(first.verdicts.map((v) => v.node)).toEqual(nodes.slice(0, 100).map((n) => n.name));
    expect(second.verdicts.map((v) => v.node)).toEqual(nodes.slice(100, 200).map((n) => n.name));
    expect(third.verdicts.map((v) => v.node)).toEqual(first.verdicts.map((v) => v.node));
    // Another instance fed the same calls makes the same decisions.
    expect([b.schedulePod({ pod, nodes }), b.schedulePod({ pod, nodes })].map((r) => r.nodeName)).toEqual([first.nodeName, second.nodeName]);
  });

  it('wraps around the end of the node list', () => {
    const framework = createFramework({ ...basic, percentageOfNodesToScore: 100 });
    const sampled = createFramework(basic);
    sampled.schedulePod({ pod, nodes: nodeInfos(cluster(150)) }); // stops after 100 of 150
    const wrapped = sampled.schedulePod({ pod, nodes: nodeInfos(cluster(150)) });
    expect(wrapped.evaluatedNodes).toBe(100);
    // Verdicts come in node order: 0..49 (after the wrap) and 100..149.
    expect(wrapped.verdicts.map((v) => v.node)).toEqual([...cluster(150).slice(0, 50), ...cluster(150).slice(100)].map((n) => n.name));
    expect(framework.schedulePod({ pod, nodes: nodeInfos(cluster(150)) }).evaluatedNodes).toBe(150);
  });

  it('rejected nodes do not count: the search goes on until enough passed or every node was tried', () => {
    const framework = createFramework(basic);
    const mostlyFull = nodeInfos(cluster(200, (i) => (i < 150 ? { cpu: '50m' } : {})));
    const result = framework.schedulePod({ pod, nodes: mostlyFull });
    expect(result).toMatchObject({ feasible: true, evaluatedNodes: 200, feasibleNodes: 50 });
    expect(result.summary.rejectedBy).toEqual({ 'NodeResourcesFit: Insufficient cpu': 150 });
  });

  it('clusters under 100 nodes are always searched whole', () => {
    const framework = createFramework({ ...basic, percentageOfNodesToScore: 5 });
    expect(framework.schedulePod({ pod, nodes: nodeInfos(cluster(99)) }).evaluatedNodes).toBe(99);
  });

  it('evaluateAllNodes searches every node and leaves the round-robin start alone', () => {
    const framework = createFramework(basic);
    expect(framework.schedulePod({ pod, nodes, evaluateAllNodes: true }).evaluatedNodes).toBe(200);
    expect(framework.schedulePod({ pod, nodes }).verdicts[0]?.node).toBe('node-0000');
  });

  it('the profile setting, or the configuration-wide default, bounds the search', () => {
    expect(createFramework({ ...basic, percentageOfNodesToScore: 100 }).schedulePod({ pod, nodes }).evaluatedNodes).toBe(200);
    const [inherits, own] = parseSchedulerConfiguration({
      percentageOfNodesToScore: 100,
      profiles: [
        { ...basic, schedulerName: 'a' },
        { ...basic, schedulerName: 'b', percentageOfNodesToScore: 0 },
      ],
    });
    expect(inherits?.percentageOfNodesToScore).toBe(100);
    expect(own?.percentageOfNodesToScore).toBe(0);
    expect(createFramework(inherits!).schedulePod({ pod, nodes }).evaluatedNodes).toBe(200);
    expect(createFramework(own!).schedulePod({ pod, nodes }).evaluatedNodes).toBe(100);
  });
});

describe('explanations', () => {
  const framework = createFramework(DEFAULT_PROFILE);
  const nodes = nodeInfos(
    [
      { name: 'tainted', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
      { name: 'small-1', cpu: '1' },
      { name: 'big', cpu: '16', memory: '32Gi' },
      { name: 'small-2', cpu: '1' },
      { name: 'medium', cpu: '8', memory: '16Gi' },
      { name: 'preferred-not', cpu: '16', memory: '32Gi', taints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] },
    ],
    [{ name: 'busy', cpu: '4', boundTo: 'medium' }],
  );
  const pod = podRecord({ cpu: '2', memory: '1Gi' });

  it('keeps every score plugin\'s raw, normalised and weighted score; the total is their sum', () => {
    const result = framework.schedulePod({ pod, nodes });
    const big = result.verdicts.find((v) => v.node === 'big')!;
    expect(big.plugins?.['TaintToleration']).toEqual({ raw: 0, normalized: 100, weighted: 300 });
    expect(big.plugins?.['NodeResourcesFit']?.weighted).toBe(big.plugins?.['NodeResourcesFit']?.normalized);
    const sum = Object.values(big.plugins ?? {}).reduce((total, p) => total + p.weighted, 0);
    expect(big.score).toBe(sum);
    expect(Object.fromEntries(Object.entries(big.plugins ?? {}).map(([name, p]) => [name, p.weighted]))).toEqual(big.scores);
    expect(result.verdicts.find((v) => v.node === 'preferred-not')?.plugins?.['TaintToleration']).toEqual({ raw: 1, normalized: 0, weighted: 0 });
  });

  it('summarises the attempt: rejections counted by plugin and reason', () => {
    const result = framework.schedulePod({ pod, nodes });
    expect(result.summary).toEqual({
      nodes: 6,
      evaluated: 6,
      feasible: 3,
      rejectedBy: { 'TaintToleration: node(s) had untolerated taint {dedicated: gpu}': 1, 'NodeResourcesFit: Insufficient cpu': 2 },
    });
    expect(rejectionText({ rejectedBy: 'NodeResourcesFit', reasons: ['Insufficient cpu', 'Insufficient memory'] })).toBe('NodeResourcesFit: Insufficient cpu, Insufficient memory');
  });

  it('maxVerdicts keeps the chosen node, the best alternatives, then one node per distinct rejection', () => {
    const full = framework.schedulePod({ pod, nodes });
    const trimmed = framework.schedulePod({ pod, nodes, maxVerdicts: 4 });
    expect(trimmed.nodeName).toBe(full.nodeName);
    const feasibleByScore = full.verdicts.filter((v) => v.score !== undefined).sort((a, b) => b.score! - a.score! || a.node.localeCompare(b.node));
    expect(trimmed.verdicts.map((v) => v.node)).toEqual([...feasibleByScore.map((v) => v.node), 'tainted']);
    expect(trimmed.verdicts[0]?.node).toBe(full.nodeName);
    expect(trimmed.summary).toEqual(full.summary);
    expect(framework.schedulePod({ pod, nodes, maxVerdicts: 2 }).verdicts).toHaveLength(2);
    expect(framework.schedulePod({ pod, nodes, maxVerdicts: 10 }).verdicts.map((v) => v.node)).toEqual([...feasibleByScore.map((v) => v.node), 'tainted', 'small-1']);
  });

  it('an unschedulable pod keeps one example per rejection when trimmed', () => {
    const huge = podRecord({ cpu: '64' });
    const result = framework.schedulePod({ pod: huge, nodes, maxVerdicts: 3 });
    expect(result.feasible).toBe(false);
    expect(result.verdicts.map((v) => v.node)).toEqual(['tainted', 'small-1']);
    expect(result.summary).toEqual({
      nodes: 6,
      evaluated: 6,
      feasible: 0,
      rejectedBy: { 'TaintToleration: node(s) had untolerated taint {dedicated: gpu}': 1, 'NodeResourcesFit: Insufficient cpu': 5 },
    });
  });
});
