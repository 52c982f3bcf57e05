import { describe, expect, it } from 'vitest';
import type { TopologySpreadConstraint } from '@flotilla/model';
import type { PodRecord } from '@flotilla/state';
import { AssumedPods } from '../framework/assumed-pods.ts';
import { CLUSTER_PODS, CycleState } from '../framework/cycle-state.ts';
import { createFramework } from '../framework/framework.ts';
import { NodeInfoCache, buildNodeInfos } from '../framework/node-info.ts';
import { DEFAULT_PROFILE } from '../framework/profile.ts';
import type { NodeInfo, NodeScore } from '../framework/types.ts';
import { clusterState, controllerRef, podRecord } from '../test-support/fixtures.ts';
import type { NodeOptions, PodOptions } from '../test-support/fixtures.ts';
import {
  ERR_REASON_CONSTRAINTS_NOT_MATCH,
  ERR_REASON_NODE_LABEL_NOT_MATCH,
  LABEL_HOSTNAME,
  LABEL_TOPOLOGY_ZONE,
  PodTopologySpread,
  PodTopologySpreadArgsSchema,
  newPodTopologySpread,
} from './pod-topology-spread.ts';

const ZONE = LABEL_TOPOLOGY_ZONE;
const web = { app: 'web' };

function zoneNode(name: string, zone: string | undefined, extra: Partial<NodeOptions> = {}): NodeOptions {
  return { name, labels: { [LABEL_HOSTNAME]: name, ...(zone !== undefined ? { [ZONE]: zone } : {}) }, ...extra };
}

const spread = (overrides: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew: 1,
  topologyKey: ZONE,
  whenUnsatisfiable: 'DoNotSchedule',
  labelSelector: { matchLabels: web },
  ...overrides,
});

function webPod(name: string, options: Partial<PodOptions> = {}): PodOptions {
  return { name, labels: web, topologySpreadConstraints: [spread()], ...options };
}

/** A cycle over a cluster given as options: the state (CLUSTER_PODS written), the nodes and the pod. */
function cycle(nodes: NodeOptions[], existing: PodOptions[], pod: PodOptions) {
  const cluster = clusterState(nodes, existing);
  const state = new CycleState();
  state.write(CLUSTER_PODS, cluster.pods);
  return { state, nodes: buildNodeInfos(cluster, new AssumedPods()), pod: podRecord(pod) };
}

function filterAll(plugin: PodTopologySpread, nodes: NodeOptions[], existing: PodOptions[], pod: PodOptions) {
  const c = cycle(nodes, existing, pod);
  const pre = plugin.preFilter(c.state, c.pod, c.nodes);
  return { pre, results: Object.fromEntries(c.nodes.map((n) => [n.name, plugin.filter(c.state, c.pod, n)])) };
}

function scoreAll(plugin: PodTopologySpread, nodes: NodeOptions[], existing: PodOptions[], pod: PodOptions, feasible?: string[]) {
  const c = cycle(nodes, existing, pod);
  plugin.preFilter(c.state, c.pod, c.nodes);
  const filtered: NodeInfo[] = feasible === undefined ? c.nodes : c.nodes.filter((n) => feasible.includes(n.name));
  const pre = plugin.preScore(c.state, c.pod, filtered);
  if (pre.code !== 'Success') return { pre, raw: {}, normalized: {} };
  const scores: NodeScore[] = filtered.map((n) => ({ name: n.name, score: plugin.score(c.state, c.pod, n).score }));
  const raw = Object.fromEntries(scores.map((s) => [s.name, s.score]));
  plugin.normalizeScores(c.state, c.pod, scores);
  return { pre, raw, normalized: Object.fromEntries(scores.map((s) => [s.name, s.score])) };
}

const threeZones = [zoneNode('a1', 'a'), zoneNode('b1', 'b'), zoneNode('c1', 'c')];

/** Pods bound one per entry: `[zoneNodeName, count]`. */
function bound(spec: Record<string, number>, template: (name: string) => PodOptions = (name) => webPod(name)): PodOptions[] {
  return Object.entries(spec).flatMap(([node, count]) => Array.from({ length: count }, (_v, i) => ({ ...template(`${node}-${i}`), boundTo: node })));
}

describe('PodTopologySpread: placing pods one by one through the framework', () => {
  it('spreads 6 replicas over 3 zones with maxSkew 1 (2/2/2), although zone a has by far the most room', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    const nodes = [
      zoneNode('a1', 'a', { cpu: '64', memory: '256Gi' }),
      zoneNode('a2', 'a', { cpu: '64', memory: '256Gi' }),
      zoneNode('b1', 'b'),
      zoneNode('b2', 'b'),
      zoneNode('c1', 'c'),
      zoneNode('c2', 'c'),
    ];
    const cluster = clusterState(nodes);
    const assumed = new AssumedPods();
    const zoneOf = new Map(nodes.map((n) => [n.name, n.labels![ZONE]!]));
    const perZone = new Map<string, number>([['a', 0], ['b', 0], ['c', 0]]);
    for (let i = 0; i < 6; i += 1) {
      const pod = podRecord(webPod(`web-${i}`, { cpu: '1' }));
      cluster.pods.set(pod.key, pod);
      const result = framework.schedulePod({ pod, nodes: buildNodeInfos(cluster, assumed), pods: cluster.pods });
      expect(result.feasible, result.message).toBe(true);
      assumed.assume(pod, result.nodeName!);
      const zone = zoneOf.get(result.nodeName!)!;
      perZone.set(zone, perZone.get(zone)! + 1);
      const counts = [...perZone.values()];
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
    expect(Object.fromEntries(perZone)).toEqual({ a: 2, b: 2, c: 2 });
  });

  it('gives the same 2/2/2 over NodeInfoCache, whose per-node counts are kept across attempts', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    const nodes = [
      zoneNode('a1', 'a', { cpu: '64', memory: '256Gi' }),
      zoneNode('a2', 'a', { cpu: '64', memory: '256Gi' }),
      zoneNode('b1', 'b'),
      zoneNode('b2', 'b'),
      zoneNode('c1', 'c'),
      zoneNode('c2', 'c'),
    ];
    const cluster = clusterState(nodes);
    const assumed = new AssumedPods();
    const cache = new NodeInfoCache(cluster, assumed);
    const zoneOf = new Map(nodes.map((n) => [n.name, n.labels![ZONE]!]));
    const chosen: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const pod = podRecord(webPod(`cached-${i}`, { cpu: '1' }));
      cluster.pods.set(pod.key, pod);
      const result = framework.schedulePod({ pod, nodes: cache.nodes(), pods: cluster.pods });
      assumed.assume(pod, result.nodeName!);
      chosen.push(zoneOf.get(result.nodeName!)!);
    }
    cache.close();
    expect(chosen.filter((z) => z === 'a')).toHaveLength(2);
    expect(chosen.filter((z) => z === 'b')).toHaveLength(2);
    expect(chosen.filter((z) => z === 'c')).toHaveLength(2);
  });

  it('without the constraint the same replicas all go to zone a (the constraint is what spreads them)', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    const nodes = [zoneNode('a1', 'a', { cpu: '64', memory: '256Gi' }), zoneNode('b1', 'b'), zoneNode('c1', 'c')];
    const cluster = clusterState(nodes);
    const assumed = new AssumedPods();
    const chosen: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const pod = podRecord({ name: `web-${i}`, labels: web, cpu: '1' });
      cluster.pods.set(pod.key, pod);
      const result = framework.schedulePod({ pod, nodes: buildNodeInfos(cluster, assumed), pods: cluster.pods });
      assumed.assume(pod, result.nodeName!);
      chosen.push(result.nodeName!);
    }
    expect(new Set(chosen)).toEqual(new Set(['a1']));
  });
});

describe('PodTopologySpread Filter (DoNotSchedule)', () => {
  const plugin = new PodTopologySpread();

  it('lets a 7th replica go anywhere when every zone has 2', () => {
    const { pre, results } = filterAll(plugin, threeZones, bound({ a1: 2, b1: 2, c1: 2 }), webPod('web-7'));
    expect(pre.code).toBe('Success');
    expect(Object.values(results).map((s) => s.code)).toEqual(['Success', 'Success', 'Success']);
  });

  it('with 3/2/2 rejects the zone that has 3 (3 + 1 - 2 > 1) and passes the others', () => {
    const { results } = filterAll(plugin, threeZones, bound({ a1: 3, b1: 2, c1: 2 }), webPod('web-8'));
    expect(results).toEqual({
      a1: { code: 'Unschedulable', reasons: [ERR_REASON_CONSTRAINTS_NOT_MATCH], plugin: 'PodTopologySpread' },
      b1: { code: 'Success', reasons: [] },
      c1: { code: 'Success', reasons: [] },
    });
  });

  it('counts every node of a zone together, and a bigger maxSkew tolerates more', () => {
    const nodes = [zoneNode('a1', 'a'), zoneNode('a2', 'a'), zoneNode('b1', 'b')];
    const existing = bound({ a1: 1, a2: 1 });
    expect(filterAll(plugin, nodes, existing, webPod('x')).results.a2!.code).toBe('Unschedulable'); // 2 + 1 - 0 > 1
    const relaxed = webPod('x', { topologySpreadConstraints: [spread({ maxSkew: 3 })] });
    expect(filterAll(plugin, nodes, existing, relaxed).results.a2!.code).toBe('Success');
  });

  it('rejects a node without the topology label, unresolvably, and does not count it as a domain', () => {
    const nodes = [...threeZones, zoneNode('bare', undefined)];
    const { results } = filterAll(plugin, nodes, bound({ a1: 1, b1: 1, c1: 1, bare: 5 }), webPod('x'));
    expect(results.bare).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_NODE_LABEL_NOT_MATCH], plugin: 'PodTopologySpread' });
    expect(ERR_REASON_NODE_LABEL_NOT_MATCH).toBe("node(s) didn't match pod topology spread constraints (missing required label)");
    expect([results.a1!.code, results.b1!.code, results.c1!.code]).toEqual(['Success', 'Success', 'Success']);
  });

  it('requires every constraint\'s key on a node (one of two missing is enough to reject it)', () => {
    const pod = webPod('x', { topologySpreadConstraints: [spread(), spread({ topologyKey: 'rack' })] });
    const nodes = [zoneNode('a1', 'a', { labels: { [ZONE]: 'a', rack: 'r1' } }), zoneNode('b1', 'b')];
    const { results } = filterAll(plugin, nodes, [], pod);
    expect(results.a1!.code).toBe('Success');
    expect(results.b1!.reasons).toEqual([ERR_REASON_NODE_LABEL_NOT_MATCH]);
  });

  it('minDomains: with fewer domains than minDomains the global minimum is 0', () => {
    const nodes = [zoneNode('a1', 'a'), zoneNode('b1', 'b')];
    const existing = bound({ a1: 1, b1: 1 });
    const without = filterAll(plugin, nodes, existing, webPod('x'));
    expect(Object.values(without.results).map((s) => s.code)).toEqual(['Success', 'Success']); // 1 + 1 - 1 <= 1
    const withMin = filterAll(plugin, nodes, existing, webPod('x', { topologySpreadConstraints: [spread({ minDomains: 3 })] }));
    expect(Object.values(withMin.results).map((s) => s.code)).toEqual(['Unschedulable', 'Unschedulable']); // 1 + 1 - 0 > 1
    // Enough domains: minDomains has no effect.
    const three = filterAll(plugin, threeZones, bound({ a1: 1, b1: 1, c1: 1 }), webPod('x', { topologySpreadConstraints: [spread({ minDomains: 3 })] }));
    expect(Object.values(three.results).map((s) => s.code)).toEqual(['Success', 'Success', 'Success']);
  });

  it('minDomains through the framework: 0/2 nodes are available', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    const nodes = [zoneNode('a1', 'a'), zoneNode('b1', 'b')];
    const cluster = clusterState(nodes, bound({ a1: 1, b1: 1 }));
    const pod = podRecord(webPod('x', { topologySpreadConstraints: [spread({ minDomains: 3 })] }));
    const result = framework.schedulePod({ pod, nodes: buildNodeInfos(cluster, new AssumedPods()), pods: cluster.pods });
    expect(result.feasible).toBe(false);
    expect(result.message).toMatch(/^0\/2 nodes are available: 2 node\(s\) didn't match pod topology spread constraints\.( preemption: .*)?$/);
    expect(result.unschedulablePlugins).toEqual(['PodTopologySpread']);
  });

  it('nodeAffinityPolicy Honor (default) leaves out domains the pod cannot go to; Ignore counts them', () => {
    const nodes = [zoneNode('a1', 'a', { labels: { [ZONE]: 'a', pool: 'x' } }), zoneNode('b1', 'b', { labels: { [ZONE]: 'b', pool: 'x' } }), zoneNode('c1', 'c')];
    const existing = bound({ a1: 1, b1: 1 });
    const honor = filterAll(plugin, nodes, existing, webPod('x', { nodeSelector: { pool: 'x' } }));
    expect(honor.results.a1!.code).toBe('Success'); // domains a, b only: 1 + 1 - 1 <= 1
    const ignore = filterAll(plugin, nodes, existing, webPod('x', { nodeSelector: { pool: 'x' }, topologySpreadConstraints: [spread({ nodeAffinityPolicy: 'Ignore' })] }));
    expect(ignore.results.a1!.code).toBe('Unschedulable'); // empty zone c counts: 1 + 1 - 0 > 1
  });

  it('honours required node affinity terms too (nodeAffinityPolicy Honor)', () => {
    const nodes = [zoneNode('a1', 'a'), zoneNode('b1', 'b'), zoneNode('c1', 'c')];
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: ZONE, operator: 'In' as const, values: ['a', 'b'] }] }] },
      },
    };
    const { results } = filterAll(plugin, nodes, bound({ a1: 1, b1: 1 }), webPod('x', { affinity }));
    expect(results.a1!.code).toBe('Success');
  });

  it('nodeTaintsPolicy Ignore (default) counts tainted domains; Honor leaves out nodes with untolerated taints', () => {
    const taints = [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' as const }];
    const nodes = [zoneNode('a1', 'a'), zoneNode('b1', 'b'), zoneNode('c1', 'c', { taints })];
    const existing = bound({ a1: 1, b1: 1 });
    expect(filterAll(plugin, nodes, existing, webPod('x')).results.a1!.code).toBe('Unschedulable');
    const honor = webPod('x', { topologySpreadConstraints: [spread({ nodeTaintsPolicy: 'Honor' })] });
    expect(filterAll(plugin, nodes, existing, honor).results.a1!.code).toBe('Success');
    const tolerated = { ...honor, tolerations: [{ key: 'dedicated', operator: 'Exists' as const }] };
    expect(filterAll(plugin, nodes, existing, tolerated).results.a1!.code).toBe('Unschedulable');
  });

  it('counts only pods of the same namespace that match the selector, not terminating or finished ones', () => {
    const existing: PodOptions[] = [
      { ...webPod('same'), boundTo: 'a1' },
      { ...webPod('other-ns'), namespace: 'other', boundTo: 'b1' },
      { ...webPod('other-ns-2'), namespace: 'other', boundTo: 'b1' },
      { name: 'db', labels: { app: 'db' }, boundTo: 'b1' },
      { ...webPod('leaving'), deleting: true, boundTo: 'b1' },
      { ...webPod('done'), phase: 'Succeeded', boundTo: 'b1' },
      { ...webPod('failed'), phase: 'Failed', boundTo: 'b1' },
    ];
    const { results } = filterAll(plugin, [zoneNode('a1', 'a'), zoneNode('b1', 'b')], existing, webPod('x'));
    // Zone b counts 0, so zone a (1 + 1 - 0) is rejected and b passes.
    expect(results.a1!.code).toBe('Unschedulable');
    expect(results.b1!.code).toBe('Success');
  });

  it('counts pods assumed onto a node (not yet bound by the fold)', () => {
    const cluster = clusterState(threeZones);
    const assumed = new AssumedPods();
    for (const [i, node] of ['a1', 'a1'].entries()) {
      const pod = podRecord(webPod(`assumed-${i}`));
      cluster.pods.set(pod.key, pod);
      assumed.assume(pod, node);
    }
    const state = new CycleState();
    state.write(CLUSTER_PODS, cluster.pods);
    const pod = podRecord(webPod('x'));
    const nodes = buildNodeInfos(cluster, assumed);
    plugin.preFilter(state, pod, nodes);
    expect(nodes.map((n) => plugin.filter(state, pod, n).code)).toEqual(['Unschedulable', 'Success', 'Success']);
  });

  it('a pod that does not match its own selector does not count itself', () => {
    const pod: PodOptions = { name: 'x', labels: { app: 'other' }, topologySpreadConstraints: [spread()] };
    const { results } = filterAll(plugin, [zoneNode('a1', 'a'), zoneNode('b1', 'b')], bound({ a1: 1 }), pod);
    expect(results.a1!.code).toBe('Success'); // 1 + 0 - 0 <= 1
  });

  it('matchLabelKeys narrows the selector to pods with the same values of those labels', () => {
    const constraint = spread({ matchLabelKeys: ['pod-template-hash'] });
    const existing = bound({ a1: 2 }, (name) => ({ name, labels: { ...web, 'pod-template-hash': 'old' } }));
    const pod: PodOptions = { name: 'x', labels: { ...web, 'pod-template-hash': 'new' }, topologySpreadConstraints: [constraint] };
    expect(filterAll(plugin, threeZones, existing, pod).results.a1!.code).toBe('Success');
    const same: PodOptions = { ...pod, labels: { ...web, 'pod-template-hash': 'old' } };
    expect(filterAll(plugin, threeZones, existing, same).results.a1!.code).toBe('Unschedulable');
  });

  it('PreFilter skips a pod without DoNotSchedule constraints', () => {
    expect(filterAll(plugin, threeZones, [], { name: 'plain' }).pre.code).toBe('Skip');
    expect(filterAll(plugin, threeZones, [], webPod('soft', { topologySpreadConstraints: [spread({ whenUnsatisfiable: 'ScheduleAnyway' })] })).pre.code).toBe('Skip');
    // System defaults are all ScheduleAnyway: nothing to filter either.
    expect(filterAll(plugin, threeZones, [], { name: 'owned', ownerReferences: [controllerRef('rs-1')] }).pre.code).toBe('Skip');
  });

  it('Filter without its PreFilter state is an error', () => {
    const c = cycle(threeZones, [], webPod('x'));
    expect(plugin.filter(c.state, c.pod, c.nodes[0]!).code).toBe('Error');
  });
});

describe('PodTopologySpread with preemption (what-if views of a node)', () => {
  it('a higher-priority replica evicts a lower-priority matching pod to keep the skew', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    // Zone a holds 2 low-priority matching pods, zone b 1: a and b reject (skew), c is full.
    const nodes = [zoneNode('a1', 'a'), zoneNode('b1', 'b'), zoneNode('c1', 'c', { pods: 1 })];
    const existing: PodOptions[] = [
      { ...webPod('low-a1'), priority: 0, boundTo: 'a1' },
      { ...webPod('low-a2'), priority: 0, boundTo: 'a1' },
      { ...webPod('low-b'), priority: 0, boundTo: 'b1' },
      { name: 'filler', priority: 2000, boundTo: 'c1' },
    ];
    const cluster = clusterState(nodes, existing);
    const pod = podRecord(webPod('high', { priority: 1000, topologySpreadConstraints: [spread({ maxSkew: 1 })] }));
    const result = framework.schedulePod({ pod, nodes: buildNodeInfos(cluster, new AssumedPods()), pods: cluster.pods });
    expect(result.feasible).toBe(false);
    // On b1, evicting low-b gives b 0 + 1 - 0 = 1 <= 1; on a1 both would have to go.
    expect(result.nominatedNodeName).toBe('b1');
    expect(result.victims?.map((v) => v.name)).toEqual(['low-b']);
  });
});

describe('PodTopologySpread Score (ScheduleAnyway)', () => {
  const plugin = new PodTopologySpread();
  const soft = (overrides: Partial<TopologySpreadConstraint> = {}) => webPod('x', { topologySpreadConstraints: [spread({ whenUnsatisfiable: 'ScheduleAnyway', ...overrides })] });

  it('scores zones with fewer matching pods higher: c (0) > b (1) > a (2)', () => {
    const { raw, normalized } = scoreAll(plugin, threeZones, bound({ a1: 2, b1: 1 }), soft());
    // count * ln(3 domains + 2) + (maxSkew - 1), rounded: a 3.22 -> 3, b 1.61 -> 2, c 0.
    expect(raw).toEqual({ a1: 3, b1: 2, c1: 0 });
    // 100 * (max + min - score) / max.
    expect(normalized).toEqual({ a1: 0, b1: 33, c1: 100 });
  });

  it('through the framework, the emptiest zone wins even against more free room elsewhere', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    const nodes = [zoneNode('a1', 'a', { cpu: '8' }), zoneNode('b1', 'b'), zoneNode('c1', 'c')];
    const cluster = clusterState(nodes, bound({ a1: 2, b1: 1 }));
    const pod = podRecord(soft());
    const result = framework.schedulePod({ pod, nodes: buildNodeInfos(cluster, new AssumedPods()), pods: cluster.pods });
    expect(result.nodeName).toBe('c1');
  });

  it('gives every node 100 when nothing matches, and a bigger maxSkew waters differences down', () => {
    expect(scoreAll(plugin, threeZones, [], soft()).normalized).toEqual({ a1: 100, b1: 100, c1: 100 });
    const { raw, normalized } = scoreAll(plugin, threeZones, bound({ a1: 2, b1: 1 }), soft({ maxSkew: 5 }));
    expect(raw).toEqual({ a1: 7, b1: 6, c1: 4 });
    expect(normalized).toEqual({ a1: 57, b1: 71, c1: 100 });
  });

  it('ignores (score 0) feasible nodes missing a topology key of explicit constraints', () => {
    const nodes = [...threeZones, zoneNode('bare', undefined)];
    const { normalized } = scoreAll(plugin, nodes, bound({ a1: 2, b1: 1 }), soft());
    expect(normalized).toEqual({ a1: 0, b1: 33, c1: 100, bare: 0 });
  });

  it('counts pods on infeasible nodes of a scored zone', () => {
    const nodes = [zoneNode('a1', 'a'), zoneNode('a2', 'a'), zoneNode('b1', 'b')];
    const { normalized } = scoreAll(plugin, nodes, bound({ a2: 2 }), soft(), ['a1', 'b1']);
    expect(normalized.a1).toBeLessThan(normalized.b1!);
  });

  it('counts per node for kubernetes.io/hostname', () => {
    const nodes = [zoneNode('a1', 'a'), zoneNode('a2', 'a')];
    const { raw, normalized } = scoreAll(plugin, nodes, bound({ a1: 1 }), soft({ topologyKey: LABEL_HOSTNAME }));
    // 1 * ln(2 nodes + 2) = 1.39 -> 1.
    expect(raw).toEqual({ a1: 1, a2: 0 });
    expect(normalized).toEqual({ a1: 0, a2: 100 });
  });

  it('PreScore skips a pod with only DoNotSchedule constraints, or none and no controller', () => {
    expect(scoreAll(plugin, threeZones, [], webPod('hard')).pre.code).toBe('Skip');
    expect(scoreAll(plugin, threeZones, [], { name: 'plain', labels: web }).pre.code).toBe('Skip');
  });
});

describe('PodTopologySpread system default constraints', () => {
  const plugin = new PodTopologySpread();
  const owned = (name: string, uid = 'rs-1'): PodOptions => ({ name, labels: web, ownerReferences: [controllerRef(uid)] });
  const nodes = [zoneNode('n1', 'a'), zoneNode('n2', 'a'), zoneNode('n3', 'b')];

  it('spread a controller\'s pods: hostname maxSkew 3 and zone maxSkew 5, counting pods with the same controller', () => {
    const existing: PodOptions[] = [
      { ...owned('r-1'), boundTo: 'n1' },
      { ...owned('r-2'), boundTo: 'n1' },
      { ...owned('r-3'), boundTo: 'n3' },
      // Same labels, another controller: not counted.
      { ...owned('o-1', 'rs-2'), boundTo: 'n2' },
      { ...owned('o-2', 'rs-2'), boundTo: 'n2' },
    ];
    const { raw, normalized } = scoreAll(plugin, nodes, existing, owned('new'));
    // hostname: count * ln(3 + 2) + 2; zone: count * ln(2 + 2) + 4.
    // n1: 2*1.609+2 + 2*1.386+4 = 11.99 -> 12; n2: 2 + 6.77 = 8.77 -> 9; n3: 3.61 + 5.39 = 9.
    expect(raw).toEqual({ n1: 12, n2: 9, n3: 9 });
    expect(normalized).toEqual({ n1: 75, n2: 100, n3: 100 });
  });

  it('apply only when the pod has no constraints of its own, and only with a controller', () => {
    expect(scoreAll(plugin, nodes, [], { name: 'free', labels: web }).pre.code).toBe('Skip');
    const notController: PodOptions = { name: 'x', ownerReferences: [{ ...controllerRef('rs-1'), controller: false }] };
    expect(scoreAll(plugin, nodes, [], notController).pre.code).toBe('Skip');
    const own = { ...owned('x'), topologySpreadConstraints: [spread()] };
    expect(scoreAll(plugin, nodes, [], own).pre.code).toBe('Skip'); // its DoNotSchedule constraint replaces the defaults
  });

  it('do not require every key: nodes without a zone label still get hostname spreading', () => {
    const mixed = [zoneNode('n1', 'a'), zoneNode('bare', undefined)];
    const { normalized } = scoreAll(plugin, mixed, [{ ...owned('r-1'), boundTo: 'n1' }], owned('new'));
    expect(normalized.bare).toBeGreaterThan(normalized.n1!);
  });

  it('spread a ReplicaSet over nodes through the framework', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    const cluster = clusterState([zoneNode('n1', 'a'), zoneNode('n2', 'b')]);
    const assumed = new AssumedPods();
    const chosen: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const pod: PodRecord = podRecord({ ...owned(`r-${i}`), cpu: '100m' });
      cluster.pods.set(pod.key, pod);
      const result = framework.schedulePod({ pod, nodes: buildNodeInfos(cluster, assumed), pods: cluster.pods });
      assumed.assume(pod, result.nodeName!);
      chosen.push(result.nodeName!);
    }
    expect(chosen.filter((n) => n === 'n1')).toHaveLength(2);
  });

  it('defaultingType List uses the given constraints; System forbids any', () => {
    const list = new PodTopologySpread(
      PodTopologySpreadArgsSchema.parse({ defaultingType: 'List', defaultConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule' }] }),
    );
    const { results } = filterAll(list, [zoneNode('a1', 'a'), zoneNode('b1', 'b')], [{ ...owned('r-1'), boundTo: 'a1' }], owned('new'));
    expect(results.a1!.code).toBe('Unschedulable');
    expect(results.b1!.code).toBe('Success');
    const none = new PodTopologySpread(PodTopologySpreadArgsSchema.parse({ defaultingType: 'List' }));
    expect(scoreAll(none, nodes, [], owned('new')).pre.code).toBe('Skip');
    expect(() => newPodTopologySpread({ defaultConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'ScheduleAnyway' }] }, { schedulerName: 's' })).toThrow();
    expect(() =>
      newPodTopologySpread(
        { defaultingType: 'List', defaultConstraints: [{ maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: {} }] },
        { schedulerName: 's' },
      ),
    ).toThrow(/must not define a selector/);
  });

  it('declares the cluster events that can undo its rejections', () => {
    expect(plugin.requeueOn).toEqual(['NodeAdded', 'NodeUpdated', 'PodDeleted', 'PodReleased']);
  });
});
