import { describe, expect, it } from 'vitest';
import type { Affinity, PodAffinityTerm } from '@flotilla/model';
import { AssumedPods } from '../framework/assumed-pods.ts';
import { CLUSTER_PODS, CycleState } from '../framework/cycle-state.ts';
import { createFramework } from '../framework/framework.ts';
import { NodeInfoCache, buildNodeInfos } from '../framework/node-info.ts';
import { DEFAULT_PROFILE } from '../framework/profile.ts';
import type { NodeInfo, NodeScore } from '../framework/types.ts';
import { clusterState, podRecord } from '../test-support/fixtures.ts';
import type { NodeOptions, PodOptions } from '../test-support/fixtures.ts';
import {
  ERR_REASON_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH,
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
  InterPodAffinity,
  InterPodAffinityArgsSchema,
  newInterPodAffinity,
} from './inter-pod-affinity.ts';

const HOSTNAME = 'kubernetes.io/hostname';
const ZONE = 'topology.kubernetes.io/zone';

function node(name: string, zone?: string): NodeOptions {
  return { name, labels: { [HOSTNAME]: name, ...(zone !== undefined ? { [ZONE]: zone } : {}) } };
}

const term = (app: string, topologyKey: string, extra: Partial<PodAffinityTerm> = {}): PodAffinityTerm => ({
  labelSelector: { matchLabels: { app } },
  topologyKey,
  ...extra,
});

const requiredAffinity = (...terms: PodAffinityTerm[]): Affinity => ({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } });
const requiredAnti = (...terms: PodAffinityTerm[]): Affinity => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } });

function cycle(nodes: NodeOptions[], existing: PodOptions[], pod: PodOptions) {
  const cluster = clusterState(nodes, existing);
  const state = new CycleState();
  state.write(CLUSTER_PODS, cluster.pods);
  return { state, nodes: buildNodeInfos(cluster, new AssumedPods()), pod: podRecord(pod) };
}

function filterAll(plugin: InterPodAffinity, nodes: NodeOptions[], existing: PodOptions[], pod: PodOptions) {
  const c = cycle(nodes, existing, pod);
  const pre = plugin.preFilter(c.state, c.pod, c.nodes);
  const results = pre.code === 'Success' ? Object.fromEntries(c.nodes.map((n) => [n.name, plugin.filter(c.state, c.pod, n)])) : {};
  return { pre, results, codes: Object.fromEntries(Object.entries(results).map(([n, s]) => [n, s.code])) };
}

function scoreAll(plugin: InterPodAffinity, nodes: NodeOptions[], existing: PodOptions[], pod: PodOptions, feasible?: string[]) {
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

const plugin = new InterPodAffinity();

describe('InterPodAffinity: required anti-affinity', () => {
  const replica = (name: string): PodOptions => ({ name, labels: { app: 'web' }, cpu: '100m', affinity: requiredAnti(term('web', HOSTNAME)) });

  it('never puts two replicas on the same node, and explains a third that fits nowhere', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    const cluster = clusterState([node('n1', 'a'), node('n2', 'a')]);
    const assumed = new AssumedPods();
    const schedule = (name: string) => {
      const pod = podRecord(replica(name));
      cluster.pods.set(pod.key, pod);
      const result = framework.schedulePod({ pod, nodes: buildNodeInfos(cluster, assumed), pods: cluster.pods });
      if (result.nodeName !== undefined) assumed.assume(pod, result.nodeName);
      return result;
    };
    const first = schedule('web-1');
    const second = schedule('web-2');
    expect(new Set([first.nodeName, second.nodeName])).toEqual(new Set(['n1', 'n2']));
    const third = schedule('web-3');
    expect(third.feasible).toBe(false);
    // DefaultPreemption (same priority: no victims) appends its own sentence after the filters' one.
    expect(third.message).toMatch(/^0\/2 nodes are available: 2 node\(s\) didn't match pod anti-affinity rules\.( preemption: .*)?$/);
    expect(third.unschedulablePlugins).toEqual(['InterPodAffinity']);
  });

  it('keeps replicas apart over NodeInfoCache too (counts kept across attempts)', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    const cluster = clusterState([node('n1', 'a'), node('n2', 'a'), node('n3', 'b')]);
    const assumed = new AssumedPods();
    const cache = new NodeInfoCache(cluster, assumed);
    const placed: Array<string | undefined> = [];
    for (let i = 0; i < 4; i += 1) {
      const pod = podRecord(replica(`cached-${i}`));
      cluster.pods.set(pod.key, pod);
      const result = framework.schedulePod({ pod, nodes: cache.nodes(), pods: cluster.pods });
      if (result.nodeName !== undefined) assumed.assume(pod, result.nodeName);
      placed.push(result.nodeName);
    }
    cache.close();
    expect(new Set(placed.slice(0, 3))).toEqual(new Set(['n1', 'n2', 'n3']));
    expect(placed[3]).toBeUndefined();
  });

  it('rejects (Unschedulable, preemption may help) only the nodes of a domain holding a matching pod', () => {
    const nodes = [node('n1', 'a'), node('n2', 'a'), node('n3', 'b')];
    const zoneAnti = { name: 'x', labels: { app: 'web' }, affinity: requiredAnti(term('web', ZONE)) };
    const { results } = filterAll(plugin, nodes, [{ name: 'w', labels: { app: 'web' }, boundTo: 'n1' }], zoneAnti);
    expect(results.n1).toEqual({ code: 'Unschedulable', reasons: [ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH], plugin: 'InterPodAffinity' });
    expect(results.n2!.code).toBe('Unschedulable');
    expect(results.n3!.code).toBe('Success');
  });

  it('passes a node without the term\'s topology key', () => {
    const { codes } = filterAll(plugin, [node('n1', 'a'), node('bare')], [{ name: 'w', labels: { app: 'web' }, boundTo: 'bare' }], {
      name: 'x',
      affinity: requiredAnti(term('web', ZONE)),
    });
    expect(codes).toEqual({ n1: 'Success', bare: 'Success' });
  });

  it('symmetry: an existing pod\'s anti-affinity keeps the incoming pod out of its domain', () => {
    const nodes = [node('n1', 'a'), node('n2', 'a'), node('n3', 'b')];
    const db: PodOptions = { name: 'db', labels: { app: 'db' }, boundTo: 'n1', affinity: requiredAnti(term('web', ZONE)) };
    const { pre, results } = filterAll(plugin, nodes, [db], { name: 'web', labels: { app: 'web' } });
    expect(pre.code).toBe('Success');
    expect(results.n1).toEqual({ code: 'Unschedulable', reasons: [ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH], plugin: 'InterPodAffinity' });
    expect(results.n2!.code).toBe('Unschedulable');
    expect(results.n3!.code).toBe('Success');
    // A pod the term does not select is not affected (and PreFilter has nothing to check).
    expect(filterAll(plugin, nodes, [db], { name: 'api', labels: { app: 'api' } }).pre.code).toBe('Skip');
  });

  it('symmetry respects the existing pod\'s namespace: its term defaults to its own namespace', () => {
    const db: PodOptions = { name: 'db', namespace: 'data', labels: { app: 'db' }, boundTo: 'n1', affinity: requiredAnti(term('web', HOSTNAME)) };
    expect(filterAll(plugin, [node('n1')], [db], { name: 'web', labels: { app: 'web' } }).pre.code).toBe('Skip');
    expect(filterAll(plugin, [node('n1')], [db], { name: 'web', namespace: 'data', labels: { app: 'web' } }).codes).toEqual({ n1: 'Unschedulable' });
  });

  it('mismatchLabelKeys: anti-affinity only against pods with another value of the key', () => {
    const tenantAnti = (name: string, tenant: string): PodOptions => ({
      name,
      labels: { app: 'web', tenant },
      affinity: requiredAnti({ labelSelector: { matchLabels: { app: 'web' } }, topologyKey: HOSTNAME, mismatchLabelKeys: ['tenant'] }),
    });
    const existing = [{ ...tenantAnti('t1', 'blue'), boundTo: 'n1' }];
    expect(filterAll(plugin, [node('n1')], existing, tenantAnti('x', 'blue')).codes).toEqual({ n1: 'Success' });
    expect(filterAll(plugin, [node('n1')], existing, tenantAnti('x', 'red')).codes).toEqual({ n1: 'Unschedulable' });
  });

  it('counts terminating pods (as kube-scheduler does) but not finished ones', () => {
    const pod = { name: 'x', affinity: requiredAnti(term('web', HOSTNAME)) };
    const leaving = { name: 'w', labels: { app: 'web' }, boundTo: 'n1', deleting: true };
    expect(filterAll(plugin, [node('n1')], [leaving], pod).codes).toEqual({ n1: 'Unschedulable' });
    const done = { name: 'w', labels: { app: 'web' }, boundTo: 'n1', phase: 'Succeeded' as const };
    expect(filterAll(plugin, [node('n1')], [done], pod).codes).toEqual({ n1: 'Success' });
  });
});

describe('InterPodAffinity with preemption (what-if views of a node)', () => {
  it('a higher-priority pod evicts the lower-priority pod its anti-affinity conflicts with', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    const cluster = clusterState(
      [node('n1', 'a'), node('n2', 'a')],
      [
        { name: 'batch-1', labels: { app: 'batch' }, priority: 0, boundTo: 'n1' },
        { name: 'batch-2', labels: { app: 'batch' }, priority: 0, boundTo: 'n2' },
        { name: 'other', labels: { app: 'other' }, priority: 0, boundTo: 'n2' },
      ],
    );
    const pod = podRecord({ name: 'web', priority: 1000, affinity: requiredAnti(term('batch', HOSTNAME)) });
    const result = framework.schedulePod({ pod, nodes: buildNodeInfos(cluster, new AssumedPods()), pods: cluster.pods });
    expect(result.feasible).toBe(false);
    expect(['n1', 'n2']).toContain(result.nominatedNodeName);
    // Only the conflicting pod is a victim; `other` is reprieved.
    expect(result.victims?.map((v) => v.name)).toEqual([result.nominatedNodeName === 'n1' ? 'batch-1' : 'batch-2']);
  });

  it('an existing lower-priority pod whose anti-affinity rejects the incoming pod can be preempted (symmetry)', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    const cluster = clusterState(
      [node('n1')],
      [{ name: 'loner', labels: { app: 'loner' }, priority: 0, boundTo: 'n1', affinity: requiredAnti(term('web', HOSTNAME)) }],
    );
    const pod = podRecord({ name: 'web', labels: { app: 'web' }, priority: 1000 });
    const result = framework.schedulePod({ pod, nodes: buildNodeInfos(cluster, new AssumedPods()), pods: cluster.pods });
    expect(result.nominatedNodeName).toBe('n1');
    expect(result.victims?.map((v) => v.name)).toEqual(['loner']);
  });

  it('preemption cannot create the pod a required affinity needs: not helpful', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    const cluster = clusterState([node('n1', 'a')], [{ name: 'low', priority: 0, boundTo: 'n1' }]);
    const pod = podRecord({ name: 'web', priority: 1000, affinity: requiredAffinity(term('cache', ZONE)) });
    const result = framework.schedulePod({ pod, nodes: buildNodeInfos(cluster, new AssumedPods()), pods: cluster.pods });
    expect(result.nominatedNodeName ?? '').toBe('');
    expect(result.victims ?? []).toEqual([]);
  });
});

describe('InterPodAffinity: required affinity', () => {
  const nodes = [node('n1', 'a'), node('n2', 'a'), node('n3', 'b'), node('n4', 'b')];
  const cache: PodOptions = { name: 'cache', labels: { app: 'cache' }, boundTo: 'n3' };

  it('places a pod in the zone of another app (any node of that zone)', () => {
    const { results } = filterAll(plugin, nodes, [cache], { name: 'web', labels: { app: 'web' }, affinity: requiredAffinity(term('cache', ZONE)) });
    expect(results.n1).toEqual({ code: 'UnschedulableAndUnresolvable', reasons: [ERR_REASON_AFFINITY_RULES_NOT_MATCH], plugin: 'InterPodAffinity' });
    expect(results.n2!.code).toBe('UnschedulableAndUnresolvable');
    expect(results.n3!.code).toBe('Success');
    expect(results.n4!.code).toBe('Success');
  });

  it('through the framework: 0/4 when no pod of the other app exists and the pod is not one itself', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    const cluster = clusterState(nodes);
    const pod = podRecord({ name: 'web', labels: { app: 'web' }, affinity: requiredAffinity(term('cache', ZONE)) });
    const result = framework.schedulePod({ pod, nodes: buildNodeInfos(cluster, new AssumedPods()), pods: cluster.pods });
    expect(result.message).toMatch(/^0\/4 nodes are available: 4 node\(s\) didn't match pod affinity rules\.( preemption: .*)?$/);
    const placed = framework.schedulePod({ pod, nodes: buildNodeInfos(clusterState(nodes, [cache]), new AssumedPods()), pods: clusterState(nodes, [cache]).pods });
    expect(['n3', 'n4']).toContain(placed.nodeName);
  });

  it('first-pod rule: a pod affine to its own group goes anywhere (with the key) while the group has no pod', () => {
    const self = (name: string): PodOptions => ({ name, labels: { app: 'web' }, affinity: requiredAffinity(term('web', ZONE)) });
    const withKeys = [...nodes, node('bare')];
    expect(filterAll(plugin, withKeys, [], self('w1')).codes).toEqual({ n1: 'Success', n2: 'Success', n3: 'Success', n4: 'Success', bare: 'UnschedulableAndUnresolvable' });
    // Once one exists, the group is pulled to its zone.
    expect(filterAll(plugin, nodes, [{ ...self('w0'), boundTo: 'n2' }], self('w1')).codes).toEqual({ n1: 'Success', n2: 'Success', n3: 'UnschedulableAndUnresolvable', n4: 'UnschedulableAndUnresolvable' });
    // A matching pod on a node without the key does not count, so the rule still applies.
    expect(filterAll(plugin, withKeys, [{ ...self('w0'), boundTo: 'bare' }], self('w1')).codes.n1).toBe('Success');
  });

  it('needs one existing pod matching every term at once', () => {
    const pod: PodOptions = { name: 'x', affinity: requiredAffinity(term('cache', ZONE), { labelSelector: { matchLabels: { tier: 'hot' } }, topologyKey: ZONE }) };
    const split: PodOptions[] = [
      { name: 'c', labels: { app: 'cache' }, boundTo: 'n1' },
      { name: 'h', labels: { tier: 'hot' }, boundTo: 'n2' },
    ];
    expect(Object.values(filterAll(plugin, nodes, split, pod).codes)).toEqual(Array(4).fill('UnschedulableAndUnresolvable'));
    const both = [{ name: 'ch', labels: { app: 'cache', tier: 'hot' }, boundTo: 'n4' }];
    expect(filterAll(plugin, nodes, both, pod).codes).toEqual({ n1: 'UnschedulableAndUnresolvable', n2: 'UnschedulableAndUnresolvable', n3: 'Success', n4: 'Success' });
  });

  it('looks in the pod\'s own namespace by default, in `namespaces`, or by namespaceSelector', () => {
    const elsewhere: PodOptions = { ...cache, namespace: 'infra' };
    const pod = (extra: Partial<PodAffinityTerm>): PodOptions => ({ name: 'web', affinity: requiredAffinity(term('cache', ZONE, extra)) });
    expect(filterAll(plugin, nodes, [elsewhere], pod({})).codes.n3).toBe('UnschedulableAndUnresolvable');
    expect(filterAll(plugin, nodes, [elsewhere], pod({ namespaces: ['infra'] })).codes.n3).toBe('Success');
    expect(filterAll(plugin, nodes, [elsewhere], pod({ namespaces: ['other'] })).codes.n3).toBe('UnschedulableAndUnresolvable');
    expect(filterAll(plugin, nodes, [elsewhere], pod({ namespaceSelector: {} })).codes.n3).toBe('Success');
    const byName = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'infra' } } };
    expect(filterAll(plugin, nodes, [elsewhere], pod(byName)).codes.n3).toBe('Success');
    // namespaces set, namespaceSelector selecting nothing: the own namespace is not implied.
    expect(filterAll(plugin, nodes, [cache], pod({ namespaces: ['infra'] })).codes.n3).toBe('UnschedulableAndUnresolvable');
  });

  it('matchLabelKeys: affinity only to pods with the same value of the key', () => {
    const pod = (hash: string): PodOptions => ({
      name: 'x',
      labels: { app: 'web', hash },
      affinity: requiredAffinity({ labelSelector: { matchLabels: { app: 'cache' } }, topologyKey: ZONE, matchLabelKeys: ['hash'] }),
    });
    const existing = [{ name: 'c', labels: { app: 'cache', hash: 'h1' }, boundTo: 'n3' }];
    expect(filterAll(plugin, nodes, existing, pod('h1')).codes.n3).toBe('Success');
    expect(filterAll(plugin, nodes, existing, pod('h2')).codes.n3).toBe('UnschedulableAndUnresolvable');
  });

  it('counts a pod assumed onto a node', () => {
    const cluster = clusterState(nodes);
    const assumed = new AssumedPods();
    const c = podRecord({ name: 'cache', labels: { app: 'cache' } });
    cluster.pods.set(c.key, c);
    assumed.assume(c, 'n1');
    const state = new CycleState();
    state.write(CLUSTER_PODS, cluster.pods);
    const pod = podRecord({ name: 'web', affinity: requiredAffinity(term('cache', ZONE)) });
    const infos = buildNodeInfos(cluster, assumed);
    plugin.preFilter(state, pod, infos);
    expect(infos.map((n) => plugin.filter(state, pod, n).code)).toEqual(['Success', 'Success', 'UnschedulableAndUnresolvable', 'UnschedulableAndUnresolvable']);
  });

  it('PreFilter skips when neither the pod nor any existing pod has required terms that apply', () => {
    expect(filterAll(plugin, nodes, [cache], { name: 'plain' }).pre.code).toBe('Skip');
    const preferredOnly: PodOptions = { name: 'p', affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, podAffinityTerm: term('cache', ZONE) }] } } };
    expect(filterAll(plugin, nodes, [cache], preferredOnly).pre.code).toBe('Skip');
  });
});

describe('InterPodAffinity Score', () => {
  const nodes = [node('n1', 'a'), node('n2', 'a'), node('n3', 'b'), node('n4', 'c')];
  const preferred = (weight: number, t: PodAffinityTerm) => ({ weight, podAffinityTerm: t });

  it('adds preferred affinity weights and subtracts preferred anti-affinity weights per domain, normalised min..max', () => {
    const pod: PodOptions = {
      name: 'web',
      labels: { app: 'web' },
      affinity: {
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [preferred(10, term('cache', ZONE))] },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [preferred(5, term('batch', HOSTNAME))] },
      },
    };
    const existing: PodOptions[] = [
      { name: 'cache-1', labels: { app: 'cache' }, boundTo: 'n1' },
      { name: 'batch-1', labels: { app: 'batch' }, boundTo: 'n2' },
      { name: 'batch-2', labels: { app: 'batch' }, boundTo: 'n3' },
    ];
    const { raw, normalized } = scoreAll(plugin, nodes, existing, pod);
    expect(raw).toEqual({ n1: 10, n2: 5, n3: -5, n4: 0 });
    // (score - min) / (max - min) * 100, truncated.
    expect(normalized).toEqual({ n1: 100, n2: 66, n3: 0, n4: 33 });
  });

  it('counts existing pods\' preferences toward the pod, and their required affinity with hardPodAffinityWeight 1', () => {
    const existing: PodOptions[] = [
      { name: 'likes-web', labels: { app: 'x' }, boundTo: 'n1', affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [preferred(4, term('web', ZONE))] } } },
      { name: 'needs-web', labels: { app: 'y' }, boundTo: 'n3', affinity: requiredAffinity(term('web', ZONE)) },
      { name: 'avoids-web', labels: { app: 'z' }, boundTo: 'n4', affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [preferred(3, term('web', HOSTNAME))] } } },
    ];
    const pod: PodOptions = { name: 'web', labels: { app: 'web' } };
    const { raw, normalized } = scoreAll(plugin, nodes, existing, pod);
    expect(raw).toEqual({ n1: 4, n2: 4, n3: 1, n4: -3 });
    expect(normalized).toEqual({ n1: 100, n2: 100, n3: 57, n4: 0 });
    const noHard = new InterPodAffinity(InterPodAffinityArgsSchema.parse({ hardPodAffinityWeight: 0 }));
    expect(scoreAll(noHard, nodes, existing, pod).raw).toEqual({ n1: 4, n2: 4, n3: 0, n4: -3 });
    const ignoring = new InterPodAffinity(InterPodAffinityArgsSchema.parse({ ignorePreferredTermsOfExistingPods: true }));
    expect(scoreAll(ignoring, nodes, existing, pod).pre.code).toBe('Skip');
  });

  it('counts pods on nodes that did not pass Filter', () => {
    const pod: PodOptions = { name: 'web', affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [preferred(10, term('cache', ZONE))] } } };
    const { normalized } = scoreAll(plugin, nodes, [{ name: 'c', labels: { app: 'cache' }, boundTo: 'n1' }], pod, ['n2', 'n3']);
    expect(normalized).toEqual({ n2: 100, n3: 0 });
  });

  it('through the framework: a preferred zone wins against more free room elsewhere', () => {
    const framework = createFramework(DEFAULT_PROFILE);
    const cluster = clusterState([{ ...node('n1', 'a'), cpu: '64', memory: '256Gi' }, node('n3', 'b')], [{ name: 'c', labels: { app: 'cache' }, boundTo: 'n3' }]);
    const pod = podRecord({ name: 'web', affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [preferred(100, term('cache', ZONE))] } } });
    const result = framework.schedulePod({ pod, nodes: buildNodeInfos(cluster, new AssumedPods()), pods: cluster.pods });
    expect(result.nodeName).toBe('n3');
  });

  it('PreScore skips when nothing scores (no terms either way, or none matching)', () => {
    expect(scoreAll(plugin, nodes, [{ name: 'c', labels: { app: 'cache' }, boundTo: 'n1' }], { name: 'plain' }).pre.code).toBe('Skip');
    const pod: PodOptions = { name: 'web', affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [preferred(10, term('nothing', ZONE))] } } };
    expect(scoreAll(plugin, nodes, [{ name: 'c', labels: { app: 'cache' }, boundTo: 'n1' }], pod).pre.code).toBe('Skip');
  });

  it('gives every node 0 when all score the same', () => {
    const pod: PodOptions = { name: 'web', affinity: { podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [preferred(10, term('cache', 'region'))] } } };
    const regional = nodes.map((n) => ({ ...n, labels: { ...n.labels, region: 'r1' } }));
    const { raw, normalized } = scoreAll(plugin, regional, [{ name: 'c', labels: { app: 'cache' }, boundTo: 'n1' }], pod);
    expect(raw).toEqual({ n1: 10, n2: 10, n3: 10, n4: 10 });
    expect(normalized).toEqual({ n1: 0, n2: 0, n3: 0, n4: 0 });
  });
});

describe('InterPodAffinity plugin', () => {
  it('validates its arguments', () => {
    expect(() => newInterPodAffinity({ hardPodAffinityWeight: 101 }, { schedulerName: 's' })).toThrow();
    expect(() => newInterPodAffinity({ unknown: true }, { schedulerName: 's' })).toThrow();
    expect(newInterPodAffinity(undefined, { schedulerName: 's' }).name).toBe('InterPodAffinity');
  });

  it('Filter and Score without their Pre state are errors', () => {
    const c = cycle([node('n1')], [], { name: 'x' });
    expect(plugin.filter(c.state, c.pod, c.nodes[0]!).code).toBe('Error');
    expect(plugin.score(c.state, c.pod, c.nodes[0]!).status.code).toBe('Error');
  });

  it('declares the cluster events that can undo its rejections', () => {
    expect(plugin.requeueOn).toEqual(['NodeAdded', 'NodeUpdated', 'PodDeleted', 'PodReleased']);
  });
});
