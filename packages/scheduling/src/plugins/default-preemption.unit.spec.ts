// DefaultPreemption through the default profile, over states made by the real fold: which node, which
// victims (the fewest and least important), and kube-scheduler's messages when preemption cannot help.
import { describe, expect, it } from 'vitest';
import type { DomainEvent } from '@flotilla/events';
import type { ClusterState, PodRecord } from '@flotilla/state';
import { PREEMPTED } from '@flotilla/state';
import { given, nodeRegistered, podBound, podCreated, podDeletionRequested, podNominated, podSandboxReady } from '@flotilla/state/testing';
import type { PodInput } from '@flotilla/state/testing';
import { AssumedPods } from '../framework/assumed-pods.ts';
import { createFramework } from '../framework/framework.ts';
import type { ScheduleResult } from '../framework/framework.ts';
import { buildNodeInfos } from '../framework/node-info.ts';
import { withNominatedPods } from '../framework/nominated-pods.ts';
import { DEFAULT_PROFILE } from '../framework/profile.ts';
import { DefaultPreemptionArgsSchema, pickOneNodeForPreemption } from './default-preemption.ts';

const framework = createFramework(DEFAULT_PROFILE);

let cidr = 0;
/** A node with its own pod CIDR. */
function node(name: string, cpu: string, extra: Parameters<typeof nodeRegistered>[0] = {}): DomainEvent {
  cidr += 1;
  return nodeRegistered({ name, cpu, podCIDR: `10.245.${cidr}.0/24`, ...extra });
}

/** A pod bound to `nodeName` and started (status.startTime is the time of its sandbox event). */
function running(name: string, nodeName: string, input: PodInput = {}): DomainEvent[] {
  return [podCreated({ name, cpu: '1', ...input }), podBound({ name, nodeName }), podSandboxReady({ name, nodeName, podIP: `10.0.0.${name.length}` })];
}

function pod(state: ClusterState, name: string): PodRecord {
  const record = state.pods.get(`default/${name}`);
  if (!record) throw new Error(`no pod default/${name}`);
  return record;
}

/** One scheduling attempt as the scheduler runs it: nominated pods counted for the pod, the fold's pods in CycleState. */
function schedule(state: ClusterState, name: string, assumed = new AssumedPods()): ScheduleResult {
  const record = pod(state, name);
  return framework.schedulePod({ pod: record, nodes: withNominatedPods(buildNodeInfos(state, assumed), state, assumed, record), pods: state.pods });
}

const victimNames = (result: ScheduleResult): string[] => (result.victims ?? []).map((victim) => victim.name);

describe('DefaultPreemption: the victims on a node', () => {
  it('evicts one pod where one is enough, keeping the earlier-started ones (reprieve, highest priority first)', () => {
    const state = given(
      node('n1', '4'),
      ...running('low-1', 'n1', { priorityClassName: 'low-priority' }),
      ...running('low-2', 'n1', { priorityClassName: 'low-priority' }),
      ...running('low-3', 'n1', { priorityClassName: 'low-priority' }),
      ...running('low-4', 'n1', { priorityClassName: 'low-priority' }),
      podCreated({ name: 'high', cpu: '1', priorityClassName: 'high-priority' }),
    ).state();
    const result = schedule(state, 'high');
    expect(result.feasible).toBe(false);
    expect(result.nominatedNodeName).toBe('n1');
    // Equal priority: the pod that started last is the least important.
    expect(result.victims).toEqual([{ key: 'default/low-4', namespace: 'default', name: 'low-4', uid: 'uid-low-4' }]);
    // Nominating, kube-scheduler records the plain FitError (no preemption sentence).
    expect(result.message).toBe('0/1 nodes are available: 1 Insufficient cpu.');
    expect(result.requeueOn).toEqual(expect.arrayContaining(['PodDeleted', 'PodReleased']));
  });

  it('evicts as many as the pod needs, and no more', () => {
    const state = given(
      node('n1', '4'),
      ...running('low-1', 'n1', { priorityClassName: 'low-priority' }),
      ...running('low-2', 'n1', { priorityClassName: 'low-priority' }),
      ...running('low-3', 'n1', { priorityClassName: 'low-priority' }),
      ...running('low-4', 'n1', { priorityClassName: 'low-priority' }),
      podCreated({ name: 'high', cpu: '2', priorityClassName: 'high-priority' }),
      podCreated({ name: 'bigger', cpu: '2500m', priorityClassName: 'high-priority' }),
    ).state();
    expect(victimNames(schedule(state, 'high'))).toEqual(['low-3', 'low-4']);
    expect(victimNames(schedule(state, 'bigger'))).toEqual(['low-2', 'low-3', 'low-4']);
  });

  it('evicts the lower-priority pod and keeps the higher one, and never touches pods of equal or higher priority', () => {
    const state = given(
      node('n1', '3'),
      ...running('default-prio', 'n1', { priority: 0 }),
      ...running('low', 'n1', { priorityClassName: 'low-priority' }),
      ...running('peer', 'n1', { priority: 500 }),
      podCreated({ name: 'mid', cpu: '1', priority: 500 }),
    ).state();
    const result = schedule(state, 'mid');
    expect(result.nominatedNodeName).toBe('n1');
    expect(victimNames(result)).toEqual(['low']);
  });

  it('lists the victims highest priority first', () => {
    const state = given(
      node('n1', '3'),
      ...running('low', 'n1', { priorityClassName: 'low-priority' }),
      ...running('zero', 'n1', { priority: 0 }),
      ...running('ten', 'n1', { priority: 10 }),
      podCreated({ name: 'high', cpu: '3', priorityClassName: 'high-priority' }),
    ).state();
    expect(victimNames(schedule(state, 'high'))).toEqual(['ten', 'zero', 'low']);
  });

  it('frees a host port held by a lower-priority pod (NodePorts rejections are resolvable)', () => {
    const state = given(
      node('n1', '8'),
      ...running('web-low', 'n1', { priorityClassName: 'low-priority', hostPorts: [8080] }),
      ...running('other', 'n1', { priorityClassName: 'low-priority' }),
      podCreated({ name: 'web-high', cpu: '1', hostPorts: [8080], priorityClassName: 'high-priority' }),
    ).state();
    const result = schedule(state, 'web-high');
    expect(result.message).toBe("0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.");
    expect(victimNames(result)).toEqual(['web-low']);
  });
});

describe('DefaultPreemption: the node', () => {
  it('prefers the node whose most important victim is least important, even with more victims', () => {
    const state = given(
      node('a', '2'),
      ...running('a-zero', 'a', { cpu: '2', priority: 0 }),
      node('b', '2'),
      ...running('b-low-1', 'b', { priorityClassName: 'low-priority' }),
      ...running('b-low-2', 'b', { priorityClassName: 'low-priority' }),
      podCreated({ name: 'high', cpu: '2', priorityClassName: 'high-priority' }),
    ).state();
    const result = schedule(state, 'high');
    expect(result.nominatedNodeName).toBe('b');
    expect(victimNames(result)).toEqual(['b-low-1', 'b-low-2']);
  });

  it('then the fewest victims: sums of negative priorities do not favour more victims', () => {
    const state = given(
      node('a', '2'),
      ...running('a-low-1', 'a', { priorityClassName: 'low-priority' }),
      ...running('a-low-2', 'a', { priorityClassName: 'low-priority' }),
      node('b', '2'),
      ...running('b-low', 'b', { cpu: '2', priorityClassName: 'low-priority' }),
      podCreated({ name: 'high', cpu: '2', priorityClassName: 'high-priority' }),
    ).state();
    const result = schedule(state, 'high');
    expect(result.nominatedNodeName).toBe('b');
    expect(victimNames(result)).toEqual(['b-low']);
  });

  it('then the node whose victims started last (they lose the least work)', () => {
    const state = given(
      node('a', '1'),
      node('b', '1'),
      ...running('b-old', 'b', { priorityClassName: 'low-priority' }),
      ...running('a-new', 'a', { priorityClassName: 'low-priority' }),
      podCreated({ name: 'high', cpu: '1', priorityClassName: 'high-priority' }),
    ).state();
    const result = schedule(state, 'high');
    expect(result.nominatedNodeName).toBe('a');
    expect(victimNames(result)).toEqual(['a-new']);
  });

  it('then the lowest node name', () => {
    // Bound but not started yet: no start time to tell them apart.
    const state = given(
      node('z', '1'),
      node('m', '1'),
      podCreated({ name: 'on-z', cpu: '1', priorityClassName: 'low-priority' }),
      podBound({ name: 'on-z', nodeName: 'z' }),
      podCreated({ name: 'on-m', cpu: '1', priorityClassName: 'low-priority' }),
      podBound({ name: 'on-m', nodeName: 'm' }),
      podCreated({ name: 'high', cpu: '1', priorityClassName: 'high-priority' }),
    ).state();
    expect(schedule(state, 'high').nominatedNodeName).toBe('m');
    expect(pickOneNodeForPreemption([{ nodeName: 'z', victims: [pod(state, 'on-z')] }, { nodeName: 'm', victims: [pod(state, 'on-m')] }]).nodeName).toBe('m');
  });
});

describe('DefaultPreemption: when preemption cannot help', () => {
  it('a pod with preemptionPolicy Never does not preempt, and says so', () => {
    const state = given(
      node('n1', '1'),
      ...running('low', 'n1', { priorityClassName: 'low-priority' }),
      podCreated({ name: 'polite', cpu: '1', priority: 1_000_000, preemptionPolicy: 'Never' }),
    ).state();
    const result = schedule(state, 'polite');
    expect(result.message).toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
    expect(result.nominatedNodeName).toBeUndefined();
    expect(result.victims).toBeUndefined();
  });

  it('the built-in best-effort-no-preempt class carries preemptionPolicy Never', () => {
    const state = given(node('n1', '1'), ...running('x', 'n1', { priority: -2000 }), podCreated({ name: 'p', cpu: '1', priorityClassName: 'best-effort-no-preempt' })).state();
    expect(schedule(state, 'p').message).toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.');
  });

  it('finds no victims among pods of equal priority (kube-scheduler\'s message) and clears the nomination', () => {
    const state = given(
      node('n1', '2'),
      node('n2', '2'),
      node('n3', '2'),
      ...running('a', 'n1', { cpu: '2' }),
      ...running('b', 'n2', { cpu: '2' }),
      ...running('c', 'n3', { cpu: '2' }),
      podCreated({ name: 'p', cpu: '1' }),
    ).state();
    const result = schedule(state, 'p');
    expect(result.message).toBe('0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.');
    expect(result.nominatedNodeName).toBe('');
    expect(result.victims).toBeUndefined();
  });

  it('skips nodes rejected for good (Preemption is not helpful), and reports a node still too full without its lower-priority pods', () => {
    const state = given(
      node('tainted', '8', { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }),
      node('busy', '2'),
      ...running('peer', 'busy', { priorityClassName: 'high-priority' }),
      ...running('low', 'busy', { priorityClassName: 'low-priority' }),
      node('small', '1'),
      podCreated({ name: 'high', cpu: '2', priorityClassName: 'high-priority' }),
    ).state();
    const result = schedule(state, 'high');
    // small can never hold 2 CPU (unresolvable); busy could, but not without the peer of equal priority.
    expect(result.message).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 Insufficient cpu. ' +
        'preemption: 0/3 nodes are available: 1 Insufficient cpu, 2 Preemption is not helpful for scheduling.',
    );
    expect(result.nominatedNodeName).toBe('');
  });

  it('does not preempt again while an earlier victim is still terminating on the nominated node', () => {
    const state = given(
      node('n1', '2'),
      ...running('low-1', 'n1', { priorityClassName: 'low-priority' }),
      ...running('low-2', 'n1', { priorityClassName: 'low-priority' }),
      podCreated({ name: 'high', cpu: '1', priorityClassName: 'high-priority' }),
      podDeletionRequested({ name: 'low-2', reason: PREEMPTED }),
      podNominated({ name: 'high', nodeName: 'n1', victims: ['low-2'] }),
    ).state();
    const result = schedule(state, 'high');
    expect(result.message).toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to a terminating pod on the nominated node.');
    expect(result.nominatedNodeName).toBeUndefined(); // the nomination stands
    expect(result.victims).toBeUndefined();
  });

  it('validates its arguments as kube-scheduler\'s DefaultPreemptionArgs', () => {
    expect(DefaultPreemptionArgsSchema.parse({})).toEqual({ minCandidateNodesPercentage: 10, minCandidateNodesAbsolute: 100 });
    expect(() => DefaultPreemptionArgsSchema.parse({ minCandidateNodesPercentage: 0, minCandidateNodesAbsolute: 0 })).toThrow(/cannot both be zero/);
    expect(() => createFramework({ ...DEFAULT_PROFILE, pluginConfig: [{ name: 'DefaultPreemption', args: { minCandidateNodesPercentage: 101 } }] })).toThrow(
      /pluginConfig\.0\.args\.minCandidateNodesPercentage|pluginConfig\[0\]\.args\.minCandidateNodesPercentage/,
    );
  });
});

describe('nominated pods hold the room their victims free', () => {
  /** n1 (2 CPU): low-1 runs; low-2 was preempted and is gone; high is nominated to n1. */
  const afterPreemption = [
    node('n1', '2'),
    ...running('low-1', 'n1', { priorityClassName: 'low-priority' }),
    podCreated({ name: 'high', cpu: '1', priorityClassName: 'high-priority' }),
    podNominated({ name: 'high', nodeName: 'n1' }),
  ];

  it('a pod of lower or equal priority does not take it', () => {
    const state = given(...afterPreemption, podCreated({ name: 'low-3', cpu: '1', priorityClassName: 'low-priority' }), podCreated({ name: 'peer', cpu: '1', priorityClassName: 'high-priority' })).state();
    const low = schedule(state, 'low-3');
    expect(low.feasible).toBe(false);
    expect(low.message).toBe('0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.');
    expect(schedule(state, 'peer').feasible).toBe(false);
  });

  it('a pod of higher priority may take it', () => {
    const state = given(...afterPreemption, podCreated({ name: 'critical', cpu: '1', priorityClassName: 'system-cluster-critical' })).state();
    expect(schedule(state, 'critical')).toMatchObject({ feasible: true, nodeName: 'n1' });
  });

  it('the nominated pod itself fits there, and goes there first', () => {
    const state = given(...afterPreemption, node('n2', '4')).state();
    // n2 would score higher (emptier), but the nominated node is tried alone first.
    const result = schedule(state, 'high');
    expect(result).toMatchObject({ feasible: true, nodeName: 'n1', evaluatedNodes: 1 });
  });

  it('a nominated pod this scheduler already assumed is counted once', () => {
    const state = given(...afterPreemption, node('n2', '4'), podCreated({ name: 'low-3', cpu: '1', priorityClassName: 'low-priority' })).state();
    const assumed = new AssumedPods();
    assumed.assume(pod(state, 'high'), 'n2');
    // high is assumed on n2 (bound, not folded): n1's room is free again for others.
    expect(schedule(state, 'low-3', assumed)).toMatchObject({ feasible: true });
    const nodes = withNominatedPods(buildNodeInfos(state, assumed), state, assumed, pod(state, 'low-3'));
    expect(nodes.find((n) => n.name === 'n2')?.requested.cpu).toBe(1000);
    expect(nodes.find((n) => n.name === 'n1')?.requested.cpu).toBe(1000);
  });

  it('counts the nominated pod on its node for the Filter plugins, without changing the fold\'s view', () => {
    const state = given(...afterPreemption, podCreated({ name: 'low-3', cpu: '1', priorityClassName: 'low-priority' })).state();
    const plain = buildNodeInfos(state, new AssumedPods());
    const nodes = withNominatedPods(plain, state, undefined, pod(state, 'low-3'));
    const n1 = nodes[0]!;
    expect(n1.requested.cpu).toBe(2000);
    expect([...n1.podKeys].sort()).toEqual(['default/high', 'default/low-1']);
    expect([...n1.assumedPodKeys]).toEqual(['default/high']);
    expect(plain[0]!.requested.cpu).toBe(1000);
    // Nothing nominated that outranks the pod: the same list comes back.
    expect(withNominatedPods(plain, state, undefined, pod(state, 'high'))).toBe(plain);
  });
});
