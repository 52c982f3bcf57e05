import { describe, expect, it } from 'vitest';
import { AssumedPods } from '../framework/assumed-pods.ts';
import { CLUSTER_PODS, CycleState } from '../framework/cycle-state.ts';
import { NodeInfoOverlay } from '../framework/node-info-overlay.ts';
import { NodeInfoCache, buildNodeInfos } from '../framework/node-info.ts';
import type { NodeInfo } from '../framework/types.ts';
import { clusterState, podRecord } from '../test-support/fixtures.ts';
import {
  ALL_NODES,
  affinityPods,
  affinityTermGroups,
  allNodes,
  countsOnNodes,
  domainCounts,
  domainTotals,
  isDeleting,
  isTerminal,
  rememberAllNodes,
  viewChanges,
  viewTracker,
} from './placed-pods.ts';
import type { PodPredicate } from './placed-pods.ts';

const anti = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: {}, topologyKey: 'h' }] } };
const preferred = { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: { labelSelector: {}, topologyKey: 'h' } }] } };

function setup() {
  const cluster = clusterState(
    [{ name: 'n1' }, { name: 'n2' }, { name: 'n3' }],
    [
      { name: 'a', boundTo: 'n1' },
      { name: 'anti', boundTo: 'n1', affinity: anti },
      { name: 'pref', boundTo: 'n2', affinity: preferred },
      { name: 'done', boundTo: 'n2', phase: 'Succeeded', affinity: anti },
      { name: 'leaving', boundTo: 'n2', deleting: true },
      { name: 'plain', boundTo: 'n3' },
    ],
  );
  const state = new CycleState();
  state.write(CLUSTER_PODS, cluster.pods);
  return { cluster, state, nodes: buildNodeInfos(cluster, new AssumedPods()) };
}

describe('countsOnNodes', () => {
  let serial = 0;
  const everyPod = (calls: string[] = []): PodPredicate => {
    serial += 1;
    const signature = `every-${serial}`;
    return {
      signature,
      matches: (pod) => {
        calls.push(pod.key);
        return true;
      },
    };
  };

  it('counts the pods of each node a predicate selects, without terminal pods or unknown keys', () => {
    const { cluster, nodes } = setup();
    (nodes[1]!.podKeys as Set<string>).add('default/ghost');
    expect(countsOnNodes(nodes, everyPod(), cluster.pods)).toEqual([2, 2, 1]);
  });

  it('reuses the counts of nodes whose generation did not change (NodeInfoCache), and counts changed nodes again', () => {
    const { cluster } = setup();
    const assumed = new AssumedPods();
    const cache = new NodeInfoCache(cluster, assumed);
    const calls: string[] = [];
    const predicate = everyPod(calls);
    expect(countsOnNodes(cache.nodes(), predicate, cluster.pods)).toEqual([2, 2, 1]);
    expect(countsOnNodes(cache.nodes(), predicate, cluster.pods)).toEqual([2, 2, 1]);
    expect(calls).toHaveLength(5); // the second answer came from the cache
    const extra = podRecord({ name: 'extra' });
    cluster.pods.set(extra.key, extra);
    assumed.assume(extra, 'n1');
    expect(countsOnNodes(cache.nodes(), predicate, cluster.pods)).toEqual([3, 2, 1]);
    expect(calls).toHaveLength(8); // n1 only
    cache.close();
  });

  it('keeps nothing for NodeInfo objects without a generation', () => {
    const { cluster, nodes } = setup();
    const calls: string[] = [];
    const predicate = everyPod(calls);
    countsOnNodes(nodes, predicate, cluster.pods);
    countsOnNodes(nodes, predicate, cluster.pods);
    expect(calls).toHaveLength(10);
  });
});

describe('domainCounts', () => {
  const zoneOf = (n: NodeInfo): string | undefined => n.node.metadata.labels?.zone;
  /** A NodeInfo with a generation, as NodeInfoCache hands out. */
  const withGeneration = (info: NodeInfo, generation: number, labels?: Record<string, string>): NodeInfo => ({
    name: info.name,
    node: labels === undefined ? info.node : { ...info.node, metadata: { ...info.node.metadata, labels } },
    allocatable: info.allocatable,
    requested: info.requested,
    nonZeroRequested: info.nonZeroRequested,
    hostPorts: info.hostPorts,
    podKeys: info.podKeys,
    assumedPodKeys: info.assumedPodKeys,
    generation,
  });

  it('sums matching pods per domain over the nodes with the keys, and follows nodes that change', () => {
    const cluster = clusterState(
      [
        { name: 'n1', labels: { zone: 'a' } },
        { name: 'n2', labels: { zone: 'a' } },
        { name: 'n3', labels: { zone: 'b' } },
        { name: 'bare' },
      ],
      [
        { name: 'p1', labels: { app: 'web' }, boundTo: 'n1' },
        { name: 'p2', labels: { app: 'web' }, boundTo: 'n2' },
        { name: 'p3', labels: { app: 'db' }, boundTo: 'n3' },
        { name: 'p4', labels: { app: 'web' }, boundTo: 'bare' },
      ],
    );
    const web: PodPredicate = { signature: 'test-domain-web', matches: (pod) => pod.pod.metadata.labels?.app === 'web' };
    const base = buildNodeInfos(cluster, new AssumedPods());
    let nodes = base.map((n, i) => withGeneration(n, 1000 + i));
    expect(Object.fromEntries(domainCounts(nodes, web, 'zone', ['zone'], cluster.pods))).toEqual({ a: 2, b: 0 });
    // Without required keys, a node without the label is in the '' domain.
    expect(Object.fromEntries(domainCounts(nodes, web, 'zone', [], cluster.pods))).toEqual({ a: 2, b: 0, '': 1 });
    // n2 moves to zone b (a new generation): its pod moves with it.
    nodes = nodes.map((n, i) => (n.name === 'n2' ? withGeneration(base[i]!, 2000, { zone: 'b' }) : n));
    expect(nodes.map(zoneOf)).toEqual(['a', 'b', 'b', undefined]);
    expect(Object.fromEntries(domainCounts(nodes, web, 'zone', ['zone'], cluster.pods))).toEqual({ a: 1, b: 1 });
    // n1 loses its zone label: zone a has no node left, so it is no domain any more.
    nodes = nodes.map((n) => (n.name === 'n1' ? withGeneration(base[0]!, 3000, {}) : n));
    expect(Object.fromEntries(domainCounts(nodes, web, 'zone', ['zone'], cluster.pods))).toEqual({ b: 1 });
    // A list of another length starts over.
    expect(Object.fromEntries(domainCounts(nodes.slice(0, 3), web, 'zone', ['zone'], cluster.pods))).toEqual({ b: 1 });
  });
});

describe('cycle helpers', () => {
  it('tells terminal and deleting pods apart', () => {
    const { cluster } = setup();
    expect(isTerminal(cluster.pods.get('default/done')!)).toBe(true);
    expect(isDeleting(cluster.pods.get('default/leaving')!)).toBe(true);
    expect(isDeleting(cluster.pods.get('default/a')!)).toBe(false);
  });

  it('remembers the first node list of the cycle (PreFilter\'s, all nodes) for PreScore', () => {
    const { state, nodes } = setup();
    expect(allNodes(state, [nodes[0]!])).toEqual([nodes[0]]);
    rememberAllNodes(state, nodes);
    rememberAllNodes(state, [nodes[0]!]);
    expect(state.read(ALL_NODES)).toBe(nodes);
    expect(allNodes(state, [nodes[0]!])).toBe(nodes);
  });
});

describe('affinityPods', () => {
  it('lists only pods with pod (anti-)affinity terms, from NodeInfo.podsWithAffinity', () => {
    const { state, nodes } = setup();
    expect(nodes.map((n) => [...(n.podsWithAffinity ?? [])])).toEqual([['default/anti'], ['default/pref', 'default/done'], []]);
    const found = affinityPods(state, podRecord({ name: 'new' }), nodes);
    expect(found.pods.map((p) => p.pod.metadata.name)).toEqual(['anti', 'pref']);
    expect(found.nodeIndex).toEqual([0, 1]);
    expect(found.withRequiredAntiAffinity).toEqual([0]);
  });

  it('looks at every pod of a node whose provider does not keep podsWithAffinity', () => {
    const { state, nodes } = setup();
    const bare: NodeInfo[] = nodes.map((n) => ({
      name: n.name,
      node: n.node,
      allocatable: n.allocatable,
      requested: n.requested,
      nonZeroRequested: n.nonZeroRequested,
      hostPorts: n.hostPorts,
      podKeys: n.podKeys,
      assumedPodKeys: n.assumedPodKeys,
    }));
    expect(affinityPods(state, podRecord({ name: 'new' }), bare).pods.map((p) => p.pod.metadata.name)).toEqual(['anti', 'pref']);
  });
});

describe('domainTotals', () => {
  it('sums matching pods per value of the key over the nodes with it, follows changed nodes, and leaves maps handed out alone', () => {
    const cluster = clusterState(
      [{ name: 'n1', labels: { zone: 'a' } }, { name: 'n2', labels: { zone: 'a' } }, { name: 'n3', labels: { zone: 'b' } }, { name: 'bare' }],
      [
        { name: 'p1', labels: { app: 'web' }, boundTo: 'n1' },
        { name: 'p2', labels: { app: 'web' }, boundTo: 'n2' },
        { name: 'p3', labels: { app: 'db' }, boundTo: 'n3' },
        { name: 'p4', labels: { app: 'web' }, boundTo: 'bare' },
      ],
    );
    const web: PodPredicate = { signature: 'test-totals-web', matches: (pod) => pod.pod.metadata.labels?.app === 'web' };
    const assumed = new AssumedPods();
    const cache = new NodeInfoCache(cluster, assumed);
    const first = domainTotals(cache.nodes(), web, 'zone', cluster.pods);
    expect(Object.fromEntries(first)).toEqual({ a: 2 }); // b has no match; the bare node has no zone
    const extra = podRecord({ name: 'extra', labels: { app: 'web' } });
    cluster.pods.set(extra.key, extra);
    assumed.assume(extra, 'n3');
    expect(Object.fromEntries(domainTotals(cache.nodes(), web, 'zone', cluster.pods))).toEqual({ a: 2, b: 1 });
    expect(Object.fromEntries(first)).toEqual({ a: 2 });
    cache.close();
  });
});

describe('affinityTermGroups', () => {
  const antiHost = { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: 'h' }] } };

  it('groups existing pods\' terms by what they select, per topology value, leaving out the incoming pod and terminal pods', () => {
    const cluster = clusterState(
      [{ name: 'n1', labels: { h: 'x' } }, { name: 'n2', labels: { h: 'x' } }, { name: 'n3', labels: { h: 'y' } }, { name: 'bare' }],
      [
        { name: 'w1', labels: { app: 'web' }, boundTo: 'n1', affinity: antiHost },
        { name: 'me', labels: { app: 'web' }, boundTo: 'n1', affinity: antiHost },
        { name: 'w2', labels: { app: 'web' }, boundTo: 'n2', affinity: antiHost },
        { name: 'w3', labels: { app: 'web' }, boundTo: 'n3', affinity: antiHost },
        { name: 'done', boundTo: 'n3', phase: 'Succeeded', affinity: antiHost },
        { name: 'w4', labels: { app: 'web' }, boundTo: 'bare', affinity: antiHost },
        { name: 'p', boundTo: 'n3', affinity: preferred },
      ],
    );
    const assumed = new AssumedPods();
    const cache = new NodeInfoCache(cluster, assumed);
    const cycle = (): CycleState => {
      const state = new CycleState();
      state.write(CLUSTER_PODS, cluster.pods);
      return state;
    };
    const me = cluster.pods.get('default/me')!;
    const first = affinityTermGroups(cycle(), me, cache.nodes());
    expect(first.requiredAntiAffinity).toHaveLength(1);
    expect(Object.fromEntries(first.requiredAntiAffinity[0]!.counts)).toEqual({ x: 2, y: 1 });
    expect(first.preferredAffinity.map((g) => Object.fromEntries(g.counts))).toEqual([{ y: 1 }]);
    expect(first.requiredAffinity).toEqual([]);
    const other = podRecord({ name: 'other' });
    expect(Object.fromEntries(affinityTermGroups(cycle(), other, cache.nodes()).requiredAntiAffinity[0]!.counts)).toEqual({ x: 3, y: 1 });
    const extra = podRecord({ name: 'extra', labels: { app: 'web' }, affinity: antiHost });
    cluster.pods.set(extra.key, extra);
    assumed.assume(extra, 'n3');
    expect(Object.fromEntries(affinityTermGroups(cycle(), other, cache.nodes()).requiredAntiAffinity[0]!.counts)).toEqual({ x: 3, y: 2 });
    expect(Object.fromEntries(first.requiredAntiAffinity[0]!.counts)).toEqual({ x: 2, y: 1 });
    cache.close();
  });
});

describe('viewChanges', () => {
  it('nothing for the nodes PreFilter saw; the pods removed and added on a what-if view', () => {
    const { cluster, state, nodes } = setup();
    const incoming = podRecord({ name: 'new' });
    const tracker = viewTracker(nodes);
    expect(viewChanges(state, tracker, nodes[0]!, incoming)).toBeUndefined();
    const view = new NodeInfoOverlay(nodes[0]!);
    expect(viewChanges(state, tracker, view, incoming)).toEqual({ removed: [], added: [] });
    view.removePod(cluster.pods.get('default/a')!);
    view.addPod(cluster.pods.get('default/pref')!);
    const changes = viewChanges(state, tracker, view, incoming)!;
    expect(changes.removed.map((p) => p.pod.metadata.name)).toEqual(['a']);
    expect(changes.added.map((p) => p.pod.metadata.name)).toEqual(['pref']);
    // An overlay PreFilter itself was given (nominated pods added) is not a what-if view.
    expect(viewChanges(state, viewTracker([view]), view, incoming)).toBeUndefined();
  });
});
